"""The demo's money: the seed's fee schemes, a year of monthly bills and the payments of a year.

Schemes follow the seed: a street's public company charges 0.50 yuan/m²/month in large compounds
with parking (24-hour guards, full cleaning, garbage removal) and 150 / 120 / 60 yuan per household
per year in small ones (basic guard and cleaning); professional companies charge by area at their
own rates. Bills come from the real billing runs, one per month; payments go through the real bulk
payment service, so the ledger, receipts and reports are what the software itself would write.

Each compound gets a collection propensity (public compounds collect better than professional
ones, as in the seed), and each household a habit — pays the year ahead, by quarter, monthly, stops
part-way, or not at all this year — drawn from its compound's propensity, so collection rates differ
by compound and mode.
"""

import datetime
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from laoyuan.billing.calc import add_months, month_start
from laoyuan.billing.enums import Channel, SchemeBasis, SchemeStatus
from laoyuan.billing.models import (
    Bill,
    BillingRun,
    BillSummary,
    FeeScheme,
    JournalEntry,
    OwingAccount,
    Payment,
    Posting,
    Receipt,
)
from laoyuan.billing.services.payments import PaymentRow, record_payments
from laoyuan.billing.services.runs import execute_run
from laoyuan.core.money import to_fen
from laoyuan.demo.db import analyze
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.enums import ManagementMode, OpenSpace
from laoyuan.places.models import Compound, House

MONTHS = 12
# The seed's per-household tiers (元/户/年), by the compound's size.
HOUSEHOLD_TIERS = ((60, Decimal("150")), (25, Decimal("120")), (0, Decimal("60")))
PUBLIC_AREA_RATE = Decimal("0.50")
PROFESSIONAL_AREA_RATES = (Decimal("0.60"), Decimal("0.75"), Decimal("0.90"), Decimal("1.10"))
CHANNELS: tuple[str, ...] = (Channel.CASH, Channel.ONLINE, Channel.BANK, Channel.POS)
CHANNEL_WEIGHTS = (35, 35, 15, 15)
PAYMENT_BATCH = 5000
# The tables a payment writes to (or rewrites rows of).
PAYMENT_TABLES = [
    model._meta.db_table
    for model in (Payment, Receipt, JournalEntry, Posting, Bill, BillSummary, OwingAccount)
]

PACKAGE_AREA = [
    {"item": "门岗保安", "standard": "定岗保安24小时值守"},
    {"item": "保洁", "standard": "全域保洁清扫，每日两次"},
    {"item": "垃圾清运", "standard": "院内垃圾日产日清"},
    {"item": "公共设施", "standard": "照明、门禁、化粪池日常维护"},
]
PACKAGE_HOUSEHOLD = [
    {"item": "保安", "standard": "白天门岗值守，夜间巡查"},
    {"item": "保洁", "standard": "院内公共区域每日清扫"},
    {"item": "垃圾清运", "standard": "垃圾每日清运"},
]
# The cost lines and their shares of a scheme's monthly revenue (public companies: 保本微利).
COST_SHARES = [
    ("保安工资", Decimal("0.42")),
    ("保洁工资", Decimal("0.26")),
    ("垃圾清运费", Decimal("0.12")),
    ("公共水电", Decimal("0.08")),
    ("管理及耗材", Decimal("0.09")),
]


@dataclass(frozen=True)
class Habit:
    kind: str  # "annual", "half", "quarterly", "monthly", "stopped", "never"
    stop_after: int = MONTHS


def scheme_for(
    compound: Compound, *, public: bool, rng: random.Random
) -> tuple[str, Decimal, list[dict[str, str]]]:
    """The seed's scheme for a compound: basis, rate and service package."""
    large = compound.open_space != OpenSpace.SMALL and compound.parking_motor > 0
    if not public:
        return SchemeBasis.PER_AREA, rng.choice(PROFESSIONAL_AREA_RATES), PACKAGE_AREA
    if large:
        return SchemeBasis.PER_AREA, PUBLIC_AREA_RATE, PACKAGE_AREA
    rate = next(rate for at_least, rate in HOUSEHOLD_TIERS if compound.households >= at_least)
    return SchemeBasis.PER_HOUSEHOLD, rate, PACKAGE_HOUSEHOLD


