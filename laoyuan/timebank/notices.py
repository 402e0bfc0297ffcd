"""Who hears of each step of a claim, and the labels the bell shows."""

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import User
from laoyuan.inbox.services import notify_on_commit

LABELS = {
    "timebank.claim": _("New hours claim to verify"),
    "timebank.second": _("Hours claim needs a second verifier"),
    "timebank.verified": _("Your hours were verified"),
    "timebank.rejected": _("Your hours claim was rejected"),
    "timebank.reversed": _("Your verified hours were taken back"),
    "timebank.overdue": _("Hours claim not verified in 10 working days"),
    "timebank.redeemed": _("Hours redeemed for a fee discount"),
    "timebank.donated": _("Hours donated to your household"),
}


def office_users(role: str, row: Any) -> QuerySet[User]:
    """Active users holding ``role`` at the row's community, street or district."""
    place = (
        Q(assignments__district_id=row.district_id)
        | Q(assignments__street_id=row.street_id)
        | Q(assignments__community_id=row.community_id)
    )
    return User.objects.filter(
        place, is_active=True, assignments__role=role, assignments__revoked_at__isnull=True
    ).distinct()


def household_users(house_id: int) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        assignments__role=Role.RESIDENT,
        assignments__house_id=house_id,
        assignments__revoked_at__isnull=True,
    ).distinct()


def verifiers(claim: Any) -> list[User]:
    found = {user.pk: user for user in office_users(Role.COMMUNITY, claim)}
    organiser = claim.activity.organiser
    if organiser is not None and organiser.is_active:
        found[organiser.pk] = organiser
    return list(found.values())


def tell(event: str, users: Any, subject: str, *, url: str = "", sms: bool = False) -> None:
    users = list(users)
    notify_on_commit(
        users=users, event=event, subject=subject, url=url, sms_users=users if sms else ()
    )


def mine_url() -> str:
    return reverse("timebank:mine")


def queue_url() -> str:
    return reverse("timebank:queue")
