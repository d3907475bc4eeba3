"""HTTP throughput: the logged-in participant home page against a bare Django view.

Sets up a throwaway SQLite database with the demo data in a temporary directory,
starts two gunicorns on loopback with the same worker count and worker class (the
app with production-like settings, and a one-view Django site written here), signs
participant01@one-it.example.org in through the real login form, then drives each
server with concurrent keep-alive clients for a fixed time after a warm-up.
Every response must be 200 and every home page the signed-in one.

Run: .venv/bin/python bench/http.py [--clients 8 --duration 10 --warmup 2]
Last line: RESULT participant_home_rps=<float> hello_rps=<float> ratio=<float>
See bench/README.md.
"""

import argparse
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
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and this file, being
# named http.py, would shadow the standard library's `http` package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import http.client  # noqa: E402 - only after the path fix above
from http.cookies import SimpleCookie  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
ORG_SLUG = "one-it"
PARTICIPANT_EMAIL = f"participant01@{ORG_SLUG}.example.org"
DEMO_PASSWORD = "peercoach-demo"  # noqa: S105 - the demo data's published password
START_TIMEOUT = 30
# Variables that would point the app at other services or settings than the bench's own.
DROPPED_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "SITE_URL",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "PEERCOACH_VAR_DIR",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECRET_KEY",
    "SECURE_SSL_REDIRECT",
}

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
    return time.monotonic() - started


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
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass


def gunicorn(name, app, port, env, workdir, options):
    log = workdir / f"{name}.log"
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(options.workers),
        "--worker-class",
        options.worker_class,
        "--access-logfile",
        str(workdir / f"{name}.access.log"),
        "--error-logfile",
        str(log),
    ]
    if options.worker_class == "gthread":
        args += ["--threads", str(options.threads)]
    process = subprocess.Popen(
        args,
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() reaches the workers
    )
    return Server(name, port, process, log)


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


def request(port, method, path, *, headers=None, body=None):
    """(status, headers, body) over a fresh connection."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
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


def sign_in(port):
    """Sign participant01 in through the login form; returns the session cookie header."""
    jar = SimpleCookie()
    status, headers, body = request(port, "GET", "/accounts/login/")
    if status != 200:
        raise BenchError(f"GET /accounts/login/ answered {status}")
    cookies_from(headers, jar)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if token is None or "csrftoken" not in jar:
        raise BenchError("the login page has no CSRF token")
    form = urlencode(
        {
            "login": PARTICIPANT_EMAIL,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": token[1].decode(),
        }
    )
    status, headers, _ = request(
        port,
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar, "csrftoken"),
        },
    )
    cookies_from(headers, jar)
    if status != 302 or "sessionid" not in jar:
        raise BenchError(f"sign-in failed: POST /accounts/login/ answered {status}")
    return cookie_header(jar, "sessionid")


def home_marker(port, cookie):
    """The signed-in home page's greeting, which every measured response must contain."""
    path = f"/o/{ORG_SLUG}/"
    # The first visit also shows the one-off "signed in" message; later ones do not.
    for _ in range(2):
        status, _, body = request(port, "GET", path, headers={"Cookie": cookie})
        if status != 200:
            raise BenchError(f"GET {path} answered {status} when signed in")
    heading = re.search(rb"<h1>(Welcome, [^<]+)</h1>", body)
    if heading is None or b"You are a participant in" not in body:
        raise BenchError(f"GET {path} is not the participant's signed-in home page")
    return heading[1]


# -- load -----------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    reconnects: int = 0
    latencies: list = field(default_factory=list)
    examples: list = field(default_factory=list)


