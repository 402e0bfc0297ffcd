"""Time ``manage.py seed_demo`` on a fresh database.

    .venv/bin/python bench/seed_demo.py [--scale 1] [--seed 42] [--today 2026-11-27]

The database comes from DATABASE_URL like the app's: SQLite (the default) gets a new file in a
temporary directory; PostgreSQL gets a new database next to the named one (``laoyuan_bench_<pid>``),
dropped afterwards. The script migrates it, builds the demo district, prints the time of each
stage and the total, and leaves nothing behind. Record results in bench/README.md by hand.
"""

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_database(url: str) -> tuple[str, Callable[[], None]]:
    """A DATABASE_URL for a new, empty database of the same kind, and how to remove it."""
    if url.startswith("sqlite") or not url:
        directory = tempfile.mkdtemp(prefix="laoyuan-bench-")
        return f"sqlite:///{directory}/bench.sqlite3", lambda: shutil.rmtree(directory)
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"laoyuan_bench_{os.getpid()}"
        # CREATE and DROP DATABASE run from the maintenance database, which always exists.
        maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(maintenance, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}"')

        return urlunsplit(urlsplit(url)._replace(path=f"/{name}")), drop
    raise SystemExit(f"unsupported DATABASE_URL: {url}")


def database_version(connection: object) -> str:
    vendor = getattr(connection, "vendor", "")
    if vendor == "postgresql":
        version = getattr(connection, "pg_version", 0)
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    if vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return vendor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="1")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--today", default="2026-11-27")
    args = parser.parse_args()

    url, cleanup = fresh_database(os.environ.get("DATABASE_URL", ""))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laoyuan.settings")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrated = time.perf_counter() - started

        started, cpu_started = time.perf_counter(), time.process_time()
        call_command("seed_demo", "--scale", args.scale, "--seed", args.seed, "--today", args.today)
        seconds = time.perf_counter() - started
        # CPU time of this process alone: steadier than the wall clock on a busy machine, but
        # without the database server's share (PostgreSQL works in its own processes).
        cpu = time.process_time() - cpu_started

        from django.conf import settings

        print()
        print(
            f"machine:   {platform.node()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(f"database:  {database_version(connection)}")
        print(f"DEBUG:     {settings.DEBUG}")
        print(f"migrate:   {migrated:.1f} s")
        print(
            f"seed_demo: {seconds:.1f} s at scale {args.scale} "
            f"(seed {args.seed}, today {args.today}); {cpu:.1f} s CPU in this process"
        )
        print(f"load:      {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
