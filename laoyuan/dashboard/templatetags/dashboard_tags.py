"""The dashboard's tags: ``{% dashboard_menu %}`` (whether the reader has one) and
``{% figure %}``, one figure of a panel, shown for people and carried raw (as the overview API
gives it) in ``data-value`` so a test or a script can check it against the API."""

from decimal import Decimal
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils.html import format_html

from laoyuan.accounts.scoping import scope_for
from laoyuan.dashboard.queries import DASHBOARD_ROLES
from laoyuan.places.enums import ManagementMode
from laoyuan.timebank.models import minutes_label

register = template.Library()


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{floatformat(Decimal(value) * 100, 2)}%"
    if kind == "loss":  # a negative gain, shown as how much worse
        return f"{floatformat(-Decimal(value) * 100, 2)}%"
    if kind == "money":
        return str(intcomma(floatformat(Decimal(value), 2)))
    if kind == "area":
        return str(intcomma(floatformat(value, 0)))
    if kind == "minutes":
        return minutes_label(value)
    if kind == "mode":
        return str(ManagementMode(value).label)
    if kind == "int":
        return str(intcomma(value))
    return str(value)


def raw(value: Any) -> str:
    """The value as the API's JSON writes it (null for None)."""
    return "null" if value is None else str(value)


@register.simple_tag
def figure(label: str, path: str, value: Any, kind: str = "int", css: str = "") -> str:
    return format_html(
        '<div class="col"><dt class="fw-normal dash-label">{}</dt>'
        '<dd class="dash-figure mb-0 {}" data-figure="{}" data-value="{}">{}</dd></div>',
        label,
        css,
        path,
        raw(value),
        _shown(value, kind),
    )


@register.simple_tag(takes_context=True)
def dashboard_menu(context: Any) -> bool:
    """Whether the reader has a dashboard (the offices of ``DASHBOARD_ROLES``)."""
    return not scope_for(context["request"].user, DASHBOARD_ROLES).is_empty


@register.filter
def span(period: Any) -> str:
    """``2025-12_2026-02`` → ``2025-12 – 2026-02``."""
    return str(period or "").replace("_", " – ")
