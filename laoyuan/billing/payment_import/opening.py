"""Importing the arrears a company inherits at a takeover (compound code, house number, amount,
note): one opening bill and entry per house.

The opening bill is the house's bill for the month before the company took the compound over,
under the company's first posted scheme for it, charged by an ``opening`` entry (+amount on the
household account with the bill, −amount on the company's ``opening`` account; ``ledger.
bill_figures`` counts opening entries in a bill's amount) with the reference ``OPENING-<house
id>``. Being the oldest bill, it is settled first by payments and ages in the arrears report like
any unpaid month; it is told apart from monthly bills by its opening entry (and its period, before
the takeover). Importing again writes nothing twice."""

import datetime
from dataclasses import dataclass
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from laoyuan.billing import calc
from laoyuan.billing.enums import AccountKind, EntryKind, SchemeStatus
from laoyuan.billing.models import ZERO, Account, Bill, FeeScheme, Posting
from laoyuan.billing.payment_import.sheet import (
    COMPOUND,
    HOUSE,
    NOTE,
    Checker,
    PaymentImportResult,
    Row,
    begin,
    changed_meanwhile,
    finish,
    record_import,
    require_company_staff,
)
from laoyuan.billing.services.ledger import (
    Draft,
    Line,
    allocate_credit,
    company_account,
    post_entries,
    refresh_bills,
    refresh_owing,
    summarise_bills,
)
from laoyuan.imports.columns import Column, SheetSpec
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import ManagementPeriod

OPENING_BALANCES = SheetSpec(
    key="opening_balances",
    title="期初欠费",
    english="Opening balances",
    aliases=("欠费", "期初余额"),
    columns=(
        COMPOUND,
        HOUSE,
        Column(
            "amount",
            "欠费金额",
            "amount",
            True,
            gettext_lazy("Arrears inherited at the takeover, in yuan, e.g. 1036.80."),
            "1036.80",
            ("金额", "期初欠费", "arrears", "opening balance"),
        ),
        NOTE,
    ),
)


def opening_reference(house_id: int) -> str:
    """The idempotency reference of a house's opening entry."""
    return f"OPENING-{house_id}"


# Opening balances ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Opening:
    """Where a compound's opening bills go: the month before the takeover, its first scheme."""

    period: datetime.date
    takeover: datetime.date
    scheme: FeeScheme | None


def _openings(company: PropertyCompany, compound_ids: set[int]) -> dict[int, _Opening]:
    """Per compound: the month before the company's current management period began, and the
    company's first posted scheme for it (None when it has posted none)."""
    started = dict(
        ManagementPeriod.objects.filter(
            compound_id__in=compound_ids, company=company, ended_on__isnull=True
        ).values_list("compound_id", "started_on")
    )
    schemes: dict[int, FeeScheme] = {}
    for scheme in FeeScheme.objects.filter(
        compound_id__in=compound_ids, company=company, status=SchemeStatus.POSTED
    ).order_by("-effective_from", "-id"):
        schemes[scheme.compound_id] = scheme  # the earliest is written last and wins
    return {
        compound_id: _Opening(
            period=calc.add_months(calc.month_start(on), -1),
            takeover=on,
            scheme=schemes.get(compound_id),
        )
        for compound_id, on in started.items()
    }


def import_opening_balances(
    *, company: PropertyCompany, upload: IO[bytes], actor: Any
) -> PaymentImportResult:
    """Write the arrears inherited at a takeover, one opening bill and entry per house, all or
    none. A house whose opening balance is already recorded with the same amount is counted as
    ``already_recorded``; with another amount it is an error (correct it at the desk)."""
    require_company_staff(actor, company)
    begun = begin(upload, OPENING_BALANCES, company)
    if isinstance(begun, PaymentImportResult):
        return begun
    checker, rows, result = begun
    new, openings = _check_openings(checker, rows, result)
    if checker.errors or not new:
        return finish(checker, result)
    try:
        with transaction.atomic():
            created = _write_openings(company=company, rows=new, openings=openings, actor=actor)
            record_import(
                actor=actor,
                company=company,
                action="opening_balances.imported",
                summary=_("%(count)s opening balances imported from %(file)s"),
                upload=upload,
                result=result,
                created=created,
                total=sum((row.amount or ZERO for row in new), ZERO),
            )
    except IntegrityError:
        checker.file_errors.append(changed_meanwhile())
    else:
        result.created = created
    return finish(checker, result)