def client(port, path, headers, check, start, measure_from, stop_at, tally):
    """One client: requests back to back on a keep-alive connection, reopened when closed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    while time.perf_counter() < start:
        time.sleep(0.001)
    try:
        while True:
            sent = time.perf_counter()
            if sent >= stop_at:
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
            if measure_from <= finished < stop_at:
                tally.requests += 1
                tally.latencies.append(finished - sent)
                if problem:
                    tally.errors += 1
                    if len(tally.examples) < 3:
                        tally.examples.append(problem)
            if reopen:
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=10)
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


def drive(name, port, path, headers, check, options):
    tallies = [Tally() for _ in range(options.clients)]
    start = time.perf_counter() + 0.2
    measure_from = start + options.warmup
    stop_at = measure_from + options.duration
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
        thread.join(options.warmup + options.duration + 30)
    latencies = sorted(x for t in tallies for x in t.latencies)
    requests = sum(t.requests for t in tallies)
    return Result(
        name=name,
        rps=requests / options.duration,
        requests=requests,
        errors=sum(t.errors for t in tallies),
        reconnects=sum(t.reconnects for t in tallies),
        p50_ms=1000 * statistics.median(latencies) if latencies else float("nan"),
        p99_ms=1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        examples=[e for t in tallies for e in t.examples][:3],
    )


# -- main -----------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument(
        "--worker-class",
        default="sync",
        choices=["sync", "gthread"],
        help="sync (the Dockerfile's) closes every connection; gthread keeps them alive",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args()
    if not (0 < options.duration <= 30 and 0 <= options.warmup <= 10):
        parser.error("keep the run bounded: --duration at most 30 s, --warmup at most 10 s")
    return options


def main():
    options = parse_args()
    # SIGTERM (e.g. a CI timeout) unwinds through the finally below like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="peercoach-bench-"))
    servers = []
    try:
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        env = {k: v for k, v in env.items() if not k.endswith("_FILE")}
        env.update(
            PEERCOACH_VAR_DIR=str(workdir),
            DATABASE_URL=f"sqlite:///{workdir / 'peercoach.sqlite3'}",
            STATIC_ROOT=str(workdir / "static"),
            MEDIA_ROOT=str(workdir / "media"),
            SECRET_KEY=secrets.token_urlsafe(50),
            DEBUG="false",
            ALLOWED_HOSTS=HOST,
            SECURE_SSL_REDIRECT="false",
            LOG_LEVEL="WARNING",
            PYTHONPATH=os.pathsep.join([str(BASE_DIR), str(workdir)]),
        )
        (workdir / "bench_hello_site.py").write_text(
            HELLO_SITE.format(secret=secrets.token_urlsafe(50), host=HOST)
        )
        manage = [sys.executable, "manage.py"]
        setup = {
            "migrate": run([*manage, "migrate", "--noinput"], env, "migrate"),
            "demo": run(
                [*manage, "demo", "--i-know-this-is-not-production"], env, "manage.py demo"
            ),
            "collectstatic": run([*manage, "collectstatic", "--noinput"], env, "collectstatic"),
        }
        print("setup: " + ", ".join(f"{k} {v:.1f}s" for k, v in setup.items()), flush=True)

        hello_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
        servers.append(
            gunicorn("app", "peercoach.wsgi:application", free_port(), env, workdir, options)
        )
        servers.append(
            gunicorn(
                "hello", "bench_hello_site:application", free_port(), hello_env, workdir, options
            )
        )
        app, hello = servers
        wait_until_serving(app, "/healthz")
        wait_until_serving(hello, "/")

        cookie = sign_in(app.port)
        marker = home_marker(app.port, cookie)
        print(f"signed in as {PARTICIPANT_EMAIL}: page says {marker.decode()!r}", flush=True)

        results = [
            drive(
                "participant_home",
                app.port,
                f"/o/{ORG_SLUG}/",
                {"Cookie": cookie},
                lambda body: marker in body,
                options,
            ),
            drive("hello", hello.port, "/", {}, lambda body: body == b"hello", options),
        ]
    finally:
        for server in servers:
            server.stop()
        if options.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"gunicorn {options.workers} {options.worker_class} workers per server on {HOST}, "
        f"{options.clients} client threads, {options.warmup:g} s warm-up, "
        f"{options.duration:g} s measured, {os.cpu_count()} CPUs shared by clients and servers"
    )
    header = f"{'target':<18} {'requests':>9} {'errors':>7} {'reconnects':>10} "
    header += f"{'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<18} {r.requests:>9} {r.errors:>7} {r.reconnects:>10} "
            f"{r.rps:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f}"
        )
    print(f"total time {time.monotonic() - began:.1f} s")
    failed = [r for r in results if r.errors or not r.requests]
    for r in failed:
        print(f"{r.name}: {r.errors} bad responses of {r.requests}, e.g. {r.examples}")
    home, hello_result = results
    print(
        f"RESULT participant_home_rps={home.rps:.1f} hello_rps={hello_result.rps:.1f} "
        f"ratio={home.rps / hello_result.rps if hello_result.rps else float('nan'):.3f}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        sys.exit(f"bench failed: {str(exc)[-4000:]}")
