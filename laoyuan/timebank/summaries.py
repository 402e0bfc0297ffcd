"""The verified minutes by compound and month (``HoursMonth``, 工时月汇总), what the dashboard's
``minutes_verified`` reads: the household postings of ``earn`` entries (a verified claim's
minutes, and their reversal) by the month of the day they count from, placed by the claim.

``ledger.post`` calls ``add_earned`` for each earn entry in the transaction that writes it: one
``INSERT … ON CONFLICT DO UPDATE`` that adds, so two verifications at once never lose either's
minutes. ``rebuild`` rewrites every row (after a bulk load or a restore) and ``mismatches``
proves the rows equal the ledger (``timebank_check``).
"""

import datetime
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from laoyuan.core.db import lock_for_rebuild
from laoyuan.timebank.enums import HourAccountKind, HourEntryKind

KEY = ("district_id", "street_id", "community_id", "compound_id", "month")
CLAIM_KEY = {
    "district_id": "entry__claim__district_id",
    "street_id": "entry__claim__street_id",
    "community_id": "entry__claim__community_id",
    "compound_id": "entry__claim__compound_id",
}


def add_earned(claim: Any, on: datetime.date, minutes: int) -> None:
    """Add ``minutes`` (negative for a reversal) to the claim's compound in ``on``'s month."""
    from laoyuan.timebank.models import HoursMonth

    table = connection.ops.quote_name(HoursMonth._meta.db_table)
    key = ", ".join(KEY)
    place = [claim.district_id, claim.street_id, claim.community_id, claim.compound_id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, minutes) VALUES (%s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT (compound_id, month, district_id, street_id, community_id) "
            f"DO UPDATE SET minutes = {table}.minutes + excluded.minutes",
            [*place, connection.ops.adapt_datefield_value(on.replace(day=1)), minutes],
        )


def from_ledger(posting_model: Any) -> dict[tuple[Any, ...], int]:
    """``{(district, street, community, compound, month): minutes}`` summed from the postings
    (the model is passed in, so the migration can use its historical one)."""
    rows = (
        posting_model.objects.filter(
            entry__kind=HourEntryKind.EARN,
            account__kind=HourAccountKind.HOUSEHOLD,
            entry__claim__isnull=False,
        )
        .annotate(month=TruncMonth("entry__on"))
        .values(*CLAIM_KEY.values(), "month")
        .annotate(total=Sum("minutes"))
        .order_by()
    )
    found: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = (*(row[path] for path in CLAIM_KEY.values()), row["month"])
        found[key] = found.get(key, 0) + row["total"]
    return found


def write(month_model: Any, found: dict[tuple[Any, ...], int]) -> int:
    month_model.objects.all().delete()
    month_model.objects.bulk_create(
        [month_model(**dict(zip(KEY, key, strict=True)), minutes=m) for key, m in found.items()],
        batch_size=2000,
    )
    return len(found)


@transaction.atomic
def rebuild() -> int:
    """Rewrite every row from the ledger; the number of rows written. Safe while claims are
    being verified: the table is locked first (``lock_for_rebuild``)."""
    from laoyuan.timebank.models import HourPosting, HoursMonth

    lock_for_rebuild(HoursMonth)
    return write(HoursMonth, from_ledger(HourPosting))


def mismatches() -> Iterator[str]:
    from laoyuan.timebank.models import HourPosting, HoursMonth

    expected = from_ledger(HourPosting)
    stored = {
        tuple(row[:5]): row[5]
        for row in HoursMonth.objects.values_list(*KEY, "minutes").exclude(minutes=0)
    }
    expected = {key: minutes for key, minutes in expected.items() if minutes}
    for key in sorted(set(expected) | set(stored)):
        if expected.get(key, 0) != stored.get(key, 0):
            yield (
                f"compound {key[3]} verified {expected.get(key, 0)} minutes in {key[4]:%Y-%m}; "
                f"its monthly summary says {stored.get(key, 0)}"
            )
