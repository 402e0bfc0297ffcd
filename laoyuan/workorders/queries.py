"""Reads of work orders, always narrowed by ``accounts.scoping``: queues, overdue, timelines."""

import datetime
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import NOTHING, scope_for, scoped
from laoyuan.orgs.models import Committee
from laoyuan.workorders.enums import AWAITING_RESPONSE, UNRESOLVED, Escalation, Status
from laoyuan.workorders.models import Category, WorkOrder


def overdue_q(now: datetime.datetime | None = None, prefix: str = "") -> Q:
    """Orders past their response target while waiting to be accepted, or past their resolution
    target while not yet verified (``WorkOrder.is_overdue`` for one order)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}status__in": AWAITING_RESPONSE, f"{prefix}response_due__lt": now}) | Q(
        **{f"{prefix}status__in": UNRESOLVED, f"{prefix}resolution_due__lt": now}
    )


def orders_for(user: Any) -> QuerySet[WorkOrder]:
    """The orders the user may see, with what lists show."""
    return scoped(WorkOrder.objects.all(), user).select_related(
        "category", "compound", "company", "team"
    )


# The roles that have a queue, in the order the role switcher lists them.
QUEUE_ROLES: tuple[str, ...] = (
    Role.BRANCH,
    Role.COMPANY,
    Role.COMMITTEE,
    Role.COMMUNITY,
    Role.STREET,
)

# The statuses each role's queue may hold, in the order of its tabs; the primary ones (the
# role's own step) always have a tab, the others (escalated orders, team orders) when they hold
# orders.
QUEUE_STATUSES: dict[str, tuple[str, ...]] = {
    Role.BRANCH: (Status.ORDERED, Status.RETURNED),
    Role.COMPANY: (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS),
    Role.COMMITTEE: (Status.DONE,),
    Role.COMMUNITY: (
        Status.SUPERVISED,
        Status.DONE,
        Status.RATED,
        Status.ORDERED,
        Status.RETURNED,
        Status.DISPATCHED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
    ),
    Role.STREET: (
        Status.ORDERED,
        Status.RETURNED,
        Status.DISPATCHED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.DONE,
        Status.SUPERVISED,
    ),
}
PRIMARY_STATUSES: dict[str, tuple[str, ...]] = {
    Role.BRANCH: (Status.ORDERED, Status.RETURNED),
    Role.COMPANY: (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS),
    Role.COMMITTEE: (Status.DONE,),
    Role.COMMUNITY: (Status.SUPERVISED, Status.RATED),
    Role.STREET: (),
}
# Statuses a team order is being done in (the doer's part).
DOING = (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)


def committee_in_term_q(today: datetime.date, prefix: str = "") -> Exists:
    """Whether the order's compound has a committee in term on ``today`` (its supervisor)."""
    return Exists(
        Committee.objects.filter(
            compound_id=OuterRef(f"{prefix}compound_id"),
            term_start__lte=today,
            term_end__gte=today,
        )
    )


def _ids(path: str, ids: frozenset[int]) -> Q:
    return Q(**{f"{path}__in": ids}) if ids else NOTHING


def queue(user: Any, role: str, now: datetime.datetime | None = None) -> QuerySet[WorkOrder]:
    """The orders waiting for ``role``'s hand in the user's ``role`` scope (empty for a role the
    user does not hold), overdue first, then by the target that runs (accept by while waiting
    for a company, verify by after), annotated with ``overdue`` and ``due``.

    - branch: to dispatch (ordered, returned);
    - company: dispatched to the company (or its teams), accepted, in progress;
    - committee: done, to supervise;
    - community: supervised, to verify; done in a compound with no committee in term; rated, to
      close; unresolved orders escalated to the community; orders of teams its community runs;
    - street: unresolved orders escalated to the street; orders of teams the street runs.
    """
    now = now or timezone.now()
    scope = scope_for(user, {role})
    base = scoped(WorkOrder.objects.all(), user, {role})
    if scope.is_empty or role not in QUEUE_ROLES:
        base = base.none()
    if role == Role.COMPANY:
        mine = Q() if scope.everything else _ids("company_id", scope.company)
        orders = base.filter(mine, status__in=QUEUE_STATUSES[role])
    elif role == Role.COMMUNITY:
        run = Q() if scope.everything else _ids("team__community_id", scope.community)
        orders = base.filter(
            Q(status__in=(Status.SUPERVISED, Status.RATED))
            | Q(status=Status.DONE) & ~committee_in_term_q(timezone.localdate(now))
            | Q(status__in=UNRESOLVED, escalation__gte=Escalation.COMMUNITY)
            | Q(run, team__isnull=False, company__isnull=True, status__in=DOING)
        )
    elif role == Role.STREET:
        run = Q() if scope.everything else _ids("team__street_id", scope.street)
        orders = base.filter(
            Q(status__in=UNRESOLVED, escalation__gte=Escalation.STREET)
            | Q(run, team__isnull=False, company__isnull=True, status__in=DOING)
        )
    else:
        orders = base.filter(status__in=QUEUE_STATUSES.get(role, ()))
    return orders.annotate(
        overdue=Case(When(overdue_q(now), then=Value(True)), default=Value(False)),
        due=Case(
            When(status__in=AWAITING_RESPONSE, then=F("response_due")),
            default=F("resolution_due"),
        ),
    ).order_by("-overdue", F("due").asc(nulls_last=True), "id")


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True)
