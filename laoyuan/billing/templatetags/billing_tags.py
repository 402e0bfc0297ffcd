"""Template helpers of the billing pages: the navigation entries."""

from typing import Any

from django import template

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.billing.queries import COLLECTION_ROLES

register = template.Library()

# Who sees which billing entry in the navigation (the pages check again, per object).
DESK_ROLES = (Role.COMPANY, Role.STREET)


@register.simple_tag(takes_context=True)
def billing_menu(context: dict[str, Any]) -> dict[str, bool]:
    """``{% billing_menu as billing %}{% if billing.desk %}…{% endif %}``."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"desk": False, "cosign": False, "collection": False, "bills": False}
    scope = scope_for(user)
    return {
        "desk": scope.has_role(*DESK_ROLES),
        "cosign": scope.has_role(Role.COMMITTEE),
        "collection": scope.has_role(*COLLECTION_ROLES),
        "bills": scope.has_role(Role.RESIDENT),
    }
