"""Start-up: `manage.py check` and a web worker's imports, ours against a bare startproject.

In one run, in a temporary directory: a copy of this project's tracked files and a bare
`django-admin startproject` (the same Python, the same Django). Each side runs, N times,
alternating so that load from elsewhere falls on both alike:

- `manage.py check`: settings, every app, every model, the URL conf and the checks;
- worker: what a gunicorn worker pays before its first request: import the WSGI module
  (settings, `django.setup()`, the middleware) and load the URL conf (every view module).

Twice over: first with the project's source not compiled (what a checkout run with
PYTHONDONTWRITEBYTECODE=1 pays at every start), then after `compileall` of both trees
(what the image does at build time, so every container start reads bytecode). The
libraries' bytecode is the venv's, the same for both sides.

Production-like settings: DEBUG off, a random SECRET_KEY, ALLOWED_HOSTS; the
environment's DATABASE_URL, REDIS_URL and similar variables are dropped. SQLite by
default; `--db postgres` points both sides at a throwaway PostgreSQL database (so both
load the driver).

Run: .venv/bin/python bench/startup.py [--runs 7] [--db postgres] [--importtime] [--ref REF]
(`--ref 806f62d`: the project as of that commit instead of the working tree, for a before)
Last line: RESULT check_s=<f> bare_s=<f> ratio=<f> cpu_s=<f> bare_cpu_s=<f> cpu_ratio=<f>
rss_mib=<f> bare_rss_mib=<f> rss_ratio=<f> worker_s=<f> bare_worker_s=<f> worker_ratio=<f>
source_check_s=<f> source_ratio=<f>
(medians; the compiled runs unless prefixed `source_`; `ratio` is wall time, `cpu_ratio`
user + system time of the process, which a loaded machine disturbs less)
See bench/README.md.
"""

import argparse
import collections
import io
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import _pg  # noqa: E402

PG_DATABASE = "bench_startup"
from bench._env import DROPPED_ENV as _DROPPED  # noqa: E402 - after the path fix above

DROPPED_ENV = _DROPPED | {"PYTHONPROFILEIMPORTTIME", "PYTHONPYCACHEPREFIX"}
# What a gunicorn worker does before its first request, in both projects.
WORKER_CODE = (
    "import importlib, sys; importlib.import_module(sys.argv[1]); "
    "from django.urls import get_resolver; get_resolver().url_patterns"
)
BARE_PG_SETTINGS = """
import os
import dj_database_url

DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
"""


class BenchError(Exception):
    pass


def tracked_files():
    done = subprocess.run(
        ["git", "ls-files", "-z"], cwd=BASE_DIR, capture_output=True, text=True, check=True
    )
    return [name for name in done.stdout.split("\0") if name]


def copy_project(target, ref=None):
    if ref:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", ref], cwd=BASE_DIR, capture_output=True, check=True
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(target, filter="data")
        return
    for name in tracked_files():
        source = BASE_DIR / name
        if not source.is_file():
            continue  # deleted in the working tree
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)


def bare_project(target, env, database_url):
    target.mkdir()
    django_admin = [sys.executable, "-m", "django", "startproject", "bare", str(target)]
    subprocess.run(django_admin, env=env, check=True, capture_output=True)
    if database_url:
        with open(target / "bare" / "settings.py", "a") as settings:
            settings.write(BARE_PG_SETTINGS)


def measure(args, cwd, env):
    """(wall seconds, CPU seconds, peak RSS MiB) of one child process, which must exit 0."""
    errors = cwd.parent / "child.err"
    started = time.perf_counter()
    with open(errors, "wb") as err:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        # wait4: this child's own rusage (RUSAGE_CHILDREN would be the max over all of them).
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise BenchError(
            f"{' '.join(map(str, args))} exited {process.returncode}:\n{errors.read_text()}"
        )
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def scenarios(ours, bare):
    python = sys.executable
    return {
        "check": {
            "ours": ([python, "manage.py", "check"], ours),
            "bare": ([python, "manage.py", "check"], bare),
        },
        "worker": {
            "ours": ([python, "-c", WORKER_CODE, "peercoach.wsgi"], ours),
            "bare": ([python, "-c", WORKER_CODE, "bare.wsgi"], bare),
        },
    }


def run_all(table, env, runs, mode):
    figures = {}
    for scenario, sides in table.items():
        for args, cwd in sides.values():
            measure(args, cwd, env)  # warm the OS's file cache; not counted
        samples = collections.defaultdict(list)
        for _ in range(runs):
            for side, (args, cwd) in sides.items():
                samples[side].append(measure(args, cwd, env))
        for side, values in samples.items():
            walls = [wall for wall, _, _ in values]
            figures[(mode, scenario, side)] = {
                "median": statistics.median(walls),
                "min": min(walls),
                "max": max(walls),
                "cpu": statistics.median(cpu for _, cpu, _ in values),
                "rss": statistics.median(rss for _, _, rss in values),
            }
    return figures


