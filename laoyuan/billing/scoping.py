"""Billing's rules in the one scoping mechanism (``accounts.scoping``).

A household's bills, payments and receipts are personal data: the offices that manage money
(district, street, the company) and the household itself read them. Collection figures by
compound are not personal and follow the compound's scope.
"""

from django.db.models import Model, Q

from laoyuan.accounts import scoping
from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import NOTHING, Scope, compound_q, house_q

# Roles that read a household's money rows (bills, payments, receipts, its ledger account).
MONEY_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMPANY, Role.RESIDENT})
# Roles that run billing and take payments: their own company, or the street for its companies.
CASHIER_ROLES = frozenset({Role.COMPANY})
BILLING_MANAGER_ROLES = frozenset({Role.COMPANY, Role.STREET})


def _ids(path: str, ids: frozenset[int]) -> Q:
    return Q(**{f"{path}__in": ids}) if ids else NOTHING


def household_money_q(scope: Scope, account: str | None = "account__") -> Q:
    """Rows of a house's money: the offices see them by the house's compound (and a company the
    rows it issued, after the compound has moved to another company); a resident sees only the
    rows of their house's open account, never an earlier owner's or occupant's (``account`` is the
    path to the row's fee account; None for rows without one)."""
    if scope.everything:
        return Q()
    own = _ids("house_id", scope.house)
    if account is not None and scope.house:
        own &= Q(**{f"{account}closed_on__isnull": True})
    return (
        compound_q(scope, "house__compound__", with_houses=False)
        | _ids("company_id", scope.company)
        | own
    )


def office_q(scope: Scope) -> Q:
    """Billing runs: the company itself, the street (its own street's runs, and the runs of the
    public companies it owns), and the district."""
    if scope.everything:
        return Q()
    return (
        _ids("district_id", scope.district)
        | _ids("street_id", scope.street)
        | _ids("company__street_id", scope.street)
        | _ids("company_id", scope.company)
    )


def _day_close_q(scope: Scope) -> Q:
    """A cashier's day closes: the company, the street owning it, its district."""
    if scope.everything:
        return Q()
    return (
        _ids("company_id", scope.company)
        | _ids("company__street_id", scope.street)
        | _ids("company__district_id", scope.district)
    )


def _account_q(scope: Scope) -> Q:
    if scope.everything:
        return Q()
    return (
        house_q(scope, "house__")
        | _ids("company_id", scope.company)
        | _ids("district_id", scope.district)
    )


def register() -> None:
    from laoyuan.billing.models import (
        Account,
        Bill,
        BillingRun,
        DayClose,
        FeeScheme,
        JournalEntry,
        OnlineOrder,
        Payment,
        Receipt,
    )

    scoping.SCOPE_RULES.update(
        {
            FeeScheme: lambda s: compound_q(s, "compound__"),
            Bill: household_money_q,
            Payment: household_money_q,
            Receipt: lambda s: household_money_q(s, "payment__account__"),
            OnlineOrder: lambda s: household_money_q(s, None),
            JournalEntry: _account_q,
            Account: _account_q,
            BillingRun: office_q,
            DayClose: _day_close_q,
        }
    )
    money_models: tuple[type[Model], ...] = (
        Bill,
        Payment,
        Receipt,
        OnlineOrder,
        JournalEntry,
        Account,
    )
    for model in money_models:
        scoping.ROLE_LIMITS[model] = MONEY_ROLES
    office_models: tuple[type[Model], ...] = (BillingRun, DayClose)
    for model in office_models:
        scoping.ROLE_LIMITS[model] = MONEY_ROLES - {Role.RESIDENT}
