"""Ratings in the one scoping mechanism (``accounts.scoping``).

Evaluations: the offices by place, inspectors by the district or street they inspect, the roles
bound to a compound (branch, committee, grid) by compound, a company for the compounds it was
rated on, and a compound's residents once the result is published. Subsidies: the offices by
place, the compound's roles, and the company paid. Subsidy runs: the district's office. Merchants
see none of it. Standards are public.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from laoyuan.accounts import scoping
from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import NOTHING, Scope
from laoyuan.ratings.enums import EvaluationState

# Results a compound's residents see: published for objections, or final.
PUBLIC_STATES = (EvaluationState.PUBLISHED, EvaluationState.FINAL)
RATING_ROLES = frozenset(set(Role.values) - {Role.MERCHANT})
# Roles that read the rankings of compounds by stars (district-wide and by street).
RANKING_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.INSPECTOR})
SUBSIDY_ROLES = frozenset(
    {
        Role.DISTRICT,
        Role.STREET,
        Role.COMMUNITY,
        Role.GRID,
        Role.BRANCH,
        Role.COMMITTEE,
        Role.COMPANY,
    }
)


def is_district_office(user: Any, district_id: int) -> bool:
    """Whether ``user`` acts for the district's office (the standard, subsidies and funds)."""
    scope = scoping.scope_for(user, {Role.DISTRICT})
    return scope.everything or district_id in scope.district


def require_district_office(user: Any, district_id: int) -> None:
    if not is_district_office(user, district_id):
        raise PermissionDenied


def _ids(path: str, ids: frozenset[int]) -> Q:
    return Q(**{f"{path}__in": ids}) if ids else NOTHING


def _grid_compounds(scope: Scope) -> Q:
    from laoyuan.places.models import Compound

    if not scope.grid:
        return NOTHING
    return Q(compound_id__in=Compound.objects.filter(grid_id__in=scope.grid).values("id"))


def placed_q(scope: Scope, company_path: str) -> Q:
    """Rows of a compound by its place, its compound roles and the company."""
    if scope.everything:
        return Q()
    return (
        _ids("district_id", scope.district)
        | _ids("street_id", scope.street)
        | _ids("community_id", scope.community)
        | _ids("compound_id", scope.compound)
        | _grid_compounds(scope)
        | _ids(company_path, scope.company)
    )


def evaluation_q(scope: Scope) -> Q:
    q = placed_q(scope, "company_id")
    if scope.house_compounds and not scope.everything:
        q |= Q(compound_id__in=scope.house_compounds, state__in=PUBLIC_STATES)
    return q


def subsidy_q(scope: Scope) -> Q:
    return placed_q(scope, "payee__company_id")


def run_q(scope: Scope) -> Q:
    if scope.everything:
        return Q()
    return _ids("district_id", scope.district)


def register() -> None:
    from laoyuan.ratings.models import Evaluation, Subsidy, SubsidyRun

    scoping.SCOPE_RULES.update({Evaluation: evaluation_q, Subsidy: subsidy_q, SubsidyRun: run_q})
    scoping.ROLE_LIMITS[Evaluation] = RATING_ROLES
    scoping.ROLE_LIMITS[Subsidy] = SUBSIDY_ROLES
    scoping.ROLE_LIMITS[SubsidyRun] = frozenset({Role.DISTRICT})
