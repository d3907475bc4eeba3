"""In-process cost of the often-opened signed-in pages: ms per request, queries, a profile.

    .venv/bin/python bench/pages_profile.py                      # every page, 200 requests each
    .venv/bin/python bench/pages_profile.py --page pair --profile 25
    .venv/bin/python bench/pages_profile.py --data /tmp/pages --keep   # reuse the demo data

Through Django's test client (the whole middleware stack, the session row, tenancy, the
template), in one process, against a throwaway SQLite database with the demo data
(`manage.py migrate`, `demo`, `collectstatic`), with production-like settings (`DEBUG`
off, whitenoise's manifest, local-memory cache, no Redis). The people: One IT's
`participant01` (pair hub, agreement, session, program page) and its coordinator (console).
A "hello" row runs a view returning `HttpResponse("hello")` through the same test client
with no middleware and a one-URL conf, in the same run: the floor, and `ratio` is hello's
ms / the page's ms, the in-process cousin of bench/http.py's ratio (the machine's load falls
on both).

It prints a table (ms per request: median of `--rounds` rounds of `--requests` requests,
queries of one request) and with `--profile N` the N costliest functions of each page by
cumulative time. The last line:

    RESULT pair_ms=... agreement_ms=... session_ms=... program_ms=... console_ms=...

Figures, not a timed test: the machine may be busy; run it two or three times.
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, and bench/http.py would shadow `http`.
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != BASE_DIR / "bench"]
ORG = "one-it"
PARTICIPANT = f"participant01@{ORG}.example.org"
COORDINATOR = f"coordinator@{ORG}.example.org"
sys.path.insert(0, str(BASE_DIR))
from bench._env import DROPPED_ENV  # noqa: E402 - after the path fix above


def environment(data):
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(
        PEERCOACH_VAR_DIR=str(data),
        DJANGO_SETTINGS_MODULE="peercoach.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def prepare(data, env):
    if (data / "ready").exists():
        return
    for command in (
        ["migrate", "--noinput"],
        ["demo", "--i-know-this-is-not-production"],
        ["collectstatic", "--noinput"],
    ):
        print("manage.py", *command, file=sys.stderr)
        subprocess.run(
            [sys.executable, "manage.py", *command, "--verbosity", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    (data / "ready").touch()


def pages():
    """{name: (email, url)} for One IT's participant01 and coordinator."""
    from django.urls import reverse
    from django_scopes import scope

    from agreements.models import Agreement
    from peercoach.tenancy.models import Organization
    from programs.models import Match
    from sessions.models import Session

    org = Organization.objects.get(slug=ORG)
    with scope(organization=org):
        match = Match.objects.filter(
            members__user__email=PARTICIPANT, status=Match.Status.ACTIVE
        ).first()
        agreement = Agreement.objects.filter(match=match).order_by("-number").first()
        sessions = Session.objects.filter(match=match).order_by("-starts_at")
        session = sessions.filter(status=Session.Status.HELD).first() or sessions.first()
    kw = {"org_slug": ORG}
    return {
        "pair": (PARTICIPANT, reverse("sessions:pair", kwargs={**kw, "pk": match.pk})),
        "agreement": (PARTICIPANT, reverse("agreements:detail", kwargs={**kw, "pk": agreement.pk})),
        "session": (PARTICIPANT, reverse("sessions:detail", kwargs={**kw, "pk": session.pk})),
        "program": (PARTICIPANT, reverse("programs:detail", kwargs={**kw, "pk": match.program_id})),
        "console": (COORDINATOR, reverse("workspace:home", kwargs=kw)),
        "home": (PARTICIPANT, reverse("portal:home", kwargs=kw)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", action="append", help="only these pages (repeatable)")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (tottime...)")
    parser.add_argument("--queries", action="store_true", help="print each page's SQL")
    parser.add_argument("--data", type=Path, help="data directory (kept, reused)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    data = args.data or Path(tempfile.mkdtemp(prefix="pages-profile-"))
    data.mkdir(parents=True, exist_ok=True)
    env = environment(data)
    try:
        prepare(data, env)
        os.environ.update(env)
        for name in DROPPED_ENV - set(env):
            os.environ.pop(name, None)
        sys.path.insert(0, str(BASE_DIR))
        import django

        django.setup()
        run(args)
    finally:
        if not (args.keep or args.data):
            shutil.rmtree(data, ignore_errors=True)


def run(args):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from peercoach.accounts.models import User

    targets = pages()
    chosen = args.page or [n for n in targets if n != "home"]
    clients = {}
    rows, results = [], {}
    for name in chosen:
        email, url = targets[name]
        if email not in clients:
            clients[email] = Client()
            clients[email].force_login(User.objects.get(email=email))
        client = clients[email]
        for _ in range(3):  # warm-up
            response = client.get(url)
            assert response.status_code == 200, (name, url, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        # A copy now: the next request's request_started clears the connection's log.
        queries = list(captured.captured_queries)
        rounds = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            for _ in range(args.requests):
                client.get(url)
            rounds.append((time.perf_counter() - start) * 1000 / args.requests)
        median = statistics.median(rounds)
        results[name] = median
        rows.append((name, url, median, min(rounds), max(rounds), len(queries)))
        if args.queries:
            print(f"--- {name}: {len(queries)} queries")
            for q in queries:
                print(f"  [{q['time']}] {q['sql'][:300]}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                client.get(url)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(args.sort).print_stats(args.profile)
            print(f"--- profile of {name} ({args.requests} requests)")
            print(out.getvalue())

    hello = hello_ms(args)
    print(f"{'page':<10} {'ms p50':>8} {'min':>7} {'max':>7} {'queries':>8} {'ratio':>6}  url")
    print(f"{'hello':<10} {hello:8.2f} {'':>7} {'':>7} {'':>8} {'':>6}  /")
    for name, url, median, low, high, queries in rows:
        ratio = hello / median
        print(f"{name:<10} {median:8.2f} {low:7.2f} {high:7.2f} {queries:8d} {ratio:6.3f}  {url}")
    print(
        "RESULT "
        + " ".join(f"{name}_ms={ms:.2f}" for name, ms in results.items())
        + f" hello_ms={hello:.3f}"
    )


def hello(request):
    from django.http import HttpResponse

    return HttpResponse("hello")


def hello_ms(args):
    """Median ms per request of a bare view through the test client, no middleware."""
    from django.test import Client, override_settings
    from django.urls import path

    sys.modules[__name__].urlpatterns = [path("", hello)]
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[]):
        client = Client()
        client.get("/")
        rounds = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            for _ in range(args.requests):
                client.get("/")
            rounds.append((time.perf_counter() - start) * 1000 / args.requests)
    return statistics.median(rounds)


if __name__ == "__main__":
    main()
