"""The set-based statements of a billing run, written once for SQLite and PostgreSQL.

A run bills a chunk of compounds with a handful of ``INSERT ... SELECT`` statements, whatever the
number of houses: open the missing household accounts, write the bills, one charge entry per
non-zero bill, and its two postings. They mirror ``calc.monthly_charge`` and ``bills.issue_bill``
(the ORM reference, which the tests compare them with) in integer fen, so SQLite's floating
decimals never round a half fen the wrong way:

- per area: ``area × rate`` half-up to the fen = ``(area in centi-m² × rate in fen + 50) / 100``;
- per household: ``calc.annual_share``: the annual fen ``/ 12``, plus one fen in the first
  ``annual fen mod 12`` months of the year;
- the vacant or unsold share: ``(list fen × percent + 50) / 100``;
- a trial month: amount 0, the list amount kept, no entry (which schemes are in trial this month
  the caller works out with ``calc`` and passes in).

The inserts skip what exists (a house's open account, its bill for the month) by ``ON CONFLICT DO
NOTHING`` on the unique indexes alone, not by an anti-join on the table being written: planned
against an empty table (the first run on a new database), such an anti-join can become a nested
loop that scans the growing table again for every house.

Rows written by one chunk are found again as "this run's rows with an id above the highest id
before the chunk": the caller holds the run's row lock, so no other transaction writes rows of
this run meanwhile, and every id a sequence hands out later is above every id read before.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper

from laoyuan.billing.enums import AccountKind, EntryKind, SchemeBasis
from laoyuan.places.enums import HouseStatus

Params = dict[str, Any]


@dataclass(frozen=True)
class Chunk:
    """Compounds billed together, each with its scheme in force."""

    compound_ids: Sequence[int]
    scheme_ids: Sequence[int]
    # The schemes in a trial month this period (amount 0, no entry).
    trial_scheme_ids: Sequence[int] = ()


def _in(name: str, values: Sequence[int], params: Params) -> str:
    """``(%(name0)s, %(name1)s, ...)`` for an IN list, adding the values to ``params``."""
    if not values:
        return "(NULL)"
    keys = [f"{name}{index}" for index in range(len(values))]
    params.update(zip(keys, values, strict=True))
    return "(" + ", ".join(f"%({key})s" for key in keys) + ")"


def _chunk_houses(chunk: Chunk, params: Params, joins: str = "") -> str:
    """``FROM ... WHERE ...`` over the houses ``h`` of the chunk's compounds, each with its
    compound's scheme ``s`` (and ``joins``). Naming the compounds lets the planner read their
    houses through the index on ``compound_id`` rather than walk every house."""
    return (
        "FROM billing_feescheme s JOIN places_house h ON h.compound_id = s.compound_id "
        f"{joins} WHERE s.id IN {_in('scheme', chunk.scheme_ids, params)} "
        f"AND h.compound_id IN {_in('compound', chunk.compound_ids, params)}"
    )


def _fen(column: str) -> str:
    """A two-place decimal column as whole hundredths (exact on SQLite's floats too)."""
    return f"CAST(ROUND({column} * 100) AS BIGINT)"


def max_id(cursor: CursorWrapper, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
    return int(cursor.fetchone()[0])


def open_accounts(cursor: CursorWrapper, *, chunk: Chunk, on: datetime.date) -> int:
    """Open a household account for every house of the chunk that has no open one (as
    ``ledger.household_account`` would: district of the compound, street of the house); the
    partial unique index on open household accounts keeps the ones there."""
    params: Params = {
        "kind": AccountKind.HOUSEHOLD,
        "on": connection.ops.adapt_datefield_value(on),
    }
    houses = _chunk_houses(chunk, params, "JOIN places_compound c ON c.id = h.compound_id")
    cursor.execute(
        "INSERT INTO billing_account (kind, district_id, street_id, company_id, house_id, "
        "holder_id, name, opened_on, closed_on) "
        "SELECT %(kind)s, c.district_id, h.street_id, NULL, h.id, NULL, '', %(on)s, NULL "
        f"{houses} ORDER BY h.id ON CONFLICT DO NOTHING",
        params,
    )
    return cursor.rowcount


def insert_bills(
    cursor: CursorWrapper,
    *,
    chunk: Chunk,
    period: datetime.date,
    run_id: int,
    now: datetime.datetime,
) -> int:
    """One bill per house of the chunk that has none for ``period`` (``ON CONFLICT DO NOTHING``
    keeps a concurrent run's bill). ``paid`` is 0: credit is applied afterwards."""
    params: Params = {
        "period": connection.ops.adapt_datefield_value(period),
        "month": period.month,
        "run": run_id,
        "now": connection.ops.adapt_datetimefield_value(now),
        "per_area": SchemeBasis.PER_AREA,
        "vacant": HouseStatus.VACANT,
        "unsold": HouseStatus.UNSOLD,
        "household": AccountKind.HOUSEHOLD,
    }
    houses = _chunk_houses(chunk, params)
    trial_ids = chunk.trial_scheme_ids
    trial = f"s.id IN {_in('trial', trial_ids, params)}" if trial_ids else "FALSE"
    annual = _fen("s.rate")
    list_fen = (
        f"CASE WHEN s.basis = %(per_area)s THEN ({_fen('h.area')} * {annual} + 50) / 100 "
        f"ELSE {annual} / 12 + CASE WHEN %(month)s <= {annual} %% 12 THEN 1 ELSE 0 END END"
    )
    cursor.execute(
        "INSERT INTO billing_bill (house_id, account_id, compound_id, district_id, street_id, "
        "company_id, scheme_id, run_id, period, list_amount, amount, paid, trial, house_status, "
        "created_at) "
        "SELECT q.house_id, q.account_id, q.compound_id, q.district_id, q.street_id, "
        "q.company_id, q.scheme_id, %(run)s, %(period)s, q.list_fen / 100.0, "
        "CASE WHEN q.trial THEN 0 ELSE (q.list_fen * q.percent + 50) / 100 END / 100.0, "
        "0, q.trial, q.status, %(now)s "
        # The open account, looked up house by house through the partial unique index whatever
        # the (possibly stale) statistics of a table the run has just filled.
        "FROM (SELECT h.id AS house_id, (SELECT a.id FROM billing_account a "
        "WHERE a.house_id = h.id AND a.kind = %(household)s AND a.closed_on IS NULL) "
        "AS account_id, h.compound_id, s.district_id, "
        "h.street_id, s.company_id, s.id AS scheme_id, h.status, "
        f"{list_fen} AS list_fen, {trial} AS trial, "
        "CASE h.status WHEN %(vacant)s THEN s.vacant_percent "
        "WHEN %(unsold)s THEN s.unsold_percent ELSE 100 END AS percent "
        f"{houses}) q "
        "WHERE TRUE ORDER BY q.house_id ON CONFLICT DO NOTHING",
        params,
    )
    return cursor.rowcount


def lock_new_bills_accounts(cursor: CursorWrapper, *, run_id: int, after_bill: int) -> None:
    """Lock the accounts of this run's new bills, in id order (so two runs never deadlock), as a
    payment locks its account: a payment waits for the chunk and then allocates to its new
    bills, or the chunk waits for the payment and then sees its credit. (SQLite has one writer
    at a time.)"""
    if connection.vendor != "postgresql":
        return
    cursor.execute(
        "SELECT COUNT(*) FROM (SELECT a.id FROM billing_account a WHERE a.id IN "
        "(SELECT b.account_id FROM billing_bill b WHERE b.id > %(after)s AND b.run_id = %(run)s) "
        "ORDER BY a.id FOR UPDATE) locked",
        {"after": after_bill, "run": run_id},
    )
    cursor.fetchone()


def insert_charges(
    cursor: CursorWrapper,
    *,
    run_id: int,
    after_bill: int,
    memo: str,
    actor_id: int | None,
    now: datetime.datetime,
) -> int:
    """One charge entry per non-zero bill this run wrote after ``after_bill``."""
    cursor.execute(
        "INSERT INTO billing_journalentry (kind, district_id, street_id, company_id, house_id, "
        "bill_id, payment_id, run_id, reverses_id, reference, memo, created_by_id, created_at) "
        "SELECT %(kind)s, b.district_id, b.street_id, b.company_id, b.house_id, b.id, NULL, "
        "b.run_id, NULL, '', %(memo)s, %(actor)s, %(now)s FROM billing_bill b "
        "WHERE b.id > %(after)s AND b.run_id = %(run)s AND b.amount > 0",
        {
            "kind": EntryKind.CHARGE,
            "memo": memo,
            "actor": actor_id,
            "now": connection.ops.adapt_datetimefield_value(now),
            "after": after_bill,
            "run": run_id,
        },
    )
    return cursor.rowcount


def insert_postings(cursor: CursorWrapper, *, run_id: int, after_entry: int) -> int:
    """Each new charge's two postings: the household's account debited with the bill named,
    the company's income account (opened beforehand) credited."""
    cursor.execute(
        "INSERT INTO billing_posting (entry_id, account_id, amount, bill_id) "
        "SELECT e.id, CASE WHEN side.n = 1 THEN b.account_id ELSE i.id END, "
        "CASE WHEN side.n = 1 THEN b.amount ELSE -b.amount END, "
        "CASE WHEN side.n = 1 THEN b.id END "
        "FROM billing_journalentry e JOIN billing_bill b ON b.id = e.bill_id "
        "JOIN billing_account i ON i.company_id = e.company_id AND i.kind = %(income)s "
        "AND i.house_id IS NULL "
        "CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2) side "
        "WHERE e.id > %(after)s AND e.run_id = %(run)s",
        {"income": AccountKind.INCOME, "after": after_entry, "run": run_id},
    )
    return cursor.rowcount


def new_bill_totals(cursor: CursorWrapper, *, run_id: int, after_bill: int) -> tuple[int, Decimal]:
    """How many bills this run wrote after ``after_bill``, and their amount."""
    cursor.execute(
        f"SELECT COUNT(*), COALESCE(SUM({_fen('amount')}), 0) FROM billing_bill "
        "WHERE id > %(after)s AND run_id = %(run)s",
        {"after": after_bill, "run": run_id},
    )
    count, fen = cursor.fetchone()
    return int(count), Decimal(int(fen)) / 100


def accounts_with_credit(cursor: CursorWrapper, *, run_id: int, after_bill: int) -> list[int]:
    """The accounts of this run's new charged bills that hold unallocated money (a prepayment,
    or a reversed payment still to take back), read through the partial index on unallocated
    postings: the only accounts ``ledger.allocate_credit`` has work to do on."""
    cursor.execute(
        "SELECT p.account_id FROM billing_posting p WHERE p.bill_id IS NULL "
        "AND p.account_id IN (SELECT b.account_id FROM billing_bill b WHERE b.id > %(after)s "
        "AND b.run_id = %(run)s AND b.amount > 0) "
        f"GROUP BY p.account_id HAVING SUM({_fen('p.amount')}) <> 0 ORDER BY p.account_id",
        {"after": after_bill, "run": run_id},
    )
    return [int(row[0]) for row in cursor.fetchall()]
