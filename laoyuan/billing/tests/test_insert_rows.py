"""The bulk insert every ledger path writes through (multi-row VALUES on SQLite, one array per
column on PostgreSQL): ids come back in the order of the rows, and every value round-trips."""

import datetime
from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from laoyuan.billing.enums import EntryKind
from laoyuan.billing.models import JournalEntry, Posting
from laoyuan.billing.services import ledger
from laoyuan.billing.services.ledger import company_account, insert_rows
from laoyuan.factories import Cast

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
# Text that an array literal or a VALUES list must escape.
AWKWARD = ["a,b", 'say "hi"', "it's", "{braces}", "back\\slash", "NULL", "", "多字节 文字"]


def test_ids_in_row_order_and_values_round_trip(cast: Cast, monkeypatch) -> None:
    # Batches of 3 rows: the ids of 8 rows come back across three statements.
    monkeypatch.setattr(ledger, "BULK_BATCH", 3)
    monkeypatch.setattr(ledger, "UNNEST_BATCH", 3)
    street = cast.a.street
    columns = ["kind", "district_id", "street_id", "reference", "memo", "created_at"]
    rows = [
        [EntryKind.FUNDING, cast.district.pk, street.pk if n % 2 else None, f"R{n}", memo, AT]
        for n, memo in enumerate(AWKWARD)
    ]
    ids = insert_rows(JournalEntry, columns, rows, returning=True)
    assert len(ids) == 8 and len(set(ids)) == 8
    stored = {entry.pk: entry for entry in JournalEntry.objects.filter(pk__in=ids)}
    for n, pk in enumerate(ids):
        entry = stored[pk]
        assert (entry.reference, entry.memo) == (f"R{n}", AWKWARD[n])
        assert entry.street_id == (street.pk if n % 2 else None)
        assert (entry.kind, entry.district_id, entry.created_at) == (
            EntryKind.FUNDING,
            cast.district.pk,
            AT,
        )


def test_without_returning_writes_every_row(cast: Cast) -> None:
    entry = JournalEntry.objects.create(kind=EntryKind.FUNDING, district=cast.district)
    account = company_account(cast.a.company, "cash")
    amounts = [Decimal("0.01"), Decimal("-12345.67"), Decimal("99.90")]
    assert (
        insert_rows(
            Posting,
            ["entry_id", "account_id", "amount", "bill_id"],
            [(entry.pk, account.pk, amount, None) for amount in amounts],
        )
        == []
    )
    assert sorted(Posting.objects.filter(entry=entry).values_list("amount", flat=True)) == sorted(
        amounts
    )
    assert not Posting.objects.filter(entry=entry, bill__isnull=False).exists()


def test_postgresql_writes_one_statement_per_batch(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the array path is PostgreSQL's")
    with CaptureQueriesContext(connection) as queries:
        insert_rows(
            JournalEntry,
            ["kind", "district_id", "reference", "memo", "created_at"],
            [[EntryKind.FUNDING, cast.district.pk, f"U{n}", "", AT] for n in range(2500)],
        )
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "unnest(" in inserts[0]
    assert JournalEntry.objects.filter(reference__startswith="U").count() == 2500


def test_postgresql_refuses_a_string_too_long_for_its_column(cast: Cast) -> None:
    # An explicit cast to the column's varchar(64)[] would store the first 64 characters.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not check a column's length")
    with pytest.raises(DataError, match="too long"), transaction.atomic():
        insert_rows(
            JournalEntry,
            ["kind", "district_id", "reference", "memo", "created_at"],
            [
                [EntryKind.FUNDING, cast.district.pk, "fits", "", AT],
                [EntryKind.FUNDING, cast.district.pk, "x" * 65, "", AT],
            ],
        )
    assert not JournalEntry.objects.filter(reference__in=["fits", "x" * 64]).exists()
