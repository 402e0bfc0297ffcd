"""The ledger core: accounts, balanced entries, reversals, allocation and the derived bill figures.

Every money write in billing ends here. ``post_entry`` is the only function that creates journal
entries and postings; ``refresh_bills`` is the only writer of ``Bill.amount`` and ``Bill.paid``.
"""

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import DateTimeField, Field, Model, Q, Sum
from django.utils import timezone

from laoyuan.billing.enums import (
    COMPANY_ACCOUNT_KINDS,
    COMPOUND_ACCOUNT_KINDS,
    DISTRICT_ACCOUNT_KINDS,
    AccountKind,
    EntryKind,
)
from laoyuan.billing.models import (
    ZERO,
    Account,
    Bill,
    BillSummary,
    JournalEntry,
    OwingAccount,
    Posting,
)
from laoyuan.core.db import lock_for_rebuild
from laoyuan.core.money import to_fen
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import Compound, House

# Entry kinds that put an amount on a bill: the monthly charge, and the opening entry of arrears
# inherited at a takeover (``billing.payment_import.import_opening_balances``).
CHARGED_KINDS = (EntryKind.CHARGE, EntryKind.OPENING)
# Rows per INSERT in the bulk paths (well inside SQLite's limit on query parameters).
BULK_BATCH = 2000
# Rows per INSERT on PostgreSQL, where a batch is one array per column.
UNNEST_BATCH = 10_000
# What a monthly bill summary (``BillSummary``) is keyed by, as columns of billing_bill.
SUMMARY_KEY = ("compound_id", "company_id", "district_id", "street_id", "period", "trial")
# What an owing row (``OwingAccount``) is keyed by, as columns of billing_bill.
OWING_KEY = ("account_id", "compound_id", "company_id", "district_id", "street_id")


class LedgerError(Exception):
    """A ledger rule would be broken; nothing has been written."""


class BillRef(NamedTuple):
    """A bill named by its id and account, for lines written in bulk without loading bills."""

    pk: int
    account_id: int


@dataclass(frozen=True)
class Line:
    """One line of an entry to post: debit ``account`` by ``amount`` (credit when negative)."""

    account: Account
    amount: Decimal
    bill: Bill | BillRef | None = None


def company_account(company: PropertyCompany, kind: str) -> Account:
    """The company's account of ``kind`` (income, a clearing account, ...), opened on first use."""
    if kind not in COMPANY_ACCOUNT_KINDS:
        raise ValueError(f"{kind} is not a company account kind")
    account, _ = Account.objects.get_or_create(
        kind=kind,
        company=company,
        house=None,
        defaults={
            "district_id": company.district_id,
            "street_id": company.street_id,
            "opened_on": timezone.localdate(),
        },
    )
    return account


def district_account(district_id: int, kind: str) -> Account:
    if kind not in DISTRICT_ACCOUNT_KINDS:
        raise ValueError(f"{kind} is not a district account kind")
    account, _ = Account.objects.get_or_create(
        kind=kind, district_id=district_id, defaults={"opened_on": timezone.localdate()}
    )
    return account


def compound_account(compound: Compound, kind: str) -> Account:
    """The compound's account of ``kind`` (its committee's, its long-term fund), opened on first
    use."""
    if kind not in COMPOUND_ACCOUNT_KINDS:
        raise ValueError(f"{kind} is not a compound account kind")
    account, _ = Account.objects.get_or_create(
        kind=kind,
        compound=compound,
        defaults={
            "district_id": compound.district_id,
            "street_id": compound.street_id,
            "name": compound.name[:100],
            "opened_on": timezone.localdate(),
        },
    )
    return account


