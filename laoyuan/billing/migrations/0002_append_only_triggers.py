"""The database itself refuses to change or remove ledger rows.

PostgreSQL refuses UPDATE and DELETE on journal entries and postings (TRUNCATE, which only a
test flush or a deliberate restore uses, stays possible). SQLite refuses UPDATE; its DELETE stays
open because Django's test flush deletes rows one table at a time.
"""

from django.db import migrations

TABLES = ("billing_journalentry", "billing_posting")


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(
            "CREATE OR REPLACE FUNCTION billing_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the ledger is append-only: post a reversing entry'; END "
            "$$ LANGUAGE plpgsql"
        )
        for table in TABLES:
            execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION billing_append_only()"
            )
    elif schema_editor.connection.vendor == "sqlite":
        for table in TABLES:
            execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} BEGIN "
                "SELECT RAISE(ABORT, 'the ledger is append-only: post a reversing entry'); END"
            )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    for table in TABLES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS billing_append_only()")


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
