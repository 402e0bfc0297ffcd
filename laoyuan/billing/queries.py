"""Billing reads: the scheme in force, the public notice, a house's account, arrears and the
collection rate. Every list is a constant number of queries whatever its size (aggregates in the
database, never a query per row).

Who reads what (all through ``accounts.scoping``):

- household rows — a house's bills, payments and ledger lines, the arrears list of houses,
  paying members — only the roles in ``MONEY_ROLES`` (district, street, company, and a resident
  for their own house), through the scope rules ``billing.scoping`` registers for ``Bill``;
- figures by compound, company, street and month — the collection rate and arrears by age —
  the roles in ``COLLECTION_ROLES`` over the compounds they see: the district office over its
  district, a street office over its street, a community office over its community, a compound
  party branch and a committee over their own compound, and a company over the bills it issued.
  Grid workers, residents, inspectors and merchants read no collection figures; another scope's
  bills are in no row and no total. Collection rates sum the monthly bill summaries
  (``BillSummary``, kept in step with the bills by the services that write them) rather than a
  year of bills; arrears by age read the bills still owing;
- the public notice and the public arrears list of one compound need no login and carry no
  personal data: house numbers and months, never a name, a phone (other than the company's
  service phone) or an amount owed by a household.

A "household" in arrears is a household account: a house and the party paying for it. When a
house changes hands its old account is settled and closed, and the old debt stays with the old
party (``services.accounts.settle_account``); the arrears list and the ageing still count it, as
the company is still owed it, but the public list and the paying-member mark only look at the
house's open account, so a new occupant is never shown for a predecessor's debt.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import NOTHING, scope_for, scope_q, scoped
from laoyuan.billing import calc
from laoyuan.billing.enums import AccountKind, SchemeStatus
from laoyuan.billing.models import (
    ZERO,
    Account,
    Bill,
    BillSummary,
    FeeScheme,
    JournalEntry,
    OwingAccount,
    Payment,
    Posting,
)
from laoyuan.billing.scoping import MONEY_ROLES, _ids
from laoyuan.core.money import to_fen
from laoyuan.places.models import Compound, House

# Roles that read collection figures (by compound, company, street, month) and arrears by age.
COLLECTION_ROLES = frozenset(
    {
        Role.DISTRICT,
        Role.STREET,
        Role.COMMUNITY,
        Role.BRANCH,
        Role.COMPANY,
        Role.COMMITTEE,
    }
)
# Months overdue, oldest last; a bill of the current month is not overdue.
ARREARS_BUCKETS = ("1-3", "4-6", "7-12", "13+")
ARREARS_BUCKET_LABELS = {
    "1-3": gettext_lazy("1 to 3 months"),
    "4-6": gettext_lazy("4 to 6 months"),
    "7-12": gettext_lazy("7 to 12 months"),
    "13+": gettext_lazy("13 months or more"),
}
# The fewest and most months overdue of each bucket; the last is open-ended.
_BUCKET_MONTHS = ((1, 3), (4, 6), (7, 12), (13, None))
COLLECTION_BY = ("compound", "company", "street", "month")
# The collection rate is a fraction (0.8125 = 81.25 %), four places, half-up.
RATE_PLACES = Decimal("0.0001")
OUTSTANDING = F("amount") - F("paid")


# --- Schemes -----------------------------------------------------------------------------------


def scheme_in_force(compound_id: int, period: datetime.date) -> FeeScheme | None:
    """The compound's scheme for ``period``'s month: the newest posted one that has taken
    effect by then (latest ``effective_from``; for the same start, the one posted last)."""
    return (
        FeeScheme.objects.filter(
            compound_id=compound_id,
            status=SchemeStatus.POSTED,
            effective_from__lte=calc.month_start(period),
        )
        .order_by("-effective_from", "-posted_on", "-id")
        .first()
    )


def schemes_for(*, user: Any, compound: Compound | None = None) -> QuerySet[FeeScheme]:
    """The schemes the user sees (every status; the public notice shows only posted ones),
    newest first per compound."""
    schemes = scoped(FeeScheme.objects.select_related("compound", "company"), user)
    if compound is not None:
        schemes = schemes.filter(compound=compound)
    return schemes.order_by("compound__code", "-effective_from", "-id")


@dataclass(frozen=True)
class CostLine:
    item: str
    monthly: Decimal


@dataclass(frozen=True)
class NoticeScheme:
    """One posted scheme as the public notice shows it, with the sums residents can check.

    ``cost_per_household`` and ``cost_per_m2`` are the monthly costs divided by the compound's
    households and floor area, half-up to the fen (two places, like the rates they are compared
    with; None when the compound has no houses). The typical house is the compound's median
    house by area; for a per-household scheme ``typical_monthly`` is a twelfth of the annual fee
    to the fen (the twelve charges differ by at most a fen and sum exactly to the annual fee)."""

    scheme: FeeScheme
    in_force: bool
    costs: tuple[CostLine, ...]
    costs_total: Decimal
    households: int
    area_m2: Decimal
    cost_per_household: Decimal | None
    cost_per_m2: Decimal | None
    typical_area: Decimal | None
    typical_monthly: Decimal | None
    typical_yearly: Decimal | None

    @property
    def package(self) -> list[dict[str, str]]:
        return list(self.scheme.package)


@dataclass(frozen=True)
class PublicNotice:
    """What the no-login 公示 page shows of a compound's fees (Zhengzhou regulation art. 38:
    charging items, standards and the service, with the company's service phone)."""

    compound_id: int
    compound_name: str
    address: str
    company_name: str
    company_phone: str
    current: NoticeScheme | None
    upcoming: tuple[NoticeScheme, ...]

    @property
    def schemes(self) -> list[NoticeScheme]:
        """The scheme in force, then those posted to take effect later, soonest first."""
        return ([self.current] if self.current else []) + list(self.upcoming)


