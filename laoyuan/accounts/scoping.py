"""Who sees what: the one scoping mechanism every page, export, API view and figure uses.

A user's scope is the union of their active role assignments. ``scoped(queryset, user)`` narrows
any registered model's queryset to it; ``get_scoped_or_404`` fetches one object and answers 404
for "missing" and "not yours" alike, so another scope's objects are never even confirmed to exist.
"""

from collections.abc import Callable
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


def scope_for(user: Any) -> Scope:
    """The user's scope, computed once per request and kept on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    cached = getattr(user, "_laoyuan_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True, roles=frozenset(Role.values))
    else:
        rows = list(
            RoleAssignment.objects.active()
            .filter(user=user)
            .values("role", "level", *[f"{name}_id" for name in SCOPE_FIELDS])
        )
        ids: dict[str, set[int]] = {name: set() for name in SCOPE_FIELDS}
        for row in rows:
            ids[row["level"]].add(row[f"{row['level']}_id"])
        house_compounds = set(
            House.objects.filter(id__in=ids["house"]).values_list("compound_id", flat=True)
        )
        scope = Scope(
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
    user._laoyuan_scope = scope
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope after the user's assignments change."""
    if hasattr(user, "_laoyuan_scope"):
        del user._laoyuan_scope


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
    if scope.everything or scope.district:
        return Q()
    serving = Compound.objects.filter(compound_q(scope)).values("company_id")
    return _any(_in("id", scope.company), _in("street_id", scope.street), Q(id__in=serving))


def _person_q(scope: Scope) -> Q:
    if scope.everything:
        return Q()
    living = Residency.objects.filter(house_q(scope, "house__")).values("person_id")
    return Q(id__in=living)


def _party_q(scope: Scope) -> Q:
    """Party bodies: a street's working committee down to its central households."""
    if scope.everything or scope.district:
        return Q()
    return _any(
        _in("street_id", scope.street),
        _in("community_id", scope.community),
        Q(compound__in=Compound.objects.filter(compound_q(scope, with_houses=False))),
    )


def _agency_q(scope: Scope) -> Q:
    if scope.everything or scope.district:
        return Q()
    in_grids = Cadre.objects.filter(grid__in=Grid.objects.filter(_grid_q(scope))).values(
        "branch_id"
    )
    return Q(id__in=in_grids) if (scope.street or scope.community or scope.grid) else NOTHING


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
    Post: lambda s: Q() if s.everything or s.district else _in("street_id", s.street),
    AgencyBranch: _agency_q,
    Cadre: lambda s: Q(grid__in=Grid.objects.filter(_grid_q(s))),
}


def scope_q(model: type[models.Model], user: Any) -> Q:
    scope = scope_for(user)
    if scope.is_empty:
        return NOTHING
    try:
        rule = SCOPE_RULES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no scope rule in accounts.scoping") from None
    return rule(scope)


def scoped[M: models.Model](queryset: models.QuerySet[M], user: Any) -> models.QuerySet[M]:
    """The part of ``queryset`` the user may see. Every read of scoped data goes through here."""
    return queryset.filter(scope_q(queryset.model, user))


def get_scoped_or_404[M: models.Model](queryset: models.QuerySet[M], user: Any, **lookup: Any) -> M:
    """One object in the user's scope, or 404 for missing and out-of-scope alike."""
    try:
        return scoped(queryset, user).get(**lookup)
    except ObjectDoesNotExist:
        raise Http404 from None
