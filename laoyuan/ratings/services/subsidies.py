"""Subsidies earned by the star rating (分3年…给予不超过0.3元/平/月的补贴).

Each month a renovated compound with a final rating earns the rate for its stars × its total
floor area, for 36 months counted from the month of its first final rating of one star or more
(that month is month 1). The stars are those of its latest final rating by the month's end; a
vetoed or no-star result earns nothing that month, and the 36 months run on regardless.

A run computes a month's subsidies for a district; the district's office approves it, which posts
one ledger entry per compound from the district's subsidy fund to the compound's manager (its
company's subsidy income, or the committee's account of an owner-managed compound), or cancels
it. A compound is paid at most once a month: a second run of a month computes only compounds it
has not paid yet, so rerunning posts nothing new.

The district pays money into the subsidy fund from its budget; approval is refused when the fund
holds less than the run's total.
"""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.billing import calc
from laoyuan.billing.enums import AccountKind, EntryKind
from laoyuan.billing.models import Account
from laoyuan.billing.services.ledger import (
    Draft,
    Line,
    balance,
    company_account,
    compound_account,
    district_account,
    lock_account,
    post_entries,
)
from laoyuan.core import audit
from laoyuan.core.money import to_fen
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound, District
from laoyuan.ratings.enums import (
    SUBSIDY_CAP_PER_M2,
    SUBSIDY_MONTHS,
    EvaluationState,
    SubsidyRunStatus,
    SubsidyState,
)
from laoyuan.ratings.models import Evaluation, Subsidy, SubsidyRate, SubsidyRun
from laoyuan.ratings.scoping import require_district_office
from laoyuan.ratings.services import transfers
from laoyuan.ratings.services.parsing import parse_amount

CAP = Decimal(SUBSIDY_CAP_PER_M2)
# Compounds whose manager is a company: the company's subsidy income is paid.
COMPANY_MODES = frozenset(
    {ManagementMode.PROFESSIONAL, ManagementMode.PUBLIC, ManagementMode.OWNER_UNIT}
)


def parse_month(value: Any, field: str = "period") -> datetime.date:
    try:
        return calc.parse_period(str(value or "").strip())
    except ValueError:
        raise ValidationError({field: _("Enter a month as YYYY-MM, such as 2026-11.")}) from None


def month_end(period: datetime.date) -> datetime.date:
    return calc.add_months(period, 1) - datetime.timedelta(days=1)


# --- Rates ---------------------------------------------------------------------------------------