def _median_area(compound: Compound) -> Decimal | None:
    """The compound's median house area (the mean of the middle two for an even count), to the
    hundredth of a m²: one query reading at most two rows."""
    count = compound.households
    if not count:
        return None
    low, high = (count - 1) // 2, count // 2
    areas = list(
        House.objects.filter(compound=compound)
        .order_by("area", "pk")
        .values_list("area", flat=True)[low : high + 1]
    )
    if not areas:
        return None
    return to_fen(sum(areas, ZERO) / len(areas))


def _notice_scheme(
    scheme: FeeScheme, *, in_force: bool, compound: Compound, typical_area: Decimal | None
) -> NoticeScheme:
    costs = tuple(CostLine(line["item"], Decimal(line["monthly"])) for line in scheme.costs)
    total = to_fen(sum((line.monthly for line in costs), ZERO))
    households, area = compound.households, compound.area_m2
    typical_yearly = typical_monthly = None
    if typical_area is not None:
        typical_yearly = calc.yearly_amount(basis=scheme.basis, rate=scheme.rate, area=typical_area)
        typical_monthly = to_fen(typical_yearly / 12)
    return NoticeScheme(
        scheme=scheme,
        in_force=in_force,
        costs=costs,
        costs_total=total,
        households=households,
        area_m2=area,
        cost_per_household=to_fen(total / households) if households else None,
        cost_per_m2=to_fen(total / area) if area else None,
        typical_area=typical_area,
        typical_monthly=typical_monthly,
        typical_yearly=typical_yearly,
    )


def public_notice(compound: Compound, *, on: datetime.date | None = None) -> PublicNotice:
    """The compound's fee notice on ``on`` (today): the posted scheme in force and those posted
    to take effect later. Three queries; no personal data."""
    compound = Compound.objects.select_related("company").get(pk=compound.pk)
    month = calc.month_start(on or timezone.localdate())
    posted = list(
        FeeScheme.objects.filter(compound=compound, status=SchemeStatus.POSTED).order_by(
            "-effective_from", "-posted_on", "-id"
        )
    )
    later = [s for s in posted if s.effective_from > month]
    current = next((s for s in posted if s.effective_from <= month), None)
    # Two posted versions with the same start: the one posted last stands.
    upcoming: dict[datetime.date, FeeScheme] = {}
    for scheme in later:
        upcoming.setdefault(scheme.effective_from, scheme)
    typical = _median_area(compound) if posted else None
    company = compound.company
    return PublicNotice(
        compound_id=compound.pk,
        compound_name=compound.name,
        address=compound.address,
        company_name=company.name if company else "",
        company_phone=company.phone if company else "",
        current=(
            _notice_scheme(current, in_force=True, compound=compound, typical_area=typical)
            if current
            else None
        ),
        upcoming=tuple(
            _notice_scheme(s, in_force=False, compound=compound, typical_area=typical)
            for s in sorted(upcoming.values(), key=lambda s: s.effective_from)
        ),
    )


