"""Database upkeep while the demo is written."""

from django.db import connection


def analyze(*tables: str) -> None:
    """On PostgreSQL, refresh the planner's statistics of ``tables`` (all when none are named).

    The demo is built in one transaction, which autovacuum cannot see into: without this the
    planner would take tables of millions of rows for empty ones and scan them whole in every
    later stage. ANALYZE runs inside the transaction and counts its own uncommitted rows."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
