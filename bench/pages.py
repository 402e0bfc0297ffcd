"""Timing pages through Django's test client (server time only: no network, no browser), shared
by the page benchmarks. Import after ``django.setup()``."""

import statistics
import time

from django.db import connection
from django.test import Client

from laoyuan.accounts.models import User


class QueryCounter:
    """Counts statements (Django clears ``connection.queries`` when a request starts)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


def time_pages(usernames: list[str], urls: list[tuple[str, str]], repeat: int) -> None:
    """Sign in as each user, request each URL once to warm up, once counting queries, then
    ``repeat`` times timed; print the median, p95 and query count."""
    for username in usernames:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, url in urls:
            response = client.get(url)  # warm-up (connection, caches, templates)
            assert response.status_code == 200, (url, response.status_code)
            queries = QueryCounter()
            with connection.execute_wrapper(queries):
                client.get(url)
            timings = []
            for _ in range(repeat):
                start = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            print(
                f"{username:15} {label:38} median {statistics.median(timings):7.1f} ms  "
                f"p95 {p95:7.1f} ms  queries {queries.count}"
            )
