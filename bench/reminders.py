"""Reminder delivery throughput: our ledger path through a real Celery worker against
bare smtplib, both into the same local SMTP sink in the same run.

Against a throwaway PostgreSQL database (`bench_reminders`, created and dropped; the
server is BENCH_DATABASE_URL's, default postgres://postgres@127.0.0.1:5432/postgres), or
with `--db sqlite` a SQLite file in the run's temporary directory, and Redis database 12
(`--redis-db`, flushed before and after), with an aiosmtpd sink in its own process:

  setup: migrate, then N participants of one organisation and N due ledger rows
         (kind "agreement"), inserted with bulk_create;
  ours:  a `celery -A peercoach worker -Q email --concurrency 2 --prefetch-multiplier 1`
         is started and ready; the clock starts, the dispatcher (`reminders_dispatch`)
         fans the rows out in batches of 200, and the clock stops when the sink holds N
         messages. Each batch is claimed in one statement; every message: render the
         three templates, build the MIME message (wire.message_bytes), SMTP
         transaction, mark sent with the final "." (SentMark: UPDATE travels with
         MAIL/RCPT/DATA, COMMIT is written just before the ".").
  bare:  2 processes (the worker's concurrency), one smtplib connection each, send N
         messages of the same size as ours (a message our path rendered, sent as is) to
         the same N addresses. No database, no templates, no Celery.

Checks: every recipient got exactly one message from each side (duplicates, lost) and
every row is `sent`. Worker peak RSS: the sum over the worker's processes (main and
pool children), sampled from /proc every 0.2 s.

Run: .venv/bin/python bench/reminders.py [--count 100000] [--db sqlite] [--profile 2000]
Last line: RESULT ours_per_s=<float> bare_per_s=<float> ratio=<float> duplicates=<int>
           lost=<int> worker_peak_rss_mb=<float>
(ratio = ours / bare; duplicates and lost count our side.) See bench/README.md.
"""

import argparse
import multiprocessing
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where http.py would shadow the standard
# library's `http`; the project root is what this script needs instead.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]

from bench._pg import database, database_url, with_path  # noqa: E402 - after sys.path

DB_NAME = "bench_reminders"
REDIS_DB = 12
BATCH = 200
NO_LOGIN = "!"  # an unusable password hash: nobody signs in as these people
PROFILE_TASK = "bench-profile"  # the claim token of the profiled batches
HOST = "127.0.0.1"
# Variables that would point the run at other services or settings than the bench's own.
DROPPED_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_BACKEND",
    "SITE_URL",
    "PEERCOACH_VAR_DIR",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "LOG_LEVEL",
}


class BenchError(Exception):
    pass


def redis_url():
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return with_path(base, f"/{REDIS_DB}")


def set_redis_db(number):
    global REDIS_DB
    REDIS_DB = number


def bench_database_url(db, workdir):
    """The run's throwaway database: PostgreSQL's `bench_reminders`, or a SQLite file in
    the run's temporary directory."""
    if db == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    return database_url(DB_NAME)


def environment(sink_port, secret, url=None):
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="peercoach.settings",
        DATABASE_URL=url or database_url(DB_NAME),
        REDIS_URL=redis_url(),
        EMAIL_HOST=HOST,
        EMAIL_PORT=str(sink_port),
        EMAIL_USE_TLS="false",
        EMAIL_USE_SSL="false",
        SECRET_KEY=secret,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://peercoach.example.org",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


# -- data -----------------------------------------------------------------------------


def setup_data(count):
    from django.utils import timezone
    from django_scopes import scope

    from peercoach.accounts.models import User
    from peercoach.notifications.models import Delivery
    from peercoach.tenancy.models import Membership, Organization
    from tests.notifications.smtp_sink import KIND

    org = Organization.objects.create(
        slug="bench", name="Bench University", time_zone="Europe/Berlin"
    )
    users = User.objects.bulk_create(
        (
            User(email=f"r{i:06}@bench.example.org", first_name=f"Person{i}", password=NO_LOGIN)
            for i in range(count)
        ),
        batch_size=5000,
    )
    due_at = timezone.now() - timedelta(minutes=1)
    with scope(organization=org):
        Membership.objects.bulk_create(
            (Membership(organization=org, user=u, role=Membership.Role.PARTICIPANT) for u in users),
            batch_size=5000,
        )
        Delivery.objects.bulk_create(
            (
                Delivery(
                    organization=org,
                    recipient=u,
                    kind=KIND,
                    period="bench",
                    due_at=due_at,
                    context={"program_name": "Bench program"},
                )
                for u in users
            ),
            batch_size=5000,
        )
    return org, [u.email for u in users]


def sample_message(org):
    """One message as our path renders it, as bytes on the wire (bare side sends it)."""
    from django_scopes import scope

    from peercoach.accounts.models import User
    from peercoach.notifications.models import Delivery
    from peercoach.notifications.services import delivery_message
    from peercoach.notifications.wire import message_bytes

    with scope(organization=org):
        row = Delivery.objects.filter(organization=org).order_by("pk").first()
        user = User.objects.get(pk=row.recipient_id)
        message = delivery_message(delivery=row, recipient=user, organization=org)
    return message.from_email, message_bytes(message)


