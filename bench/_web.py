"""What the HTTP benches share (bench/http.py, bench/login.py): a throwaway database with
the demo data, gunicorn started with the production configuration (gunicorn.conf.py), a
bare Django site to compare with, sign-in through the real form, and closed-loop clients.

Import it after removing bench/ from sys.path (see bench/http.py): a script in bench/
would otherwise find bench/http.py where the standard library's `http` package is.
"""

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bench import _pg
from bench._env import DROPPED_ENV

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEMO_PASSWORD = "peercoach-demo"  # noqa: S105 - the demo data's published password
START_TIMEOUT = 60

# The baseline: Django with one view and nothing else (no middleware, no database).
HELLO_SITE = """\
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY={secret!r},
    ALLOWED_HOSTS=[{host!r}],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


def hello(request):
    return HttpResponse("hello")


urlpatterns = [path("", hello)]
application = get_wsgi_application()
"""


class BenchError(Exception):
    pass


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def run(args, env, what):
    started = time.monotonic()
    done = subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"{what} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout, time.monotonic() - started


def add_db_options(parser, *, redis_db):
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="sqlite (embedded: local-memory cache) or postgres: a throwaway database on "
        "BENCH_DATABASE_URL's server and Redis (REDIS_URL's server) for the cache",
    )
    parser.add_argument(
        "--redis-db",
        type=int,
        default=redis_db,
        help=f"Redis database with --db postgres, flushed before and after ({redis_db})",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")


# -- the site under test --------------------------------------------------------------


@dataclass
class Site:
    """A throwaway installation: its directory, environment and database."""

    workdir: Path
    env: dict
    db: str
    pg_name: str | None = None
    redis_url: str | None = None
    servers: list = field(default_factory=list)

    def manage(self, *args, what=None, env=None):
        return run([sys.executable, "manage.py", *args], env or self.env, what or args[0])

    def python(self, *args, what):
        return run([sys.executable, *args], self.env, what)

    def close(self, keep=False):
        for server in self.servers:
            server.stop()
        if self.redis_url:
            _flush(self.redis_url)
        if self.pg_name and not keep:
            _pg.database(self.pg_name, "drop")
        if keep:
            print(
                f"kept {self.workdir}" + (f" and database {self.pg_name}" if self.pg_name else "")
            )
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _flush(redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def site_create(options, *, name, extra_env=None):
    """Make the temporary directory and database, migrate, load the demo, collect static
    files. Production-like settings: DEBUG off, a random key, database sessions; SQLite
    with the local-memory cache, or PostgreSQL with Redis as the cache."""
    workdir = Path(tempfile.mkdtemp(prefix=f"peercoach-bench-{name}-"))
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env = {k: v for k, v in env.items() if not k.endswith("_FILE")}
    env.update(
        PEERCOACH_VAR_DIR=str(workdir),
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="false",
        ALLOWED_HOSTS=HOST,
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="peercoach.settings",
        PYTHONPATH=os.pathsep.join([str(BASE_DIR), str(workdir)]),
        **(extra_env or {}),
    )
    site = Site(workdir=workdir, env=env, db=options.db)
    if options.db == "postgres":
        site.pg_name = f"bench_{name}_{os.getpid()}"  # two runs never share one
        _pg.database(site.pg_name, "create")
        env["DATABASE_URL"] = _pg.database_url(site.pg_name)
        base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        site.redis_url = _pg.with_path(base, f"/{options.redis_db}")
        _flush(site.redis_url)
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'peercoach.sqlite3'}"
    # Set-up runs embedded (tasks in-process, as `make run`); the servers get Redis.
    setup_env = dict(env)
    timings = {}
    for args in (
        ("migrate", "--noinput"),
        ("demo", "--i-know-this-is-not-production"),
        ("collectstatic", "--noinput"),
    ):
        _, timings[args[0]] = site.manage(*args, env=setup_env)
    if site.redis_url:
        env["REDIS_URL"] = site.redis_url
    (workdir / "bench_hello_site.py").write_text(
        HELLO_SITE.format(secret=secrets.token_urlsafe(50), host=HOST)
    )
    print(
        f"setup ({options.db}): " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()),
        flush=True,
    )
    return site


# -- servers --------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def stop(self):
        """Stop this gunicorn (master and workers: its own process group)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass


def gunicorn(site, name, app, *, web_env=None):
    """gunicorn -c gunicorn.conf.py (the production configuration) on a free port; the
    WEB_* variables of `web_env` (else the environment's, else the file's defaults)."""
    port = free_port()
    log = site.workdir / f"{name}.log"
    env = {**site.env, **(web_env or {})}
    if name == "hello":
        env.pop("DJANGO_SETTINGS_MODULE", None)
    args = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", app]
    args += ["--bind", f"{HOST}:{port}", "--error-logfile", str(log)]
    process = subprocess.Popen(
        args,
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() reaches the workers
    )
    server = Server(name, port, process, log)
    site.servers.append(server)
    return server


def server_config(web_env=None):
    """What gunicorn.conf.py makes of the environment (and `web_env`)."""
    import runpy

    saved = dict(os.environ)
    try:
        os.environ.update(web_env or {})
        conf = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return conf["workers"], conf["threads"], conf["worker_class"]


def wait_until_serving(server, path):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited:\n{log_tail(server.log)}")
        try:
            status, _, _ = request(server.port, "GET", path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not answer {path} in {START_TIMEOUT}s")


def log_tail(path, lines=30):
    try:
        return "\n".join(path.read_text().splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- one-off requests and sign-in ----------------------------------------------------


def request(port, method, path, *, headers=None, body=None, timeout=10):
    """(status, headers, body) over a fresh connection."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def cookies_from(headers, jar):
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar


