"""Payments: taking one at the desk or online, recording many (imports, the demo), reversing one,
refunding unallocated credit.

A payment is paid to the company that serves the house's compound. It debits the company's
clearing account for its channel and credits the household account without a bill; then
``allocate_credit`` moves the credit to the oldest open bills, and the receipt is issued, all in
one transaction. ``(company, reference)`` is the idempotency key: the same reference again returns
the first receipt and credits nothing. No payment may take a household more than 12 months ahead
(Zhengzhou regulation art. 42): what is owed now plus twelve months of fees at full rate.

Who may: the company's staff (role ``company`` on that company) for any channel, a resident for
their own house online only, and the system itself (``actor=None``: commands and the demo seed).
"""

import datetime
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.billing import calc
from laoyuan.billing.enums import (
    CHANNEL_ACCOUNT,
    TIMEBANK_CHANNEL,
    AccountKind,
    Channel,
    EntryKind,
    SchemeStatus,
)
from laoyuan.billing.models import (
    ZERO,
    Account,
    Bill,
    FeeScheme,
    JournalEntry,
    Payment,
    Posting,
    Receipt,
)
from laoyuan.billing.scoping import CASHIER_ROLES
from laoyuan.billing.services.ledger import (
    BULK_BATCH,
    BillRef,
    Draft,
    Line,
    allocate_credit,
    balance,
    company_account,
    credit_lines,
    household_account,
    insert_objects,
    lock_account,
    post_entries,
    post_entry,
    refresh_bills,
    reverse_entry,
    unallocated_credit,
)
from laoyuan.billing.services.receipts import (
    issue_receipt,
    issue_receipts,
    lock_counter,
    payment_reversal,
)
from laoyuan.core import audit
from laoyuan.core.money import to_fen
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import Compound, House

Errors = dict[str, str]

# The most a payment may hold: the money columns' 14 digits, 2 of them decimals.
MAX_AMOUNT = Decimal("999999999999.99")
# Ids per ``IN (...)`` list (SQLite accepts at most 32,766 parameters in one query).
CHUNK = 5000


# --- Checks shared by every path -------------------------------------------------------------


