"""Reads of work orders, always narrowed by ``accounts.scoping``: queues, overdue, timelines."""

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
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


# Each role's queue: the statuses waiting for that hand.
QUEUE_STATUSES: dict[str, tuple[str, ...]] = {
    Role.BRANCH: (Status.ORDERED, Status.RETURNED),
    Role.COMPANY: (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS),
    Role.COMMITTEE: (Status.DONE,),
    Role.COMMUNITY: (Status.SUPERVISED, Status.RATED),
    Role.STREET: (Status.ORDERED, Status.RETURNED, Status.DISPATCHED),
}


def queue(user: Any, role: str) -> QuerySet[WorkOrder]:
    """The orders waiting for ``role``'s hand in the user's ``role`` scope.

    The company's queue holds the orders dispatched to it (or to its teams); a street's or a
    community's also holds the orders escalated to them; the community's holds done orders of
    compounds without a committee."""
    scope = scope_for(user, {role})
    base = scoped(WorkOrder.objects.all(), user, {role})
    statuses = QUEUE_STATUSES.get(role, ())
    if role == Role.COMPANY:
        mine = Q(company_id__in=scope.company) if not scope.everything else Q()
        return base.filter(mine, status__in=statuses)
    if role == Role.COMMUNITY:
        return base.filter(
            Q(status__in=statuses)
            | Q(status__in=(Status.ORDERED, Status.RETURNED), escalation__gte=Escalation.COMMUNITY)
            | Q(status=Status.DONE, compound__committees__isnull=True)
        ).distinct()
    if role == Role.STREET:
        return base.filter(
            Q(status__in=(Status.ORDERED, Status.RETURNED), escalation__gte=Escalation.STREET)
            | Q(escalation__gte=Escalation.STREET, status__in=UNRESOLVED)
            | Q(
                team__isnull=False,
                company__isnull=True,
                status__in=(Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS),
            )
        )
    return base.filter(status__in=statuses)


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True)