def household_account(house: House, *, on: datetime.date | None = None) -> Account:
    """The house's open fee account, opened on first use."""
    account = Account.objects.filter(
        kind=AccountKind.HOUSEHOLD, house=house, closed_on__isnull=True
    ).first()
    if account is not None:
        return account
    district_id = house.compound.district_id
    account, _ = Account.objects.get_or_create(
        kind=AccountKind.HOUSEHOLD,
        house=house,
        closed_on=None,
        defaults={
            "district_id": district_id,
            "street_id": house.street_id,
            "opened_on": on or timezone.localdate(),
        },
    )
    return account


def lock_account(account_id: int) -> Account:
    """Lock a household account for the rest of the transaction: payments, allocations and
    corrections of one household happen one at a time."""
    return Account.objects.select_for_update().get(pk=account_id)


def balance(account: Account | int) -> Decimal:
    """The account's balance from its postings (positive: the household owes)."""
    account_id = account if isinstance(account, int) else account.pk
    total = Posting.objects.filter(account_id=account_id).aggregate(total=Sum("amount"))["total"]
    return to_fen(total or ZERO)


def unallocated_credit(account: Account | int) -> Decimal:
    """Money paid into the account and not yet applied to a bill (a prepayment)."""
    account_id = account if isinstance(account, int) else account.pk
    total = Posting.objects.filter(account_id=account_id, bill__isnull=True).aggregate(
        total=Sum("amount")
    )["total"]
    return to_fen(-(total or ZERO))


def check_lines(lines: Sequence[Line]) -> None:
    """Refuse an entry whose lines do not sum to zero, hold more than two places, put a bill's
    line on another account, or move nothing."""
    if not lines:
        raise LedgerError("an entry needs at least one line")
    for line in lines:
        if to_fen(line.amount) != line.amount:
            raise LedgerError(f"{line.amount} is not an amount in fen")
        if line.bill is not None and line.bill.account_id != line.account.pk:
            raise LedgerError("a bill's lines belong on the bill's own household account")
    if all(line.amount == ZERO for line in lines):
        raise LedgerError("an entry must move some money")
    if sum((line.amount for line in lines), ZERO) != ZERO:
        raise LedgerError("an entry's lines must sum to zero")


def post_entry(
    *,
    kind: str,
    lines: Sequence[Line],
    district_id: int,
    street_id: int | None = None,
    company_id: int | None = None,
    house_id: int | None = None,
    bill: Bill | None = None,
    payment: Any = None,
    run: Any = None,
    reverses: JournalEntry | None = None,
    reference: str = "",
    memo: str = "",
    actor: Any = None,
) -> JournalEntry:
    """Write one balanced entry. Refuses an entry whose lines do not sum to zero, hold more than
    two places, or is empty. Call inside the caller's transaction; then ``refresh_bills``."""
    draft = Draft(
        kind=kind,
        lines=lines,
        district_id=district_id,
        street_id=street_id,
        company_id=company_id,
        house_id=house_id,
        bill=bill,
        payment=payment,
        run=run,
        reverses=reverses,
        reference=reference,
        memo=memo,
    )
    check_lines(lines)
    entry = JournalEntry(**_entry_values(draft, actor))
    insert_objects([entry], ENTRY_COLUMNS)
    _insert_postings([(entry.pk, draft)])
    return entry


@dataclass(frozen=True)
class Draft:
    """One entry for ``post_entries``: the arguments of ``post_entry`` but the actor."""

    kind: str
    lines: Sequence[Line]
    district_id: int
    street_id: int | None = None
    company_id: int | None = None
    house_id: int | None = None
    bill: Bill | None = None
    payment: Any = None
    run: Any = None
    reverses: JournalEntry | None = None
    reference: str = ""
    memo: str = ""


def post_entries(drafts: Sequence[Draft], *, actor: Any = None) -> list[int]:
    """Write many balanced entries with multi-row inserts of the entries and of their postings
    (the bulk payment path); their ids, in order. Each draft is checked first, so an
    unbalanced one writes nothing. Call inside the caller's transaction; then
    ``refresh_bills``."""
    for draft in drafts:
        check_lines(draft.lines)
    rows = []
    for draft in drafts:
        values = _entry_values(draft, actor)
        rows.append([values[column] for column in ENTRY_COLUMNS])
    ids = insert_rows(JournalEntry, ENTRY_COLUMNS, rows, returning=True)
    _insert_postings(zip(ids, drafts, strict=True))
    return ids


