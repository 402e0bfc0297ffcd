"""Template helpers of the organisation pages: the navigation entry and post states."""

import datetime
from typing import Any

from django import template
from django.utils import timezone

from laoyuan.orgs import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def orgs_menu(context: dict[str, Any]) -> dict[str, bool]:
    """Whether the signed-in user may read or manage organisations, for the navigation:
    ``{% orgs_menu as orgs %}{% if orgs.read %}…{% endif %}``."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"read": False, "manage": False}
    manage = not queries.authority_for(user).is_empty
    return {"read": manage or queries.reads_organisations(user), "manage": manage}


@register.filter
def post_current(post: Any, today: datetime.date | None = None) -> bool:
    """Whether a post (or anything with ``term_end``) has not ended before today."""
    today = today or timezone.localdate()
    return post.term_end is None or post.term_end >= today
