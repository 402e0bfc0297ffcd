"""Reads for accounts: who may grant which role where, the users and sign-up requests an actor
may manage, and the audit trail an actor may read.

Granting authority is narrower than seeing: a user may grant only the roles ``GRANTABLE_BY`` lists
for a role they hold, and only inside the scope of that very role (a street officer who is also a
resident somewhere may not grant roles in the resident's compound through the resident role).
The place rules themselves are ``accounts.scoping``'s, applied to each granting role's scope,
except where ``GRANT_RULES`` narrows them: seeing a company that serves one of your compounds does
not make its staff yours to manage.
"""

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from laoyuan.accounts.enums import GRANTABLE_BY, ROLE_SCOPE_LEVELS, Role, ScopeLevel
from laoyuan.accounts.models import Invitation, RoleAssignment, SignupRequest, User
from laoyuan.accounts.scoping import NOTHING, SCOPE_RULES, Scope, scope_for, scoped
from laoyuan.core.models import AuditEvent
from laoyuan.orgs.models import PropertyCompany
from laoyuan.people.models import Person
from laoyuan.places.models import Building, Community, Compound, District, Grid, House, Street

LEVEL_MODELS: dict[str, type[models.Model]] = {
    ScopeLevel.DISTRICT: District,
    ScopeLevel.STREET: Street,
    ScopeLevel.COMMUNITY: Community,
    ScopeLevel.GRID: Grid,
    ScopeLevel.COMPOUND: Compound,
    ScopeLevel.HOUSE: House,
    ScopeLevel.COMPANY: PropertyCompany,
}


def _manage_company_q(scope: Scope) -> Q:
    """Companies whose roles an office manages: those registered in its district, a street's own
    public companies, or the user's own company; not every company serving one of its compounds
    (which may be registered, and hold roles, in another district)."""
    if scope.everything:
        return Q()
    result = NOTHING
    for path, ids in (
        ("district_id", scope.district),
        ("street_id", scope.street),
        ("id", scope.company),
    ):
        if ids:
            result |= Q(**{f"{path}__in": ids})
    return result


# Where granting, seeing and revoking role assignments is narrower than ``SCOPE_RULES``.
GRANT_RULES: dict[type[models.Model], Callable[[Scope], Q]] = {
    PropertyCompany: _manage_company_q,
}


def manage_rule(model: type[models.Model]) -> Callable[[Scope], Q]:
    """The rule for the objects at a level whose role assignments a scope manages."""
    return GRANT_RULES.get(model) or SCOPE_RULES[model]


def level_for(obj: models.Model) -> str:
    """The scope level a role bound to this place or company has (``LEVEL_MODELS`` reversed)."""
    for level, model in LEVEL_MODELS.items():
        if isinstance(obj, model):
            return level
    raise TypeError(f"{type(obj).__name__} is not a scope")


def street_id_of(scope: models.Model) -> int | None:
    """The street an object belongs to, for the audit trail (None: district-wide)."""
    if isinstance(scope, Street):
        return scope.pk
    street_id: int | None = getattr(scope, "street_id", None)
    return street_id


def district_id_of(scope: models.Model) -> int | None:
    """The district an object belongs to, for the audit trail."""
    if isinstance(scope, District):
        return scope.pk
    if isinstance(scope, House):
        return scope.compound.district_id
    district_id: int | None = getattr(scope, "district_id", None)
    return district_id


def granting_scopes(actor: Any) -> dict[str, Scope]:
    """For each granting role the actor holds, the scope of that role alone."""
    scopes = {role: scope_for(actor, [role]) for role in GRANTABLE_BY}
    return {role: scope for role, scope in scopes.items() if not scope.is_empty}


def grantable_roles(actor: Any) -> list[str]:
    """Roles the actor may grant somewhere, in the order of ``Role``."""
    allowed: set[str] = set()
    for role in granting_scopes(actor):
        allowed.update(GRANTABLE_BY[role])
    return [role for role in Role.values if role in allowed]


def grant_scope_q(actor: Any, *, role: str, level: str) -> Q:
    """Objects at ``level`` to which the actor may bind ``role``."""
    if level not in ROLE_SCOPE_LEVELS.get(role, ()):
        return NOTHING
    rule = manage_rule(LEVEL_MODELS[level])
    result = NOTHING
    for granting_role, scope in granting_scopes(actor).items():
        if role in GRANTABLE_BY[granting_role]:
            part = rule(scope)
            if not part:
                # An empty Q is "everything"; OR-ing it into a Q would silently drop it.
                return Q()
            result |= part
    return result


def grant_scopes(actor: Any, *, role: str, level: str) -> QuerySet[Any]:
    """The objects (of ``LEVEL_MODELS[level]``) to which the actor may bind ``role``."""
    model = LEVEL_MODELS[level]
    return model._default_manager.filter(grant_scope_q(actor, role=role, level=level))


def may_grant(actor: Any, *, role: str, scope: models.Model) -> bool:
    """Whether the actor may bind ``role`` to ``scope`` (a place or a company)."""
    level = level_for(scope)
    return grant_scopes(actor, role=role, level=level).filter(pk=scope.pk).exists()


def revocable_assignments(actor: Any) -> QuerySet[RoleAssignment]:
    """Active assignments the actor could have granted, other than their own."""
    condition = NOTHING
    for granting_role, scope in granting_scopes(actor).items():
        for level, model in LEVEL_MODELS.items():
            roles = [r for r in GRANTABLE_BY[granting_role] if level in ROLE_SCOPE_LEVELS[r]]
            if roles:
                inside = model._default_manager.filter(manage_rule(model)(scope)).values("pk")
                condition |= Q(role__in=roles, level=level, **{f"{level}__in": inside})
    return RoleAssignment.objects.active().filter(condition).exclude(user_id=actor.pk)