# The name in the agreed interface of the billing brief.
public_scheme = public_notice


# --- A house's account -------------------------------------------------------------------------


def money_house_or_404(user: Any, **lookup: Any) -> House:
    """A house whose money rows the user may read (``MONEY_ROLES`` over it), or 404."""
    houses = scoped(
        House.objects.select_related("building", "compound__company"), user, MONEY_ROLES
    )
    try:
        return houses.get(**lookup)
    except House.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class BillLine:
    bill_id: int
    period: datetime.date
    list_amount: Decimal
    amount: Decimal
    paid: Decimal
    trial: bool

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid


@dataclass(frozen=True)
class StatementLine:
    """One ledger transaction's effect on the account: ``amount`` adds to what is owed when
    positive and pays it when negative; ``balance`` is the account's balance after it."""

    entry_id: int
    date: datetime.date
    kind: str
    amount: Decimal
    balance: Decimal
    memo: str
    period: datetime.date | None  # the bill's month, for a charge
    receipt_number: str  # for a payment
    reversal: bool


@dataclass(frozen=True)
class PaymentLine:
    payment_id: int
    received_on: datetime.date
    amount: Decimal
    channel: str
    reference: str
    receipt_number: str
    reversed: bool


@dataclass(frozen=True)
class HouseAccount:
    """A house's open fee account (the current party's): balance (positive owed, negative in
    credit), unallocated credit, bills newest first, its statement newest first (allocations of
    credit to bills move nothing in or out and are left out) and payments newest first."""

    house_id: int
    label: str
    account_id: int | None
    opened_on: datetime.date | None
    balance: Decimal
    credit: Decimal
    bills: list[BillLine]
    postings: list[StatementLine]
    payments: list[PaymentLine]


def _open_account(house: House) -> Account | None:
    return Account.objects.filter(
        kind=AccountKind.HOUSEHOLD, house=house, closed_on__isnull=True
    ).first()


def house_account(house: House, *, account: Account | None = None) -> HouseAccount:
    """The account of ``house`` (its open one unless ``account`` is given). The caller has
    scoped the house (``money_house_or_404``). Five queries; a house never billed reads zero."""
    account = account or _open_account(house)
    if account is None:
        return HouseAccount(house.pk, house.label, None, None, ZERO, ZERO, [], [], [])
    totals = Posting.objects.filter(account=account).aggregate(
        balance=Coalesce(Sum("amount"), ZERO),
        unallocated=Coalesce(Sum("amount", filter=Q(bill__isnull=True)), ZERO),
    )
    bills = [
        BillLine(
            row["pk"], row["period"], row["list_amount"], row["amount"], row["paid"], row["trial"]
        )
        for row in Bill.objects.filter(account=account)
        .order_by("-period")
        .values("pk", "period", "list_amount", "amount", "paid", "trial")
    ]
    entries = (
        Posting.objects.filter(account=account)
        .values(
            "entry_id",
            "entry__kind",
            "entry__memo",
            "entry__created_at",
            "entry__reverses_id",
            "entry__bill__period",
            "entry__payment__received_on",
            "entry__payment__receipt__number",
        )
        .annotate(net=Sum("amount"))
        .exclude(net=0)
        .order_by("entry_id")
    )
    statement: list[StatementLine] = []
    running = ZERO
    for row in entries:
        running += row["net"]
        # A payment is dated when it was received; its reversal, when it was posted.
        received_on = None if row["entry__reverses_id"] else row["entry__payment__received_on"]
        statement.append(
            StatementLine(
                entry_id=row["entry_id"],
                date=received_on or timezone.localdate(row["entry__created_at"]),
                kind=row["entry__kind"],
                amount=row["net"],
                balance=running,
                memo=row["entry__memo"],
                period=row["entry__bill__period"],
                receipt_number=row["entry__payment__receipt__number"] or "",
                reversal=row["entry__reverses_id"] is not None,
            )
        )
    statement.reverse()
    reversed_payment = JournalEntry.objects.filter(payment=OuterRef("pk"), reverses__isnull=False)
    payments = [
        PaymentLine(
            payment_id=row["pk"],
            received_on=row["received_on"],
            amount=row["amount"],
            channel=row["channel"],
            reference=row["reference"],
            receipt_number=row["receipt__number"] or "",
            reversed=row["reversed"],
        )
        for row in Payment.objects.filter(account=account)
        .annotate(reversed=Exists(reversed_payment))
        .order_by("-received_on", "-pk")
        .values(
            "pk", "received_on", "amount", "channel", "reference", "receipt__number", "reversed"
        )
    ]
    return HouseAccount(
        house_id=house.pk,
        label=house.label,
        account_id=account.pk,
        opened_on=account.opened_on,
        balance=to_fen(totals["balance"]),
        credit=to_fen(-totals["unallocated"]),
        bills=bills,
        postings=statement,
        payments=payments,
    )


