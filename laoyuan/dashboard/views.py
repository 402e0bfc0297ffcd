"""Each role's home page (who you are here, your scope's figures, where you can go) and the
offices' dashboard: one screen of the district, a street or a community, its wall-screen mode
and its map."""

import calendar
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from laoyuan.accounts.enums import Role, ScopeLevel
from laoyuan.accounts.models import RoleAssignment
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.billing.queries import COLLECTION_ROLES
from laoyuan.core.params import parse_id
from laoyuan.dashboard.queries import DASHBOARD_ROLES, map_features, overview, places_or_404
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Community, District, Street
from laoyuan.ratings.queries import open_questionnaires
from laoyuan.ratings.scoping import RANKING_ROLES
from laoyuan.timebank.scoping import REPORT_ROLES as TIMEBANK_REPORT_ROLES
from laoyuan.workorders.enums import Status as WorkOrderStatus
from laoyuan.workorders.reports import REPORT_ROLES as WORK_ORDER_REPORT_ROLES

# The wall screen reloads itself this often (the figures are read fresh on each load).
SCREEN_REFRESH_SECONDS = 300


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
    _street_links(figures, user, lambda pk: reverse("places:street_detail", args=[pk]))
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


# --- The district view (一屏观全域) -----------------------------------------------------------


def _drill(request: HttpRequest) -> tuple[Street | None, Community | None]:
    """Where the reader has drilled to (``?street=``, ``?community=``), inside their scope;
    404 for a reader without a dashboard role or a place outside their scope."""
    if scope_for(request.user, DASHBOARD_ROLES).is_empty:
        raise Http404
    # Drilling goes only where a dashboard role reaches (an inspector's street is not one).
    return places_or_404(
        request.user,
        street_id=parse_id(request.GET.get("street")),
        community_id=parse_id(request.GET.get("community")),
        roles=DASHBOARD_ROLES,
    )


def _query(street: Street | None, community: Community | None) -> str:
    if community is not None:
        return f"?community={community.pk}"
    if street is not None:
        return f"?street={street.pk}"
    return ""


def _scope_name(user: Any, street: Street | None, community: Community | None) -> str:
    if community is not None:
        return f"{community.street.name} · {community.name}"
    if street is not None:
        return street.name
    scope = scope_for(user, DASHBOARD_ROLES)
    for model, ids in ((District, scope.district), (Street, scope.street)):
        names = list(model.objects.filter(pk__in=ids).values_list("name", flat=True))
        if names:
            return "、".join(names)
    if scope.everything:
        return _("Every district")
    names = list(Community.objects.filter(pk__in=scope.community).values_list("name", flat=True))
    return "、".join(names) or _("Your grids")


def _opens(
    user: Any, roles: Iterable[str], street: Street | None, community: Community | None
) -> bool:
    """Whether ``roles`` of the user reach the place (their scope at all, with no place)."""
    if community is not None:
        return scoped(Community.objects.filter(pk=community.pk), user, roles).exists()
    if street is not None:
        return scoped(Street.objects.filter(pk=street.pk), user, roles).exists()
    return not scope_for(user, roles).is_empty


def _links(
    user: Any, street: Street | None, community: Community | None, figures: dict[str, Any]
) -> dict[str, str]:
    """The list behind each panel, narrowed like the dashboard; a list the reader's roles do not
    open there is left out ("")."""
    place = _query(street, community)
    orders = figures.get("work_orders") or {}
    timebank = figures.get("timebank") or {}
    period = orders.get("period", "")
    street_of = community.street if community is not None else street
    orders_open = bool(orders) and _opens(user, WORK_ORDER_REPORT_ROLES, street, community)
    links = {
        "compounds": reverse("places:compound_list") + place,
        "companies": reverse("orgs:company_list"),
        "collection": reverse("billing:collection_page") + place
        if figures["collection"] is not None and _opens(user, COLLECTION_ROLES, street, community)
        else "",
        "work_orders": f"{reverse('workorders:reports')}?period={period}" + place.replace("?", "&")
        if orders_open
        else "",
        "handling": _handling_link(figures, place) if orders_open else "",
        "timebank": f"{reverse('timebank:reports')}?from={timebank['period']}"
        f"&to={timebank['period']}" + place.replace("?", "&")
        if timebank and _opens(user, TIMEBANK_REPORT_ROLES, street, community)
        else "",
        "stars": "",
        "subsidies": reverse("ratings:subsidies")
        if figures.get("subsidies") is not None and _opens(user, {Role.DISTRICT}, None, None)
        else "",
    }
    if _opens(user, RANKING_ROLES, street_of, None):
        links["stars"] = reverse("ratings:rankings") + _query(street_of, None)
    elif _opens(user, RANKING_ROLES, None, None):
        links["stars"] = reverse("ratings:rankings")
    return links


def _street_links(
    figures: dict[str, Any],
    user: Any,
    url: Callable[[int], str],
    roles: Iterable[str] | None = None,
) -> None:
    """Each by-street row's link, ``url`` of the street's id (its page from the home page, its
    dashboard from the dashboard), where ``roles`` (any role, when None) reach the street."""
    street_ids = dict(scoped(Street.objects.all(), user, roles).values_list("code", "id"))
    for row in figures["by_street"]:
        street_id = street_ids.get(row["code"])
        row["url"] = url(street_id) if street_id else ""


