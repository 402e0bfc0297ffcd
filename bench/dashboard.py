"""Benchmark: server time and query count of the district view (一屏观全域).

Run against a database that already holds a demo district with its year of activity, e.g. at
scale 10 on PostgreSQL:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/laoyuan_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --scale 10
    .venv/bin/python bench/dashboard.py --repeat 20

It signs in as each demo user given and requests the dashboard, the district's dashboard drilled
into the demo street, the wall screen, the map's GeoJSON and the overview API ``--repeat`` times
through Django's test client (server time only), printing the median, p95 and query count.
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

from laoyuan.accounts.models import User  # noqa: E402
from laoyuan.places.models import Compound  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--users", default="demo-district,demo-street,demo-community")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    street = User.objects.get(username="demo-street").assignments.get().street_id
    urls = [
        ("dashboard", "/dashboard/"),
        ("dashboard drilled into the demo street", f"/dashboard/?street={street}"),
        ("wall screen", "/dashboard/screen/"),
        ("map GeoJSON", "/dashboard/map.json"),
        ("overview API", "/api/v1/overview/"),
    ]
    print(
        f"database: {connection.vendor}; compounds: {Compound.objects.count()}; "
        f"repeat: {args.repeat}"
    )
    for username in args.users.split(","):
        own = [(label, url) for label, url in urls if "?street=" not in url]
        time_pages([username], urls if username == "demo-district" else own, args.repeat)


if __name__ == "__main__":
    main()