def importtime(args, cwd, env, top):
    """Self time per top-level package of one run under -X importtime (inflated by it)."""
    done = subprocess.run(
        [args[0], "-X", "importtime", *args[1:]], cwd=cwd, env=env, capture_output=True, text=True
    )
    totals, counts = collections.Counter(), collections.Counter()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.split(":", 1)[1].split("|")
        package = name.strip().split(".")[0]
        totals[package] += int(self_us)
        counts[package] += 1
    print(f"\nimports of {cwd.name} (-X importtime, self time per package, top {top}):")
    print(f"  total {sum(totals.values()) / 1000:.0f} ms in {sum(counts.values())} modules")
    for package, micros in totals.most_common(top):
        print(f"  {micros / 1000:7.1f} ms {counts[package]:4d} modules  {package}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per side (default 7)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--importtime", action="store_true", help="also print each side's imports by package"
    )
    parser.add_argument("--ref", help="measure the project as of this git commit (git archive)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="peercoach-startup-"))
    env = {key: value for key, value in os.environ.items() if key not in DROPPED_ENV}
    env.update(
        PYTHONDONTWRITEBYTECODE="1",  # the source runs stay source runs
        PEERCOACH_VAR_DIR=str(workdir / "var"),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
    )
    database_url = None
    if options.db == "postgres":
        database_url = _pg.database_url(PG_DATABASE)
        _pg.database(PG_DATABASE, "create")
        env["DATABASE_URL"] = database_url
    try:
        ours, bare = workdir / "ours", workdir / "bare"
        ours.mkdir()
        copy_project(ours, options.ref)
        bare_project(bare, env, database_url)
        table = scenarios(ours, bare)
        figures = run_all(table, env, options.runs, "source")
        for tree in (ours, bare):
            subprocess.run(
                [sys.executable, "-m", "compileall", "-q", str(tree)],
                env={**env, "PYTHONDONTWRITEBYTECODE": ""},
                check=True,
                stdout=subprocess.DEVNULL,
            )
        figures.update(run_all(table, env, options.runs, "compiled"))
        if options.importtime:
            for side in ("ours", "bare"):
                importtime(*table["check"][side], env, 25)
    finally:
        if options.db == "postgres":
            _pg.database(PG_DATABASE, "drop")
        if options.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    python = f"Python {sys.version.split()[0]}"
    what = f"ours as of {options.ref}" if options.ref else "ours: the working tree"
    print(f"\n{python}, {options.db}, {options.runs} runs per side, {os.cpu_count()} CPUs, {what}")
    print(
        f"{'bytecode':<9} {'what':<7} {'side':<5} {'median s':>9} {'min s':>7} "
        f"{'max s':>7} {'ratio':>6} {'CPU s':>6} {'ratio':>6} {'RSS MiB':>8}"
    )
    for mode in ("source", "compiled"):
        for scenario in ("check", "worker"):
            bare = figures[(mode, scenario, "bare")]
            for side in ("ours", "bare"):
                row = figures[(mode, scenario, side)]
                print(
                    f"{mode:<9} {scenario:<7} {side:<5} {row['median']:9.3f} {row['min']:7.3f} "
                    f"{row['max']:7.3f} {row['median'] / bare['median']:6.2f} "
                    f"{row['cpu']:6.3f} {row['cpu'] / bare['cpu']:6.2f} {row['rss']:8.1f}"
                )

    def fig(mode, scenario, side, key="median"):
        return figures[(mode, scenario, side)][key]

    check, bare_check = fig("compiled", "check", "ours"), fig("compiled", "check", "bare")
    rss, bare_rss = fig("compiled", "check", "ours", "rss"), fig("compiled", "check", "bare", "rss")
    worker, bare_worker = fig("compiled", "worker", "ours"), fig("compiled", "worker", "bare")
    cpu, bare_cpu = fig("compiled", "check", "ours", "cpu"), fig("compiled", "check", "bare", "cpu")
    source, source_bare = fig("source", "check", "ours"), fig("source", "check", "bare")
    print(
        f"RESULT check_s={check:.3f} bare_s={bare_check:.3f} ratio={check / bare_check:.2f} "
        f"cpu_s={cpu:.3f} bare_cpu_s={bare_cpu:.3f} cpu_ratio={cpu / bare_cpu:.2f} "
        f"rss_mib={rss:.1f} bare_rss_mib={bare_rss:.1f} rss_ratio={rss / bare_rss:.2f} "
        f"worker_s={worker:.3f} bare_worker_s={bare_worker:.3f} "
        f"worker_ratio={worker / bare_worker:.2f} "
        f"source_check_s={source:.3f} source_ratio={source / source_bare:.2f}"
    )


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
