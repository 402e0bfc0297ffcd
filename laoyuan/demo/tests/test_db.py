"""The demo's statistics refresh on PostgreSQL keeps to the project's own tables that hold rows."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from laoyuan.billing.models import JournalEntry, Posting
from laoyuan.demo import db
from laoyuan.demo.db import analyze
from laoyuan.factories import Cast
from laoyuan.places.models import Compound

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE is PostgreSQL's"),
]


def _locked(mode: str, *, shared: bool) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = pg_backend_pid() AND l.mode = %s AND c.relisshared = %s",
            [mode, shared],
        )
        return {row[0] for row in cursor.fetchall()}


def test_analyze_with_no_tables_named_takes_the_projects_tables_with_rows(
    cast: Cast, monkeypatch
) -> None:
    # A bare ANALYZE inside the demo's transaction held the cluster's shared catalogs
    # (pg_authid, pg_database, …) until it committed: every other database's ANALYZE waited.
    monkeypatch.setattr(db, "ANALYZE_MIN_ROWS", 1)
    analyze()
    assert _locked("ShareUpdateExclusiveLock", shared=True) == set()
    analyzed = _locked("ShareUpdateExclusiveLock", shared=False)
    assert {Compound._meta.db_table, get_user_model()._meta.db_table} <= analyzed
    # No journal entry exists yet: an empty table is not analyzed.
    assert JournalEntry._meta.db_table not in analyzed
    assert JournalEntry.objects.count() == 0


def test_analyze_skips_tables_below_the_row_floor(cast: Cast, monkeypatch) -> None:
    # Analyzing a near-empty table that spans pages (dead rows of rolled-back tests) records a
    # density of zero and makes the planner take it for empty however much is written next.
    compounds = Compound.objects.count()
    assert compounds >= 2
    monkeypatch.setattr(db, "ANALYZE_MIN_ROWS", compounds + 1)
    analyze(Compound._meta.db_table, Posting._meta.db_table)
    assert _locked("ShareUpdateExclusiveLock", shared=False) == set()
    monkeypatch.setattr(db, "ANALYZE_MIN_ROWS", compounds)
    analyze(Compound._meta.db_table, Posting._meta.db_table)
    assert _locked("ShareUpdateExclusiveLock", shared=False) == {Compound._meta.db_table}