def cookie_header(jar, *names):
    return "; ".join(f"{name}={jar[name].value}" for name in names if name in jar)


def sign_in(port, email, *, password=DEMO_PASSWORD, headers=None, timeout=10):
    """Sign `email` in through the login form (GET it for the CSRF token, POST email and
    password); returns the session cookie header. `headers` go with both requests."""
    jar = SimpleCookie()
    extra = headers or {}
    status, answer, body = request(port, "GET", "/accounts/login/", headers=extra, timeout=timeout)
    if status != 200:
        raise BenchError(f"GET /accounts/login/ answered {status}")
    cookies_from(answer, jar)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if token is None or "csrftoken" not in jar:
        raise BenchError("the login page has no CSRF token")
    form = urlencode(
        {"login": email, "password": password, "csrfmiddlewaretoken": token[1].decode()}
    )
    status, answer, _ = request(
        port,
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            **extra,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar, "csrftoken"),
        },
        timeout=timeout,
    )
    cookies_from(answer, jar)
    if status != 302 or "sessionid" not in jar:
        raise BenchError(f"sign-in of {email} failed: POST /accounts/login/ answered {status}")
    return cookie_header(jar, "sessionid")


# -- load -----------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    reconnects: int = 0
    latencies: list = field(default_factory=list)  # (finished, seconds)
    examples: list = field(default_factory=list)


def client(port, path, headers, check, start, measure_from, stop_at, tally):
    """One client: requests back to back on a keep-alive connection, reopened when closed.
    `stop_at` may be a threading.Event (stop when set) or a perf_counter time."""
    stopped = stop_at.is_set if isinstance(stop_at, threading.Event) else None
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    while time.perf_counter() < start:
        time.sleep(0.001)
    try:
        while True:
            sent = time.perf_counter()
            if stopped() if stopped else sent >= stop_at:
                break
            problem = None
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    problem = f"status {response.status}"
                elif not check(body):
                    problem = f"unexpected body: {body[:120]!r}"
                reopen = response.will_close
            except (OSError, http.client.HTTPException) as exc:
                problem, reopen = f"{type(exc).__name__}: {exc}", True
            finished = time.perf_counter()
            in_window = finished >= measure_from and (stopped or finished < stop_at)
            if in_window:
                tally.requests += 1
                tally.latencies.append((finished, finished - sent))
                if problem:
                    tally.errors += 1
                    if len(tally.examples) < 3:
                        tally.examples.append(problem)
            if reopen:
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
                tally.reconnects += 1
    finally:
        connection.close()


@dataclass
class Result:
    name: str
    rps: float
    requests: int
    errors: int
    reconnects: int
    p50_ms: float
    p99_ms: float
    examples: list
    queries: int | None = None


def percentiles(latencies):
    """(p50 ms, p99 ms) of a list of seconds."""
    ordered = sorted(latencies)
    if not ordered:
        return float("nan"), float("nan")
    return (
        1000 * statistics.median(ordered),
        1000 * ordered[int(0.99 * (len(ordered) - 1))],
    )


def drive(name, port, path, headers, check, *, clients, warmup, duration):
    """`clients` closed-loop clients for `warmup` then `duration` seconds measured."""
    tallies = [Tally() for _ in range(clients)]
    start = time.perf_counter() + 0.2
    measure_from = start + warmup
    stop_at = measure_from + duration
    threads = [
        threading.Thread(
            target=client,
            args=(port, path, headers, check, start, measure_from, stop_at, tally),
            daemon=True,
        )
        for tally in tallies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(warmup + duration + 60)
    return summarise(name, tallies, duration)


def summarise(name, tallies, duration):
    latencies = [seconds for t in tallies for _, seconds in t.latencies]
    requests = sum(t.requests for t in tallies)
    p50, p99 = percentiles(latencies)
    return Result(
        name=name,
        rps=requests / duration if duration else float("nan"),
        requests=requests,
        errors=sum(t.errors for t in tallies),
        reconnects=sum(t.reconnects for t in tallies),
        p50_ms=p50,
        p99_ms=p99,
        examples=[e for t in tallies for e in t.examples][:3],
    )


def on_sigterm():
    """SIGTERM (e.g. a CI timeout) unwinds through the callers' finally like Ctrl-C."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
