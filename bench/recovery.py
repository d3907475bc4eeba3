"""Recovery after `kill -9` with the production values: how long until a killed worker's
reminder batch is sent again, and a killed PDF render issued again.

Against a throwaway PostgreSQL database (`bench_recovery`, created and dropped; the
server is BENCH_DATABASE_URL's, default postgres://postgres@127.0.0.1:5432/postgres) and
Redis database 14 (`--redis-db`; flushed before and after), with an aiosmtpd sink in
this process. Nothing shortens the lease, the heartbeat or the beat schedule: the
REMINDER_* variables are dropped from the environment, so the settings' defaults apply.

  setup:    migrate; N participants of one organisation with N due reminder rows; a
            published pair with a filled agreement to sign.
  services: `celery beat` (the settings' CELERY_BEAT_SCHEDULE) and a worker as in
            docker-compose.yml (`-Q default,email,pdf --concurrency 2`).
  reminders: the rows are fanned out in batches of 200 (as the dispatcher did at their
            due time); the sink holds the message that comes after the first 30 % at
            RCPT, then every connection at RCPT, and then the worker's whole process
            group gets SIGKILL (its batches are claimed, part of them sent). A new
            worker starts at once (as `restart:` does). The clock runs from the kill
            until every row is `sent` and in the sink.
  pdf:      both parties sign; the render queued on commit starts; while it holds the
            agreement's row lock (rendering, nothing committed) the worker gets
            SIGKILL; a new worker starts at once. The clock runs from the kill until
            the PDF is issued.

Checks: every recipient got exactly one reminder; the PDF was issued once (one event).
Run: .venv/bin/python bench/recovery.py [--count 1000] [--redis-db 14]
Last line: RESULT reminders_resent_s=<float> pdf_reissued_s=<float> duplicates=<int>
           lost=<int> pdf_issued_events=<int>
"""

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where http.py would shadow the standard
# library's `http`; the project root is what this script needs instead.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]

from bench._pg import database, database_url, with_path  # noqa: E402 - after sys.path

DB_NAME = "bench_recovery"
BATCH = 200
NO_LOGIN = "!"
HOST = "127.0.0.1"
LIMIT = 600  # give up after this long: the figure to beat is 120 s
# Variables that would point the run at other services, or change the values measured.
DROPPED_PREFIXES = ("EMAIL_", "REMINDER_", "CELERY_", "SEAL_")
DROPPED_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "SITE_URL",
    "PEERCOACH_VAR_DIR",
    "PRIVATE_ROOT",
    "MEDIA_ROOT",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "LOG_LEVEL",
}


STARTED = []  # every process started, stopped at the end whatever happens


class BenchError(Exception):
    pass


