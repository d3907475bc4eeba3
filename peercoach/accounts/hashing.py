"""At most PASSWORD_HASH_SLOTS password hashes at once on a web server, across its worker
processes, so that a crowd signing in leaves CPU for everybody else's pages.

A password hash is the one thing a request does that costs much CPU: Django's PBKDF2 at
its default work factor takes about half a second of one core (README: "Sign-in and
password hashing"). Fifty people signing in at once used to take every core for half a
minute, and the pages of people already signed in waited behind them (bench/login.py).
With a cap, the hashes queue for their slots and the other cores stay free for reads.

The slots are files in a folder that gunicorn.conf.py makes when the server starts and
names in PEERCOACH_HASH_SLOT_DIR; a holder keeps an exclusive `flock` on one of them, which
the kernel lets go when its process dies, so a killed worker never keeps a slot. Without
that folder (runserver, tests, Celery, manage.py) the cap holds per process (a semaphore).

Two places take a slot, and a thread that holds one never takes a second:
- `SignInGateMiddleware`, for a POST to the sign-in page, before the view touches the
  database, so that a person waiting for a slot holds a server thread but no database
  connection (gunicorn.conf.py gives the workers threads to spare for that);
- `GatedPBKDF2PasswordHasher`, the project's first hasher, for every other hash (password
  change and reset, sign-up, the operator admin, the timing guard for unknown addresses).
"""

import fcntl
import os
import threading
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse

SLOT_DIR_VARIABLE = "PEERCOACH_HASH_SLOT_DIR"

_held = threading.local()
_semaphores = {}
_semaphores_lock = threading.Lock()


@contextmanager
def hash_slot():
    """Hold one of the slots for the block (at once if this thread holds one already)."""
    slots = settings.PASSWORD_HASH_SLOTS
    if slots <= 0 or getattr(_held, "slot", False):
        yield
        return
    _held.slot = True
    try:
        folder = os.environ.get(SLOT_DIR_VARIABLE)
        if folder:
            with _file_slot(folder, slots):
                yield
        else:
            with _semaphore(slots):
                yield
    finally:
        _held.slot = False


@contextmanager
def _file_slot(folder, slots):
    """An exclusive flock on one of `slots` files: a free one if any, else wait for one."""
    first = threading.get_ident() % slots
    order = [(first + i) % slots for i in range(slots)]
    held = None
    for index in order:
        fd = os.open(os.path.join(folder, f"slot-{index}"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        held = fd
        break
    if held is None:
        held = os.open(os.path.join(folder, f"slot-{first}"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(held, fcntl.LOCK_EX)  # waits, without the GIL
        except BaseException:
            os.close(held)
            raise
    try:
        yield
    finally:
        try:
            fcntl.flock(held, fcntl.LOCK_UN)
        finally:
            os.close(held)


def _semaphore(slots):
    with _semaphores_lock:
        if slots not in _semaphores:
            _semaphores[slots] = threading.BoundedSemaphore(slots)
        return _semaphores[slots]


class GatedPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2-SHA256 hasher (same algorithm name, same stored hashes, same work
    factor), each hash inside a slot."""

    def encode(self, password, salt, iterations=None):
        with hash_slot():
            return super().encode(password, salt, iterations)

    def verify(self, password, encoded):
        with hash_slot():
            return super().verify(password, encoded)

    def harden_runtime(self, password, encoded):
        with hash_slot():
            return super().harden_runtime(password, encoded)


class SignInGateMiddleware:
    """A POST to the sign-in page waits for a hash slot before anything else runs."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.login_path = None

    def __call__(self, request):
        if request.method == "POST":
            if self.login_path is None:
                self.login_path = reverse("account_login")
            if request.path_info == self.login_path:
                with hash_slot():
                    return self.get_response(request)
        return self.get_response(request)