def _pk(obj: Any) -> int | None:
    return obj.pk if obj is not None else None


def _entry_values(draft: Draft, actor: Any) -> dict[str, Any]:
    return {
        "kind": draft.kind,
        "district_id": draft.district_id,
        "street_id": draft.street_id,
        "company_id": draft.company_id,
        "house_id": draft.house_id,
        "bill_id": _pk(draft.bill),
        "payment_id": _pk(draft.payment),
        "run_id": _pk(draft.run),
        "reverses_id": _pk(draft.reverses),
        "reference": draft.reference,
        "memo": draft.memo[:200],
        "created_by_id": actor.pk if getattr(actor, "pk", None) else None,
        "created_at": timezone.now(),
    }


ENTRY_COLUMNS = [
    "kind",
    "district_id",
    "street_id",
    "company_id",
    "house_id",
    "bill_id",
    "payment_id",
    "run_id",
    "reverses_id",
    "reference",
    "memo",
    "created_by_id",
    "created_at",
]


def _insert_postings(entries: Iterable[tuple[int, Draft]]) -> None:
    insert_rows(
        Posting,
        ["entry_id", "account_id", "amount", "bill_id"],
        [
            (entry_id, line.account.pk, line.amount, _pk(line.bill))
            for entry_id, draft in entries
            for line in draft.lines
            if line.amount != ZERO
        ],
    )


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: bool = False,
) -> list[int]:
    """Insert ``rows`` (values in the order of ``columns``, attribute names such as
    ``entry_id``) in batches; with ``returning``, the new ids in row order (as ``bulk_create``
    reads them). The bulk paths write through this: ``bulk_create`` spends far longer preparing
    each value in Python than the database spends storing it. No ``save()``, no defaults: every
    column the table needs is given.

    On PostgreSQL a batch is one ``INSERT … SELECT FROM unnest(…)`` with an array per column (a
    query of a few parameters, where a multi-row VALUES of thousands costs the driver longer to
    split than the database to run); elsewhere, and for JSON columns, a multi-row VALUES."""
    if not rows:
        return []
    fields: list[Field[Any, Any]] = []
    for column in columns:
        field = model._meta.get_field(column)
        assert isinstance(field, Field)  # a column of the table, not a reverse relation
        fields.append(field)
    stamped = [i for i, field in enumerate(fields) if isinstance(field, DateTimeField)]
    if stamped:
        adapt = connection.ops.adapt_datetimefield_value
        rows = [
            [adapt(value) if i in stamped else value for i, value in enumerate(row)] for row in rows
        ]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    suffix = f" RETURNING {connection.ops.quote_name('id')}" if returning else ""
    batches = _unnest_batches if _unnestable(fields) else _values_batches
    ids: list[int] = []
    with connection.cursor() as cursor:
        for sql, params in batches(table, names, fields, rows):
            cursor.execute(sql + suffix, params)
            if returning:
                ids.extend(returned[0] for returned in cursor.fetchall())
    return ids


def _unnestable(fields: "Sequence[Field[Any, Any]]") -> bool:
    return connection.vendor == "postgresql" and not any(
        field.get_internal_type() == "JSONField" for field in fields
    )


