"""Database upkeep while the demo is written."""

from django.db import connection

# Tables with fewer live rows are left to the planner's own estimate (see ``analyze``).
ANALYZE_MIN_ROWS = 10_000


def analyze(*tables: str) -> None:
    """On PostgreSQL, refresh the planner's statistics of ``tables`` (all the project's when none
    are named) that hold at least ``ANALYZE_MIN_ROWS`` live rows.

    The demo is built in one transaction, which autovacuum cannot see into: without this the
    planner would take tables of millions of rows for empty ones and scan them whole in every
    later stage. ANALYZE runs inside the transaction and counts its own uncommitted rows.

    Small tables are skipped: analyzing a table that is empty but still spans pages (the dead
    rows of rolled-back transactions, as in a test database) records a density of zero rows per
    page, and the planner then takes the table for empty however many rows are written next,
    and joins it to itself by nested loops. The tables are always named: a bare ANALYZE would
    also analyze the cluster's shared catalogs and hold their locks until the demo's transaction
    commits, stalling every other database's ANALYZE on the server for as long."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    names = tables or tuple(connection.introspection.django_table_names(only_existing=True))
    # One query: which tables have a row past the first ANALYZE_MIN_ROWS - 1.
    probe = " UNION ALL ".join(
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(name)} OFFSET {ANALYZE_MIN_ROWS - 1})"
        for name in names
    )
    with connection.cursor() as cursor:
        cursor.execute(probe, list(names))
        large = [row[0] for row in cursor.fetchall()]
        if large:
            cursor.execute("ANALYZE " + ", ".join(quote(name) for name in large))
