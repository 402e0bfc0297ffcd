"""Template helpers of the time-bank pages: the navigation entries and hours as ``h:mm``."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.timebank.models import minutes_label
from laoyuan.timebank.scoping import MANAGER_ROLES, REPORT_ROLES, STAFF_ROLES, TIMEBANK_ROLES

register = template.Library()

# Who verifies: the community office, and the street office for claims flagged to it. (An
# activity's organiser of another role finds the claims from the activity's page.)
QUEUE_ROLES = STAFF_ROLES | {Role.STREET}

# Each entry of the menu and the roles it is shown to; the pages check again, per object.
ENTRIES: dict[str, tuple[str, frozenset[str]]] = {
    "mine": ("timebank:mine", frozenset({Role.RESIDENT})),
    "queue": ("timebank:queue", frozenset(QUEUE_ROLES)),
    "activities": ("timebank:activities", TIMEBANK_ROLES),
    "orgs": ("timebank:orgs", MANAGER_ROLES),
    "volunteers": ("timebank:volunteers", MANAGER_ROLES),
    "pools": ("timebank:pools", MANAGER_ROLES),
    "rates": ("timebank:rates", MANAGER_ROLES),
    "reports": ("timebank:reports", REPORT_ROLES),
}


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@register.simple_tag(takes_context=True)
def timebank_menu(context: dict[str, Any]) -> dict[str, Any]:
    """``{% timebank_menu as tb %}{% if tb.any %}…{% endif %}``: each entry's URL, or None when
    the user's roles do not call for it; ``any`` when at least one is shown."""
    menu: dict[str, Any] = {name: None for name in ENTRIES}
    menu["any"] = False
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return menu
    scope = scope_for(user)
    for name, (url_name, roles) in ENTRIES.items():
        if scope.has_role(*roles):
            menu[name] = _url(url_name)
    menu["any"] = any(menu[name] for name in ENTRIES)
    return menu


@register.filter
def minutes(value: Any) -> str:
    """``{{ 90|minutes }}`` → ``1:30``."""
    return minutes_label(value)
