"""Emails lost and duplicated across a Redis outage while people sign and opt out.

Runs the end-to-end test tests/test_redis_outage.py at a larger scale, for a longer
outage: a redis-server on a free port serves the app (fallback cache and Celery broker)
and is stopped; for at least `--seconds` (default 60) `--pairs` pairs (default 10) sign in
through the login form and give the last signature of their agreement on the signing
page, and as many participants sign in and opt out of their pair, the actions spread over
the outage. Then redis-server starts again on the same port, a real Celery worker
(consuming `email` and `default` from it) runs the dispatcher twice, as beat would, and an
aiosmtpd sink counts what arrives per (recipient, subject).

Database: PostgreSQL when BENCH_DATABASE_URL's server answers (pytest-django creates and
drops `test_bench_redis_outage` on it), else SQLite. The environment's REDIS_URL and
email settings are not used: the bench starts its own redis-server.

Run: .venv/bin/python bench/redis_outage.py [--seconds 60] [--pairs 10]
Last line: RESULT outage_s=<float> actions=<int> errors_5xx=<int> expected=<int>
           received=<int> lost=<int> duplicated=<int> delivered_after_s=<float>
           slowest_action_avg_s=<float>
(delivered_after_s: from Redis's return until every expected email had arrived;
slowest_action_avg_s: the slowest pair's mean time per action while Redis was down.)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where http.py would shadow the standard
# library's `http`; the project root is what this script needs instead.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]

from bench._pg import database_url, server_url  # noqa: E402 - after sys.path

DB_NAME = "bench_redis_outage"
TEST = "tests/test_redis_outage.py"
DROPPED_ENV = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PEERCOACH_VAR_DIR"}


def postgres_answers():
    try:
        import psycopg

        with psycopg.connect(server_url(), connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 - no server: SQLite instead
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="outage length (s)")
    parser.add_argument("--pairs", type=int, default=10, help="signing (and leaving) pairs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="redis-outage-") as tmp:
        result_file = Path(tmp) / "result.json"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in DROPPED_ENV and not k.startswith(("EMAIL_", "CELERY_"))
        }
        env.update(
            PEERCOACH_VAR_DIR=tmp,
            PEERCOACH_OUTAGE_SECONDS=str(args.seconds),
            PEERCOACH_OUTAGE_PAIRS=str(args.pairs),
            PEERCOACH_OUTAGE_RESULT=str(result_file),
        )
        database = "sqlite"
        if postgres_answers():
            env["DATABASE_URL"] = database_url(DB_NAME)
            database = "postgresql"
        print(f"database={database} pairs={args.pairs} outage>={args.seconds}s", flush=True)
        run = subprocess.run(
            [sys.executable, "-m", "pytest", TEST, "-q", "-x", "-p", "no:randomly", "--create-db"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        if not result_file.exists():
            print(run.stdout[-4000:], run.stderr[-2000:], sep="\n")
            print("RESULT failed=1")
            return 1
        figures = json.loads(result_file.read_text())
    print(f"test: {'passed' if run.returncode == 0 else 'FAILED'}")
    keys = [
        "outage_s",
        "actions",
        "errors_5xx",
        "expected",
        "received",
        "lost",
        "duplicated",
        "delivered_after_s",
        "slowest_action_avg_s",
    ]
    print("RESULT " + " ".join(f"{key}={figures[key]}" for key in keys))
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
