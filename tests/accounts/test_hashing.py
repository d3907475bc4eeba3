"""The cap on password hashes at once (peercoach/accounts/hashing.py): the hasher is
Django's PBKDF2 unchanged, a slot is exclusive across threads (and so across processes:
one open file each) and re-entrant within a thread, and a sign-in waits for one before
its view runs."""

import threading
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password

from peercoach.accounts import hashing

pytestmark = pytest.mark.backend_agnostic


@pytest.fixture
def gated(settings):
    # conftest.py makes tests hash with MD5 for speed; here the production list.
    settings.PASSWORD_HASHERS = [
        "peercoach.accounts.hashing.GatedPBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ]


def test_the_gated_hasher_is_djangos_pbkdf2_at_its_work_factor(gated):
    gated_hasher = hashing.GatedPBKDF2PasswordHasher()
    assert gated_hasher.algorithm == PBKDF2PasswordHasher.algorithm == "pbkdf2_sha256"
    assert gated_hasher.iterations == PBKDF2PasswordHasher.iterations >= 600_000
    # Hashes made before (Django's own class) verify, and new ones are the same format.
    old = PBKDF2PasswordHasher().encode("a passphrase", "saltsaltsalt")
    assert check_password("a passphrase", old)
    assert not check_password("another", old)
    assert make_password("x", "saltsaltsalt") == PBKDF2PasswordHasher().encode("x", "saltsaltsalt")


def _holder(release):
    held = threading.Event()

    def hold():
        with hashing.hash_slot():
            held.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(5)
    return thread


@pytest.mark.parametrize("slot_dir", [True, False], ids=["files", "semaphore"])
def test_a_slot_is_exclusive_until_its_holder_lets_go(settings, monkeypatch, tmp_path, slot_dir):
    settings.PASSWORD_HASH_SLOTS = 1
    if slot_dir:
        monkeypatch.setenv(hashing.SLOT_DIR_VARIABLE, str(tmp_path))
    else:
        monkeypatch.delenv(hashing.SLOT_DIR_VARIABLE, raising=False)
    release, got = threading.Event(), threading.Event()
    holder = _holder(release)

    def wait_for_slot():
        with hashing.hash_slot():
            got.set()

    waiter = threading.Thread(target=wait_for_slot)
    waiter.start()
    assert not got.wait(0.3), "a second thread got the only slot while it was held"
    release.set()
    assert got.wait(5), "the slot was not handed on"
    holder.join(5)
    waiter.join(5)


def test_two_slots_let_two_in_and_the_third_waits(settings, monkeypatch, tmp_path):
    settings.PASSWORD_HASH_SLOTS = 2
    monkeypatch.setenv(hashing.SLOT_DIR_VARIABLE, str(tmp_path))
    release, got = threading.Event(), threading.Event()
    holders = [_holder(release), _holder(release)]

    def third():
        with hashing.hash_slot():
            got.set()

    waiter = threading.Thread(target=third)
    waiter.start()
    assert not got.wait(0.3)
    release.set()
    assert got.wait(5)
    for thread in [*holders, waiter]:
        thread.join(5)


def test_a_thread_holding_a_slot_does_not_wait_for_a_second(settings, monkeypatch, tmp_path):
    settings.PASSWORD_HASH_SLOTS = 1
    monkeypatch.setenv(hashing.SLOT_DIR_VARIABLE, str(tmp_path))
    started = time.monotonic()
    with hashing.hash_slot(), hashing.hash_slot():
        pass
    assert time.monotonic() - started < 1


def test_no_cap_with_zero_slots(settings, monkeypatch, tmp_path):
    settings.PASSWORD_HASH_SLOTS = 0
    monkeypatch.setenv(hashing.SLOT_DIR_VARIABLE, str(tmp_path))
    release = threading.Event()
    holder = _holder(release)
    with hashing.hash_slot():
        pass
    release.set()
    holder.join(5)


@pytest.mark.django_db
def test_a_sign_in_post_waits_for_a_slot_and_other_requests_do_not(client, monkeypatch):
    entered = []
    real = hashing.hash_slot

    def recording():
        entered.append(True)
        return real()

    monkeypatch.setattr(hashing, "hash_slot", recording)
    client.get("/accounts/login/")
    client.get("/healthz")
    assert entered == []
    client.post("/accounts/login/", {"login": "nobody@example.org", "password": "x"})
    assert entered == [True]
