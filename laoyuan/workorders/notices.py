"""Who is told of each step, and the labels the bell shows. Residents hear of every step of
their own order (in the platform, and by SMS); the next hand hears that it is their turn."""

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import User
from laoyuan.inbox.services import notify
from laoyuan.orgs.models import Committee
from laoyuan.workorders.enums import Action, Escalation

LABELS = {
    "workorder.create": _("New work order to dispatch"),
    "workorder.dispatch": _("Work order dispatched"),
    "workorder.accept": _("Work order accepted"),
    "workorder.start": _("Work started"),
    "workorder.finish": _("Work finished, to supervise"),
    "workorder.supervise": _("Work order supervised, to verify"),
    "workorder.send_back": _("Work order sent back"),
    "workorder.verify": _("Work order verified, please rate it"),
    "workorder.rate": _("Work order rated"),
    "workorder.close": _("Work order closed"),
    "workorder.auto_close": _("Work order closed"),
    "workorder.return": _("Work order returned to the branch"),
    "workorder.transfer": _("Work order transferred"),
    "workorder.mark_duplicate": _("Work order marked as a duplicate"),
    "workorder.not_ours": _("Work order is not ours to do"),
    "workorder.cancel": _("Work order cancelled"),
    "workorder.reopen": _("Work order reopened"),
    "workorder.escalate": _("Overdue work order escalated to you"),
}


def users_holding(role: str, order: Any) -> QuerySet[User]:
    """Active users holding ``role`` in a scope that covers the order's place."""
    place = (
        Q(assignments__district_id=order.district_id)
        | Q(assignments__street_id=order.street_id)
        | Q(assignments__community_id=order.community_id)
        | Q(assignments__grid_id=order.grid_id)
        | Q(assignments__compound_id=order.compound_id)
    )
    return User.objects.filter(
        place, is_active=True, assignments__role=role, assignments__revoked_at__isnull=True
    ).distinct()


def doers(order: Any) -> QuerySet[User]:
    """The hands that accept and do the order: the company's staff, or the street's (and its
    community's) officers for a team without a company."""
    base = User.objects.filter(is_active=True, assignments__revoked_at__isnull=True)
    if order.company_id is not None:
        return base.filter(
            assignments__role=Role.COMPANY, assignments__company_id=order.company_id
        ).distinct()
    if order.team_id is not None:
        team = order.team
        where = Q(assignments__role=Role.STREET, assignments__street_id=team.street_id)
        if team.community_id:
            where |= Q(
                assignments__role=Role.COMMUNITY, assignments__community_id=team.community_id
            )
        return base.filter(where).distinct()
    return base.none()


def dispatchers(order: Any) -> list[User]:
    """The branch, and the community and street once the order was escalated to them."""
    roles = [Role.BRANCH]
    if order.escalation >= Escalation.COMMUNITY:
        roles.append(Role.COMMUNITY)
    if order.escalation >= Escalation.STREET:
        roles.append(Role.STREET)
    found: dict[int, User] = {}
    for role in roles:
        found.update((user.pk, user) for user in users_holding(role, order))
    return list(found.values())


def _has_committee(order: Any) -> bool:
    today = timezone.localdate()
    return Committee.objects.filter(
        compound_id=order.compound_id, term_start__lte=today, term_end__gte=today
    ).exists()


def requesters(order: Any) -> list[User]:
    """The requester, or the household's resident users for an order taken on their behalf."""
    if order.requester_id is not None:
        return [order.requester]
    if order.house_id is None:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            assignments__role=Role.RESIDENT,
            assignments__house_id=order.house_id,
            assignments__revoked_at__isnull=True,
        ).distinct()
    )


def _next_hands(action: str, order: Any, data: dict[str, Any]) -> list[User]:
    match action:
        case Action.CREATE:
            return dispatchers(order)
        case Action.TRANSFER:
            # The new hands, and the company it was taken from (so it stops the work).
            previous = User.objects.none()
            if data.get("from_company"):
                previous = User.objects.filter(
                    is_active=True,
                    assignments__revoked_at__isnull=True,
                    assignments__role=Role.COMPANY,
                    assignments__company_id=data["from_company"],
                ).distinct()
            return [*doers(order), *previous]
        case Action.DISPATCH | Action.REOPEN | Action.SEND_BACK:
            return list(doers(order))
        case Action.RETURN | Action.CANCEL:
            return dispatchers(order)
        case Action.FINISH:
            # The committee supervises; where the compound has none in term, the community
            # verifies the done order itself.
            role = Role.COMMITTEE if _has_committee(order) else Role.COMMUNITY
            return list(users_holding(role, order))
        case Action.SUPERVISE | Action.RATE:
            return list(users_holding(Role.COMMUNITY, order))
        case Action.ESCALATE:
            role = Role.STREET if data.get("level") == Escalation.STREET else Role.COMMUNITY
            return list(users_holding(role, order))
    return []


def announce(
    *,
    order: Any,
    action: str,
    actor_id: int | None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Tell the next hand and the requester about ``action`` (run after commit); never the
    actor about their own step."""
    data = data or {}
    residents = [user for user in requesters(order) if user.pk != actor_id]
    staff = [user for user in _next_hands(action, order, data) if user.pk != actor_id]
    notify(
        users=[*staff, *residents],
        event=f"workorder.{action}",
        subject=str(order),
        note=note,
        url=reverse("workorders:detail", args=[order.pk]),
        sms_users=[] if action == Action.ESCALATE else residents,
    )