def _values_batches(
    table: str, names: str, fields: "Sequence[Field[Any, Any]]", rows: Sequence[Sequence[Any]]
) -> Iterator[tuple[str, list[Any]]]:
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    limit = connection.features.max_query_params or 65535
    size = max(1, min(BULK_BATCH, (limit - 1) // len(fields)))
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([row_sql] * len(batch))}"
        yield sql, [value for row in batch for value in row]


def _unnest_batches(
    table: str, names: str, fields: "Sequence[Field[Any, Any]]", rows: Sequence[Sequence[Any]]
) -> Iterator[tuple[str, list[Any]]]:
    arrays = ", ".join(f"%s::{_base_type(field)}[]" for field in fields)
    # WITH ORDINALITY and ORDER BY keep the rows, and so the returned ids, in the order given.
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM unnest({arrays}) "
        f"WITH ORDINALITY AS given ({names}, n) ORDER BY n"
    )
    for start in range(0, len(rows), UNNEST_BATCH):
        batch = rows[start : start + UNNEST_BATCH]
        yield sql, [list(column) for column in zip(*batch, strict=True)]


def _base_type(field: "Field[Any, Any]") -> str:
    """The column's type without its modifier (``varchar(64)`` → ``varchar``): an explicit cast
    to ``varchar(64)[]`` would cut a longer string short without a word, where storing the
    unmodified array into the column checks each value as a VALUES list does (too long raises)."""
    db_type = field.db_type(connection) or ""
    return db_type.split("(", 1)[0].strip()


def insert_objects[M: Model](objects: Sequence[M], columns: Sequence[str]) -> None:
    """Insert unsaved instances of one model with ``insert_rows`` and give each its new id, as
    if saved. Fields left out of ``columns`` are not written (set ``auto_now_add`` fields
    yourself)."""
    if not objects:
        return
    rows = [[getattr(obj, column) for column in columns] for obj in objects]
    ids = insert_rows(type(objects[0]), columns, rows, returning=True)
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def reverse_entry(*, entry: JournalEntry, actor: Any, memo: str) -> JournalEntry:
    """Cancel ``entry`` with a mirror entry of the same kind pointing at it. An entry is reversed
    at most once, and a reversal is never itself reversed (post a new entry instead)."""
    if entry.reverses_id is not None:
        raise LedgerError("a reversal cannot be reversed; post a new entry instead")
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise LedgerError("this entry has already been reversed")
    postings = list(entry.postings.select_related("account", "bill"))
    return post_entry(
        kind=entry.kind,
        lines=[Line(p.account, -p.amount, p.bill) for p in postings],
        district_id=entry.district_id,
        street_id=entry.street_id,
        company_id=entry.company_id,
        house_id=entry.house_id,
        bill=entry.bill,
        payment=entry.payment,
        reverses=entry,
        memo=memo,
        actor=actor,
    )


