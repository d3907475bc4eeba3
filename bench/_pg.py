"""What the PostgreSQL benchmarks share: the server they use and their throwaway database.

The server is BENCH_DATABASE_URL's (default postgres://postgres@127.0.0.1:5432/postgres);
each bench creates its own database by name and drops it afterwards, so two runs of the
same bench must not overlap.
"""

import os
from urllib.parse import urlparse, urlunparse


def server_url():
    return os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def with_path(url, path):
    return urlunparse(urlparse(url)._replace(path=path))


def database_url(name):
    return with_path(server_url(), f"/{name}")


def database(name, action):
    """`create` (dropping any leftover first) or `drop` the database `name`."""
    import psycopg

    with psycopg.connect(with_path(server_url(), "/postgres"), autocommit=True) as conn:
        if action in ("drop", "create"):
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if action == "create":
            conn.execute(f"CREATE DATABASE {name}")
