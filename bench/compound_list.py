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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laoyuan.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from pages import time_pages  # noqa: E402

from laoyuan.places.models import Compound  # noqa: E402

URLS = [
    ("list page", "/places/compounds/"),
    ("list page, sorted by area", "/places/compounds/?ordering=-area"),
    ("list page, filtered public + search", "/places/compounds/?mode=public&q=院"),
    ("list page, page 40", "/places/compounds/?page=40"),
    ("API list", "/api/v1/compounds/"),
    ("API list, filtered", "/api/v1/compounds/?mode=public&ordering=-households"),
]


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
    time_pages(args.users.split(","), urls, args.repeat)


if __name__ == "__main__":
    main()
