"""In-process cost of a signed-in page against a bare Django view, in one process.

No HTTP and no client threads: the page is called through Django's WSGI handler (the
object gunicorn calls) with a hand-built WSGI environ carrying the session cookie, so the
figure is what one worker spends per request, middleware, session, tenancy, queries,
template and all. The floor is a bare view (`HttpResponse("hello")`, no middleware, no
database) through a WSGI handler of its own, in the same process and the same run,
alternating with the page so that load from elsewhere falls on both alike.

Setup, in a temporary directory deleted afterwards (`--keep` keeps it, `--var-dir DIR`
reuses one that has the demo data already): a throwaway SQLite database with the demo
data (`manage.py migrate`, `demo`, `collectstatic`), production-like settings
(`DEBUG=false`, a random `SECRET_KEY`, local-memory cache, database sessions).
`--db postgres` uses a throwaway PostgreSQL database on BENCH_DATABASE_URL's server
instead (`bench_pages_inprocess`, created and dropped) and `--redis-url` a Redis cache.

    .venv/bin/python bench/pages_inprocess.py                       # the participant home
    .venv/bin/python bench/pages_inprocess.py --path /o/atc/ --who participant03@atc.example.org
    .venv/bin/python bench/pages_inprocess.py --profile 300         # then cProfile 300 requests

Last line: RESULT page=<path> ms=<median> hello_ms=<median> queries=<int>
queries_cold=<int> (queries of the first request after the cache was cleared).
"""

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
PG_NAME = "bench_pages_inprocess"
from bench._env import DROPPED_ENV  # noqa: E402 - after the path fix above


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/o/one-it/", help="the page (default the home)")
    parser.add_argument("--who", default="participant01@one-it.example.org")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per side")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", type=int, default=0, help="then N requests under cProfile")
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument("--queries", action="store_true", help="print the warm SQL")
    parser.add_argument("--no-cache-clear", action="store_true")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--redis-url", default="", help="cache in Redis (production-like)")
    parser.add_argument("--var-dir", help="reuse this directory's demo database")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args()


def environment(var_dir, options):
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(
        PEERCOACH_VAR_DIR=str(var_dir),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        REMINDERS_IN_PROCESS="false",
    )
    if options.db == "postgres":
        from bench import _pg

        env["DATABASE_URL"] = _pg.database_url(PG_NAME)
    if options.redis_url:
        env["REDIS_URL"] = options.redis_url
    return env


def set_up(var_dir, env, options):
    """migrate (always: a reused directory may miss a new migration), then the demo data
    and the static files once per directory."""
    marker = var_dir / ".demo-loaded"
    steps = [["migrate", "--noinput"]]
    if not marker.exists() or options.db == "postgres":
        steps += [["demo", "--i-know-this-is-not-production"], ["collectstatic", "--noinput"]]
    for args in steps:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        print(f"setup: manage.py {args[0]} {time.monotonic() - started:.1f} s", flush=True)
    marker.touch()


def wsgi_environ(path, cookie):
    from io import BytesIO

    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_COOKIE": cookie,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def caller(application, path, cookie):
    """A function doing one GET of `path` through `application`; returns (status, body)."""

    def call():
        status = []
        body = b"".join(application(wsgi_environ(path, cookie), lambda s, h: status.append(s)))
        return status[0], body

    return call


def hello_application():
    """A WSGI handler with no middleware whose only URL answers "hello"."""
    import types

    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpResponse
    from django.urls import path as url_path

    urls = types.ModuleType("bench_hello_urls")
    urls.urlpatterns = [url_path("", lambda request: HttpResponse("hello"))]
    sys.modules["bench_hello_urls"] = urls

    class HelloHandler(WSGIHandler):
        def load_middleware(self, is_async=False):
            from django.core.handlers.exception import convert_exception_to_response

            self._view_middleware = []
            self._template_response_middleware = []
            self._exception_middleware = []
            self._middleware_chain = convert_exception_to_response(self._get_response)

        def get_response(self, request):
            request.urlconf = "bench_hello_urls"
            return super().get_response(request)

    return HelloHandler()


def session_cookie(email):
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.get(email=email)
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def timed(call, n):
    times = []
    for _ in range(n):
        started = time.perf_counter()
        status, _ = call()
        times.append((time.perf_counter() - started) * 1000)
        if not status.startswith("200"):
            sys.exit(f"answered {status}")
    return times


def main():
    options = parse_args()
    temporary = None
    if options.var_dir:
        var_dir = Path(options.var_dir).resolve()
        var_dir.mkdir(parents=True, exist_ok=True)
    else:
        temporary = Path(tempfile.mkdtemp(prefix="peercoach-pages-"))
        var_dir = temporary
    env = environment(var_dir, options)
    if options.db == "postgres":
        from bench import _pg

        _pg.database(PG_NAME, "create")
    try:
        set_up(var_dir, env, options)
        os.environ.update(env)
        for name in DROPPED_ENV - set(env):
            os.environ.pop(name, None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "peercoach.settings"
        measure(options)
    finally:
        if options.db == "postgres":
            from django.db import connections

            connections.close_all()
            from bench import _pg

            _pg.database(PG_NAME, "drop")
        if temporary and not options.keep:
            shutil.rmtree(temporary, ignore_errors=True)
        elif temporary:
            print(f"kept {temporary}")


def measure(options):
    import logging

    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()  # sets Django up, logging included
    # The request log line is still formatted and written (as under gunicorn), to nowhere.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the process's life
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    page = caller(application, options.path, session_cookie(options.who))
    hello = caller(hello_application(), "/", "")

    status, body = page()
    if not status.startswith("200"):
        sys.exit(f"GET {options.path} answered {status}")
    # The request_started signal empties the query log: start each count from an empty one.
    if not options.no_cache_clear:
        cache.clear()
    reset_queries()
    with CaptureQueriesContext(connection) as cold:
        page()
    # captured_queries reads the connection's log, which the next request empties.
    cold = len(cold)
    reset_queries()
    with CaptureQueriesContext(connection) as warm:
        page()
    warm = [q["sql"] for q in warm.captured_queries]

    timed(page, options.warmup)
    timed(hello, options.warmup)
    page_ms, hello_ms = [], []
    rounds = 10
    for _ in range(rounds):
        page_ms += timed(page, options.requests // rounds)
        hello_ms += timed(hello, options.requests // rounds)

    def line(name, times):
        times = sorted(times)
        p90 = times[int(len(times) * 0.9)]
        return (
            f"{name:<24} {statistics.median(times):8.2f} {statistics.mean(times):8.2f} "
            f"{p90:8.2f} {times[0]:8.2f}"
        )

    print(f"{'':<24} {'p50 ms':>8} {'mean ms':>8} {'p90 ms':>8} {'min ms':>8}")
    print(line(options.path, page_ms))
    print(line("hello", hello_ms))
    if options.queries:
        print("\n".join(warm))
    print(f"queries: {len(warm)} warm, {cold} cold (after cache.clear()); body {len(body)} B")

    if options.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(options.profile):
            page()
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(options.profile_lines)
        stats.sort_stats("tottime").print_stats(options.profile_lines)

    page_p50, hello_p50 = statistics.median(page_ms), statistics.median(hello_ms)
    print(
        f"RESULT page={options.path} ms={page_p50:.2f} hello_ms={hello_p50:.3f} "
        f"queries={len(warm)} queries_cold={cold}"
    )


if __name__ == "__main__":
    main()
