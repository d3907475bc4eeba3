"""Sign-in under load: 50 people sign in at once while 8 clients read the participant home.

Sets up a throwaway database with the demo data (SQLite, or `--db postgres` with Redis as
the cache) plus `--people` accounts of their own (participants of one-it), starts gunicorn
with the production configuration (gunicorn.conf.py: WEB_CONCURRENCY, WEB_THREADS and
PASSWORD_HASH_SLOTS from the environment or the options), and keeps `--clients` clients
reading participant01's home. After a quiet stretch, every person signs in at once through
the real form (GET for the CSRF token, POST email and password), each from an address of
its own (X-Forwarded-For, with TRUSTED_PROXY_COUNT=1, as behind the reverse proxy: the
sign-in rate limit counts per address). Every sign-in must succeed and every home
response be the signed-in page.

Run: .venv/bin/python bench/login.py [--db postgres] [--threads 8] [--hash-slots 1]
Last line: RESULT signins=<int> signin_errors=<int> signins_per_s=<f> wave_s=<f>
  home_p50_before_ms=<f> home_p99_before_ms=<f> home_p50_during_ms=<f>
  home_p99_during_ms=<f> home_rps_before=<f> home_rps_during=<f> home_errors=<int> ...
See bench/README.md.
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

# As in bench/http.py: bench/http.py must not shadow the standard library's `http`.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, str(Path(_HERE).parent))

from bench import _pages, _web  # noqa: E402 - only after the path fix above
from bench._web import BenchError  # noqa: E402

PEOPLE_SCRIPT = """\
import django

django.setup()
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from peercoach.tenancy.models import Membership, Organization

User = get_user_model()
with scopes_disabled():
    org = Organization.objects.get(slug={org!r})
    # The demo's password hash (one full-strength hash, made by `manage.py demo`): the
    # same password, so the bench does not spend minutes hashing before it starts.
    password = User.objects.get(email={template!r}).password
    for n in range(1, {count} + 1):
        email = f"signin{{n:03d}}@{org}.example.org"
        user = User.objects.create(
            email=email, first_name="Signin", last_name=f"{{n:03d}}", password=password
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        Membership.objects.create(
            organization=org, user=user, role=Membership.Role.PARTICIPANT
        )
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50, help="people signing in at once (50)")
    parser.add_argument("--clients", type=int, default=8, help="clients reading the home (8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--before", type=float, default=6.0, help="quiet seconds measured")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="WEB_THREADS (gunicorn.conf.py)")
    parser.add_argument("--hash-slots", type=int, help="PASSWORD_HASH_SLOTS (0: no cap)")
    _web.add_db_options(parser, redis_db=13)
    return parser.parse_args()


def web_env(options):
    env = {}
    for option, name in (
        ("workers", "WEB_CONCURRENCY"),
        ("threads", "WEB_THREADS"),
        ("hash_slots", "PASSWORD_HASH_SLOTS"),
    ):
        value = getattr(options, option)
        if value is not None:
            env[name] = str(value)
    return env