def monthly_revenue(basis: str, rate: Decimal, compound: Compound) -> Decimal:
    if basis == SchemeBasis.PER_AREA:
        return to_fen(compound.area_m2 * rate)
    return to_fen(rate * compound.households / 12)


def cost_lines(revenue: Decimal, rng: random.Random) -> list[dict[str, str]]:
    """Monthly cost lines adding up to 95-103% of the revenue."""
    scale = Decimal(rng.randint(95, 103)) / 100
    return [
        {"item": item, "monthly": str(to_fen(revenue * share * scale / Decimal("0.97")))}
        for item, share in COST_SHARES
    ]


def write_schemes(
    *, seed: int, first_period: datetime.date, compounds: list[Compound]
) -> list[FeeScheme]:
    """One posted scheme per compound with a company, in force for the whole demo year."""
    rng = random.Random(f"laoyuan-demo:{seed}:schemes")
    schemes = []
    for compound in compounds:
        if compound.company_id is None:
            continue
        public = compound.management_mode == ManagementMode.PUBLIC
        basis, rate, package = scheme_for(compound, public=public, rng=rng)
        effective_from = add_months(first_period, -rng.randint(0, 24))
        posted_on = effective_from - datetime.timedelta(days=rng.randint(31, 60))
        schemes.append(
            FeeScheme(
                compound=compound,
                district_id=compound.district_id,
                street_id=compound.street_id,
                company_id=compound.company_id,
                basis=basis,
                rate=rate,
                effective_from=effective_from,
                trial_months=0,
                vacant_percent=50,
                unsold_percent=100,
                package=package,
                costs=cost_lines(monthly_revenue(basis, rate, compound), rng),
                note="经业主委员会（物业管理委员会）会签并公示" if public else "",
                status=SchemeStatus.POSTED,
                posted_on=posted_on,
            )
        )
    return FeeScheme.objects.bulk_create(schemes, batch_size=2000)


def write_bills(
    *, district_id: int, periods: list[datetime.date], progress: Callable[[str], None]
) -> int:
    """A billing run for each month, through the billing service."""
    total = 0
    for period in periods:
        run = BillingRun.objects.create(period=period, district_id=district_id)
        run = execute_run(run_id=run.pk)
        total += run.bills_created
        progress(f"  billed {period:%Y-%m}: {run.bills_created} bills")
    return total


def propensity(rng: random.Random, public: bool) -> float:
    """A compound's share of fees collected in a year."""
    if public:
        return min(0.99, max(0.72, rng.gauss(0.91, 0.05)))
    return min(0.97, max(0.50, rng.gauss(0.80, 0.09)))


def habit(rng: random.Random, collected: float) -> Habit:
    missing = 1.0 - collected
    draw = rng.random()
    if draw < missing * 0.7:
        return Habit("never")
    if draw < missing * 1.3:
        return Habit("stopped", stop_after=rng.randint(2, 9))
    return Habit(
        rng.choices(("annual", "half", "quarterly", "monthly"), weights=(25, 15, 35, 25))[0]
    )


def _day_in(month: datetime.date, rng: random.Random, today: datetime.date) -> datetime.date:
    day = month.replace(day=rng.randint(3, 25))
    return min(day, today)


def payment_plan(
    habit_: Habit,
    bills: list[tuple[datetime.date, Decimal]],
    today: datetime.date,
    rng: random.Random,
) -> list[tuple[datetime.date, Decimal]]:
    """(received on, amount) of a household's payments over its year of bills."""
    this_month = month_start(today)
    due = [(period, amount) for period, amount in bills if amount > 0]
    if habit_.kind == "never" or not due:
        return []
    if habit_.kind == "annual":
        return [(_day_in(due[0][0], rng, today), sum((a for _, a in due), Decimal("0.00")))]
    payments = []
    if habit_.kind in ("quarterly", "half"):
        size = 3 if habit_.kind == "quarterly" else 6
        for start in range(0, len(due), size):
            chunk = [bill for bill in due[start : start + size] if bill[0] < this_month]
            if chunk:
                paid_in = min(add_months(chunk[-1][0], 1), this_month)
                payments.append(
                    (_day_in(paid_in, rng, today), sum((a for _, a in chunk), Decimal("0.00")))
                )
        return payments
    limit = habit_.stop_after if habit_.kind == "stopped" else len(due)
    for period, amount in due[:limit]:
        day = period.replace(day=rng.randint(3, 25))
        if day <= today:  # this month's bill is paid only if its day has come
            payments.append((day, amount))
    return payments