def may_revoke(actor: Any, *, assignment: RoleAssignment) -> bool:
    """Whether the actor could have granted this assignment (their own never counts)."""
    return revocable_assignments(actor).filter(pk=assignment.pk).exists()


def manages_users(actor: Any) -> bool:
    return bool(granting_scopes(actor))


def visible_assignments(actor: Any) -> QuerySet[RoleAssignment]:
    """Active assignments bound inside the scope of one of the actor's granting roles."""
    condition = NOTHING
    for scope in granting_scopes(actor).values():
        for level, model in LEVEL_MODELS.items():
            inside = model._default_manager.filter(manage_rule(model)(scope)).values("pk")
            condition |= Q(level=level, **{f"{level}__in": inside})
    return RoleAssignment.objects.active().filter(condition)


def assignment_display_related() -> list[str]:
    """What ``RoleAssignment.scope_label`` reads, for select_related."""
    return [
        "district",
        "street",
        "community",
        "grid",
        "compound",
        "house__building",
        "house__compound",
        "company",
    ]


def users_in_scope(*, actor: Any, search: str = "", role: str = "") -> QuerySet[User]:
    """Users holding an active role inside the actor's granting scope, each with
    ``visible_assignments`` (only the in-scope ones) prefetched."""
    assignments = visible_assignments(actor)
    if role:
        assignments = assignments.filter(role=role)
    users = User.objects.filter(pk__in=assignments.values("user_id"))
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(phone__icontains=search)
        )
    shown = visible_assignments(actor).select_related(*assignment_display_related())
    return users.prefetch_related(
        models.Prefetch("assignments", queryset=shown, to_attr="visible_assignments")
    ).order_by("username", "pk")


def find_account(identifier: str) -> list[User]:
    """Accounts whose user name or phone is exactly ``identifier`` (at most two, to tell)."""
    identifier = identifier.strip()
    if not identifier:
        return []
    return list(
        User.objects.filter(Q(username=identifier) | Q(phone=identifier)).order_by("pk")[:2]
    )


def invitation_token_hash(token: str) -> str:
    """Invitations keep only a hash of their token, so a database copy holds no live links."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_invitation(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("assignment__user")
        .filter(token=invitation_token_hash(token))
        .first()
    )


def resident_houses(actor: Any) -> QuerySet[House]:
    """Houses where the actor may bind residents and confirm sign-ups."""
    return grant_scopes(actor, role=Role.RESIDENT, level=ScopeLevel.HOUSE)


def binds_residents(actor: Any) -> bool:
    return any(Role.RESIDENT in GRANTABLE_BY[role] for role in granting_scopes(actor))


def compounds_with_houses(houses: QuerySet[House]) -> QuerySet[Compound]:
    return Compound.objects.filter(pk__in=houses.values("compound_id")).order_by("code")


def people_of_compound(*, actor: Any, compound: Compound) -> QuerySet[Person]:
    """People in the actor's scope who live in the compound."""
    return (
        scoped(Person.objects.all(), actor)
        .filter(residencies__compound=compound)
        .distinct()
        .order_by("name", "pk")
    )


def signup_requests_in_scope(*, actor: Any, status: str | None = None) -> QuerySet[SignupRequest]:
    """Sign-up requests for houses where the actor may confirm residents."""
    qs = SignupRequest.objects.filter(house__in=resident_houses(actor).values("pk"))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("user", "house__building", "compound", "decided_by").order_by(
        "-created_at", "-pk"
    )


# Places a person signing up may pick: compound names and room numbers are not personal data.
def signup_compounds(search: str, *, limit: int = 20) -> list[Compound]:
    search = search.strip()
    if not search:
        return []
    exact = list(Compound.objects.filter(code__iexact=search)[:1])
    if exact:
        return exact
    return list(Compound.objects.filter(name__icontains=search).order_by("name", "code")[:limit])


def signup_buildings(compound_id: int) -> QuerySet[Building]:
    return Building.objects.filter(compound_id=compound_id).order_by("number", "pk")


def signup_houses(building_id: int) -> QuerySet[House]:
    return (
        House.objects.filter(building_id=building_id)
        .select_related("building")
        .order_by("unit", "room", "pk")
    )


def audit_visibility(user: Any) -> Q | None:
    """Which audit events the user may read: a district office its district's, a street office
    its street's; ``None`` for everyone else, who may not read the trail."""
    scope = scope_for(user, (Role.DISTRICT, Role.STREET))
    if scope.everything:
        return Q()
    if scope.is_empty:
        return None
    visible = Q(pk__in=[])
    if scope.district:
        visible |= Q(district_id__in=scope.district)
    if scope.street:
        visible |= Q(street_id__in=scope.street)
    return visible


def audit_events(
    *,
    visible: Q,
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events the ``visible`` filter allows (see ``audit_visibility``), newest first."""
    qs = AuditEvent.objects.filter(visible).select_related("actor")
    if action:
        qs = qs.filter(action=action)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs.order_by("-at", "-pk")


def audit_actions(*, visible: Q) -> list[str]:
    qs = AuditEvent.objects.filter(visible)
    return list(qs.order_by("action").values_list("action", flat=True).distinct())
