"""HTTP throughput of every page a signed-in person opens often, against bare Django.

Sets up a throwaway database with the demo data (SQLite, or `--db postgres` with Redis as
the cache), starts two gunicorns on loopback with the production configuration
(gunicorn.conf.py, so WEB_CONCURRENCY and WEB_THREADS apply to both): the app with
production-like settings, and a one-view Django site written here. Signs each page's
person in through the real login form, then drives each page (bench/_pages.py) and the
bare site with concurrent keep-alive clients for a fixed time after a warm-up. Every
response must be 200 and contain the page's text; a bad one makes the run exit 1.

Run: .venv/bin/python bench/http.py [--page participant_home ...] [--db postgres]
One line per page: RESULT page=<name> rps=<f> p50_ms=<f> p99_ms=<f> queries=<int> ratio=<f>
Last line: RESULT participant_home_rps=<f> hello_rps=<f> ratio=<f> min_ratio=<f> ...
See bench/README.md.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and this file, being
# named http.py, would shadow the standard library's `http` package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, str(Path(_HERE).parent))

from bench import _pages, _web  # noqa: E402 - only after the path fix above
from bench._web import BenchError  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--page",
        action="append",
        choices=_pages.NAMES,
        help="a page to measure (repeatable; default: all of bench/_pages.py)",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (8)")
    parser.add_argument("--duration", type=float, default=6.0, help="seconds measured per page")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY for both servers")
    parser.add_argument("--threads", type=int, help="WEB_THREADS for both servers")
    _web.add_db_options(parser, redis_db=13)
    options = parser.parse_args()
    if not (0 < options.duration <= 30 and 0 <= options.warmup <= 10):
        parser.error("keep the run bounded: --duration at most 30 s, --warmup at most 10 s")
    return options


def web_env(options):
    env = {}
    if options.workers:
        env["WEB_CONCURRENCY"] = str(options.workers)
    if options.threads:
        env["WEB_THREADS"] = str(options.threads)
    return env


def measure(options, site):
    names = options.page or _pages.NAMES
    stdout, _ = site.python("-m", "bench._pages", *names, what="bench/_pages.py")
    pages = json.loads(stdout.strip().splitlines()[-1])
    for page in pages:
        if page["status"] != 200 or not page["marker_found"]:
            raise BenchError(
                f"{page['name']} ({page['url']} as {page['email']}) answered {page['status']}"
                f"{'' if page['marker_found'] else ' without ' + repr(page['marker'])}"
            )
    app = _web.gunicorn(site, "app", "peercoach.wsgi:application", web_env=web_env(options))
    hello = _web.gunicorn(site, "hello", "bench_hello_site:application", web_env=web_env(options))
    _web.wait_until_serving(app, "/healthz")
    _web.wait_until_serving(hello, "/")

    cookies = {}
    for page in pages:
        if page["email"] not in cookies:
            cookies[page["email"]] = _web.sign_in(app.port, page["email"])
        # The first visit also shows the one-off "signed in" message; later ones do not.
        for _ in range(2):
            status, _, _ = _web.request(
                app.port, "GET", page["url"], headers={"Cookie": cookies[page["email"]]}
            )
            if status != 200:
                raise BenchError(f"GET {page['url']} answered {status} when signed in")
    print(f"signed in as {', '.join(cookies)}", flush=True)

    load = {"clients": options.clients, "warmup": options.warmup, "duration": options.duration}
    hello_check = lambda body: body == b"hello"  # noqa: E731
    results = [_web.drive("hello", hello.port, "/", {}, hello_check, **load)]
    for page in pages:
        marker = page["marker"].encode()
        result = _web.drive(
            page["name"],
            app.port,
            page["url"],
            {"Cookie": cookies[page["email"]]},
            lambda body, marker=marker: marker in body,
            **load,
        )
        result.queries = page["queries"]
        results.append(result)
        print(f"  {result.name}: {result.rps:.1f} req/s", flush=True)
    # Hello again at the end: the machine's load may have changed meanwhile.
    results.append(_web.drive("hello_again", hello.port, "/", {}, hello_check, **load))
    return results


def report(options, results, began):
    workers, threads, worker_class = _web.server_config(web_env(options))
    print()
    print(
        f"gunicorn.conf.py: {workers} {worker_class} workers x {threads} threads per server on "
        f"{_web.HOST}, {options.db}, {options.clients} client threads, {options.warmup:g} s "
        f"warm-up, {options.duration:g} s measured per target, {os.cpu_count()} CPUs shared "
        "by clients and servers"
    )
    header = f"{'target':<18} {'requests':>9} {'errors':>7} {'reconnects':>10} "
    header += f"{'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'queries':>7} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    hellos = [r for r in results if r.name.startswith("hello")]
    hello_rps = sum(r.rps for r in hellos) / len(hellos)
    pages = [r for r in results if not r.name.startswith("hello")]
    for r in results:
        queries = "" if r.queries is None else r.queries
        ratio = f"{r.rps / hello_rps:.3f}" if r in pages and hello_rps else ""
        print(
            f"{r.name:<18} {r.requests:>9} {r.errors:>7} {r.reconnects:>10} "
            f"{r.rps:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {queries:>7} {ratio:>6}"
        )
    print(f"ratio = page req/s / mean hello req/s ({hello_rps:.1f})")
    print(f"total time {time.monotonic() - began:.1f} s")
    failed = [r for r in results if r.errors or not r.requests]
    for r in failed:
        print(f"{r.name}: {r.errors} bad responses of {r.requests}, e.g. {r.examples}")
    for r in pages:
        print(
            f"RESULT page={r.name} rps={r.rps:.1f} p50_ms={r.p50_ms:.1f} p99_ms={r.p99_ms:.1f} "
            f"queries={r.queries} ratio={r.rps / hello_rps:.3f}"
        )
    worst = min(pages, key=lambda r: r.rps)
    summary = ""
    home = next((r for r in pages if r.name == "participant_home"), None)
    if home:
        summary += f"participant_home_rps={home.rps:.1f} "
    summary += f"hello_rps={hello_rps:.1f} "
    if home:
        summary += f"ratio={home.rps / hello_rps:.3f} "
    summary += (
        f"min_ratio={worst.rps / hello_rps:.3f} min_page={worst.name} pages={len(pages)} "
        f"errors={sum(r.errors for r in results)} db={options.db}"
    )
    print(f"RESULT {summary}")
    return 1 if failed else 0


def main():
    options = parse_args()
    _web.on_sigterm()
    began = time.monotonic()
    site = _web.site_create(options, name="http")
    try:
        results = measure(options, site)
    finally:
        site.close(keep=options.keep)
    return report(options, results, began)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        sys.exit(f"bench failed: {str(exc)[-4000:]}")
