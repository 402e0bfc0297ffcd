"""Database helpers shared by the apps."""

from django.db import connection
from django.db.models import Model


def lock_for_rebuild(model: type[Model]) -> None:
    """Before rewriting every row of a summary table from its source: on PostgreSQL, lock the
    table against writers for the rest of the transaction (call inside one). A writer that has
    already changed summary rows is waited for, so the rebuild reads its source with that
    writer's rows in it; one still to write waits for the rebuild, then writes on top of it.
    Readers are not blocked. SQLite allows one writer at a time anyway."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