def write_payments(
    *,
    seed: int,
    today: datetime.date,
    district_id: int,
    demo_house_id: int,
    actor: Any,
    progress: Callable[[str], None],
) -> int:
    """A year of payments, recorded in date order per company through the bulk service."""
    rng = random.Random(f"laoyuan-demo:{seed}:payments")
    collected = {
        pk: propensity(rng, mode == ManagementMode.PUBLIC)
        for pk, mode in Compound.objects.filter(district_id=district_id)
        .order_by("code")
        .values_list("pk", "management_mode")
    }
    # Each household's draws are seeded by its address, not its id, so the same seed gives the
    # same payments on any database (PostgreSQL does not reuse ids).
    address = {
        pk: "/".join(parts)
        for pk, *parts in House.objects.filter(compound__district_id=district_id).values_list(
            "pk", "compound__code", "building__number", "unit", "room"
        )
    }
    by_house: dict[int, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    company_of: dict[int, int] = {}
    compound_of: dict[int, int] = {}
    for house_id, compound_id, company_id, period, amount in (
        Bill.objects.filter(district_id=district_id)
        .order_by("house_id", "period")
        .values_list("house_id", "compound_id", "company_id", "period", "amount")
        .iterator(chunk_size=20000)
    ):
        by_house[house_id].append((period, amount))
        company_of[house_id] = company_id
        compound_of[house_id] = compound_id
    rows: dict[int, list[tuple[datetime.date, int, Decimal, str, str]]] = defaultdict(list)
    for house_id in sorted(by_house):
        household = random.Random(f"laoyuan-demo:{seed}:payments:{address[house_id]}")
        habit_ = habit(household, collected[compound_of[house_id]])
        if house_id == demo_house_id:
            # The demo resident pays monthly but has the last two months still open.
            habit_ = Habit("stopped", stop_after=max(1, len(by_house[house_id]) - 2))
        for n, (day, amount) in enumerate(
            payment_plan(habit_, by_house[house_id], today, household)
        ):
            channel = household.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
            rows[company_of[house_id]].append(
                (day, house_id, amount, channel, f"DEMO-{house_id}-{n + 1}")
            )
    houses = House.objects.in_bulk(list(by_house))
    companies = PropertyCompany.objects.in_bulk(list(rows))
    total = analyzed = 0
    for company_id in sorted(rows):
        company_rows = sorted(rows[company_id])
        for start in range(0, len(company_rows), PAYMENT_BATCH):
            batch = [
                PaymentRow(
                    house=houses[house_id],
                    amount=amount,
                    channel=channel,
                    reference=reference,
                    received_on=day,
                    note="",
                )
                for day, house_id, amount, channel, reference in company_rows[
                    start : start + PAYMENT_BATCH
                ]
            ]
            record_payments(company=companies[company_id], rows=batch, actor=actor)
            total += len(batch)
            if total >= max(PAYMENT_BATCH, 2 * analyzed):
                # Each time the ledger has doubled, so later batches are planned on its size.
                analyze(*PAYMENT_TABLES)
                analyzed = total
        progress(f"  payments of company {company_id}: {len(company_rows)}")
    return total


def write_billing(writer: Any) -> None:
    """The billing stages of the demo: schemes, a year of bills, a year of payments."""
    this_month = month_start(writer.today)
    periods = [add_months(this_month, -n) for n in range(MONTHS - 1, -1, -1)]
    compounds = list(Compound.objects.filter(district=writer.district).order_by("code"))
    schemes = write_schemes(seed=writer.seed, first_period=periods[0], compounds=compounds)
    writer.count("fee_schemes", len(schemes))
    writer.stage("schemes", f"{len(schemes)} fee schemes posted")
    bills = write_bills(district_id=writer.district.pk, periods=periods, progress=writer.progress)
    writer.count("bills", bills)
    writer.stage("bills", f"{bills} bills for {periods[0]:%Y-%m} to {periods[-1]:%Y-%m}")
    payments = write_payments(
        seed=writer.seed,
        today=writer.today,
        district_id=writer.district.pk,
        demo_house_id=writer.demo_house.pk,
        actor=None,
        progress=writer.progress,
    )
    writer.count("payments", payments)
    writer.stage("payments", f"{payments} payments recorded")
