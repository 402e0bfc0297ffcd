"""Benchmark: server time and query count of the compound list (page, export, API).

Run against a database that already holds a demo district, e.g. at scale 10 on PostgreSQL:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/laoyuan_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --scale 10
    .venv/bin/python bench/compound_list.py --repeat 20

It signs in as each demo user given, requests each URL ``--repeat`` times through Django's test
client (server time only: no network, no browser) and prints the median, p95 and query count.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laoyuan.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from laoyuan.accounts.models import User  # noqa: E402
from laoyuan.places.models import Compound  # noqa: E402

URLS = [
    ("list page", "/places/compounds/"),
    ("list page, sorted by area", "/places/compounds/?ordering=-area"),
    ("list page, filtered public + search", "/places/compounds/?mode=public&q=院"),
    ("list page, page 40", "/places/compounds/?page=40"),
    ("API list", "/api/v1/compounds/"),
    ("API list, filtered", "/api/v1/compounds/?mode=public&ordering=-households"),
]


class QueryCounter:
    """Counts statements (Django clears ``connection.queries`` when a request starts)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--users", default="demo-district,demo-street")
    parser.add_argument("--export", action="store_true", help="also time the Excel export")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    urls = list(URLS)
    if args.export:
        urls.append(("Excel export, all in scope", "/places/compounds/export.xlsx"))
    print(
        f"database: {connection.vendor}; compounds: {Compound.objects.count()}; "
        f"repeat: {args.repeat}"
    )
    for username in args.users.split(","):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, url in urls:
            response = client.get(url)  # warm-up (connection, caches, templates)
            assert response.status_code == 200, (url, response.status_code)
            timings = []
            queries = QueryCounter()
            with connection.execute_wrapper(queries):
                client.get(url)
            for _ in range(args.repeat):
                start = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            print(
                f"{username:15} {label:38} median {statistics.median(timings):7.1f} ms  "
                f"p95 {p95:7.1f} ms  queries {queries.count}"
            )


if __name__ == "__main__":
    main()
