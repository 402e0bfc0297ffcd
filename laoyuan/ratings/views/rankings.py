"""Rankings of compounds by their latest final star rating, for the district and by street, with
an Excel export of the scores."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.core.params import parse_id
from laoyuan.places.models import Street
from laoyuan.ratings import exports, queries

# The offices and inspectors compare compounds; companies and compounds' roles see their own.
from laoyuan.ratings.scoping import RANKING_ROLES


def _rows(request: HttpRequest) -> tuple[list[queries.Ranked], list[Street], Street | None]:
    user = request.user
    if not scope_for(user, RANKING_ROLES).has_role(*RANKING_ROLES):
        raise Http404
    streets = list(scoped(Street.objects.all(), user, RANKING_ROLES).order_by("code"))
    chosen = None
    raw = request.GET.get("street")
    if raw:
        chosen = next((s for s in streets if s.pk == parse_id(raw)), None)
        if chosen is None:
            raise Http404
    rows = queries.rankings(user, street_id=chosen.pk if chosen else None)
    return rows, streets, chosen


@login_required
@require_GET
def rankings(request: HttpRequest) -> HttpResponse:
    rows, streets, chosen = _rows(request)
    return render(
        request,
        "ratings/rankings.html",
        {"rows": rows, "streets": streets, "chosen": chosen},
    )


@login_required
@require_GET
def rankings_export(request: HttpRequest) -> HttpResponse:
    rows, _streets, chosen = _rows(request)
    response = HttpResponse(
        exports.scores_xlsx(row.evaluation for row in rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"star-ratings-{chosen.code}" if chosen else "star-ratings"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


urlpatterns = [
    path("rankings/", rankings, name="rankings"),
    path("rankings/export.xlsx", rankings_export, name="rankings_export"),
]
