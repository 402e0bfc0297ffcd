"""A compound's rating history for the people who may see it: each rating's state, total, veto,
stars and scores by section, and the subsidies it earned."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.places.models import Compound
from laoyuan.ratings import queries
from laoyuan.ratings.scoping import RATING_ROLES, SUBSIDY_ROLES
from laoyuan.ratings.services.evaluations import covers


@login_required
@require_GET
def compound_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Another scope's compound, or a user who reads no ratings (a merchant), is the same 404 as
    a missing compound; a compound in scope with no rating yet shows the empty page."""
    user = request.user
    if not scope_for(user, RATING_ROLES).has_role(*RATING_ROLES):
        raise Http404
    compound = scoped(Compound.objects.all(), user, RATING_ROLES).filter(pk=pk).first()
    if compound is None:
        raise Http404
    return render(
        request,
        "ratings/compound_history.html",
        {
            "compound": compound,
            "ratings": list(queries.history(user, compound)),
            "subsidies": list(queries.subsidies_of(user, compound)[:36]),
            "sees_fund": covers(user, SUBSIDY_ROLES, compound),
        },
    )


urlpatterns = [path("compounds/<int:pk>/", compound_history, name="compound_history")]
