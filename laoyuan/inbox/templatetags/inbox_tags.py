from typing import Any

from django import template

from laoyuan.inbox import registry
from laoyuan.inbox.models import Notification

register = template.Library()


@register.filter
def event_label(event: str) -> Any:
    return registry.label(event)


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    """The bell's count: the signed-in user's unread notifications (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()
