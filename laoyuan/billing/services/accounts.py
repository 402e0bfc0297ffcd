"""Household accounts when the party paying changes: the old account is settled, a new one opens.

A house's fees are owed by whoever owned or occupied it at the time. When that changes,
``settle_account`` closes the open household account on the day of the change — its bills, its
balance and any arrears stay on it, with the old party — and opens a clean account for the new
holder. Bills issued afterwards go to the new account (``ledger.household_account`` answers the
open one). The closed account stays visible and payable: a payment of the old party's arrears is
taken with ``payments.take_payment(..., account=<the closed account>)`` and is allocated to that
account's bills only; a payment without ``account`` goes to the open account.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.billing.enums import AccountKind
from laoyuan.billing.models import Account, Bill
from laoyuan.billing.services.ledger import balance
from laoyuan.core import audit
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import House


def acts_for_company(actor: Any, company_id: int | None) -> bool:
    """The actor holds the company role of this company (its cashiers and managers)."""
    scope = scope_for(actor, [Role.COMPANY])
    return company_id is not None and (scope.everything or company_id in scope.company)


def reaches_house(actor: Any, house: House, roles: Iterable[str]) -> bool:
    """Whether the actor, through one of ``roles``, has the house in scope (the one scoping
    mechanism: a company its compounds' houses, a street its houses, a resident their own)."""
    return scoped(House.objects.filter(pk=house.pk), actor, roles).exists()


# Who settles a house's account: the company serving it, or the street office.
SETTLING_ROLES = (Role.COMPANY, Role.STREET)


@transaction.atomic
def settle_account(
    *, house: House, holder: Person | None, on: datetime.date, actor: Any
) -> Account:
    """Close the house's open household account on ``on`` and open a clean one for ``holder``
    (None: the new party is not registered yet). Returns the new account.

    The old account keeps its bills, balance and unallocated credit (its holder's money, returned
    with a refund on that account). Refused, with nothing written: a day in the future, a day
    before the open account was opened, an open account holding bills for months after the
    change (correct those first), or a holder not registered at the house."""
    if not reaches_house(actor, house, SETTLING_ROLES):
        raise PermissionDenied
    today = timezone.localdate()
    if on > today:
        raise ValidationError({"on": _("The change of holder cannot be dated in the future.")})
    if holder is not None and not Residency.objects.filter(person=holder, house=house).exists():
        raise ValidationError(
            {"holder": _("Register this person at house %(house)s first.") % {"house": house}}
        )
    old = (
        Account.objects.select_for_update()
        .filter(kind=AccountKind.HOUSEHOLD, house=house, closed_on__isnull=True)
        .first()
    )
    owed = None
    if old is not None:
        if on < old.opened_on:
            raise ValidationError(
                {
                    "on": _(
                        "The open account of house %(house)s was opened on %(opened)s; the "
                        "change cannot be dated before that."
                    )
                    % {"house": house, "opened": old.opened_on.isoformat()}
                }
            )
        later = Bill.objects.filter(account=old, period__gte=on).order_by("period").first()
        if later is not None:
            raise ValidationError(
                {
                    "on": _(
                        "The open account already holds the bill for %(period)s, a month that "
                        "starts on or after the change; correct that bill before settling."
                    )
                    % {"period": f"{later.period:%Y-%m}"}
                }
            )
        owed = balance(old)
        old.closed_on = on
        old.save(update_fields=["closed_on"])
    new = Account.objects.create(
        kind=AccountKind.HOUSEHOLD,
        district_id=house.compound.district_id,
        street_id=house.street_id,
        house=house,
        holder=holder,
        opened_on=on,
    )
    audit.record(
        actor=actor,
        action="account.settled",
        target=new,
        summary=_("Account of house %(house)s settled on %(on)s; a new account opened")
        % {"house": house, "on": on.isoformat()},
        changes={
            "house": house.pk,
            "closed_account": old.pk if old else None,
            "closed_balance": str(owed) if owed is not None else None,
            "new_account": new.pk,
            "holder": holder.pk if holder else None,
        },
        district_id=house.compound.district_id,
        street_id=house.street_id,
    )
    return new
