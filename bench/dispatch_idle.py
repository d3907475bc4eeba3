"""What the frequent dispatcher costs when there is nothing to do (beat runs it every 30 s).

Against a throwaway PostgreSQL database (`bench_dispatch_idle`, created and dropped; the
server is BENCH_DATABASE_URL's): M organisations and N ledger rows already sent (the
history a year of reminders leaves), then `deliveries_dispatch()` R times, and the query
plans of its two statements. Tasks are eager (no REDIS_URL): nothing is due anyway.

Run: .venv/bin/python bench/dispatch_idle.py [--orgs 200] [--rows 500000] [--repeat 50]
Last line: RESULT idle_run_ms_median=<float> idle_run_ms_max=<float> queries=<int>
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]

from bench._pg import database, database_url  # noqa: E402 - after sys.path

DB_NAME = "bench_dispatch_idle"
NO_LOGIN = "!"  # an unusable password hash


def setup(orgs, rows):
    from django.db import connection
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from peercoach.accounts.models import User
    from peercoach.notifications.models import Delivery
    from peercoach.tenancy.models import Organization

    organizations = Organization.objects.bulk_create(
        Organization(slug=f"org{i}", name=f"Org {i}") for i in range(orgs)
    )
    users = User.objects.bulk_create(
        User(email=f"u{i}@bench.example.org", password=NO_LOGIN) for i in range(1000)
    )
    now = timezone.now()
    per_org = rows // orgs
    with scopes_disabled():
        for organization in organizations:
            Delivery.objects.bulk_create(
                (
                    Delivery(
                        organization=organization,
                        recipient=users[i % len(users)],
                        kind="meeting",
                        period=f"p{i}",
                        due_at=now - timedelta(days=i % 365),
                        status="sent",
                        sent_at=now,
                    )
                    for i in range(per_org)
                ),
                batch_size=5000,
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notifications_delivery")
    return per_org * orgs


def explain(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=50)
    options = parser.parse_args()
    for name in ("REDIS_URL", "DATABASE_URL", "PEERCOACH_VAR_DIR"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="peercoach.settings", DATABASE_URL=database_url(DB_NAME)
    )
    import django

    database(DB_NAME, "create")
    try:
        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django_scopes import scopes_disabled

        from peercoach.notifications.dispatch import deliveries_dispatch

        call_command("migrate", verbosity=0)
        started = time.monotonic()
        total = setup(options.orgs, options.rows)
        print(
            f"setup: {options.orgs} organisations, {total} sent rows in "
            f"{time.monotonic() - started:.0f} s"
        )
        timings = []
        for _ in range(options.repeat):
            with CaptureQueriesContext(connection) as queries:
                begun = time.perf_counter()
                assert deliveries_dispatch() == 0
                timings.append((time.perf_counter() - begun) * 1000)
        with scopes_disabled(), CaptureQueriesContext(connection) as captured:
            deliveries_dispatch()
        for query in captured.captured_queries:
            print(f"  {query['sql'][:160]}")
        from django.utils import timezone

        stale = timezone.now() - timedelta(seconds=60)
        print("plan of the due-rows query:")
        print(
            explain(
                "SELECT organization_id, id FROM notifications_delivery WHERE status = %s "
                "AND due_at <= %s AND (enqueued_at IS NULL OR enqueued_at < %s) "
                "ORDER BY organization_id, due_at, id",
                ["pending", timezone.now(), stale],
            )
        )
        print("plan of the stale-claims update:")
        print(
            explain(
                "UPDATE notifications_delivery SET status = 'pending' WHERE status = %s "
                "AND claimed_at < %s",
                ["sending", stale],
            )
        )
        print(
            f"RESULT idle_run_ms_median={statistics.median(timings):.2f} "
            f"idle_run_ms_max={max(timings):.2f} queries={len(queries.captured_queries)}"
        )
    finally:
        from django.db import connections

        connections.close_all()
        database(DB_NAME, "drop")


if __name__ == "__main__":
    main()
