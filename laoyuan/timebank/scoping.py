"""The time bank in the one scoping mechanism (``accounts.scoping``), and who may act.

Offices see the time bank of the places they cover. Organisations, posts and activities are a
community's notice board: the roles bound to a compound (branch, committee, grid) and residents
see those of their compounds' communities. Volunteers, claims, redemptions and donations are
residents' affairs: offices by place, a resident by household only. Property companies,
inspectors and merchants see none of it (a company sees the discount on its receipts, in billing).
"""

from typing import Any

from django.db.models import Q

from laoyuan.accounts import scoping
from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import NOTHING, Scope, scope_for

TIMEBANK_ROLES = frozenset(
    {
        Role.DISTRICT,
        Role.STREET,
        Role.COMMUNITY,
        Role.GRID,
        Role.BRANCH,
        Role.COMMITTEE,
        Role.RESIDENT,
    }
)
# Roles that verify claims and act for residents (claim, redeem, donate on their behalf).
STAFF_ROLES = frozenset({Role.COMMUNITY})
# Roles that manage organisations, posts, activities and pools.
MANAGER_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY})
# Roles that read the reports.
REPORT_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY})


def _ids(path: str, ids: frozenset[int]) -> Q:
    return Q(**{f"{path}__in": ids}) if ids else NOTHING


def _grid_compounds(scope: Scope) -> Any:
    from laoyuan.places.models import Compound

    return Compound.objects.filter(grid_id__in=scope.grid).values("id")


def _compound_communities(scope: Scope) -> Any:
    """The communities of the compounds the user is bound to (a branch's, a committee's, a grid
    worker's, a resident's)."""
    from laoyuan.places.models import Compound

    compounds = scope.compound | scope.house_compounds
    where = _ids("id", compounds) | _ids("grid_id", scope.grid)
    return Compound.objects.filter(where).values("community_id")


def office_q(scope: Scope, prefix: str = "") -> Q:
    """Rows by the offices' places: district, street, community."""
    return (
        _ids(f"{prefix}district_id", scope.district)
        | _ids(f"{prefix}street_id", scope.street)
        | _ids(f"{prefix}community_id", scope.community)
    )


def board_q(scope: Scope, prefix: str = "") -> Q:
    """A community's notice board: organisations, posts, activities."""
    if scope.everything:
        return Q()
    q = office_q(scope, prefix)
    if scope.compound or scope.house_compounds or scope.grid:
        q |= Q(**{f"{prefix}community_id__in": _compound_communities(scope)})
    return q


def personal_q(scope: Scope, prefix: str = "", house: str = "house_id") -> Q:
    """A resident's rows: offices by place, compounds' roles by compound, a resident by house."""
    if scope.everything:
        return Q()
    q = office_q(scope, prefix) | _ids(f"{prefix}compound_id", scope.compound)
    if scope.grid:
        q |= Q(**{f"{prefix}compound_id__in": _grid_compounds(scope)})
    return q | _ids(f"{prefix}{house}", scope.house)


def donation_q(scope: Scope) -> Q:
    """A gift of hours is seen by the offices of the giver's place, by the roles bound to either
    household's compound, and by both households."""
    if scope.everything:
        return Q()
    q = office_q(scope)
    for side in ("from_house", "to_house"):
        q |= _ids(f"{side}__compound_id", scope.compound) | _ids(f"{side}_id", scope.house)
        if scope.grid:
            q |= Q(**{f"{side}__compound_id__in": _grid_compounds(scope)})
    return q


def pool_q(scope: Scope) -> Q:
    """Pools serving the user's places: a district-wide pool is seen by every office of the
    district, a street's pool by the street and its communities."""
    from laoyuan.places.models import Community, Street

    if scope.everything:
        return Q()
    q = _ids("district_id", scope.district)
    if scope.street:
        q |= _ids("street_id", scope.street) | Q(
            street__isnull=True,
            district_id__in=Street.objects.filter(id__in=scope.street).values("district_id"),
        )
    if scope.community:
        communities = Community.objects.filter(id__in=scope.community)
        q |= (
            _ids("community_id", scope.community)
            | Q(community__isnull=True, street_id__in=communities.values("street_id"))
            | Q(street__isnull=True, district_id__in=communities.values("district_id"))
        )
    return q


def covers(scope: Scope, *, district_id: int, street_id: int, community_id: int) -> bool:
    """Whether an office scope covers a community's row."""
    return scope.everything or bool(
        district_id in scope.district
        or street_id in scope.street
        or community_id in scope.community
    )


def organiser_q(user: Any, prefix: str = "activity__") -> Q:
    """Rows of the activities the user organises and may still organise (``may_organise``):
    their place is still in the user's office or compound scope, or the user still leads the
    activity's organisation. Someone whose roles were revoked loses the organiser's queue."""
    from laoyuan.timebank.enums import MemberRole
    from laoyuan.timebank.models import Membership

    pk = getattr(user, "pk", None)
    if pk is None:
        return NOTHING
    scope = scope_for(user, TIMEBANK_ROLES - {Role.RESIDENT})
    place = scoping.compound_q(scope, f"{prefix}compound__", with_houses=False)
    person_id = getattr(user, "person_id", None)
    if person_id is not None:
        place |= Q(
            **{
                f"{prefix}org_id__in": Membership.objects.filter(
                    role=MemberRole.LEADER, volunteer__person_id=person_id
                ).values("org_id")
            }
        )
    return Q(**{f"{prefix}organiser_id": pk}) & place


def holds(user: Any, roles: frozenset[str], row: Any) -> bool:
    """Whether the user holds one of ``roles`` in an office scope covering ``row``'s place."""
    return covers(
        scope_for(user, roles),
        district_id=row.district_id,
        street_id=row.street_id,
        community_id=row.community_id,
    )


def register() -> None:
    from laoyuan.timebank.models import (
        Activity,
        Claim,
        Donation,
        Membership,
        Pool,
        Post,
        Redemption,
        Volunteer,
        VolunteerOrg,
    )

    scoping.SCOPE_RULES.update(
        {
            VolunteerOrg: board_q,
            Post: board_q,
            Activity: board_q,
            Volunteer: personal_q,
            Membership: lambda s: personal_q(s, "volunteer__"),
            Claim: personal_q,
            Redemption: personal_q,
            Donation: donation_q,
            Pool: pool_q,
        }
    )
    for model in (VolunteerOrg, Post, Activity, Volunteer, Membership, Claim, Redemption, Donation):
        scoping.ROLE_LIMITS[model] = TIMEBANK_ROLES
    scoping.ROLE_LIMITS[Pool] = MANAGER_ROLES
