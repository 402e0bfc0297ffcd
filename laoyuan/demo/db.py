"""Database upkeep while the demo is written."""

from django.db import connection


def analyze(*tables: str) -> None:
    """On PostgreSQL, refresh the planner's statistics of ``tables`` (all the project's when none
    are named).

    The demo is built in one transaction, which autovacuum cannot see into: without this the
    planner would take tables of millions of rows for empty ones and scan them whole in every
    later stage. ANALYZE runs inside the transaction and counts its own uncommitted rows.

    The tables are always named: a bare ANALYZE would also analyze the cluster's shared catalogs
    and hold their locks until the demo's transaction commits, stalling every other database's
    ANALYZE on the server for as long."""
    if connection.vendor != "postgresql":
        return
    names = tables or tuple(connection.introspection.django_table_names(only_existing=True))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in names))