def bill_figures(bill_ids: Iterable[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """``{bill id: (amount, paid)}`` from the postings: the amount is what charge entries (and,
    on an opening bill, the opening entry of inherited arrears) put on the bill; paid is the
    amount less what the bill's postings still leave owing."""
    ids = list(bill_ids)
    figures = {bill_id: (ZERO, ZERO) for bill_id in ids}
    rows = (
        Posting.objects.filter(bill_id__in=ids)
        .values("bill_id")
        .annotate(
            charged=Sum("amount", filter=Q(entry__kind__in=CHARGED_KINDS), default=ZERO),
            owing=Sum("amount", default=ZERO),
        )
    )
    for row in rows:
        charged = to_fen(row["charged"])
        figures[row["bill_id"]] = (charged, to_fen(charged - row["owing"]))
    return figures


def refresh_bills(bill_ids: Iterable[int]) -> None:
    """Rewrite the derived ``amount`` and ``paid`` of these bills from their postings, move
    their monthly summaries by the same differences and rewrite their accounts' owing rows."""
    figures = bill_figures(bill_ids)
    stored = Bill.objects.filter(pk__in=figures).values_list(
        "pk", "account_id", "amount", "paid", *SUMMARY_KEY
    )
    changed = []
    moved: dict[tuple[Any, ...], tuple[Decimal, Decimal]] = {}
    accounts: set[int] = set()
    for pk, account_id, amount, paid, *key in stored:
        new_amount, new_paid = figures[pk]
        if (new_amount, new_paid) == (amount, paid):
            continue
        changed.append((pk, new_amount, new_paid))
        accounts.add(account_id)
        before = moved.get(tuple(key), (ZERO, ZERO))
        moved[tuple(key)] = (before[0] + new_amount - amount, before[1] + new_paid - paid)
    for start in range(0, len(changed), BULK_BATCH):
        _write_bill_figures(changed[start : start + BULK_BATCH])
    _move_summaries(moved)
    ordered = sorted(accounts)
    for start in range(0, len(ordered), BULK_BATCH):
        part = ordered[start : start + BULK_BATCH]
        refresh_owing(
            f"SELECT id FROM billing_account WHERE id IN ({', '.join(['%s'] * len(part))})", part
        )


def _summary_upsert(source: str) -> str:
    """An INSERT of summary rows from ``source`` (a SELECT or VALUES of the key, amount, paid)
    that adds to the rows already there: one statement, so two transactions adding to the same
    month never lose either's amounts."""
    table = connection.ops.quote_name(BillSummary._meta.db_table)
    key = ", ".join(SUMMARY_KEY)
    return (
        f"INSERT INTO {table} ({key}, amount, paid) {source} ON CONFLICT ({key}) DO UPDATE SET "
        f"amount = {table}.amount + excluded.amount, paid = {table}.paid + excluded.paid"
    )


def summarise_bills(where: str, params: Sequence[Any]) -> None:
    """Add the new bills matching ``where`` (a condition on billing_bill's columns) to their
    monthly summaries. Call in the transaction that inserted them, before any
    ``refresh_bills`` of them."""
    key = ", ".join(SUMMARY_KEY)
    with connection.cursor() as cursor:
        cursor.execute(
            _summary_upsert(
                f"SELECT {key}, SUM(amount), SUM(paid) FROM billing_bill WHERE {where} "
                f"GROUP BY {key} ORDER BY {key}"
            ),
            params,
        )


def _move_summaries(moved: dict[tuple[Any, ...], tuple[Decimal, Decimal]]) -> None:
    """Add the differences to their summaries in key order: two transactions moving the same
    months lock their rows in the same order, so neither waits on the other in a cycle."""
    rows = [(key, amount, paid) for key, (amount, paid) in sorted(moved.items()) if amount or paid]
    adapt = connection.ops.adapt_datefield_value
    for start in range(0, len(rows), BULK_BATCH):
        batch = rows[start : start + BULK_BATCH]
        row_sql = (
            "(CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT), "
            "%s, %s, CAST(%s AS NUMERIC), CAST(%s AS NUMERIC))"
        )
        params: list[Any] = []
        for (compound, company, district, street, period, trial), amount, paid in batch:
            params += [compound, company, district, street, adapt(period), trial]
            params += [str(amount), str(paid)]
        with connection.cursor() as cursor:
            cursor.execute(_summary_upsert("VALUES " + ", ".join([row_sql] * len(batch))), params)


def refresh_owing(accounts: str, params: Sequence[Any]) -> None:
    """Rewrite the owing rows (``OwingAccount``) of the accounts ``accounts`` selects (an SQL
    query of account ids) from their bills still owing. Call under those accounts' locks, after
    their bills are written: two statements, which another transaction on the same accounts
    must not interleave. Rows that stay as they were are not written."""
    table = connection.ops.quote_name(OwingAccount._meta.db_table)
    key = ", ".join(OWING_KEY)
    with connection.cursor() as cursor:
        # Only what changed is written (most payments leave the oldest month as it was), so
        # the rows are not rewritten, and left dead, on every payment.
        cursor.execute(*_owing_delete(table, key, accounts, params))
        cursor.execute(
            f"INSERT INTO {table} ({key}, oldest) SELECT {key}, MIN(period) FROM billing_bill "
            f"WHERE account_id IN ({accounts}) AND amount > paid GROUP BY {key} ORDER BY {key} "
            f"ON CONFLICT ({key}) DO UPDATE SET oldest = excluded.oldest "
            f"WHERE {table}.oldest <> excluded.oldest",
            params,
        )


def _owing_delete(
    table: str, key: str, accounts: str, params: Sequence[Any]
) -> tuple[str, list[Any]]:
    """The DELETE of the owing rows of ``accounts`` whose key no longer has a bill owing, and
    its parameters. PostgreSQL turns a correlated NOT EXISTS into
    one anti-join, where a NOT IN of a subquery too large to hash is scanned again for every
    row; SQLite, which has no statistics, is given the keys still owing as one uncorrelated
    subquery (a correlated one lets it look each row's bills up on any of the bill indexes)."""
    if connection.vendor == "postgresql":
        match = " AND ".join(f"b.{column} = {table}.{column}" for column in OWING_KEY)
        return (
            f"DELETE FROM {table} WHERE account_id IN ({accounts}) AND NOT EXISTS "
            f"(SELECT 1 FROM billing_bill b WHERE {match} AND b.amount > b.paid)"
        ), list(params)
    return (
        f"DELETE FROM {table} WHERE account_id IN ({accounts}) AND ({key}) NOT IN "
        f"(SELECT {key} FROM billing_bill WHERE account_id IN ({accounts}) AND amount > paid)"
    ), [*params, *params]


@transaction.atomic
def rebuild_summaries() -> int:
    """Rewrite every monthly bill summary and owing row from the bills (after a restore or a
    repair); the number of summaries written. On PostgreSQL the summaries are locked against
    writers first: a payment that already moved a summary is waited for (and counted from its
    bills), one still to move it waits and then adds its difference to the rebuilt row."""
    lock_for_rebuild(BillSummary)
    BillSummary.objects.all().delete()
    summarise_bills("1 = 1", [])
    refresh_owing("SELECT id FROM billing_account", [])
    return BillSummary.objects.count()


def _write_bill_figures(rows: Sequence[tuple[int, Decimal, Decimal]]) -> None:
    """One UPDATE joining the bills to a list of ``(id, amount, paid)`` (PostgreSQL and SQLite
    both take ``UPDATE ... FROM``); ``bulk_update``'s CASE per row is quadratic on thousands."""
    if not rows:
        return
    table = connection.ops.quote_name(Bill._meta.db_table)
    values = ", ".join(
        ["(CAST(%s AS BIGINT), CAST(%s AS NUMERIC), CAST(%s AS NUMERIC))"] * len(rows)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH figures (id, amount, paid) AS (VALUES {values}) "
            f"UPDATE {table} SET amount = figures.amount, paid = figures.paid "
            f"FROM figures WHERE {table}.id = figures.id",
            [value for pk, amount, paid in rows for value in (pk, str(amount), str(paid))],
        )


def credit_lines(
    account: Account, credit: Decimal, open_bills: Iterable[tuple[Bill | BillRef, Decimal]]
) -> list[Line]:
    """The lines that apply ``credit`` to ``open_bills`` (each with what it still owes), in the
    order given (oldest first), and take the sum applied off the unallocated credit. Empty when
    nothing moves. ``allocate_credit`` and the bulk payment path share this rule."""
    lines: list[Line] = []
    moved = ZERO
    for bill, owing in open_bills:
        take = min(owing, credit - moved)
        if take > ZERO:
            lines.append(Line(account, -take, bill))
            moved += take
        if moved == credit:
            break
    if moved == ZERO:
        return []
    lines.append(Line(account, moved))
    return lines


def allocate_credit(
    *, account: Account, actor: Any = None, memo: str = "", payment: Any = None
) -> JournalEntry | None:
    """Keep the account's allocation true; the caller holds the account's lock.

    Unallocated credit (a prepayment) goes to the oldest open bills. Negative unallocated credit
    (a payment reversed after it had paid bills) is taken back from the newest paid bills, so
    they show as owing again. ``payment`` names the payment whose money is being applied (its
    receipt lists the bills this entry pays). Returns the allocation entry, or None when nothing
    moved."""
    credit = unallocated_credit(account)
    if credit == ZERO:
        return None
    figures = bill_figures(Bill.objects.filter(account=account).values_list("pk", flat=True))
    bills = Bill.objects.filter(pk__in=figures)
    lines: list[Line] = []
    moved = ZERO
    if credit > ZERO:
        lines = credit_lines(
            account,
            credit,
            (
                (bill, figures[bill.pk][0] - figures[bill.pk][1])
                for bill in bills.order_by("period", "pk")
            ),
        )
        moved = -sum((line.amount for line in lines if line.bill is not None), ZERO)
    else:
        for bill in bills.order_by("-period", "-pk"):
            paid = figures[bill.pk][1]
            give = min(paid, -credit - moved)
            if give > ZERO:
                lines.append(Line(account, give, bill))
                moved += give
        lines.append(Line(account, -moved))
    if moved == ZERO:
        return None
    entry = post_entry(
        kind=EntryKind.ALLOCATION,
        lines=lines,
        district_id=account.district_id,
        street_id=account.street_id,
        house_id=account.house_id,
        payment=payment,
        memo=memo or "allocation to the oldest open bills",
        actor=actor,
    )
    refresh_bills(line.bill.pk for line in lines if line.bill is not None)
    return entry


def release_overpaid(*, account: Account, bills: Iterable[Bill], actor: Any = None) -> None:
    """After a charge is lowered or reversed, turn what a bill was paid beyond its new amount back
    into credit on the account (then ``allocate_credit`` moves it to the oldest open bill)."""
    lines: list[Line] = []
    freed = ZERO
    figures = bill_figures(bill.pk for bill in bills)
    for bill in bills:
        amount, paid = figures[bill.pk]
        owing = amount - paid
        # bill_figures caps nothing: a bill whose postings are below its charge is overpaid.
        over = -(owing) if owing < ZERO else ZERO
        if over > ZERO:
            lines.append(Line(account, over, bill))
            freed += over
    if freed == ZERO:
        return
    lines.append(Line(account, -freed))
    post_entry(
        kind=EntryKind.ALLOCATION,
        lines=lines,
        district_id=account.district_id,
        street_id=account.street_id,
        house_id=account.house_id,
        memo="overpayment of a corrected bill returned to credit",
        actor=actor,
    )


@transaction.atomic
def correct_bill(*, bill: Bill, amount: Decimal, actor: Any, reason: str) -> Bill:
    """Correct a bill's charge: reverse the charge entries in force and charge ``amount`` again.
    What the bill was paid beyond the new amount becomes credit and goes to the oldest open bill."""
    amount = to_fen(amount)
    if amount < ZERO:
        raise LedgerError("a bill cannot be negative")
    account = lock_account(bill.account_id)
    standing = JournalEntry.objects.filter(
        bill=bill, kind=EntryKind.CHARGE, reverses__isnull=True, reversed_by__isnull=True
    )
    for entry in standing:
        reverse_entry(entry=entry, actor=actor, memo=reason)
    if amount > ZERO:
        income = company_account(bill.company, AccountKind.INCOME)
        post_entry(
            kind=EntryKind.CHARGE,
            lines=[Line(account, amount, bill), Line(income, -amount)],
            district_id=bill.district_id,
            street_id=bill.street_id,
            company_id=bill.company_id,
            house_id=bill.house_id,
            bill=bill,
            memo=reason,
            actor=actor,
        )
    release_overpaid(account=account, bills=[bill], actor=actor)
    refresh_bills([bill.pk])
    allocate_credit(account=account, actor=actor)
    bill.refresh_from_db()
    return bill
