"""Who sees what: the one scoping mechanism every page, export, API view and figure uses.

A user's scope is the union of their active role assignments. ``scoped(queryset, user)`` narrows
any registered model's queryset to it; ``get_scoped_or_404`` fetches one object and answers 404
for "missing" and "not yours" alike, so another scope's objects are never even confirmed to exist.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import SCOPE_FIELDS, RoleAssignment
from laoyuan.orgs.models import AgencyBranch, Cadre, Committee, PartyOrg, Post, PropertyCompany
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import (
    Building,
    Community,
    Compound,
    District,
    Grid,
    House,
    ManagementPeriod,
    Street,
    Takeover,
)

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Scope:
    """The ids a user may see at each level, and the roles they hold there."""

    everything: bool = False
    roles: frozenset[str] = frozenset()
    district: frozenset[int] = frozenset()
    street: frozenset[int] = frozenset()
    community: frozenset[int] = frozenset()
    grid: frozenset[int] = frozenset()
    compound: frozenset[int] = frozenset()
    house: frozenset[int] = frozenset()
    company: frozenset[int] = frozenset()
    # Compounds of the user's houses (a resident sees their compound, not its other houses).
    house_compounds: frozenset[int] = field(default=frozenset())

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.roles

    def has_role(self, *roles: str) -> bool:
        return self.everything or bool(self.roles.intersection(roles))


# Roles whose work needs residents' names and households (PIPL: the minimum necessary). An
# inspector or a merchant bound to a street sees its places, not who lives there.
RESIDENT_DATA_ROLES = frozenset(
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


def _assignment_rows(user: Any) -> list[dict[str, Any]]:
    """The user's active assignments, read once per request and kept on the user object."""
    rows: list[dict[str, Any]] | None = getattr(user, "_laoyuan_assignments", None)
    if rows is None:
        rows = list(
            RoleAssignment.objects.active()
            .filter(user=user)
            .values("role", "level", *[f"{name}_id" for name in SCOPE_FIELDS], "house__compound_id")
        )
        user._laoyuan_assignments = rows
    return rows


def scope_from_assignments(rows: Iterable[dict[str, Any]]) -> Scope:
    """The union of the scopes of these assignment rows (``RoleAssignment.values()`` with the
    scope id columns and ``house__compound_id``)."""
    rows = list(rows)
    ids: dict[str, set[int]] = {name: set() for name in SCOPE_FIELDS}
    house_compounds: set[int] = set()
    for row in rows:
        ids[row["level"]].add(row[f"{row['level']}_id"])
        if row["level"] == "house" and row.get("house__compound_id") is not None:
            house_compounds.add(row["house__compound_id"])
    return Scope(
        roles=frozenset(row["role"] for row in rows),
        house_compounds=frozenset(house_compounds),
        district=frozenset(ids["district"]),
        street=frozenset(ids["street"]),
        community=frozenset(ids["community"]),
        grid=frozenset(ids["grid"]),
        compound=frozenset(ids["compound"]),
        house=frozenset(ids["house"]),
        company=frozenset(ids["company"]),
    )


def scope_for(user: Any, roles: Iterable[str] | None = None) -> Scope:
    """The user's scope: the union of their active assignments, or of those of ``roles`` only.

    Pass ``roles`` whenever an action belongs to some roles: a grid worker of street B who is
    also an inspector in street A may not reveal street A's phone numbers.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    key = None if roles is None else frozenset(roles)
    cache: dict[frozenset[str] | None, Scope] = user.__dict__.setdefault("_laoyuan_scopes", {})
    if key in cache:
        return cache[key]
    if user.is_superuser:
        scope = Scope(everything=True, roles=frozenset(Role.values if key is None else key))
    else:
        rows = _assignment_rows(user)
        scope = scope_from_assignments(row for row in rows if key is None or row["role"] in key)
    cache[key] = scope
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scopes after the user's assignments change."""
    for attribute in ("_laoyuan_scopes", "_laoyuan_assignments"):
        if hasattr(user, attribute):
            delattr(user, attribute)


def _any(*parts: Q) -> Q:
    result = NOTHING
    for part in parts:
        result |= part
    return result


def _in(path: str, ids: frozenset[int]) -> Q:
    return Q(**{f"{path}__in": ids}) if ids else NOTHING


def compound_q(scope: Scope, prefix: str = "", *, with_houses: bool = True) -> Q:
    """Compounds in scope, for a model that reaches its compound through ``prefix``."""
    if scope.everything:
        return Q()
    compounds = scope.compound | (scope.house_compounds if with_houses else frozenset())
    return _any(
        _in(f"{prefix}district_id", scope.district),
        _in(f"{prefix}street_id", scope.street),
        _in(f"{prefix}community_id", scope.community),
        _in(f"{prefix}grid_id", scope.grid),
        _in(f"{prefix}id", compounds),
        _in(f"{prefix}company_id", scope.company),
    )


def house_q(scope: Scope, prefix: str = "") -> Q:
    """Houses in scope: all houses of compounds in scope, plus a resident's own houses only."""
    if scope.everything:
        return Q()
    return compound_q(scope, f"{prefix}compound__", with_houses=False) | _in(
        f"{prefix}id", scope.house
    )


def _street_q(scope: Scope) -> Q:
    if scope.everything:
        return Q()
    return _in("district_id", scope.district) | _in("id", scope.street)