# --- Scopes of the figures ---------------------------------------------------------------------


def collection_q(user: Any) -> Q:
    """Bills counted in the user's collection figures: those of the compounds the user's
    ``COLLECTION_ROLES`` see (as ``accounts.scoping.compound_q`` reads compounds, on the bill's
    own district, street and compound keys), and a company's own bills."""
    scope = scope_for(user, COLLECTION_ROLES)
    if scope.is_empty:
        return NOTHING
    if scope.everything:
        return Q()
    return (
        _ids("district_id", scope.district)
        | _ids("street_id", scope.street)
        | _ids("compound__community_id", scope.community)
        | _ids("compound__grid_id", scope.grid)
        | _ids("compound_id", scope.compound)
        | _ids("company_id", scope.company)
    )


def _collection_bills(user: Any) -> QuerySet[Bill]:
    return Bill.objects.filter(collection_q(user))


def _collection_summaries(user: Any) -> QuerySet[BillSummary]:
    """The monthly bill summaries in the user's collection scope: the same keys as the bills,
    so ``collection_q`` narrows both alike."""
    return BillSummary.objects.filter(collection_q(user))


def _narrowed[B: (Bill, BillSummary, OwingAccount)](
    bills: QuerySet[B], *, street_id: int | None, community_id: int | None
) -> QuerySet[B]:
    """``bills`` (or their summaries) of one street and/or one community (None: any)."""
    if street_id is not None:
        bills = bills.filter(street_id=street_id)
    if community_id is not None:
        bills = bills.filter(compound__community_id=community_id)
    return bills


def latest_billed_period(user: Any) -> datetime.date | None:
    """The latest month with bills the user sees (collection figures, or their own house through
    the roles that read no collection figures). Two queries, each read off a (scope, period)
    index: one OR of both scopes joins every bill to its house, slow at scale."""
    others = frozenset(Role.values) - COLLECTION_ROLES
    found = [
        Bill.objects.filter(q).aggregate(latest=Max("period"))["latest"]
        for q in (collection_q(user), scope_q(Bill, user, others))
    ]
    return max((period for period in found if period is not None), default=None)


# --- Arrears -----------------------------------------------------------------------------------


def _overdue(bills: QuerySet[Bill], as_of: datetime.date) -> QuerySet[Bill]:
    """Bills still owing from a month before ``as_of``'s month."""
    return bills.filter(period__lt=calc.month_start(as_of), amount__gt=F("paid"))


