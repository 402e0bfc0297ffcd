"""Funded discounts (the time bank's fee offset) and the pools that fund them.

A pool is named money set aside to pay discounts: a community's welfare funds, a merchant's
sponsorship. It holds two ledger accounts (``POOL_ACCOUNT_KINDS``): its fund, credited by each
contribution and debited by each discount, and its source, debited by what the funder put in.
What is left to grant is the fund's credit balance, and a discount may never take it below zero.

A discount is recorded as a payment of ``TIMEBANK_CHANNEL`` so that it pays the household's oldest
bills like any payment and has a numbered receipt that names it; its entry is a ``discount``
(the pool's fund debited, the household credited), never money taken, so no day close counts it
and no cashier can reverse it.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from laoyuan.billing.enums import TIMEBANK_CHANNEL, AccountKind, EntryKind
from laoyuan.billing.models import ZERO, Account, JournalEntry, Receipt
from laoyuan.billing.services.ledger import (
    LedgerError,
    Line,
    allocate_credit,
    balance,
    household_account,
    lock_account,
    post_entry,
)
from laoyuan.billing.services.payments import _payee, _payment_row
from laoyuan.billing.services.receipts import issue_receipt
from laoyuan.core.money import to_fen
from laoyuan.places.models import House


def open_pool_accounts(
    *, name: str, district_id: int, street_id: int | None, on: datetime.date | None = None
) -> tuple[Account, Account]:
    """A new pool's fund and source accounts."""
    on = on or timezone.localdate()
    fund = Account.objects.create(
        kind=AccountKind.TIMEBANK_FUND,
        district_id=district_id,
        street_id=street_id,
        name=name[:100],
        opened_on=on,
    )
    source = Account.objects.create(
        kind=AccountKind.SPONSOR,
        district_id=district_id,
        street_id=street_id,
        name=name[:100],
        opened_on=on,
    )
    return fund, source


def fund_left(fund: Account | int) -> Decimal:
    """What the pool can still grant: its fund's credit balance."""
    return -balance(fund)


def post_contribution(
    *, fund: Account, source: Account, amount: Decimal, reference: str, memo: str, actor: Any
) -> JournalEntry:
    """Money put into a pool: its source debited, its fund credited. Call inside the caller's
    transaction."""
    if fund.kind != AccountKind.TIMEBANK_FUND or source.kind != AccountKind.SPONSOR:
        raise LedgerError("a contribution moves a pool's source into its fund")
    if amount <= ZERO or to_fen(amount) != amount:
        raise LedgerError(f"{amount} is not a positive amount in fen")
    return post_entry(
        kind=EntryKind.FUNDING,
        lines=[Line(source, amount), Line(fund, -amount)],
        district_id=fund.district_id,
        street_id=fund.street_id,
        reference=reference,
        memo=memo,
        actor=actor,
    )


@transaction.atomic
def grant_discount(
    *,
    house: House,
    amount: Decimal,
    fund: Account,
    reference: str,
    actor: Any,
    note: str = "",
    on: datetime.date | None = None,
) -> Receipt:
    """Pay ``amount`` of the house's fee account from the pool's ``fund`` and issue the receipt.

    The caller checks its own rules first (the time bank's cap and hours); this refuses with
    LedgerError, writing nothing, a discount above what the household owes or what the pool has
    left. Locks the household's account, then the fund, then the company's receipt counter, and
    only then the bills' monthly summaries (the order every payment takes)."""
    compound, company = _payee(house)
    if amount <= ZERO or to_fen(amount) != amount:
        raise LedgerError(f"{amount} is not a positive amount in fen")
    on = on or timezone.localdate()
    account = lock_account(household_account(house, on=on).pk)
    fund = lock_account(fund.pk)
    if fund.kind != AccountKind.TIMEBANK_FUND:
        raise LedgerError("a discount is paid from a pool's fund")
    if amount > balance(account):
        raise LedgerError("a discount may not exceed what the household owes")
    if amount > fund_left(fund):
        raise LedgerError("a discount may not exceed what the pool has left")
    payment = _payment_row(
        company=company,
        district_id=compound.district_id,
        house=house,
        account=account,
        amount=amount,
        channel=TIMEBANK_CHANNEL,
        reference=reference,
        received_on=on,
        note=note[:200],
        actor=actor,
    )
    payment.save()
    receipt = issue_receipt(payment)
    post_entry(
        kind=EntryKind.DISCOUNT,
        lines=[Line(fund, amount), Line(account, -amount)],
        district_id=payment.district_id,
        street_id=payment.street_id,
        company_id=company.pk,
        house_id=house.pk,
        payment=payment,
        memo=f"{TIMEBANK_CHANNEL} {reference}",
        actor=actor,
    )
    allocate_credit(account=account, actor=actor, payment=payment)
    return receipt