def rates_on(district_id: int, day: datetime.date) -> dict[int, Decimal]:
    """The table in force on ``day``: stars → yuan per m² per month (stars with no rate: none)."""
    start = (
        SubsidyRate.objects.filter(district_id=district_id, effective_from__lte=day)
        .order_by("-effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    if start is None:
        return {}
    return dict(
        SubsidyRate.objects.filter(district_id=district_id, effective_from=start).values_list(
            "stars", "yuan_per_m2"
        )
    )


@transaction.atomic
def set_rates(
    *, actor: Any, district: District, effective_from: Any, rates: dict[int, Any]
) -> list[SubsidyRate]:
    """A new rate table from the first of a month on: yuan per m² per month for each star level,
    0.00 to 0.30, not falling as the stars rise."""
    require_district_office(actor, district.pk)
    start = parse_month(effective_from, "effective_from")
    errors: dict[str, str] = {}
    values: dict[int, Decimal] = {}
    for stars in range(1, 6):
        raw = rates.get(stars, "")
        field = f"stars_{stars}"
        try:
            value = Decimal(str(raw).strip())
        except (InvalidOperation, ValueError):
            errors[field] = _("Enter a rate in yuan per m² per month.")
            continue
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            errors[field] = _("Enter a rate with at most two decimal places.")
        elif not Decimal(0) <= value <= CAP:
            errors[field] = _("Enter a rate from 0.00 to %(cap)s yuan.") % {"cap": CAP}
        else:
            values[stars] = value
    for stars in range(2, 6):
        if stars in values and stars - 1 in values and values[stars] < values[stars - 1]:
            errors[f"stars_{stars}"] = _("More stars may not earn less than fewer stars.")
    if SubsidyRate.objects.filter(district=district, effective_from=start).exists():
        errors["effective_from"] = _("A table already takes effect on %(day)s.") % {"day": start}
    if errors:
        raise ValidationError(errors)
    rows = SubsidyRate.objects.bulk_create(
        SubsidyRate(
            district=district,
            effective_from=start,
            stars=stars,
            yuan_per_m2=value,
            created_by=actor,
        )
        for stars, value in sorted(values.items())
    )
    audit.record(
        actor=actor,
        action="ratings.subsidy_rates",
        target=rows[0],
        summary=f"subsidy rates from {start}: "
        + ", ".join(f"{stars}★ {value}" for stars, value in sorted(values.items())),
        changes={str(stars): value for stars, value in values.items()},
        district_id=district.pk,
    )
    return rows


# --- The fund ------------------------------------------------------------------------------------


def fund_left(district_id: int) -> Decimal:
    """What the district's subsidy fund holds (its credit balance)."""
    account = Account.objects.filter(kind=AccountKind.SUBSIDY_FUND, district_id=district_id).first()
    return -balance(account) if account else Decimal("0.00")


@transaction.atomic
def pay_into_fund(*, actor: Any, district: District, amount: Any, reference: Any) -> Any:
    """The district's budget pays into its subsidy fund (budget debited, fund credited)."""
    require_district_office(actor, district.pk)
    amount = parse_amount(amount)
    reference = transfers.clean_reference(reference)
    entry, new = transfers.from_budget(
        actor=actor,
        fund=district_account(district.pk, AccountKind.SUBSIDY_FUND),
        amount=amount,
        reference=reference,
        key=f"SF-{reference}",
        memo=f"subsidy fund {reference}",
        district_id=district.pk,
    )
    if not new:
        return entry
    audit.record(
        actor=actor,
        action="ratings.subsidy_fund",
        target=entry,
        summary=f"{amount} yuan into the subsidy fund ({reference})",
        changes={"amount": amount, "reference": reference},
        district_id=district.pk,
    )
    return entry


# --- Runs ----------------------------------------------------------------------------------------


def first_qualifying(compound_ids: list[int], by: datetime.date) -> dict[int, Evaluation]:
    """Each compound's first final rating of one star or more, final by ``by``."""
    found: dict[int, Evaluation] = {}
    for evaluation in Evaluation.objects.filter(
        compound_id__in=compound_ids,
        state=EvaluationState.FINAL,
        stars__gte=1,
        final_on__lte=by,
    ).order_by("compound_id", "final_on", "id"):
        found.setdefault(evaluation.compound_id, evaluation)
    return found


def latest_final(compound_ids: list[int], by: datetime.date) -> dict[int, Evaluation]:
    """Each compound's latest final rating (any stars), final by ``by``."""
    found: dict[int, Evaluation] = {}
    for evaluation in Evaluation.objects.filter(
        compound_id__in=compound_ids, state=EvaluationState.FINAL, final_on__lte=by
    ).order_by("compound_id", "-final_on", "-id"):
        found.setdefault(evaluation.compound_id, evaluation)
    return found


def payee(compound: Compound) -> Account | None:
    """Who a compound's subsidy is paid to: its company, or its committee when owner-managed."""
    if compound.management_mode in COMPANY_MODES and compound.company is not None:
        return company_account(compound.company, AccountKind.SUBSIDY_INCOME)
    if compound.management_mode == ManagementMode.OWNER_SELF:
        return compound_account(compound, AccountKind.COMMITTEE)
    return None


def earned(
    compound: Compound,
    period: datetime.date,
    *,
    first: Evaluation | None,
    latest: Evaluation | None,
    rates: dict[int, Decimal],
) -> tuple[int, int, Decimal, Decimal] | None:
    """(month of 36, stars, rate, amount) the compound earns in ``period``, or None."""
    if not compound.renovated or first is None or latest is None or first.final_on is None:
        return None
    month = calc.months_between(first.final_on, period) + 1
    if not 1 <= month <= SUBSIDY_MONTHS:
        return None
    stars = latest.stars or 0
    rate = min(rates.get(stars, Decimal("0.00")), CAP)
    if stars == 0 or rate <= 0:
        return None
    amount = to_fen(compound.area_m2 * rate)
    if amount <= 0:
        return None
    return month, stars, rate, amount


@transaction.atomic
def compute(
    *, district: District, period: Any, actor: Any = None, command: bool = False
) -> SubsidyRun | None:
    """Compute ``period``'s subsidies for the district's compounds not yet paid for it. None when
    there is nothing new to pay. Refused while another run of the month waits for approval."""
    if not command:
        require_district_office(actor, district.pk)
    month = parse_month(period) if not isinstance(period, datetime.date) else period
    # The district's subsidy fund is locked so one computation (or approval) of the district runs
    # at a time: two at once would both find the month unpaid.
    lock_account(district_account(district.pk, AccountKind.SUBSIDY_FUND).pk)
    if SubsidyRun.objects.filter(
        district=district, period=month, status=SubsidyRunStatus.COMPUTED
    ).exists():
        raise ValidationError(
            {
                "period": _("A run of %(month)s waits for approval: approve or cancel it first.")
                % {"month": f"{month:%Y-%m}"}
            }
        )
    end = month_end(month)
    rates = rates_on(district.pk, month)
    paid = set(
        Subsidy.objects.filter(period=month, district=district)
        .exclude(state=SubsidyState.CANCELLED)
        .values_list("compound_id", flat=True)
    )
    compounds = list(
        Compound.objects.filter(district=district, renovated=True)
        .exclude(pk__in=paid)
        .select_related("company")
        .order_by("id")
    )
    ids = [compound.pk for compound in compounds]
    firsts = first_qualifying(ids, end)
    latests = latest_final(ids, end)
    lines: list[Subsidy] = []
    for compound in compounds:
        figures = earned(
            compound,
            month,
            first=firsts.get(compound.pk),
            latest=latests.get(compound.pk),
            rates=rates,
        )
        if figures is None:
            continue
        account = payee(compound)
        if account is None:
            continue
        number, stars, rate, amount = figures
        lines.append(
            Subsidy(
                compound=compound,
                district_id=compound.district_id,
                street_id=compound.street_id,
                community_id=compound.community_id,
                period=month,
                evaluation=latests[compound.pk],
                month=number,
                area_m2=compound.area_m2,
                stars=stars,
                rate=rate,
                amount=amount,
                payee=account,
            )
        )
    if not lines:
        return None
    run = SubsidyRun.objects.create(
        district=district,
        period=month,
        compounds=len(lines),
        amount=sum((line.amount for line in lines), Decimal("0.00")),
        computed_by=actor if getattr(actor, "pk", None) else None,
    )
    for line in lines:
        line.run = run
    Subsidy.objects.bulk_create(lines, batch_size=500)
    audit.record(
        actor=actor,
        action="ratings.subsidy_run",
        target=run,
        summary=f"subsidies of {month:%Y-%m} computed: {run.compounds} compounds, {run.amount}",
        changes={"compounds": run.compounds, "amount": run.amount},
        district_id=district.pk,
    )
    return run


def _lock_run(run: SubsidyRun) -> SubsidyRun:
    run = SubsidyRun.objects.select_for_update().get(pk=run.pk)
    if run.status != SubsidyRunStatus.COMPUTED:
        raise ValidationError(
            {"run": _("This run was already %(status)s.") % {"status": run.get_status_display()}}
        )
    return run


@transaction.atomic
def approve(*, actor: Any, run: SubsidyRun) -> SubsidyRun:
    """The district approves the run: one entry per compound, the subsidy fund debited and the
    manager credited. Refused when the fund holds less than the run's total."""
    require_district_office(actor, run.district_id)
    run = _lock_run(run)
    fund = district_account(run.district_id, AccountKind.SUBSIDY_FUND)
    lock_account(fund.pk)
    left = -balance(fund)
    if left < run.amount:
        raise ValidationError(
            {
                "run": _("The subsidy fund holds %(left)s yuan, less than the run's %(amount)s.")
                % {"left": left, "amount": run.amount}
            }
        )
    lines = list(run.subsidies.select_related("compound").order_by("id"))
    drafts = [
        Draft(
            kind=EntryKind.SUBSIDY,
            lines=[Line(fund, line.amount), Line(line.payee, -line.amount)],
            district_id=run.district_id,
            street_id=line.street_id,
            company_id=line.payee.company_id,
            reference=f"SUB-{line.pk}",
            memo=f"{line.compound.name} {line.period:%Y-%m}: {line.stars}★ "
            f"{line.area_m2} m² × {line.rate}",
        )
        for line in lines
    ]
    entry_ids = post_entries(drafts, actor=actor)
    for line, entry_id in zip(lines, entry_ids, strict=True):
        line.entry_id = entry_id
        line.state = SubsidyState.POSTED
    Subsidy.objects.bulk_update(lines, ["entry", "state"], batch_size=500)
    run.status, run.approved_by, run.approved_at = (
        SubsidyRunStatus.POSTED,
        actor,
        timezone.now(),
    )
    run.save(update_fields=["status", "approved_by", "approved_at"])
    audit.record(
        actor=actor,
        action="ratings.subsidy_approved",
        target=run,
        summary=f"subsidies of {run.period:%Y-%m} approved and posted: {run.amount}",
        changes={"compounds": run.compounds, "amount": run.amount},
        district_id=run.district_id,
    )
    return run


@transaction.atomic
def cancel(*, actor: Any, run: SubsidyRun, reason: Any) -> SubsidyRun:
    """Discard a computed run (nothing was posted); the month may be computed again."""
    require_district_office(actor, run.district_id)
    run = _lock_run(run)
    text = str(reason or "").strip()
    if not text or len(text) > 300:
        raise ValidationError({"reason": _("Say why the run is cancelled (at most 300).")})
    run.subsidies.update(state=SubsidyState.CANCELLED)
    run.status = SubsidyRunStatus.CANCELLED
    run.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="ratings.subsidy_cancelled",
        target=run,
        summary=f"subsidy run of {run.period:%Y-%m} cancelled: {text}",
        changes={"reason": text},
        district_id=run.district_id,
    )
    return run


def month_total(
    district_id: int | None, period: datetime.date, where: Q | None = None
) -> tuple[Decimal, int]:
    """Posted subsidies of a month: (amount, compounds)."""
    rows = Subsidy.objects.filter(period=period, state=SubsidyState.POSTED)
    if district_id is not None:
        rows = rows.filter(district_id=district_id)
    if where is not None:
        rows = rows.filter(where)
    figures = rows.aggregate(total=Sum("amount"))
    return to_fen(figures["total"] or Decimal("0.00")), rows.count()
