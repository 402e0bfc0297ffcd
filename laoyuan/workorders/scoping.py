"""Work orders in the one scoping mechanism (``accounts.scoping``), and the hands of the five
steps: which role, in which scope, may act on an order.

Offices see the orders of the places they cover; a company sees the orders of the compounds it
manages and the orders dispatched to it; a resident sees their household's orders only, never a
neighbour's. Inspectors and merchants see none (the texts are residents' affairs).
"""

from typing import Any

from django.db.models import Model, Q

from laoyuan.accounts import scoping
from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import NOTHING, Scope, scope_for

ORDER_ROLES = frozenset(
    {
        Role.DISTRICT,
        Role.STREET,
        Role.COMMUNITY,
        Role.GRID,
        Role.BRANCH,
        Role.COMPANY,
        Role.COMMITTEE,
        Role.RESIDENT,
    }
)
# Roles that may take an order on a resident's behalf (phone, service centre, grid, meeting).
INTAKE_ROLES = frozenset(
    {Role.STREET, Role.COMMUNITY, Role.GRID, Role.BRANCH, Role.COMPANY, Role.COMMITTEE}
)


def _ids(path: str, ids: frozenset[int]) -> Q:
    return Q(**{f"{path}__in": ids}) if ids else NOTHING


def _managed_q(prefix: str, companies: frozenset[int]) -> Q:
    """The orders of compounds a company manages, but not the complaints there (those go to
    the mediation station and are often about the company): a company sees a complaint only
    when it is dispatched to it. Subqueries on the order's own columns, so the database can
    combine indexes instead of joining."""
    from laoyuan.places.models import Compound
    from laoyuan.workorders.enums import CategoryKind
    from laoyuan.workorders.models import Category

    if not companies:
        return NOTHING
    managed = Compound.objects.filter(company_id__in=companies).values("id")
    complaints = Category.objects.filter(kind=CategoryKind.COMPLAINT).values("id")
    return Q(**{f"{prefix}compound_id__in": managed}) & ~Q(
        **{f"{prefix}category_id__in": complaints}
    )


def order_q(scope: Scope, prefix: str = "") -> Q:
    if scope.everything:
        return Q()
    return (
        _ids(f"{prefix}district_id", scope.district)
        | _ids(f"{prefix}street_id", scope.street)
        | _ids(f"{prefix}community_id", scope.community)
        | _ids(f"{prefix}grid_id", scope.grid)
        | _ids(f"{prefix}compound_id", scope.compound)
        | _managed_q(prefix, scope.company)
        | _ids(f"{prefix}company_id", scope.company)
        | _ids(f"{prefix}house_id", scope.house)
    )


def place_covers(
    scope: Scope,
    *,
    district_id: int,
    street_id: int,
    community_id: int,
    grid_id: int,
    compound_id: int,
) -> bool:
    """Whether ``scope`` covers a compound's place (its district, street, community, grid or
    the compound itself); the company and house parts of a scope are not places."""
    return scope.everything or bool(
        district_id in scope.district
        or street_id in scope.street
        or community_id in scope.community
        or grid_id in scope.grid
        or compound_id in scope.compound
    )


def order_place_covers(scope: Scope, order: Any) -> bool:
    """``place_covers`` for an order's copies of its compound's place ids."""
    return place_covers(
        scope,
        district_id=order.district_id,
        street_id=order.street_id,
        community_id=order.community_id,
        grid_id=order.grid_id,
        compound_id=order.compound_id,
    )


def covers(scope: Scope, order: Any) -> bool:
    """Whether ``scope`` covers the order's place (the Python twin of ``order_q``, for one order
    already in hand). A company covers what it was dispatched."""
    return bool(
        order_place_covers(scope, order)
        or (order.company_id is not None and order.company_id in scope.company)
        or order.house_id in scope.house
    )


def holds(user: Any, role: str, order: Any) -> bool:
    """Whether the user holds ``role`` in a scope covering the order."""
    return covers(scope_for(user, {role}), order)


def register() -> None:
    from laoyuan.workorders.models import Event, Photo, ProblemList, Team, WorkOrder

    scoping.SCOPE_RULES.update(
        {
            WorkOrder: order_q,
            Event: lambda s: order_q(s, "order__"),
            Photo: lambda s: order_q(s, "order__"),
            ProblemList: lambda s: scoping.compound_q(s, "compound__", with_houses=False),
            Team: lambda s: (
                Q()
                if s.everything
                else _ids("district_id", s.district)
                | _ids("street_id", s.street)
                | _ids("community_id", s.community)
                | _ids("company_id", s.company)
            ),
        }
    )
    limited: tuple[type[Model], ...] = (WorkOrder, Event, Photo)
    for model in limited:
        scoping.ROLE_LIMITS[model] = ORDER_ROLES
    scoping.ROLE_LIMITS[ProblemList] = ORDER_ROLES - {Role.RESIDENT}