def _check_openings(
    checker: Checker, rows: list[Row], result: PaymentImportResult
) -> tuple[list[Row], dict[int, _Opening]]:
    """Check every row; count the houses already recorded; the new rows to write."""
    company = checker.company
    for row in rows:
        row.amount = checker.amount(row.cells)
        row.note = row.cells.text("note", max_length=200)
    checker.resolve_houses(rows)
    houses = [row.house for row in rows if row.house is not None]
    openings = _openings(company, {house.compound_id for house in houses})
    recorded = dict(
        Posting.objects.filter(
            entry__company=company,
            entry__kind=EntryKind.OPENING,
            entry__reverses__isnull=True,
            entry__reference__in=[opening_reference(house.pk) for house in houses],
            account__kind=AccountKind.HOUSEHOLD,
        ).values_list("entry__house_id", "amount")
    )
    taken = set(
        Bill.objects.filter(
            house__in=houses, period__in={opening.period for opening in openings.values()}
        ).values_list("house_id", "period")
    )
    first_row: dict[int, int] = {}
    new: list[Row] = []
    for row in rows:
        house, cells = row.house, row.cells
        if house is None:
            continue
        if house.pk in first_row:
            cells.error("house", _("The same house as row %(row)s.") % {"row": first_row[house.pk]})
            continue
        first_row[house.pk] = row.number
        opening = openings.get(house.compound_id)
        if opening is None:
            cells.error(
                "compound",
                _("The takeover of this compound by %(company)s is not recorded.")
                % {"company": company},
            )
        elif opening.scheme is None:
            cells.error(
                "compound",
                _("Post the compound's fee scheme before importing its opening balances."),
            )
        elif row.amount is None:
            continue
        elif house.pk in recorded:
            if recorded[house.pk] == row.amount:
                result.already_recorded += 1
            else:
                cells.error(
                    "amount",
                    _("An opening balance of %(amount)s is already recorded for this house.")
                    % {"amount": recorded[house.pk]},
                )
        elif (house.pk, opening.period) in taken:
            cells.error(
                "house",
                _(
                    "This house already has a bill for %(period)s, the month before the "
                    "takeover on %(takeover)s: its arrears are in the books already."
                )
                % {"period": f"{opening.period:%Y-%m}", "takeover": opening.takeover.isoformat()},
            )
        elif not cells.bad:
            new.append(row)
    return new, openings


def _write_openings(
    *, company: PropertyCompany, rows: list[Row], openings: dict[int, _Opening], actor: Any
) -> int:
    """One opening bill and entry per row, with the households' open accounts locked (opened
    on the opening month where a house has none yet)."""
    houses = {row.house.pk: row.house for row in rows if row.house is not None}
    accounts = {
        account.house_id: account
        for account in Account.objects.select_for_update().filter(
            kind=AccountKind.HOUSEHOLD, house_id__in=houses, closed_on__isnull=True
        )
    }
    created = Account.objects.bulk_create(
        [
            Account(
                kind=AccountKind.HOUSEHOLD,
                district_id=company.district_id,
                street_id=house.street_id,
                house=house,
                opened_on=openings[house.compound_id].period,
            )
            for house_id, house in houses.items()
            if house_id not in accounts
        ]
    )
    accounts.update((account.house_id, account) for account in created if account.house_id)
    bills: list[Bill] = []
    for row in rows:
        house, amount = row.house, row.amount
        assert house is not None and amount is not None
        scheme = openings[house.compound_id].scheme
        assert scheme is not None
        bills.append(
            Bill(
                house=house,
                account=accounts[house.pk],
                compound_id=house.compound_id,
                district_id=scheme.district_id,
                street_id=house.street_id,
                company=company,
                scheme=scheme,
                period=openings[house.compound_id].period,
                list_amount=amount,
                amount=amount,
                trial=False,
                house_status=house.status,
            )
        )
    bills = Bill.objects.bulk_create(bills)
    ids = [bill.pk for bill in bills]
    for start in range(0, len(ids), 2000):
        part = ids[start : start + 2000]
        summarise_bills(f"id IN ({', '.join(['%s'] * len(part))})", part)
        refresh_owing(
            f"SELECT account_id FROM billing_bill WHERE id IN ({', '.join(['%s'] * len(part))})",
            part,
        )
    opening_account = company_account(company, AccountKind.OPENING)
    post_entries(
        [
            Draft(
                kind=EntryKind.OPENING,
                lines=[
                    Line(accounts[bill.house_id], bill.amount, bill),
                    Line(opening_account, -bill.amount),
                ],
                district_id=bill.district_id,
                street_id=bill.street_id,
                company_id=company.pk,
                house_id=bill.house_id,
                bill=bill,
                reference=opening_reference(bill.house_id),
                memo=" · ".join(filter(None, ["arrears inherited at the takeover", row.note])),
            )
            for bill, row in zip(bills, rows, strict=True)
        ],
        actor=actor,
    )
    refresh_bills(bill.pk for bill in bills)
    # Credit an account already holds (a prepayment) settles the inherited arrears at once.
    with_credit = (
        Posting.objects.filter(account__in=list(accounts.values()), bill__isnull=True)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .filter(total__lt=0)
        .values_list("account_id", flat=True)
    )
    for account in Account.objects.filter(pk__in=list(with_credit)):
        allocate_credit(account=account, actor=actor)
    return len(bills)