def _community_q(scope: Scope) -> Q:
    if scope.everything:
        return Q()
    return _any(
        _in("district_id", scope.district),
        _in("street_id", scope.street),
        _in("id", scope.community),
    )


def _grid_q(scope: Scope) -> Q:
    if scope.everything:
        return Q()
    return _any(
        _in("district_id", scope.district),
        _in("street_id", scope.street),
        _in("community_id", scope.community),
        _in("id", scope.grid),
    )


def _company_q(scope: Scope) -> Q:
    """Companies registered in the user's districts, owned by their streets, serving their
    compounds, or their own company."""
    if scope.everything:
        return Q()
    serving = Compound.objects.filter(compound_q(scope)).values("company_id")
    return _any(
        _in("district_id", scope.district),
        _in("id", scope.company),
        _in("street_id", scope.street),
        Q(id__in=serving),
    )


def _person_q(scope: Scope) -> Q:
    if scope.everything:
        return Q()
    living = Residency.objects.filter(house_q(scope, "house__")).values("person_id")
    return Q(id__in=living)


def _scoped_compounds(scope: Scope) -> models.QuerySet[Compound]:
    return Compound.objects.filter(compound_q(scope, with_houses=False))


def _party_q(scope: Scope) -> Q:
    """Party bodies: a street's working committee down to its central households."""
    if scope.everything:
        return Q()
    return _any(
        _in("street__district_id", scope.district),
        _in("street_id", scope.street),
        _in("community_id", scope.community),
        Q(compound__in=_scoped_compounds(scope)),
    )


def _post_q(scope: Scope) -> Q:
    """Posts in the bodies the user sees: their district's or street's, their compound's
    committees and party bodies, their own company's staff, and the staff of the companies their
    district registered. Seeing a company (it serves one of the user's compounds) does not show
    its staff working in other streets."""
    if scope.everything:
        return Q()
    compounds = _scoped_compounds(scope)
    return _any(
        _in("street__district_id", scope.district),
        _in("street_id", scope.street),
        Q(committee__compound__in=compounds),
        Q(party_org__compound__in=compounds),
        _in("company_id", scope.company),
        _in("company__district_id", scope.district),
    )


def _agency_q(scope: Scope) -> Q:
    """Agency branches of the user's district, or those sinking cadres into their grids."""
    if scope.everything:
        return Q()
    in_grids = Cadre.objects.filter(grid__in=Grid.objects.filter(_grid_q(scope))).values(
        "branch_id"
    )
    return _any(
        _in("district_id", scope.district),
        Q(id__in=in_grids) if (scope.street or scope.community or scope.grid) else NOTHING,
    )


SCOPE_RULES: dict[type[models.Model], Callable[[Scope], Q]] = {
    District: lambda s: Q() if s.everything else _in("id", s.district),
    Street: _street_q,
    Community: _community_q,
    Grid: _grid_q,
    Compound: compound_q,
    Building: lambda s: (
        compound_q(s, "compound__", with_houses=False)
        | (
            Q(id__in=House.objects.filter(id__in=s.house).values("building_id"))
            if s.house
            else NOTHING
        )
    ),
    House: house_q,
    ManagementPeriod: lambda s: compound_q(s, "compound__"),
    Takeover: lambda s: compound_q(s, "compound__"),
    Person: _person_q,
    Residency: lambda s: house_q(s, "house__"),
    PropertyCompany: _company_q,
    Committee: lambda s: compound_q(s, "compound__"),
    PartyOrg: _party_q,
    Post: _post_q,
    AgencyBranch: _agency_q,
    Cadre: lambda s: Q(grid__in=Grid.objects.filter(_grid_q(s))),
}


# Models only some roles may read, whatever their scope (see RESIDENT_DATA_ROLES).
ROLE_LIMITS: dict[type[models.Model], frozenset[str]] = {
    Person: RESIDENT_DATA_ROLES,
    Residency: RESIDENT_DATA_ROLES,
    # Signed agreements carry owners' names and signatures: the offices that manage the
    # compound read them, not a resident, an inspector or a merchant.
    Takeover: RESIDENT_DATA_ROLES - {Role.RESIDENT},
}


def scope_q(model: type[models.Model], user: Any, roles: Iterable[str] | None = None) -> Q:
    """The filter for ``model`` in the user's scope, counting only ``roles`` when given."""
    limit = ROLE_LIMITS.get(model)
    if roles is not None:
        limit = frozenset(roles) if limit is None else limit & frozenset(roles)
    scope = scope_for(user, limit)
    if scope.is_empty:
        return NOTHING
    try:
        rule = SCOPE_RULES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no scope rule in accounts.scoping") from None
    return rule(scope)


def scoped[M: models.Model](
    queryset: models.QuerySet[M], user: Any, roles: Iterable[str] | None = None
) -> models.QuerySet[M]:
    """The part of ``queryset`` the user may see (through ``roles`` only, when given). Every
    read of scoped data goes through here."""
    return queryset.filter(scope_q(queryset.model, user, roles))


def get_scoped_or_404[M: models.Model](queryset: models.QuerySet[M], user: Any, **lookup: Any) -> M:
    """One object in the user's scope, or 404 for missing and out-of-scope alike."""
    try:
        return scoped(queryset, user).get(**lookup)
    except ObjectDoesNotExist:
        raise Http404 from None
