"""Each role's home page: who you are here, your scope's figures, and where you can go."""

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from laoyuan.accounts.enums import Role, ScopeLevel
from laoyuan.accounts.models import RoleAssignment
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.dashboard.queries import overview
from laoyuan.places.models import Street
from laoyuan.ratings.queries import open_questionnaires


def _place_link(assignment: RoleAssignment) -> tuple[str, str] | None:
    """The page an assignment's scope opens on, as (url, label), or None."""
    level = assignment.level
    list_url = reverse("places:compound_list")
    if level == ScopeLevel.STREET:
        return reverse("places:street_detail", args=[assignment.street_id]), str(assignment.street)
    if level == ScopeLevel.COMMUNITY:
        return reverse("places:community_detail", args=[assignment.community_id]), str(
            assignment.community
        )
    if level == ScopeLevel.GRID:
        return f"{list_url}?grid={assignment.grid_id}", str(assignment.grid)
    if level == ScopeLevel.COMPOUND:
        return reverse("places:compound_detail", args=[assignment.compound_id]), str(
            assignment.compound
        )
    if level == ScopeLevel.HOUSE and assignment.house is not None:
        house = assignment.house
        return reverse("places:house_detail", args=[house.pk]), f"{house.compound} {house.label}"
    if level == ScopeLevel.COMPANY:
        return f"{list_url}?company={assignment.company_id}", str(assignment.company)
    return None


def _percents(orders: dict[str, Any] | None) -> dict[str, Decimal | None] | None:
    """The work-order rates (fractions as strings) in percent, for the home page's card."""
    if orders is None:
        return None
    return {
        name: None if orders[f"{name}_rate"] is None else Decimal(orders[f"{name}_rate"]) * 100
        for name in ("response", "resolution", "satisfaction")
    }


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Greets the user, lists their roles and scopes, and shows their scope's figures."""
    user: Any = request.user
    assignments = list(
        RoleAssignment.objects.active()
        .filter(user=user)
        .select_related(
            "district",
            "street",
            "community",
            "grid",
            "compound",
            "company",
            "house__building",
            "house__compound",
        )
        .order_by("role", "id")
    )
    scope = scope_for(user)
    context: dict[str, Any] = {
        "roles": [
            {
                "assignment": assignment,
                "role": assignment.get_role_display(),
                "level": assignment.get_level_display(),
                "scope_name": str(assignment.scope_object),
                "link": _place_link(assignment),
            }
            for assignment in assignments
        ],
        "has_scope": not scope.is_empty,
        "superuser": scope.everything,
    }
    if scope.is_empty:
        return render(request, "dashboard/home.html", context)

    figures = overview(user=user)
    # The district sees every street: link each row of the by-street figures to its page.
    street_ids = dict(scoped(Street.objects.all(), user).values_list("code", "id"))
    for row in figures["by_street"]:
        street_id = street_ids.get(row["code"])
        row["url"] = reverse("places:street_detail", args=[street_id]) if street_id else ""
    homes = [a.house for a in assignments if a.role == Role.RESIDENT and a.house is not None]
    context.update(
        {
            "figures": figures,
            "work_order_percents": _percents(figures["work_orders"]),
            "list_url": reverse("places:compound_list"),
            "homes": homes,
            "questionnaires": open_questionnaires(user) if homes else 0,
        }
    )
    return render(request, "dashboard/home.html", context)
