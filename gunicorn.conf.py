"""gunicorn for peercoach, sized by the environment.

    gunicorn -c gunicorn.conf.py --bind 127.0.0.1:8000 peercoach.wsgi:application

WEB_CONCURRENCY worker processes (default 2), each with WEB_THREADS threads (default 64;
more than one uses the gthread worker). A thread holds a connection from its process's
database pool from its request's first query to its end: a person signing in waits for a
password hash slot (PASSWORD_HASH_SLOTS, peercoach/accounts/hashing.py) holding a thread
and nothing else, so the threads outnumber the pool (DATABASE_POOL_MAX) on purpose: a
crowd signing in at once fills some threads and the others keep serving pages.
WEB_TIMEOUT seconds (default 30) before a silent worker is killed and restarted: the
reverse proxy's read timeout should be a little longer.
"""

import os
import shutil
import tempfile


def _positive_int(name, default):
    value = os.environ.get(name, default)
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return number


workers = _positive_int("WEB_CONCURRENCY", "2")
threads = _positive_int("WEB_THREADS", "64")
worker_class = "gthread" if threads > 1 else "sync"
timeout = _positive_int("WEB_TIMEOUT", "30")
# Django writes one structured line per request (peercoach/logs.py) without the query
# string, where tokens travel: no second, raw access log.
accesslog = None
errorlog = "-"
# gunicorn's control socket (for gunicornc) lives in $HOME, which the image's user may not
# write: it would only warn at every start, and nothing here uses it.
control_socket_disable = True

_hash_slot_dir = None


def on_starting(server):
    """The password hash slots' folder, shared by this server's workers (they inherit the
    environment) and only by them: peercoach/accounts/hashing.py."""
    global _hash_slot_dir
    try:
        _hash_slot_dir = tempfile.mkdtemp(prefix="peercoach-hash-slots-")
    except OSError as exc:  # no writable temporary folder (a read-only file system)
        server.log.warning("password hash slots per process only: %s", exc)
        return
    os.environ["PEERCOACH_HASH_SLOT_DIR"] = _hash_slot_dir


def on_exit(server):
    if _hash_slot_dir:
        shutil.rmtree(_hash_slot_dir, ignore_errors=True)
