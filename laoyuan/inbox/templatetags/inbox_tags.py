from typing import Any

from django import template

from laoyuan.inbox import registry

register = template.Library()


@register.filter
def event_label(event: str) -> Any:
    return registry.label(event)