def _chunks[T](items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_cashier(actor: Any, company: PropertyCompany) -> bool:
    if actor is None:
        return True
    scope = scope_for(actor, CASHIER_ROLES)
    return scope.everything or company.pk in scope.company


def _may_take(actor: Any, company: PropertyCompany, house: House, channel: str) -> bool:
    """Company staff take any channel; a resident pays their own house online."""
    if _is_cashier(actor, company):
        return True
    return channel == Channel.ONLINE and house.pk in scope_for(actor, [Role.RESIDENT]).house


def _taken_as(actor: Any, company: PropertyCompany) -> str:
    """For the audit trail: who took the money (staff acting for a household, or the household)."""
    if actor is None:
        return "system"
    return "company staff" if _is_cashier(actor, company) else "resident, online"


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _is_amount(amount: Any) -> bool:
    return (
        isinstance(amount, Decimal | int)
        and not isinstance(amount, bool)
        and Decimal(amount).is_finite()
        and ZERO < amount <= MAX_AMOUNT
        and to_fen(amount) == amount
    )


def _amount_errors(errors: Errors, amount: Any) -> None:
    if not _is_amount(amount):
        errors["amount"] = _("Enter a positive amount in yuan with at most two decimal places.")


def _channel_errors(errors: Errors, channel: Any) -> None:
    if channel not in Channel.values:
        errors["channel"] = _("Choose how it was paid: cash, bank transfer, POS card or online.")


def _text(errors: Errors, field: str, value: Any, max_length: int, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > max_length:
        errors[field] = _("At most %(n)d characters.") % {"n": max_length}
    return text


def _check_payment(
    *, amount: Any, channel: Any, reference: Any, received_on: datetime.date, note: Any
) -> tuple[str, str, Errors]:
    """The payment's fields checked on their own: ``(reference, note, errors)``."""
    errors: Errors = {}
    _amount_errors(errors, amount)
    _channel_errors(errors, channel)
    reference = _text(errors, "reference", reference, 64, required=True)
    note = _text(errors, "note", note, 200, required=False)
    if received_on > timezone.localdate():
        errors["received_on"] = _("The day the money was received cannot be in the future.")
    return reference, note, errors


def _payee(house: House) -> tuple[Compound, PropertyCompany]:
    """The house's compound and the company it pays: the one serving the compound now (read
    afresh: a cached compound may predate a change of company)."""
    compound = Compound.objects.select_related("company").get(pk=house.compound_id)
    company = compound.company
    if company is None:
        raise ValidationError(
            {"house": _("This house's compound has no property company to pay fees to.")}
        )
    return compound, company


def _reason(reason: Any) -> str:
    errors: Errors = {}
    text = _text(errors, "reason", reason, 200, required=True)
    _raise(errors)
    return text


def _ceiling_message(maximum: Decimal) -> str:
    return _(
        "At most %(maximum)s may be paid now: what is owed plus 12 months ahead "
        "(Zhengzhou regulation art. 42)."
    ) % {"maximum": f"{maximum:,.2f}"}


def _reference_message(reference: str, receipt: str) -> str:
    return _(
        "The reference %(reference)s was already used for another house or amount (receipt "
        "%(receipt)s); check the reference."
    ) % {"reference": reference, "receipt": receipt}


def _same_payment(payment: Payment, house_id: int, amount: Decimal) -> bool:
    return payment.house_id == house_id and payment.amount == amount


# --- The prepayment ceiling (art. 42) ------------------------------------------------------


class _Schemes:
    """The posted fee schemes of some compounds, to find the one in force in a month as
    ``queries.scheme_in_force`` does (the latest to take effect by then; for the same start, the
    one posted last), with one query for a whole batch."""

    def __init__(self, compound_ids: Iterable[int]) -> None:
        self._by_compound: dict[int, list[FeeScheme]] = defaultdict(list)
        schemes = FeeScheme.objects.filter(
            compound_id__in=set(compound_ids), status=SchemeStatus.POSTED
        ).order_by("compound_id", "effective_from", "posted_on", "pk")
        for scheme in schemes:
            self._by_compound[scheme.compound_id].append(scheme)

    def in_force(self, compound_id: int, period: datetime.date) -> FeeScheme | None:
        schemes = self._by_compound.get(compound_id, [])
        index = bisect_right([scheme.effective_from for scheme in schemes], period)
        return schemes[index - 1] if index else None

    def year_ahead(self, house: House, on: datetime.date) -> Decimal:
        """Twelve months of the house's fees at full rate under the scheme in force in ``on``'s
        month (nothing when no scheme is in force)."""
        scheme = self.in_force(house.compound_id, calc.month_start(on))
        if scheme is None:
            return ZERO
        return calc.yearly_amount(basis=scheme.basis, rate=scheme.rate, area=house.area)


def _ceiling(balance_now: Decimal, year_ahead: Decimal) -> Decimal:
    """What is owed now (net of credit already held) plus twelve months ahead, never below 0.
    With no credit this is the balance owed plus the year; with credit, the year less the credit."""
    return max(balance_now + year_ahead, ZERO)


def _open_account(house: House) -> Account | None:
    return Account.objects.filter(
        kind=AccountKind.HOUSEHOLD, house=house, closed_on__isnull=True
    ).first()


def _year_ahead(house: House, account: Account | None, on: datetime.date) -> Decimal:
    """The twelve months a payment may run ahead; none on a closed account (an earlier party's,
    after a settlement): it takes no new bills, so only its arrears may be paid."""
    if account is not None and account.closed_on is not None:
        return ZERO
    return _Schemes([house.compound_id]).year_ahead(house, on)


def payment_ceiling(
    house: House, *, on: datetime.date | None = None, account: Account | None = None
) -> Decimal:
    """The most the house may pay now (art. 42): what it owes plus 12 months of fees at the
    scheme in force this month (or in ``on``'s month), less any credit it already holds. With a
    closed ``account`` of the house: what that account still owes."""
    account = account or _open_account(house)
    balance_now = balance(account) if account is not None else ZERO
    return _ceiling(balance_now, _year_ahead(house, account, on or timezone.localdate()))


# --- One payment -----------------------------------------------------------------------------


def _recorded(
    company: PropertyCompany, reference: str, house: House, amount: Decimal
) -> Receipt | None:
    """The receipt of the payment already recorded under this reference, if any; refuses a
    reference already used for another house or amount."""
    payment = (
        Payment.objects.filter(company=company, reference=reference)
        .select_related("receipt")
        .first()
    )
    if payment is None:
        return None
    if not _same_payment(payment, house.pk, amount):
        raise ValidationError({"reference": _reference_message(reference, payment.receipt.number)})
    return payment.receipt


def _payment_row(
    *,
    company: PropertyCompany,
    district_id: int,
    house: House,
    account: Account,
    amount: Decimal,
    channel: str,
    reference: str,
    received_on: datetime.date,
    note: str,
    actor: Any,
) -> Payment:
    return Payment(
        company=company,
        district_id=district_id,
        street_id=house.street_id,
        compound_id=house.compound_id,
        house=house,
        account=account,
        amount=amount,
        channel=channel,
        reference=reference,
        received_on=received_on,
        received_by=actor if getattr(actor, "pk", None) else None,
        note=note,
        created_at=timezone.now(),
    )


PAYMENT_COLUMNS = [
    "company_id",
    "district_id",
    "street_id",
    "compound_id",
    "house_id",
    "account_id",
    "amount",
    "channel",
    "reference",
    "received_on",
    "received_by_id",
    "note",
    "created_at",
]


def _payment_draft(payment: Payment, account: Account, clearing: Account) -> Draft:
    """The payment's entry: the clearing account of its channel in, the household credited."""
    return Draft(
        kind=EntryKind.PAYMENT,
        lines=[Line(clearing, payment.amount), Line(account, -payment.amount)],
        district_id=payment.district_id,
        street_id=payment.street_id,
        company_id=payment.company_id,
        house_id=payment.house_id,
        payment=payment,
        memo=f"{payment.channel} {payment.reference}",
    )


@transaction.atomic
def take_payment(
    *,
    house: House,
    amount: Decimal,
    channel: str,
    reference: str,
    actor: Any,
    received_on: datetime.date | None = None,
    note: str = "",
    account: Account | None = None,
    ceiling_checked: bool = False,
) -> Receipt:
    """Take one payment for ``house`` and issue its receipt. It goes to the house's open
    account, or to ``account``: a closed account of the house, to pay an earlier party's
    arrears (then at most what that account owes).

    The same ``reference`` again (for this company) returns the first receipt and credits
    nothing; with another house or amount it is refused. A payment beyond what is owed plus 12
    months ahead is refused with the maximum named. Refusals raise ValidationError (keyed by
    field) or PermissionDenied and write nothing.

    ``ceiling_checked``: the amount was checked against the ceiling when an online order was
    made and the provider has since taken the money; refusing it now would not give it back, so it
    is credited even if a desk payment in between lowered the ceiling."""
    compound, company = _payee(house)
    if not _may_take(actor, company, house, channel):
        raise PermissionDenied
    received_on = received_on or timezone.localdate()
    reference, note, errors = _check_payment(
        amount=amount, channel=channel, reference=reference, received_on=received_on, note=note
    )
    if account is not None and (
        account.kind != AccountKind.HOUSEHOLD or account.house_id != house.pk
    ):
        errors["account"] = _("Choose one of this house's fee accounts.")
    _raise(errors)
    existing = _recorded(company, reference, house, amount)
    if existing is not None:
        return existing
    account = lock_account((account or household_account(house, on=received_on)).pk)
    # A payment of this house under the same reference may have committed while we waited.
    existing = _recorded(company, reference, house, amount)
    if existing is not None:
        return existing
    maximum = _ceiling(balance(account), _year_ahead(house, account, received_on))
    if amount > maximum and not ceiling_checked:
        raise ValidationError({"amount": _ceiling_message(maximum)})
    payment = _payment_row(
        company=company,
        district_id=compound.district_id,
        house=house,
        account=account,
        amount=amount,
        channel=channel,
        reference=reference,
        received_on=received_on,
        note=note,
        actor=actor,
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # Another payment with this reference (for another house) committed first.
        winner = _recorded(company, reference, house, amount)
        if winner is None:
            raise
        return winner
    # The receipt number before the bills: every payment path locks the account, then the
    # company's receipt counter, then the monthly summaries (record_payments too), so two
    # payments never wait on each other's locks in a cycle.
    receipt = issue_receipt(payment)
    clearing = company_account(company, CHANNEL_ACCOUNT[Channel(channel)])
    post_entries([_payment_draft(payment, account, clearing)], actor=actor)
    allocate_credit(account=account, actor=actor, payment=payment)
    audit.record(
        actor=actor,
        action="payment.taken",
        target=payment,
        summary=f"receipt {receipt.number}: {amount} by {channel} for house {house.label}",
        changes={
            "receipt": receipt.number,
            "house": house.label,
            "amount": amount,
            "channel": channel,
            "reference": reference,
            "received_on": received_on,
            "note": note,
            "taken_by": _taken_as(actor, company),
        },
        district_id=payment.district_id,
        street_id=payment.street_id,
    )
    return receipt


# --- Many payments at once (imports, the demo) ---------------------------------------------


@dataclass(frozen=True)
class PaymentRow:
    """One payment for ``record_payments``; ``received_on`` defaults to today."""

    house: House
    amount: Decimal
    channel: str
    reference: str
    received_on: datetime.date | None = None
    note: str = ""


class PaymentRowsError(ValidationError):
    """``record_payments`` refused the batch. ``rows`` lists ``(index, field, message)`` with the
    index of the row in the list given (from 0); the messages name each row from 1."""

    def __init__(self, rows: list[tuple[int, str, str]]) -> None:
        self.rows = rows
        super().__init__(
            {
                "rows": [
                    _("Row %(row)d, %(field)s: %(message)s")
                    % {"row": index + 1, "field": field, "message": message}
                    for index, field, message in rows
                ]
            }
        )


@dataclass
class _Pending:
    """A row to write, with what the checks found."""

    index: int
    row: PaymentRow
    reference: str
    note: str
    received_on: datetime.date
    payment: Payment | None = None


@dataclass
class _Household:
    """A locked household account and its figures while the batch is applied in order."""

    account: Account
    balance: Decimal
    credit: Decimal
    open_bills: list[tuple[int, Decimal]]  # (bill id, what it still owes), oldest first


def _household_accounts(
    houses: dict[int, tuple[House, datetime.date]], districts: dict[int, int]
) -> dict[int, Account]:
    """The open account of each house (``{house id: (house, first day paid)}``; opened where
    missing, on that day), by house id, locked in the order of their ids so two batches, or a
    batch and a single payment, never wait for each other in a cycle."""
    house_ids = sorted(houses)

    def open_accounts() -> dict[int, int]:
        found: dict[int, int] = {}
        for chunk in _chunks(house_ids):
            found.update(
                Account.objects.filter(
                    kind=AccountKind.HOUSEHOLD, house_id__in=chunk, closed_on__isnull=True
                ).values_list("house_id", "pk")
            )
        return found

    found = open_accounts()
    missing = [houses[pk] for pk in house_ids if pk not in found]
    if missing:
        Account.objects.bulk_create(
            [
                Account(
                    kind=AccountKind.HOUSEHOLD,
                    house=house,
                    district_id=districts[house.compound_id],
                    street_id=house.street_id,
                    opened_on=day,
                )
                for house, day in missing
            ],
            batch_size=BULK_BATCH,
            ignore_conflicts=True,  # opened at the same moment by another payment: use it
        )
        found = open_accounts()
    accounts: dict[int, Account] = {}
    for chunk in _chunks(sorted(found.values())):
        locked = Account.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
        accounts.update((house_id, account) for account in locked if (house_id := account.house_id))
    return accounts


def _households(accounts: Iterable[Account]) -> dict[int, _Household]:
    """Each account's balance, unallocated credit and open bills (oldest first), by account id,
    read under the accounts' locks. The open bills come with their stored figures (kept equal
    to their postings by ``refresh_bills``, proven by ``ledger_check``), so the balance is what
    they still owe plus the unallocated postings, without summing every posting."""
    by_id = {account.pk: account for account in accounts}
    loose: dict[int, Decimal] = {}
    open_bills: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for chunk in _chunks(sorted(by_id)):
        loose.update(
            Posting.objects.filter(account_id__in=chunk, bill__isnull=True)
            .values("account_id")
            .annotate(total=Sum("amount"))
            .values_list("account_id", "total")
        )
        bills = (
            Bill.objects.filter(account_id__in=chunk, paid__lt=F("amount"))
            .order_by("account_id", "period", "pk")
            .values_list("pk", "account_id", "amount", "paid")
        )
        for pk, account_id, amount, paid in bills:
            open_bills[account_id].append((pk, amount - paid))
    households = {}
    for pk, account in by_id.items():
        unallocated = to_fen(loose.get(pk) or ZERO)
        owing = sum((owing for _bill, owing in open_bills[pk]), ZERO)
        households[pk] = _Household(account, owing + unallocated, -unallocated, open_bills[pk])
    return households


def _check_rows(
    company: PropertyCompany, rows: Sequence[PaymentRow], compounds: dict[int, Compound]
) -> tuple[list[_Pending], list[tuple[int, str, str]]]:
    """Each row's own fields and house: the rows that pass, and the problems."""
    today = timezone.localdate()
    pending: list[_Pending] = []
    problems: list[tuple[int, str, str]] = []
    for index, row in enumerate(rows):
        received_on = row.received_on or today
        reference, note, errors = _check_payment(
            amount=row.amount,
            channel=row.channel,
            reference=row.reference,
            received_on=received_on,
            note=row.note,
        )
        if compounds[row.house.compound_id].company_id != company.pk:
            errors["house"] = _("This house is not served by %(company)s.") % {
                "company": company.name
            }
        problems.extend((index, field, message) for field, message in errors.items())
        if not errors:
            pending.append(_Pending(index, row, reference, note, received_on))
    return pending, problems


def _split_recorded(
    company: PropertyCompany, pending: list[_Pending], problems: list[tuple[int, str, str]]
) -> tuple[list[_Pending], dict[int, Receipt], dict[int, int]]:
    """Separate the rows already recorded (their receipts, by row index) and the repeats of an
    earlier row of the batch (the earlier row's index) from the new ones."""
    references = sorted({item.reference for item in pending})
    recorded: dict[str, Payment] = {}
    for chunk in _chunks(references):
        recorded.update(
            (payment.reference, payment)
            for payment in Payment.objects.filter(
                company=company, reference__in=chunk
            ).select_related("receipt")
        )
    fresh: list[_Pending] = []
    done: dict[int, Receipt] = {}
    repeats: dict[int, int] = {}
    first: dict[str, _Pending] = {}
    for item in pending:
        house_id, amount = item.row.house.pk, item.row.amount
        earlier = recorded.get(item.reference)
        if earlier is not None:
            if _same_payment(earlier, house_id, amount):
                done[item.index] = earlier.receipt
            else:
                problems.append(
                    (
                        item.index,
                        "reference",
                        _reference_message(item.reference, earlier.receipt.number),
                    )
                )
            continue
        twin = first.get(item.reference)
        if twin is None:
            first[item.reference] = item
            fresh.append(item)
        elif twin.row.house.pk == house_id and twin.row.amount == amount:
            repeats[item.index] = twin.index
        else:
            problems.append(
                (
                    item.index,
                    "reference",
                    _("The reference %(reference)s is also on row %(row)d.")
                    % {"reference": item.reference, "row": twin.index + 1},
                )
            )
    return fresh, done, repeats


def _check_ceilings(
    fresh: list[_Pending],
    accounts: dict[int, Account],
    households: dict[int, _Household],
    problems: list[tuple[int, str, str]],
) -> None:
    """Each house's rows, in order, within what it owes plus 12 months ahead (art. 42)."""
    schemes = _Schemes({item.row.house.compound_id for item in fresh})
    taken: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for item in fresh:
        house = item.row.house
        household = households[accounts[house.pk].pk]
        maximum = _ceiling(
            household.balance - taken[house.pk], schemes.year_ahead(house, item.received_on)
        )
        if item.row.amount > maximum:
            problems.append((item.index, "amount", _ceiling_message(maximum)))
        else:
            taken[house.pk] += item.row.amount


def _allocation_drafts(
    fresh: list[_Pending], accounts: dict[int, Account], households: dict[int, _Household]
) -> tuple[list[Draft], set[int], list[tuple[Account, Payment]]]:
    """Apply each payment's money to its household's oldest open bills, payment by payment in
    row order, exactly as ``allocate_credit`` after each single payment would: the allocation
    entries, the bills they touch, and the households left for ``allocate_credit`` itself (those
    whose unallocated credit was negative before the batch: it takes paid bills back)."""
    drafts: list[Draft] = []
    touched: set[int] = set()
    irregular: dict[int, tuple[Account, Payment]] = {}
    for item in fresh:
        payment = item.payment
        assert payment is not None
        account = accounts[item.row.house.pk]
        household = households[account.pk]
        if household.credit < ZERO:
            irregular[account.pk] = (account, payment)
            continue
        household.credit += payment.amount
        lines = credit_lines(
            account,
            household.credit,
            ((BillRef(pk, account.pk), owing) for pk, owing in household.open_bills),
        )
        if not lines:
            continue
        paid = {line.bill.pk: -line.amount for line in lines if line.bill is not None}
        household.open_bills = [
            (pk, owing - paid.get(pk, ZERO))
            for pk, owing in household.open_bills
            if owing - paid.get(pk, ZERO) > ZERO
        ]
        household.credit -= sum(paid.values(), ZERO)
        touched.update(paid)
        drafts.append(
            Draft(
                kind=EntryKind.ALLOCATION,
                lines=lines,
                district_id=account.district_id,
                street_id=account.street_id,
                house_id=account.house_id,
                payment=payment,
                memo="allocation to the oldest open bills",
            )
        )
    return drafts, touched, list(irregular.values())


def _insert_payments(
    company: PropertyCompany, fresh: list[_Pending], payments: list[Payment]
) -> None:
    """Insert the batch's payments. Should another payment with one of their references (of a
    house outside this batch) have been recorded since they were checked, the batch is refused
    naming those rows: submitted again, it reports them as the references they now are."""
    try:
        with transaction.atomic():
            insert_objects(payments, PAYMENT_COLUMNS)
    except IntegrityError:
        taken: set[str] = set()
        for chunk in _chunks([item.reference for item in fresh]):
            taken.update(
                Payment.objects.filter(company=company, reference__in=chunk).values_list(
                    "reference", flat=True
                )
            )
        if not taken:
            raise
        raise PaymentRowsError(
            [
                (
                    item.index,
                    "reference",
                    _(
                        "The reference %(reference)s was recorded by another payment at the "
                        "same moment; nothing was written. Submit the rows again."
                    )
                    % {"reference": item.reference},
                )
                for item in fresh
                if item.reference in taken
            ]
        ) from None


@transaction.atomic
def record_payments(
    *, company: PropertyCompany, rows: Sequence[PaymentRow], actor: Any
) -> list[Receipt]:
    """Record many payments to ``company`` at once, all or nothing: the receipts in row order.

    A row whose reference the company already recorded (for the same house and amount), or that
    repeats an earlier row of the batch, gets that payment's receipt and credits nothing. Any
    bad row refuses the whole batch with ``PaymentRowsError`` naming every bad row, and nothing
    is written. The writes are a fixed number of bulk statements per few thousand rows; each
    payment is posted, allocated and numbered exactly as ``take_payment`` would."""
    if not _is_cashier(actor, company):
        raise PermissionDenied
    if not rows:
        return []
    compounds = Compound.objects.in_bulk({row.house.compound_id for row in rows})
    districts = {pk: compound.district_id for pk, compound in compounds.items()}
    pending, problems = _check_rows(company, rows, compounds)
    houses: dict[int, tuple[House, datetime.date]] = {}
    for item in pending:
        house, first = houses.get(item.row.house.pk, (item.row.house, item.received_on))
        houses[house.pk] = (house, min(first, item.received_on))
    # Lock first, then look for the references: a payment of these houses recorded meanwhile
    # is then seen as already recorded.
    accounts = _household_accounts(houses, districts) if houses else {}
    fresh, done, repeats = _split_recorded(company, pending, problems)
    households = _households({accounts[item.row.house.pk] for item in fresh})
    _check_ceilings(fresh, accounts, households, problems)
    if problems:
        raise PaymentRowsError(sorted(problems))
    for item in fresh:
        item.payment = _payment_row(
            company=company,
            district_id=districts[item.row.house.compound_id],
            house=item.row.house,
            account=accounts[item.row.house.pk],
            amount=item.row.amount,
            channel=item.row.channel,
            reference=item.reference,
            received_on=item.received_on,
            note=item.note,
            actor=actor,
        )
    payments = [item.payment for item in fresh if item.payment is not None]
    _insert_payments(company, fresh, payments)
    receipts = issue_receipts(company, payments)
    clearing = {
        channel: company_account(company, CHANNEL_ACCOUNT[Channel(channel)])
        for channel in {payment.channel for payment in payments}
    }
    allocations, touched, irregular = _allocation_drafts(fresh, accounts, households)
    post_entries(
        [
            _payment_draft(payment, payment.account, clearing[payment.channel])
            for payment in payments
        ]
        + allocations,
        actor=actor,
    )
    for chunk in _chunks(sorted(touched)):
        refresh_bills(chunk)
    for account, payment in irregular:
        allocate_credit(account=account, actor=actor, payment=payment)
    by_index = {item.index: receipt for item, receipt in zip(fresh, receipts, strict=True)}
    by_index.update(done)
    by_index.update((index, by_index[twin]) for index, twin in repeats.items())
    if payments:
        total = sum((payment.amount for payment in payments), ZERO)
        audit.record(
            actor=actor,
            action="payments.recorded",
            target=company,
            summary=(
                f"{len(payments)} payments of {total} recorded, receipts "
                f"{receipts[0].number} to {receipts[-1].number}"
            ),
            changes={
                "payments": len(payments),
                "total": total,
                "already_recorded": len(done) + len(repeats),
                "first_receipt": receipts[0].number,
                "last_receipt": receipts[-1].number,
            },
            district_id=company.district_id,
            street_id=company.street_id,
        )
    return [by_index[index] for index in range(len(rows))]


# --- Corrections -----------------------------------------------------------------------------


@transaction.atomic
def reverse_payment(*, payment: Payment, actor: Any, reason: str) -> JournalEntry:
    """Reverse a payment (a bounced transfer, a mistaken entry): its entry is mirrored, then the
    money it had paid is taken back from the newest paid bills. The receipt stays, shown as
    reversed; its number is never reused. A payment is reversed once."""
    if not _is_cashier(actor, payment.company):
        raise PermissionDenied
    if payment.channel == TIMEBANK_CHANNEL:
        raise ValidationError(
            {"payment": _("A time-bank discount is not money taken: it cannot be reversed here.")}
        )
    reason = _reason(reason)
    account = lock_account(payment.account_id)
    if payment_reversal(payment) is not None:
        raise ValidationError({"payment": _("This payment has already been reversed.")})
    entry = JournalEntry.objects.get(payment=payment, kind=EntryKind.PAYMENT, reverses__isnull=True)
    # The company's receipt counter before the bills, as every payment takes it: a batch moves
    # its bills' summaries in chunks, not in one key order, and must not meet a reversal doing
    # the same the other way round.
    lock_counter(payment.company)
    reversal = reverse_entry(entry=entry, actor=actor, memo=reason)
    allocate_credit(account=account, actor=actor, memo="reversed payment taken back from bills")
    audit.record(
        actor=actor,
        action="payment.reversed",
        target=payment,
        summary=f"receipt {payment.receipt.number} reversed: {reason}",
        changes={"receipt": payment.receipt.number, "amount": payment.amount, "reason": reason},
        district_id=payment.district_id,
        street_id=payment.street_id,
    )
    return reversal


@transaction.atomic
def refund_credit(
    *, house: House, amount: Decimal, channel: str, actor: Any, reason: str
) -> JournalEntry:
    """Pay back credit the house holds and no bill has taken (a prepayment), through
    ``channel``. More than the credit is refused with the credit named."""
    _compound, company = _payee(house)
    if not _is_cashier(actor, company):
        raise PermissionDenied
    errors: Errors = {}
    _amount_errors(errors, amount)
    _channel_errors(errors, channel)
    reason = _text(errors, "reason", reason, 200, required=True)
    _raise(errors)
    account = _open_account(house)
    if account is not None:
        account = lock_account(account.pk)
    credit = max(unallocated_credit(account), ZERO) if account is not None else ZERO
    if account is None or amount > credit:
        raise ValidationError(
            {
                "amount": _(
                    "At most %(credit)s may be refunded: the credit this house holds that no "
                    "bill has taken."
                )
                % {"credit": f"{credit:,.2f}"}
            }
        )
    clearing = company_account(company, CHANNEL_ACCOUNT[Channel(channel)])
    entry = post_entry(
        kind=EntryKind.REFUND,
        lines=[Line(account, amount), Line(clearing, -amount)],
        district_id=account.district_id,
        street_id=account.street_id,
        company_id=company.pk,
        house_id=house.pk,
        memo=reason,
        actor=actor,
    )
    audit.record(
        actor=actor,
        action="payment.refunded",
        target=entry,
        summary=f"{amount} of credit refunded by {channel} to house {house.label}: {reason}",
        changes={"house": house.label, "amount": amount, "channel": channel, "reason": reason},
        district_id=account.district_id,
        street_id=account.street_id,
    )
    return entry