def environment(*, sink_port, redis_url, workdir):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in DROPPED_ENV and not key.startswith(DROPPED_PREFIXES)
    }
    env.update(
        DJANGO_SETTINGS_MODULE="peercoach.settings",
        DATABASE_URL=database_url(DB_NAME),
        REDIS_URL=redis_url,
        EMAIL_HOST=HOST,
        EMAIL_PORT=str(sink_port),
        EMAIL_USE_TLS="false",
        EMAIL_USE_SSL="false",
        SECRET_KEY=secrets.token_urlsafe(40),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://peercoach.example.org",
        PEERCOACH_VAR_DIR=str(workdir / "var"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


class Process:
    """A celery process in its own process group (main process and pool children)."""

    def __init__(self, name, args, env, log):
        self.name = name
        self.log = log
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "peercoach", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        STARTED.append(self)

    def alive(self):
        return self.process.poll() is None

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    def stop(self):
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            except ProcessLookupError:
                pass
        if not self._log.closed:
            self._log.close()


def worker(name, env, workdir):
    # As docker-compose.yml runs it.
    args = ["worker", "-Q", "default,email,pdf", "--concurrency", "2", "-l", "info"]
    return Process(name, [*args, "--hostname", f"{name}@%h"], env, workdir / f"{name}.log")


def beat(env, workdir):
    args = ["beat", "-l", "info", "-s", str(workdir / "celerybeat-schedule")]
    return Process("beat", args, env, workdir / "beat.log")


def wait(predicate, what, timeout, *alive):
    deadline = time.monotonic() + timeout
    while not predicate():
        for process in alive:
            if not process.alive():
                raise BenchError(f"{what}: {process.name} exited; see {process.log}")
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: not after {timeout} s")
        time.sleep(0.05)
    return time.monotonic()


# -- data -----------------------------------------------------------------------------


def setup_reminders(count):
    from django.utils import timezone
    from django_scopes import scope

    from peercoach.accounts.models import User
    from peercoach.notifications.models import Delivery
    from peercoach.tenancy.models import Membership, Organization
    from tests.notifications.smtp_sink import KIND

    org = Organization.objects.create(slug="bench", name="Bench University")
    users = User.objects.bulk_create(
        User(email=f"r{i:06}@bench.example.org", first_name=f"P{i}", password=NO_LOGIN)
        for i in range(count)
    )
    due_at = timezone.now() - timedelta(minutes=1)
    with scope(organization=org):
        Membership.objects.bulk_create(
            Membership(organization=org, user=u, role=Membership.Role.PARTICIPANT) for u in users
        )
        Delivery.objects.bulk_create(
            Delivery(
                organization=org,
                recipient=u,
                kind=KIND,
                period="bench",
                due_at=due_at,
                context={"program_name": "Bench program"},
            )
            for u in users
        )
    return org, [u.email for u in users]


def setup_pair(org):
    """A published pair with its agreement filled, ready to sign (the tests' fixture)."""
    from django_scopes import scope

    from agreements.services.create import agreement_create
    from peercoach.tenancy.models import Membership
    from programs.models import Match, Program
    from tests.agreements.conftest import Pair, template_make
    from tests.conftest import _member
    from tests.factories import ProgramFactory, match_make

    a = _member(org, Membership.Role.PARTICIPANT, "pat@pair.example.org")
    b = _member(org, Membership.Role.PARTICIPANT, "robin@pair.example.org")
    with scope(organization=org):
        program = ProgramFactory(
            organization=org, format=Program.Format.RECIPROCAL, status=Program.Status.RUNNING
        )
        match = match_make(program=program, users=[a, b], status=Match.Status.ACTIVE)
        template = template_make(program)
        agreement = agreement_create(match=match, template=template)
        pair = Pair(org, program, match, template, agreement, a, b)
        pair.fill_required()
    return pair


def statuses(org):
    from django.db.models import Count
    from django_scopes import scope

    from peercoach.notifications.models import Delivery

    with scope(organization=org):
        return dict(
            Delivery.objects.filter(organization=org)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )


# -- the two runs ---------------------------------------------------------------------


def run_reminders(org, recipients, sink, env, workdir, scheduler):
    from peercoach.notifications.dispatch import deliveries_dispatch

    count = len(recipients)
    kill_at = int(count * 0.3)
    sink.stall("rcpt", after=kill_at)
    first = worker("worker-1", env, workdir)
    queued = deliveries_dispatch(batch_size=BATCH)
    if queued != count:
        raise BenchError(f"the dispatcher queued {queued} of {count}")
    wait(sink.stalled.is_set, f"message {kill_at + 1}", 180, first, scheduler)
    # The batch's other connections wait at RCPT too before the kill: none is then
    # between its mark and its final "." (the one window where a kill loses a message,
    # see delivery.py); what is measured is the recovery.
    sink.pause()
    time.sleep(0.5)
    first.kill()
    killed = time.monotonic()
    sink.release()
    held = statuses(org).get("sending", 0)
    second = worker("worker-2", env, workdir)

    def done():
        return statuses(org).get("sent", 0) == count and sink.total >= count

    ended = wait(done, "every reminder sent", LIMIT, second, scheduler)
    time.sleep(2)  # room for a (wrong) second copy
    counts = dict(sink.counts)
    duplicates = sum(counts.get(address, 0) - 1 for address in recipients if counts.get(address))
    lost = sum(1 for address in recipients if counts.get(address, 0) == 0)
    print(
        f"reminders: killed after {kill_at}/{count} messages with {held} rows claimed by "
        f"the killed batch; every row sent {ended - killed:.1f} s after the kill; "
        f"duplicates {duplicates}, lost {lost}"
    )
    return ended - killed, duplicates, lost, second


def run_pdf(pair, env, workdir, current, scheduler):
    from django.db import OperationalError, transaction
    from django_scopes import scope, scopes_disabled

    from agreements.models import Agreement, AgreementEvent
    from agreements.selectors.agreement import canonical_text
    from agreements.services.common import Actor
    from agreements.services.sign import agreement_sign

    with scope(organization=pair.org):
        for user in (pair.a, pair.b):
            agreement_sign(
                agreement=pair.agreement,
                actor=Actor(user=user, ip="192.0.2.1", user_agent="bench"),
                typed_name=user.get_full_name() or user.email,
                consent=True,
                intent=True,
                seen_sha256=canonical_text(pair.agreement)[1],
            )
    pk = pair.agreement.pk

    def rendering():
        try:
            with scopes_disabled(), transaction.atomic():
                Agreement.objects.select_for_update(nowait=True).filter(pk=pk).exists()
        except OperationalError:
            return True
        return False

    def issued():
        with scopes_disabled():
            return Agreement.objects.filter(pk=pk).exclude(pdf_sha256="").exists()

    wait(rendering, "the render to start", 120, current, scheduler)
    current.kill()
    killed = time.monotonic()
    if issued():
        raise BenchError("the render finished before the kill; run again")
    third = worker("worker-3", env, workdir)
    ended = wait(issued, "the PDF issued again", LIMIT, third, scheduler)
    time.sleep(2)
    with scopes_disabled():
        events = AgreementEvent.objects.filter(agreement_id=pk, kind="pdf_issued").count()
        attempts = Agreement.objects.get(pk=pk).pdf_attempts
    print(
        f"pdf: render killed; issued {ended - killed:.1f} s after the kill; "
        f"{events} issued event(s), {attempts} attempts"
    )
    return ended - killed, events, third


# -- main -----------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="reminders (1000)")
    parser.add_argument("--redis-db", type=int, default=14, help="Redis database (14)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    return parser.parse_args()


def main():
    options = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-recovery-"))
    from tests.notifications.smtp_sink import Sink

    sink = Sink(keep=False).start()
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    redis_url = with_path(base, f"/{options.redis_db}")
    env = environment(sink_port=sink.port, redis_url=redis_url, workdir=workdir)
    for name in list(os.environ):
        if name in DROPPED_ENV or name.startswith(DROPPED_PREFIXES):
            del os.environ[name]
    os.environ.update(env)

    import django
    import redis

    database(DB_NAME, "create")
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        org, recipients = setup_reminders(options.count)
        pair = setup_pair(org)
        schedule = {
            name: entry["schedule"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        }
        print(
            f"production values: lease {settings.REMINDER_LEASE_SECONDS} s, heartbeat "
            f"{settings.REMINDER_HEARTBEAT_SECONDS} s, beat {schedule}"
        )
        scheduler = beat(env, workdir)
        resent, duplicates, lost, current = run_reminders(
            org, recipients, sink, env, workdir, scheduler
        )
        reissued, events, current = run_pdf(pair, env, workdir, current, scheduler)
        print(
            f"RESULT reminders_resent_s={resent:.1f} pdf_reissued_s={reissued:.1f} "
            f"duplicates={duplicates} lost={lost} pdf_issued_events={events}"
        )
        return 0 if (duplicates, lost, events) == (0, 0, 1) else 1
    finally:
        for process in STARTED:
            process.stop()
        sink.stop()
        client.flushdb()
        client.close()
        from django.db import connections

        connections.close_all()
        if not options.keep:
            database(DB_NAME, "drop")
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept: database {DB_NAME}, logs in {workdir}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