def _handling_link(figures: dict[str, Any], place: str) -> str:
    """The work-order rates by month over the twelve months the handling panel compares, of
    the place (``?street=…`` or ``?community=…``, or "")."""
    orders = figures["trends"]["work_orders"]
    months = orders["months"]
    year, month = (int(part) for part in months[-1]["period"].split("-"))
    last_day = calendar.monthrange(year, month)[1]
    return (
        f"{reverse('workorders:reports')}?by=month&start={months[0]['period']}-01"
        f"&end={months[-1]['period']}-{last_day:02d}" + place.replace("?", "&")
    )


def _chart_data(figures: dict[str, Any]) -> dict[str, Any]:
    """What the page's charts draw, with their labels in the reader's language."""
    trends = figures["trends"]
    orders = trends["work_orders"]
    return {
        "labels": {
            "modes": {mode.value: str(mode.label) for mode in ManagementMode},
            "stars": {
                str(n): ngettext("%(n)s star", "%(n)s stars", n) % {"n": n} for n in range(6)
            },
            "unrated": _("Not rated"),
            "collection": _("Collection rate"),
            "open": _("Open orders"),
            "overdue": _("Overdue orders"),
            "created": _("Orders reported"),
            "hours": _("Hours to verify (mean)"),
            "compounds": _("Compounds"),
            "no_data": _("No data"),
        },
        "modes": {mode: row["compounds"] for mode, row in figures["by_mode"].items()},
        "stars": figures["stars"],
        "collection": trends["collection"],
        "work_orders": None if orders is None else orders["months"],
    }


def _dashboard_context(request: HttpRequest) -> dict[str, Any]:
    street, community = _drill(request)
    user = request.user
    street_id = None if street is None else street.pk
    community_id = None if community is None else community.pk
    figures = overview(user=user, street_id=street_id, community_id=community_id)
    _street_links(
        figures, user, lambda pk: f"{reverse('dashboard:dashboard')}?street={pk}", DASHBOARD_ROLES
    )
    layer = request.GET.get("layer", "")
    # Only the layers the reader has figures for (a grid worker reads no rates or collection).
    layers = [
        ("mode", _("Management mode")),
        ("stars", _("Star level")),
        *([("collection", _("Collection rate"))] if figures["collection"] is not None else []),
        *(
            [("open", _("Open orders")), ("overdue", _("Overdue orders"))]
            if figures["work_orders"] is not None
            else []
        ),
    ]
    return {
        "figures": figures,
        "percents": _percents(figures["work_orders"]),
        "order_statuses": [
            (status.value, status.label, figures["work_orders"]["by_status"][status.value])
            for status in WorkOrderStatus
        ]
        if figures["work_orders"]
        else [],
        "street": street,
        "community": community,
        "scope_name": _scope_name(user, street, community),
        "query": _query(street, community),
        "links": _links(user, street, community, figures),
        # The street's crumb links its dashboard only where the reader's roles reach it.
        "street_open": community is not None
        and _opens(user, DASHBOARD_ROLES, community.street, None),
        "chart_data": _chart_data(figures),
        "map_url": reverse("dashboard:map") + _query(street, community),
        "layer": layer if layer in [key for key, _label in layers] else "mode",
        "layers": layers,
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """One screen of the reader's scope (一屏观全域), or of a street or community in it."""
    return render(request, "dashboard/dashboard.html", _dashboard_context(request))


@login_required
@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """The same figures for the command centre's wall: 1920×1080, dark, refreshing itself."""
    context = _dashboard_context(request)
    context["refresh_seconds"] = SCREEN_REFRESH_SECONDS
    return render(request, "dashboard/screen.html", context)


def _grid_props(found: dict[str, Any]) -> list[dict[str, Any]]:
    return [f["properties"] for f in found["features"] if f["properties"]["kind"] == "grid"]


@login_required
@require_GET
def map_data(request: HttpRequest) -> JsonResponse:
    """The map's GeoJSON: grids and compounds of the drilled place, each with where a click
    leads (a grid: the next level down; a compound: its page)."""
    street, community = _drill(request)
    found = map_features(
        user=request.user,
        street_id=None if street is None else street.pk,
        community_id=None if community is None else community.pk,
    )
    dashboard_url = reverse("dashboard:dashboard")
    list_url = reverse("places:compound_list")
    user = request.user
    # A grid drills to the deepest level the reader's dashboard roles reach: its street, else
    # its community, else the list of its compounds.
    streets: set[int] = set()
    communities: set[int] = set()
    if street is None and community is None:
        streets = set(
            scoped(Street.objects.all(), user, DASHBOARD_ROLES).values_list("pk", flat=True)
        )
        communities = set(
            scoped(Community.objects.all(), user, DASHBOARD_ROLES).values_list("pk", flat=True)
        )
    elif community is None:
        communities = {props["community"] for props in _grid_props(found)}
    for feature in found["features"]:
        props = feature["properties"]
        if props["kind"] == "compound":
            props["url"] = reverse("places:compound_detail", args=[props["id"]])
        elif props["street"] in streets:
            props["url"] = f"{dashboard_url}?street={props['street']}"
        elif props["community"] in communities:
            props["url"] = f"{dashboard_url}?community={props['community']}"
        else:
            props["url"] = f"{list_url}?grid={props['id']}"
    return JsonResponse(found)
