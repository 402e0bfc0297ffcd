"""Template helpers of the rating pages: the navigation entry."""

from typing import Any

from django import template
from django.urls import reverse

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.ratings.scoping import RATING_ROLES

register = template.Library()

# The list of evaluations is the work of the offices, inspectors, companies and the compounds'
# roles; a resident finds their compound's published rating on its star page.
MENU_ROLES = frozenset(RATING_ROLES - {Role.RESIDENT})


@register.simple_tag(takes_context=True)
def ratings_menu(context: dict[str, Any]) -> str | None:
    """``{% ratings_menu as url %}``: the evaluations list's URL, or None for users whose roles do
    not call for it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return reverse("ratings:evaluations") if scope_for(user).has_role(*MENU_ROLES) else None
