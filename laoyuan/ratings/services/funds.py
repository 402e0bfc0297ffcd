"""The long-term management fund (长效物业管理基金) of each compound, and the profit return
(利润返还) into it.

The district pays into a compound's fund from its budget. At year end, a public company returns a
share of its surplus on a compound to that compound's fund: the surplus is the compound's income
for the year (its fees charged and its subsidies paid) less the costs the company declared for it;
the share is the district's rule in force at the year's end. Nothing is returned on a loss. Each
return is posted once per compound, company and year, with the figures it was computed from.
"""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.billing.enums import AccountKind, EntryKind
from laoyuan.billing.models import JournalEntry, Posting
from laoyuan.billing.services.ledger import (
    Line,
    balance,
    company_account,
    compound_account,
    lock_account,
    post_entry,
)
from laoyuan.core import audit
from laoyuan.core.money import to_fen
from laoyuan.orgs.enums import CompanyKind
from laoyuan.places.models import Compound, District
from laoyuan.ratings.enums import SubsidyState
from laoyuan.ratings.models import CostStatement, FundRule, ProfitReturn, Subsidy
from laoyuan.ratings.scoping import require_district_office
from laoyuan.ratings.services import transfers
from laoyuan.ratings.services.parsing import parse_amount, parse_year

ZERO = Decimal("0.00")


def ended_year(value: Any) -> int:
    """A year that has ended: costs and the surplus of a year still running are not known, and
    a return posted early would block the real one."""
    number = parse_year(value)
    if number >= timezone.localdate().year:
        raise ValidationError(
            {"year": _("%(year)s has not ended yet: choose a past year.") % {"year": number}}
        )
    return number


def fund_balance(compound: Compound) -> Decimal:
    """What the compound's long-term fund holds (its credit balance)."""
    return -balance(compound_account(compound, AccountKind.LONGTERM_FUND))


