"""Template helpers of the work-order pages: the navigation entries and timeline labels."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.workorders.enums import Status
from laoyuan.workorders.reports import REPORT_ROLES
from laoyuan.workorders.scoping import INTAKE_ROLES
from laoyuan.workorders.services.problem_lists import PROBLEM_LIST_ROLES

register = template.Library()

# Roles with a queue, in the order the queue link prefers them.
QUEUE_ROLES = (Role.BRANCH, Role.COMPANY, Role.COMMITTEE, Role.COMMUNITY, Role.STREET)

# Roles recorded on timeline steps that are not account roles.
OTHER_ROLES: dict[str, Any] = {
    "system": _("System"),
    "partner": _("City platform"),
    "staff": _("Staff, for the resident"),
}

# The next step of an order, in plain words for its resident.
NEXT_STEP: dict[str, Any] = {
    Status.ORDERED: _("Waiting for the party branch to send it to someone."),
    Status.RETURNED: _("Waiting for the party branch to send it to someone else."),
    Status.DISPATCHED: _("Waiting for the property company to take it on."),
    Status.ACCEPTED: _("The property company has taken it on and will start work."),
    Status.IN_PROGRESS: _("Work is going on."),
    Status.DONE: _("Work is done; the committee will check it."),
    Status.SUPERVISED: _("Checked by the committee; the community will confirm it."),
    Status.VERIFIED: _("Solved. Please tell us how satisfied you are."),
    Status.RATED: _("Thank you for your rating."),
    Status.CLOSED: _("Finished."),
    Status.DUPLICATE: _("The same problem was already reported; it is followed there."),
    Status.NOT_OURS: _("This is not for the compound to do; the page says who is."),
    Status.CANCELLED: _("Withdrawn."),
}


def _url(name: str, query: str = "") -> str | None:
    """The URL of ``name`` or None while its page does not exist yet."""
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return None


@register.simple_tag(takes_context=True)
def workorder_menu(context: dict[str, Any]) -> dict[str, Any]:
    """``{% workorder_menu as wo %}{% if wo.report %}…{% endif %}``: each entry's URL, or None
    when the user's roles do not call for it (the pages check again, per object)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    empty: dict[str, Any] = {
        "report": None,
        "mine": None,
        "queue": None,
        "reports": None,
        "problem_lists": None,
        "intake": None,
    }
    if user is None or not user.is_authenticated:
        return empty
    scope = scope_for(user)
    menu = dict(empty)
    if scope.roles & {Role.RESIDENT} or scope.everything:
        menu["report"] = _url("workorders:report")
        menu["mine"] = _url("workorders:mine")
    queue_role = next((r for r in QUEUE_ROLES if scope.has_role(r)), None)
    if queue_role:
        menu["queue"] = _url("workorders:queue", f"?role={queue_role}")
    if scope.has_role(*INTAKE_ROLES):
        menu["intake"] = _url("workorders:report")
    if scope.has_role(*REPORT_ROLES):
        menu["reports"] = _url("workorders:reports")
    if scope.has_role(*PROBLEM_LIST_ROLES):
        menu["problem_lists"] = _url("workorders:problem_lists")
    return menu


@register.filter
def role_label(role: str) -> Any:
    """The label of the role a timeline step was taken in."""
    if role in OTHER_ROLES:
        return OTHER_ROLES[role]
    try:
        return Role(role).label
    except ValueError:
        return role


@register.filter
def next_step(status: str) -> Any:
    return NEXT_STEP.get(status, "")