def wave(port, people, release):
    """Each person signs in on a thread of their own once `release` is set.
    Returns [(started, finished, problem or None)]."""
    outcomes = [None] * len(people)

    def one(index, email):
        release.wait()
        started = time.perf_counter()
        problem = None
        try:
            _web.sign_in(
                port,
                email,
                headers={"X-Forwarded-For": f"10.1.{index // 250}.{index % 250 + 1}"},
                timeout=300,
            )
        except (BenchError, OSError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        outcomes[index] = (started, time.perf_counter(), problem)

    threads = [
        threading.Thread(target=one, args=(i, email), daemon=True) for i, email in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    return threads, outcomes


def window(tallies, start, end):
    """The readers' latencies of requests that finished in [start, end)."""
    return [s for t in tallies for finished, s in t.latencies if start <= finished < end]


def measure(options, site):
    people = [f"signin{n:03d}@{_pages.ORG_SLUG}.example.org" for n in range(1, options.people + 1)]
    site.python(
        "-c",
        PEOPLE_SCRIPT.format(
            org=_pages.ORG_SLUG, template=_pages.ROLES["participant"], count=options.people
        ),
        what="creating the people",
    )
    app = _web.gunicorn(site, "app", "peercoach.wsgi:application", web_env=web_env(options))
    _web.wait_until_serving(app, "/healthz")
    reader = _pages.ROLES["participant"]
    home = f"/o/{_pages.ORG_SLUG}/"
    cookie = _web.sign_in(app.port, reader, headers={"X-Forwarded-For": "10.0.0.1"})
    for _ in range(2):
        _web.request(app.port, "GET", home, headers={"Cookie": cookie})
    marker = _pages.PAGES[0].marker.encode()

    stop = threading.Event()
    tallies = [_web.Tally() for _ in range(options.clients)]
    start = time.perf_counter() + 0.2
    measure_from = start + options.warmup
    readers = [
        threading.Thread(
            target=_web.client,
            args=(
                app.port,
                home,
                {"Cookie": cookie},
                lambda body: marker in body,
                start,
                measure_from,
                stop,
                tally,
            ),
            daemon=True,
        )
        for tally in tallies
    ]
    for thread in readers:
        thread.start()
    release = threading.Event()
    threads, outcomes = wave(app.port, people, release)
    time.sleep(measure_from + options.before - time.perf_counter())
    wave_start = time.perf_counter()
    release.set()
    for thread in threads:
        thread.join(600)
    wave_end = time.perf_counter()
    time.sleep(1.0)
    stop.set()
    for thread in readers:
        thread.join(60)
    return {
        "tallies": tallies,
        "outcomes": outcomes,
        "measure_from": measure_from,
        "wave_start": wave_start,
        "wave_end": wave_end,
    }


def report(options, measured, began):
    workers, threads, worker_class = _web.server_config(web_env(options))
    slots = {**os.environ, **web_env(options)}.get("PASSWORD_HASH_SLOTS", "default")
    tallies, outcomes = measured["tallies"], measured["outcomes"]
    wave_start, wave_end = measured["wave_start"], measured["wave_end"]
    before = window(tallies, measured["measure_from"], wave_start)
    during = window(tallies, wave_start, wave_end)
    quiet_s = wave_start - measured["measure_from"]
    wave_s = wave_end - wave_start
    p50_before, p99_before = _web.percentiles(before)
    p50_during, p99_during = _web.percentiles(during)
    failures = [o[2] for o in outcomes if o is None or o[2]]
    signin_ms = [1000 * (o[1] - o[0]) for o in outcomes if o and not o[2]]
    signin_p50, signin_p99 = _web.percentiles([ms / 1000 for ms in signin_ms])
    home_errors = sum(t.errors for t in tallies)
    print()
    print(
        f"gunicorn.conf.py: {workers} {worker_class} workers x {threads} threads, "
        f"PASSWORD_HASH_SLOTS={slots}, {options.db}, {options.clients} readers of the home, "
        f"{options.people} people signing in at once, {os.cpu_count()} CPUs shared by "
        "clients and server"
    )
    print(f"{'home':<22} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, latencies, seconds, p50, p99 in (
        ("before the wave", before, quiet_s, p50_before, p99_before),
        ("during the wave", during, wave_s, p50_during, p99_during),
    ):
        print(
            f"{name:<22} {len(latencies):>9} {len(latencies) / seconds:>8.1f} "
            f"{p50:>8.1f} {p99:>8.1f}"
        )
    print(
        f"sign-ins: {len(signin_ms)} of {options.people} in {wave_s:.1f} s "
        f"({len(signin_ms) / wave_s:.2f}/s); each took p50 {signin_p50:.0f} ms, "
        f"p99 {signin_p99:.0f} ms"
    )
    for problem in failures[:3]:
        print(f"sign-in failed: {problem}")
    for t in tallies:
        for example in t.examples[:1]:
            print(f"home: {example}")
    print(f"total time {time.monotonic() - began:.1f} s")
    print(
        f"RESULT signins={len(signin_ms)} signin_errors={len(failures)} "
        f"signins_per_s={len(signin_ms) / wave_s:.2f} wave_s={wave_s:.1f} "
        f"signin_p99_ms={signin_p99:.0f} "
        f"home_p50_before_ms={p50_before:.1f} home_p99_before_ms={p99_before:.1f} "
        f"home_p50_during_ms={p50_during:.1f} home_p99_during_ms={p99_during:.1f} "
        f"home_rps_before={len(before) / quiet_s:.1f} home_rps_during={len(during) / wave_s:.1f} "
        f"home_errors={home_errors} workers={workers} threads={threads} hash_slots={slots} "
        f"db={options.db}"
    )
    return 1 if failures or home_errors else 0


def main():
    options = parse_args()
    _web.on_sigterm()
    began = time.monotonic()
    site = _web.site_create(options, name="login", extra_env={"TRUSTED_PROXY_COUNT": "1"})
    try:
        measured = measure(options, site)
    finally:
        site.close(keep=options.keep)
    return report(options, measured, began)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        sys.exit(f"bench failed: {str(exc)[-4000:]}")