def arrears_by_age(
    *,
    user: Any,
    as_of: datetime.date,
    street_id: int | None = None,
    community_id: int | None = None,
    compound_id: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Overdue fees by months overdue: ``{"1-3": {"households": n, "amount": Decimal}, ...}``
    in the order of ``ARREARS_BUCKETS``. Two queries.

    A bill's months overdue are the months from its period to ``as_of``'s month (a bill of
    ``as_of``'s own month is not overdue). As in an accounts-receivable ageing, each bill's
    outstanding amount counts in its own bucket, so the amounts add up to everything overdue;
    each household counts once, in the bucket of its oldest overdue bill, so the households add
    up to the number in arrears. Amounts are what is outstanding today. The amounts are summed
    from the monthly bill summaries (a bill never holds more paid than its amount, so what its
    month's bills still owe is their amount less paid), the households from the owing rows
    (each account's oldest month still owing)."""
    month = calc.month_start(as_of)
    places = {"street_id": street_id, "community_id": community_id}
    summaries = _narrowed(_collection_summaries(user).filter(period__lt=month).order_by(), **places)
    owing = _narrowed(
        OwingAccount.objects.filter(collection_q(user), oldest__lt=month).order_by(), **places
    )
    if compound_id is not None:
        summaries = summaries.filter(compound_id=compound_id)
        owing = owing.filter(compound_id=compound_id)
    amounts: dict[str, Any] = {}
    older: dict[str, Any] = {}
    for index, (fewest, most) in enumerate(_BUCKET_MONTHS):
        in_bucket = Q(period__lte=calc.add_months(month, -fewest))
        if most is not None:
            in_bucket &= Q(period__gte=calc.add_months(month, -most))
        amounts[f"amount_{index}"] = Coalesce(Sum(OUTSTANDING, filter=in_bucket), ZERO)
        # Households with an overdue bill at least this old.
        older[f"older_{index}"] = Count(
            "account", filter=Q(first__lte=calc.add_months(month, -fewest))
        )
    # Each account once, with its oldest month (an account may owe bills of two companies):
    # one grouping, then counts over it, instead of a distinct count per bucket.
    accounts = owing.values("account").annotate(first=Min("oldest"))
    row = {**summaries.aggregate(**amounts), **accounts.aggregate(**older)}
    result: dict[str, dict[str, Any]] = {}
    for index, bucket in enumerate(ARREARS_BUCKETS):
        # Households whose oldest overdue bill is in this bucket: those with one at least this
        # old, less those with one older than the bucket.
        households_older = row.get(f"older_{index + 1}", 0)
        result[bucket] = {
            "households": row[f"older_{index}"] - households_older,
            "amount": to_fen(row[f"amount_{index}"]),
        }
    return result


@dataclass(frozen=True)
class ArrearsRow:
    """One household in arrears, for the company's desk and reminders. ``settled`` marks the
    closed account of a party who has left the house."""

    house_id: int
    house_label: str
    compound_id: int
    compound_name: str
    oldest_period: datetime.date
    months: int
    bills: int
    outstanding: Decimal
    settled: bool


def arrears_list(
    *, user: Any, as_of: datetime.date, compound_id: int | None = None
) -> list[ArrearsRow]:
    """Households with overdue fees that the user's money roles see: longest overdue first,
    then by compound and house number. Two queries."""
    month = calc.month_start(as_of)
    bills = _overdue(scoped(Bill.objects.all(), user), as_of)
    if compound_id is not None:
        bills = bills.filter(compound_id=compound_id)
    rows = list(
        bills.values(
            "account_id", "account__closed_on", "house_id", "compound_id", "compound__name"
        )
        .annotate(oldest=Min("period"), owing=Sum(OUTSTANDING), bills=Count("id"))
        .order_by()
    )
    houses = House.objects.select_related("building").in_bulk({row["house_id"] for row in rows})
    result = [
        ArrearsRow(
            house_id=row["house_id"],
            house_label=houses[row["house_id"]].label,
            compound_id=row["compound_id"],
            compound_name=row["compound__name"],
            oldest_period=row["oldest"],
            months=calc.months_between(row["oldest"], month),
            bills=row["bills"],
            outstanding=to_fen(row["owing"]),
            settled=row["account__closed_on"] is not None,
        )
        for row in rows
    ]
    return sorted(
        result,
        key=lambda r: (
            r.oldest_period,
            r.compound_name,
            _house_order(houses[r.house_id]),
            r.settled,
        ),
    )


def _house_order(house: House) -> tuple[str, str, str, int]:
    return (house.building.number, house.unit, house.room, house.pk)


def public_arrears(compound: Compound, as_of: datetime.date) -> list[tuple[str, int]]:
    """The public reminder list: ``(house number, months overdue)`` for each house of the
    compound whose current account has an overdue bill, in house order. No names, no amounts.
    Two queries."""
    month = calc.month_start(as_of)
    oldest = dict(
        _overdue(Bill.objects.filter(compound=compound, account__closed_on__isnull=True), as_of)
        .order_by()
        .values("house_id")
        .annotate(oldest=Min("period"))
        .values_list("house_id", "oldest")
    )
    houses = House.objects.filter(pk__in=oldest).select_related("building")
    ordered = sorted(houses, key=_house_order)
    return [(house.label, calc.months_between(oldest[house.pk], month)) for house in ordered]


def _open_account_arrears(as_of: datetime.date) -> Exists:
    return Exists(
        _overdue(Bill.objects.filter(house=OuterRef("pk"), account__closed_on__isnull=True), as_of)
    )


def _open_account_exists() -> Exists:
    return Exists(
        Account.objects.filter(
            kind=AccountKind.HOUSEHOLD, house=OuterRef("pk"), closed_on__isnull=True
        )
    )


def paying_members(*, user: Any, as_of: datetime.date) -> QuerySet[House]:
    """Houses in the user's money scope that are paying members on ``as_of``: their current
    party has a fee account and nothing overdue on it (a house never billed is not a member:
    it has paid no fee). One query."""
    houses = scoped(House.objects.all(), user, MONEY_ROLES)
    return houses.filter(_open_account_exists()).exclude(_open_account_arrears(as_of))


def paying_member(house: House, as_of: datetime.date) -> bool:
    """Whether ``house`` is a paying member on ``as_of`` (see ``paying_members``). One query."""
    return (
        House.objects.filter(pk=house.pk)
        .filter(_open_account_exists())
        .exclude(_open_account_arrears(as_of))
        .exists()
    )


# --- Collection --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionRow:
    """Billed and paid over a period's non-trial bills; ``rate`` = paid ÷ billed to four places
    (0.8125 is 81.25 %), None when nothing was billed. Paid is what has been paid so far."""

    key: Any
    label: str
    billed: Decimal
    paid: Decimal
    rate: Decimal | None


def collection_rate(billed: Decimal, paid: Decimal) -> Decimal | None:
    if not billed:
        return None
    return (paid / billed).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def collection_sum(key: Any, label: str, rows: Iterable[CollectionRow]) -> CollectionRow:
    """One row of the sum of ``rows`` (a street's or community's compounds, say)."""
    rows = list(rows)
    billed = sum((row.billed for row in rows), ZERO)
    paid = sum((row.paid for row in rows), ZERO)
    return CollectionRow(key, label, billed, paid, collection_rate(billed, paid))


def _row(key: Any, label: str, billed: Decimal | None, paid: Decimal | None) -> CollectionRow:
    billed, paid = to_fen(billed or ZERO), to_fen(paid or ZERO)
    return CollectionRow(key, label, billed, paid, collection_rate(billed, paid))


_GROUPS = {
    "compound": ("compound_id", "compound__name"),
    "company": ("company_id", "company__name"),
    "street": ("street_id", "street__name"),
}


def collection(
    *,
    user: Any,
    period: datetime.date,
    by: str,
    street_id: int | None = None,
    community_id: int | None = None,
) -> list[CollectionRow]:
    """The collection rate of ``period``'s month by compound, company or street (sorted by
    name), or by month: the twelve months ending with ``period``, oldest first (a month with
    nothing billed has a None rate). ``street_id`` and ``community_id`` narrow the bills to one
    street or community of the user's scope. One query."""
    if by not in COLLECTION_BY:
        raise ValueError(f"collection by {by!r}: choose one of {', '.join(COLLECTION_BY)}")
    month = calc.month_start(period)
    bills = _narrowed(
        _collection_summaries(user).filter(trial=False).order_by(),
        street_id=street_id,
        community_id=community_id,
    )
    if by == "month":
        first = calc.add_months(month, -11)
        found: dict[datetime.date, tuple[Decimal | None, Decimal | None]] = {
            row["period"]: (row["billed"], row["paid"])
            for row in bills.filter(period__gte=first, period__lte=month)
            .values("period")
            .annotate(billed=Sum("amount"), paid=Sum("paid"))
        }
        months = [calc.add_months(first, n) for n in range(12)]
        return [_row(m, f"{m:%Y-%m}", *found.get(m, (None, None))) for m in months]
    key, label = _GROUPS[by]
    rows = (
        bills.filter(period=month)
        .values(key, label)
        .annotate(billed=Sum("amount"), paid=Sum("paid"))
    )
    # Sorted here, not by the database's collation, so every database lists names alike.
    return sorted(
        (_row(row[key], row[label], row["billed"], row["paid"]) for row in rows),
        key=lambda row: (row.label, row.key),
    )


def collection_total(*, user: Any, period: datetime.date) -> CollectionRow:
    """All of the user's collection scope for ``period``'s month, as one row. One query."""
    month = calc.month_start(period)
    row = (
        _collection_summaries(user)
        .filter(trial=False, period=month)
        .aggregate(billed=Sum("amount"), paid=Sum("paid"))
    )
    return _row(month, _("Total"), row["billed"], row["paid"])
