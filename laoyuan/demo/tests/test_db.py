"""The demo's statistics refresh on PostgreSQL keeps to the project's own tables."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from laoyuan.billing.models import JournalEntry, Posting
from laoyuan.demo.db import analyze
from laoyuan.places.models import Compound

pytestmark = pytest.mark.django_db


def _shared_catalogs_locked() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = pg_backend_pid() AND c.relisshared ORDER BY c.relname"
        )
        return [row[0] for row in cursor.fetchall()]


def _project_tables_locked() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = pg_backend_pid() AND l.mode = 'ShareUpdateExclusiveLock'"
        )
        return {row[0] for row in cursor.fetchall()}


def test_analyze_with_no_tables_named_leaves_the_shared_catalogs_alone() -> None:
    # A bare ANALYZE inside the demo's transaction held the cluster's shared catalogs
    # (pg_authid, pg_database, …) until it committed: every other database's ANALYZE waited.
    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE is PostgreSQL's")
    analyze()
    assert _shared_catalogs_locked() == []
    locked = _project_tables_locked()
    models = (JournalEntry, Posting, Compound, get_user_model())
    assert {model._meta.db_table for model in models} <= locked


def test_analyze_of_named_tables_takes_only_those() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE is PostgreSQL's")
    analyze(Posting._meta.db_table)
    assert _project_tables_locked() == {Posting._meta.db_table}
