"""A compound's public satisfaction list (满意公示): no login, no personal data, cacheable.

The compound's orders that the community verified and the resident rated 4 or 5 stars, newest
first: the category, a short text, the day the work was done and the rating. Never a name, a
phone, a house or the place in the compound; the short text has any run of three or more digits
(a room or phone number) masked. Complaint and mediation orders (by category, or handled by a
mediation station) are never listed: they are residents' disputes. An unknown code answers 404.
"""

import re

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path

from laoyuan.core.public import public_page
from laoyuan.places.models import Compound
from laoyuan.workorders.enums import CategoryKind, Status, TeamKind
from laoyuan.workorders.models import WorkOrder
from laoyuan.workorders.services.transitions import SATISFIED_MIN_RATING

# The newest this many orders.
PUBLIC_LIMIT = 100
SATISFIED_MIN = SATISFIED_MIN_RATING
# Digits that could be a room, a door or a phone number: three or more, maybe with - or spaces.
NUMBERS = re.compile(r"\d[\d\s\-－—]{1,}\d")


def public_text(description: str, limit: int = 30) -> str:
    """The order's text, short, one line, with room and phone numbers masked."""
    text = " ".join(description.split())
    text = NUMBERS.sub("***", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def satisfied_orders(compound: Compound) -> QuerySet[WorkOrder]:
    """The compound's verified orders rated 4 or 5, complaints and mediation left out,
    newest first (one query with their categories)."""
    return (
        WorkOrder.objects.filter(
            compound=compound,
            status__in=(Status.RATED, Status.CLOSED),
            verified_at__isnull=False,
            rating__gte=SATISFIED_MIN,
        )
        .exclude(category__kind=CategoryKind.COMPLAINT)
        .exclude(Q(team__isnull=False) & Q(team__kind=TeamKind.MEDIATION))
        .select_related("category")
        .only("category", "description", "done_at", "verified_at", "rating", "rated_at")
        .order_by("-verified_at", "-id")
    )


@public_page
def public_satisfied(request: HttpRequest, code: str) -> HttpResponse:
    compound = get_object_or_404(Compound.objects.select_related("company"), code=code)
    orders = list(satisfied_orders(compound)[:PUBLIC_LIMIT])
    rows = [
        {
            "category": order.category.shown_name,
            "text": public_text(order.description),
            "done": order.done_at or order.verified_at,
            "rating": order.rating,
            "stars": range(order.rating or 0),
        }
        for order in orders
    ]
    return render(
        request,
        "workorders/public_satisfied.html",
        {"compound": compound, "rows": rows, "limit": PUBLIC_LIMIT},
    )


urlpatterns = [
    path("public/<str:code>/", public_satisfied, name="public_satisfied"),
]
