"""Issuing one house's bill for one month through the ORM (the reference path).

Billing runs write the same rows set-based (``services.runs``); this function is the definition
they are tested against, and what a single late bill (a house registered after the run) uses.
"""

import datetime
from typing import Any

from django.db import IntegrityError, transaction

from laoyuan.billing import calc
from laoyuan.billing.enums import AccountKind, EntryKind
from laoyuan.billing.models import Bill, BillingRun, FeeScheme
from laoyuan.billing.services.ledger import (
    Line,
    allocate_credit,
    company_account,
    household_account,
    lock_account,
    post_entry,
    refresh_owing,
    summarise_bills,
)
from laoyuan.places.models import House


def charge_for(*, scheme: FeeScheme, house: House, period: datetime.date) -> calc.Charge:
    return calc.monthly_charge(
        basis=scheme.basis,
        rate=scheme.rate,
        area=house.area,
        period=period,
        effective_from=scheme.effective_from,
        trial_months=scheme.trial_months,
        house_status=house.status,
        vacant_percent=scheme.vacant_percent,
        unsold_percent=scheme.unsold_percent,
    )


def issue_bill(
    *,
    house: House,
    scheme: FeeScheme,
    period: datetime.date,
    run: BillingRun | None = None,
    actor: Any = None,
) -> tuple[Bill, bool]:
    """The house's bill for ``period`` under ``scheme``: ``(bill, created)``. A bill that exists
    is returned untouched, so issuing twice (or two runs at once) makes one bill. Prepaid credit on
    the account is applied to the new bill at once."""
    period = calc.month_start(period)
    existing = Bill.objects.filter(house=house, period=period).first()
    if existing is not None:
        return existing, False
    charge = charge_for(scheme=scheme, house=house, period=period)
    try:
        with transaction.atomic():
            account = lock_account(household_account(house, on=period).pk)
            bill = Bill.objects.create(
                house=house,
                account=account,
                compound_id=house.compound_id,
                district_id=scheme.district_id,
                street_id=house.street_id,
                company_id=scheme.company_id,
                scheme=scheme,
                run=run,
                period=period,
                list_amount=charge.list_amount,
                amount=charge.amount,
                trial=charge.trial,
                house_status=house.status,
            )
            summarise_bills("id = %s", [bill.pk])
            if charge.amount:
                post_entry(
                    kind=EntryKind.CHARGE,
                    lines=[
                        Line(account, charge.amount, bill),
                        Line(company_account(scheme.company, AccountKind.INCOME), -charge.amount),
                    ],
                    district_id=scheme.district_id,
                    street_id=house.street_id,
                    company_id=scheme.company_id,
                    house_id=house.pk,
                    bill=bill,
                    run=run,
                    memo=f"{period:%Y-%m}",
                    actor=actor,
                )
                allocate_credit(account=account, actor=actor)
            refresh_owing("SELECT id FROM billing_account WHERE id = %s", [account.pk])
    except IntegrityError:
        # Another run issued this bill between our check and our insert.
        return Bill.objects.get(house=house, period=period), False
    bill.refresh_from_db()
    return bill, True