def row_statuses(org):
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


# -- the worker -----------------------------------------------------------------------


class Worker:
    def __init__(self, env, log, concurrency):
        args = [
            "-A",
            "peercoach",
            "worker",
            "-Q",
            "email",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--prefetch-multiplier",
            "1",
            "--hostname",
            "bench-reminders@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
        command = [sys.executable, "-m", "celery", *args]
        self.log = log
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.peak_rss = 0
        self._sampling = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"the worker exited; see {self.log}")
            if b" ready." in Path(self.log).read_bytes():
                return
            time.sleep(0.1)
        raise BenchError(f"the worker was not ready after {timeout}s; see {self.log}")

    def rss(self):
        """Resident memory of every process in the worker's process group, in bytes."""
        total = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[2]) != self.process.pid:  # pgrp
                    continue
                for line in Path(entry.path, "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except (OSError, ValueError, IndexError):
                continue
        return total

    def _sample(self):
        while not self._sampling.wait(0.2):
            self.peak_rss = max(self.peak_rss, self.rss())

    def stop(self):
        self._sampling.set()
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            except ProcessLookupError:
                pass
        self._log.close()


# -- the two sides --------------------------------------------------------------------


def wait_total(sink, count, timeout, what, alive=None):
    deadline = time.monotonic() + timeout
    while True:
        total = sink.total
        if total >= count:
            return time.monotonic()
        if alive is not None and not alive():
            raise BenchError(f"{what}: the sender died at {total}/{count}")
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: {total}/{count} messages after {timeout}s")
        time.sleep(0.02)


def run_ours(org, sink, worker, count):
    from django.utils import timezone

    from peercoach.notifications.dispatch import reminders_dispatch

    started = time.monotonic()
    queued = reminders_dispatch(now=timezone.now(), batch_size=BATCH)
    fanned = time.monotonic() - started
    if queued["queued"] != count:
        raise BenchError(f"the dispatcher queued {queued['queued']} of {count}")
    ended = wait_total(
        sink, count, 120 + count / 20, "ours", alive=lambda: worker.process.poll() is None
    )
    return ended - started, fanned


def _bare_sender(port, sender, recipients, body, ready, go):
    smtp = smtplib.SMTP(HOST, port, timeout=30)
    smtp.ehlo()
    ready.set()
    go.wait()
    for recipient in recipients:
        smtp.sendmail(sender, [recipient], body)
    smtp.quit()


def run_bare(sink, sender, body, recipients, concurrency):
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    # The events stay referenced here: a Process drops its arguments once started, and a
    # semaphore collected in the parent is gone before a spawned child can open it.
    processes, readies = [], []
    for index in range(concurrency):
        ready = context.Event()
        process = context.Process(
            target=_bare_sender,
            args=(sink.port, sender, recipients[index::concurrency], body, ready, go),
            daemon=True,
        )
        process.start()
        processes.append(process)
        readies.append(ready)
    for ready in readies:
        if not ready.wait(30):
            raise BenchError("a bare sender did not connect")
    started = time.monotonic()
    go.set()
    ended = wait_total(
        sink,
        len(recipients),
        120 + len(recipients) / 50,
        "bare",
        alive=lambda: any(p.is_alive() for p in processes) or sink.total >= len(recipients),
    )
    for process in processes:
        process.join(30)
    return ended - started


def tally(counts, recipients):
    """(duplicates, lost, unexpected) of the sink's per-recipient counts."""
    expected = set(recipients)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = sum(1 for address in expected if counts.get(address, 0) == 0)
    strangers = sum(n for address, n in counts.items() if address not in expected)
    return duplicates, lost, strangers


def profile(org, count):
    """cProfile of our sending path for `count` rows, in this process (no Celery)."""
    import cProfile
    import pstats

    from django_scopes import scope

    from peercoach.notifications.models import Delivery
    from peercoach.notifications.services import deliveries_send

    with scope(organization=org):
        Delivery.objects.filter(organization=org).update(status="pending", claim_token="")
        ids = list(
            Delivery.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True)
        )[:count]
    profiler = cProfile.Profile()
    started = time.monotonic()
    with scope(organization=org):
        profiler.enable()
        for start in range(0, len(ids), BATCH):
            deliveries_send(organization=org, ids=ids[start : start + BATCH], token=PROFILE_TASK)
        profiler.disable()
    elapsed = time.monotonic() - started
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(
        f"\nprofile: {len(ids)} messages in this process, {len(ids) / elapsed:.0f}/s under "
        f"cProfile; where one message's {total / len(ids) * 1000:.2f} ms go (cumulative, "
        "so the lines overlap):"
    )
    for label, (file_part, function) in PROFILE_PARTS.items():
        seconds = sum(
            row[3]  # cumulative time
            for (filename, _, name), row in stats.stats.items()
            if name == function and filename.endswith(file_part)
        )
        print(f"  {label:<58} {seconds / len(ids) * 1000:6.2f} ms {seconds / total:6.1%}")
    stats.sort_stats("tottime").print_stats(12)


