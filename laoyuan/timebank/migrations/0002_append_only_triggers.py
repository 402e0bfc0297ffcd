"""The database refuses to change or remove hours-ledger rows, as it does for the fee ledger
(``billing.0002_append_only_triggers``, whose PostgreSQL function this reuses)."""

from django.db import migrations

TABLES = ("timebank_hourentry", "timebank_hourposting")


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    execute = schema_editor.execute
    for table in TABLES:
        if schema_editor.connection.vendor == "postgresql":
            execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION billing_append_only()"
            )
        elif schema_editor.connection.vendor == "sqlite":
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


class Migration(migrations.Migration):
    dependencies = [("timebank", "0001_initial"), ("billing", "0002_append_only_triggers")]

    operations = [migrations.RunPython(create, drop)]