def rule_on(district_id: int, day: datetime.date) -> FundRule | None:
    return (
        FundRule.objects.filter(district_id=district_id, effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )


@transaction.atomic
def set_rule(
    *, actor: Any, district: District, effective_from: datetime.date, profit_share: Any, note: Any
) -> FundRule:
    """A new fund rule from a day on: the share (0 to 1) of a public company's surplus returned."""
    require_district_office(actor, district.pk)
    try:
        share = Decimal(str(profit_share).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"profit_share": _("Enter a share from 0 to 1.")}) from None
    if (
        not share.is_finite()
        or not Decimal(0) <= share <= Decimal(1)
        or share != share.quantize(Decimal("0.01"))
    ):
        raise ValidationError(
            {"profit_share": _("Enter a share from 0 to 1, with at most two decimals.")}
        )
    if FundRule.objects.filter(district=district, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": _("A rule already takes effect on that day.")})
    rule = FundRule.objects.create(
        district=district,
        effective_from=effective_from,
        profit_share=share,
        note=str(note or "").strip()[:2000],
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="ratings.fund_rule",
        target=rule,
        summary=f"fund rule from {effective_from}: {share} of the surplus returned",
        changes={"profit_share": share},
        district_id=district.pk,
    )
    return rule


@transaction.atomic
def pay_in(*, actor: Any, compound: Compound, amount: Any, reference: Any) -> JournalEntry:
    """The district pays into a compound's long-term fund from its budget (idempotent by
    reference)."""
    require_district_office(actor, compound.district_id)
    amount = parse_amount(amount, "amount")
    reference = transfers.clean_reference(reference)
    entry, new = transfers.from_budget(
        actor=actor,
        fund=compound_account(compound, AccountKind.LONGTERM_FUND),
        amount=amount,
        reference=reference,
        key=f"LF-{reference}",
        memo=f"long-term fund of {compound.name}",
        district_id=compound.district_id,
        street_id=compound.street_id,
    )
    if not new:
        return entry
    audit.record(
        actor=actor,
        action="ratings.fund_paid_in",
        target=entry,
        summary=f"{amount} yuan into the long-term fund of {compound.name} ({reference})",
        changes={"amount": amount, "reference": reference},
        district_id=compound.district_id,
        street_id=compound.street_id,
    )
    return entry


@transaction.atomic
def declare_costs(
    *, actor: Any, compound: Compound, year: Any, amount: Any, note: Any = ""
) -> CostStatement:
    """The managing company declares its costs on a compound for a year that has ended; it may
    declare again to correct them until the year's profit return is done."""
    compound = Compound.objects.select_related("company").get(pk=compound.pk)
    company = compound.company
    if company is None or company.pk not in scope_for(actor, {Role.COMPANY}).company:
        raise PermissionDenied
    number = ended_year(year)
    value = parse_amount(amount, "amount", zero=True)
    if ProfitReturn.objects.filter(compound=compound, company=company, year=number).exists():
        raise ValidationError(
            {"year": _("The profit return for %(year)s is done.") % {"year": number}}
        )
    statement, _created = CostStatement.objects.update_or_create(
        compound=compound,
        company=company,
        year=number,
        defaults={
            "district_id": compound.district_id,
            "street_id": compound.street_id,
            "community_id": compound.community_id,
            "amount": value,
            "note": str(note or "").strip()[:300],
            "declared_by": actor,
        },
    )
    audit.record(
        actor=actor,
        action="ratings.costs",
        target=statement,
        summary=f"costs of {compound.name} in {number}: {value}",
        changes={"amount": value},
        district_id=compound.district_id,
        street_id=compound.street_id,
    )
    return statement


def income(compound: Compound, company_id: int, year: int) -> Decimal:
    """The company's income on the compound in ``year``: the fees charged to its households (net
    of corrections) and the subsidies paid for it."""
    fees = (
        Posting.objects.filter(
            account__kind=AccountKind.INCOME,
            account__company_id=company_id,
            entry__kind=EntryKind.CHARGE,
            entry__bill__compound_id=compound.pk,
            entry__bill__period__year=year,
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    paid = (
        Subsidy.objects.filter(
            compound=compound,
            period__year=year,
            state=SubsidyState.POSTED,
            payee__company_id=company_id,
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    return to_fen(-fees + paid)


@transaction.atomic
def return_profit(*, actor: Any, compound: Compound, year: Any) -> ProfitReturn:
    """Year-end profit return of the compound's public company into its long-term fund."""
    compound = Compound.objects.select_related("company").get(pk=compound.pk)
    require_district_office(actor, compound.district_id)
    number = ended_year(year)
    company = compound.company
    if company is None or company.kind != CompanyKind.PUBLIC:
        raise ValidationError({"compound": _("Only a public company's surplus is returned.")})
    rule = rule_on(compound.district_id, datetime.date(number, 12, 31))
    if rule is None:
        raise ValidationError(
            {"year": _("No fund rule is in force for %(year)s.") % {"year": number}}
        )
    costs = CostStatement.objects.filter(compound=compound, company=company, year=number).first()
    if costs is None:
        raise ValidationError(
            {"year": _("The company has not declared its costs for %(year)s.") % {"year": number}}
        )
    # The fund's lock makes one return at a time for the compound.
    fund = compound_account(compound, AccountKind.LONGTERM_FUND)
    lock_account(fund.pk)
    if ProfitReturn.objects.filter(compound=compound, company=company, year=number).exists():
        raise ValidationError(
            {"year": _("The profit return for %(year)s is done.") % {"year": number}}
        )
    earned = income(compound, company.pk, number)
    surplus = earned - costs.amount
    amount = to_fen(max(surplus, ZERO) * rule.profit_share)
    entry = None
    if amount > 0:
        source = company_account(company, AccountKind.INCOME)
        entry = post_entry(
            kind=EntryKind.PROFIT_RETURN,
            lines=[Line(source, amount), Line(fund, -amount)],
            district_id=compound.district_id,
            street_id=compound.street_id,
            company_id=company.pk,
            reference=f"PR-{compound.pk}-{number}",
            memo=f"profit return {number}: {rule.profit_share} of {surplus}",
            actor=actor,
        )
    try:
        with transaction.atomic():
            row = ProfitReturn.objects.create(
                compound=compound,
                district_id=compound.district_id,
                street_id=compound.street_id,
                community_id=compound.community_id,
                company=company,
                year=number,
                income=earned,
                costs=costs.amount,
                surplus=surplus,
                share=rule.profit_share,
                amount=amount,
                entry=entry,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"year": _("The profit return for %(year)s is done.") % {"year": number}}
        ) from None
    audit.record(
        actor=actor,
        action="ratings.profit_return",
        target=row,
        summary=f"{compound.name} {number}: income {earned}, costs {costs.amount}, "
        f"surplus {surplus}, {amount} returned",
        changes={"income": earned, "costs": costs.amount, "surplus": surplus, "amount": amount},
        district_id=compound.district_id,
        street_id=compound.street_id,
    )
    return row


def due_returns(district_id: int, year: int) -> list[Compound]:
    """Compounds whose public company declared its costs for ``year`` and whose profit return
    for it is not done yet."""
    done = ProfitReturn.objects.filter(district_id=district_id, year=year).values("compound_id")
    return list(
        Compound.objects.filter(
            district_id=district_id,
            company__kind=CompanyKind.PUBLIC,
            pk__in=CostStatement.objects.filter(
                district_id=district_id, year=year, company_id=F("compound__company_id")
            ).values("compound_id"),
        )
        .exclude(pk__in=done)
        .select_related("company")
        .order_by("code")
    )


@transaction.atomic
def return_profits(*, actor: Any, district: District, year: Any) -> list[ProfitReturn]:
    """The year-end profit return of every compound due (``due_returns``), all or none: a
    compound refused stops the batch, names the compound, and nothing is posted."""
    require_district_office(actor, district.pk)
    number = ended_year(year)
    if rule_on(district.pk, datetime.date(number, 12, 31)) is None:
        raise ValidationError(
            {"year": _("No fund rule is in force for %(year)s.") % {"year": number}}
        )
    made = []
    for compound in due_returns(district.pk, number):
        try:
            made.append(return_profit(actor=actor, compound=compound, year=number))
        except ValidationError as error:
            reasons = "; ".join(str(m) for m in error.messages)
            raise ValidationError(
                {
                    "year": _("%(compound)s: %(reasons)s Nothing was returned.")
                    % {"compound": compound.name, "reasons": reasons}
                }
            ) from None
    return made