# What the profile summary reports: label -> (end of the file name, function name).
PROFILE_PARTS = {
    "render the three templates (email_render)": ("notifications/services.py", "email_render"),
    "sign the unsubscribe token (unsubscribe_url)": (
        "notifications/unsubscribe.py",
        "unsubscribe_url",
    ),
    "build the EmailMessage (delivery_message, incl. the above)": (
        "notifications/services.py",
        "delivery_message",
    ),
    "MIME tree and bytes (wire.message_bytes)": ("notifications/wire.py", "message_bytes"),
    "of which serialising (email as_bytes)": ("email/message.py", "as_bytes"),
    "claim, per batch (delivery.claim_batch)": ("notifications/delivery.py", "claim_batch"),
    "mark sent, before the dot (SentMark.begin)": ("notifications/delivery.py", "begin"),
    "COMMIT's answer, after the dot (SentMark.end)": ("notifications/delivery.py", "end"),
    "all SQL (psycopg cursor.execute)": ("psycopg/cursor.py", "execute"),
    'SMTP commands: MAIL, RCPT, DATA, "." (smtplib getreply)': ("smtplib.py", "getreply"),
    "SMTP writes (smtplib send)": ("smtplib.py", "send"),
}


# -- main -----------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="reminders (100000)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (2)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="afterwards, profile our path in-process on N rows and print the top functions",
    )
    parser.add_argument(
        "--db",
        choices=["postgres", "sqlite"],
        default="postgres",
        help="PostgreSQL (BENCH_DATABASE_URL's server, as production) or a SQLite file",
    )
    parser.add_argument(
        "--redis-db", type=int, default=REDIS_DB, help=f"Redis database, flushed ({REDIS_DB})"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    return parser.parse_args()


def main():
    options = parse_args()
    set_redis_db(options.redis_db)
    count = options.count
    workdir = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    import secrets

    from tests.notifications.smtp_sink import SinkProcess

    sink = SinkProcess().start()
    postgres = options.db == "postgres"
    env = environment(sink.port, secrets.token_urlsafe(40), bench_database_url(options.db, workdir))
    os.environ.update(env)
    for name in DROPPED_ENV - set(env):
        os.environ.pop(name, None)

    import django
    import redis

    if postgres:
        database(DB_NAME, "create")
    worker = None
    client = redis.Redis.from_url(redis_url())
    client.flushdb()
    try:
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.monotonic()
        org, recipients = setup_data(count)
        print(f"setup: {count} participants and due rows in {time.monotonic() - started:.1f} s")

        worker = Worker(env, workdir / "worker.log", options.concurrency)
        worker.wait_ready()
        idle_rss = worker.rss()
        ours_s, fanned_s = run_ours(org, sink, worker, count)
        time.sleep(1)  # room for a (wrong) second copy
        ours_counts = sink.counts()
        statuses = row_statuses(org)
        worker.stop()
        peak_mb = max(worker.peak_rss, idle_rss) / 2**20
        duplicates, lost, strangers = tally(ours_counts, recipients)
        if statuses != {"sent": count}:
            print(f"rows not all sent: {statuses}")

        sender, body = sample_message(org)
        sink.reset()
        bare_s = run_bare(sink, sender, body, recipients, options.concurrency)
        bare_dup, bare_lost, _ = tally(sink.counts(), recipients)

        ours_rate, bare_rate = count / ours_s, count / bare_s
        ratio = ours_rate / bare_rate
        print(f"\n{'':>6} {'messages':>9} {'seconds':>8} {'per s':>8}")
        print(f"{'ours':>6} {count:>9} {ours_s:>8.1f} {ours_rate:>8.0f}")
        print(f"{'bare':>6} {count:>9} {bare_s:>8.1f} {bare_rate:>8.0f}")
        print(
            f"\nmessage size {len(body)} bytes; dispatcher fan-out {fanned_s:.1f} s (inside "
            f"ours); rows {statuses}; ours: duplicates {duplicates}, lost {lost}, "
            f"unexpected {strangers}; bare: duplicates {bare_dup}, lost {bare_lost}; "
            f"worker RSS idle {idle_rss / 2**20:.0f} MB, peak {peak_mb:.0f} MB "
            f"({options.concurrency} pool processes + main)"
        )
        if options.profile:
            profile(org, min(options.profile, count))
        print(f"database: {options.db}")
        print(
            f"RESULT ours_per_s={ours_rate:.1f} bare_per_s={bare_rate:.1f} ratio={ratio:.3f} "
            f"duplicates={duplicates} lost={lost} worker_peak_rss_mb={peak_mb:.1f}"
        )
        return 0 if (duplicates, lost) == (0, 0) and statuses == {"sent": count} else 1
    finally:
        if worker is not None:
            worker.stop()
        sink.stop()
        client.flushdb()
        client.close()
        from django.db import connections

        connections.close_all()
        if not options.keep:
            if postgres:
                database(DB_NAME, "drop")
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept: database {DB_NAME if postgres else 'bench.sqlite3'}, logs in {workdir}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
