"""Template helpers of the place registry pages: mode labels and pagination links."""

from typing import Any

from django import template
from django.core.paginator import Page

from laoyuan.places.enums import ManagementMode

register = template.Library()


@register.filter
def mode_label(mode: str) -> str:
    """The translated label of a management mode code (as the overview figures key them)."""
    try:
        return str(ManagementMode(mode).label)
    except ValueError:
        return mode


def _page_url(context: Any, param: str, number: int | str) -> str:
    """The current request's query string with ``param`` set to ``number``."""
    params = context["request"].GET.copy()
    params[param] = str(number)
    return f"?{params.urlencode()}"


@register.inclusion_tag("places/_pagination.html", takes_context=True)
def pagination(context: Any, page: Page, param: str = "page", label: str = "") -> dict[str, Any]:
    """Page-number links for ``page``, keeping the other query parameters of the request.

    ``param`` names the page parameter, so one page can paginate two tables.
    """
    items: list[dict[str, Any]] = []
    if page.paginator.num_pages > 1:
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
            if number == page.paginator.ELLIPSIS:
                items.append({"ellipsis": True})
            else:
                items.append(
                    {
                        "number": number,
                        "url": _page_url(context, param, number),
                        "current": number == page.number,
                    }
                )
    return {
        "page": page,
        "items": items,
        "label": label,
        "previous_url": _page_url(context, param, page.previous_page_number())
        if page.has_previous()
        else None,
        "next_url": _page_url(context, param, page.next_page_number()) if page.has_next() else None,
    }
