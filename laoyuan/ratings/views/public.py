"""A compound's public star page (星级公示): its final ratings with their scores by section and the
bands they were given by. No login; no personal data."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path

from laoyuan.core.public import public_page
from laoyuan.places.models import Compound
from laoyuan.ratings import queries


@public_page
def public_stars(request: HttpRequest, code: str) -> HttpResponse:
    compound = get_object_or_404(Compound.objects.select_related("company"), code=code)
    ratings = list(queries.final_ratings(compound)[:10])
    latest = ratings[0] if ratings else None
    return render(
        request,
        "ratings/public_stars.html",
        {
            "compound": compound,
            "latest": latest,
            "earlier": ratings[1:],
            "stars": range(latest.stars or 0) if latest else range(0),
            "bands": latest.standard.bands() if latest else [],
        },
    )


urlpatterns = [path("public/<str:code>/", public_stars, name="public_stars")]
