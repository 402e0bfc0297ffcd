"""Reporting a problem (业主点单) from a phone, and a household's own orders.

A resident reports for their own house (choosing it when they have several). Staff who take
orders on a resident's behalf (``INTAKE_ROLES``) use the same page with ``?compound=ID``, choose
the channel (phone, service centre, grid report) and optionally the house and a contact. The
order itself is made by ``services.orders.create_order``."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.core.params import parse_id
from laoyuan.core.personal import normalise_phone
from laoyuan.places.models import Building, Compound, House
from laoyuan.workorders.enums import Channel, Status
from laoyuan.workorders.models import WorkOrder
from laoyuan.workorders.queries import active_categories
from laoyuan.workorders.scoping import INTAKE_ROLES
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import Forbidden

RESIDENT = [Role.RESIDENT]
# The channels staff choose from when taking an order on a resident's behalf.
STAFF_CHANNELS = (Channel.PHONE, Channel.SERVICE_CENTRE, Channel.GRID)
FIELDS = ("category", "description", "photos", "place", "building", "house", "channel")


def _own_houses(user: Any) -> list[House]:
    return list(
        scoped(House.objects.all(), user, RESIDENT)
        .select_related("building", "compound")
        .order_by("compound__name", "building__number", "unit", "room", "id")
    )


def _staff_compound(request: HttpRequest) -> Compound | None:
    """The compound named by ``?compound=`` among those the user may take orders for (404 for
    any other), or None when none is named."""
    raw = request.GET.get("compound", "")
    if not raw:
        return None
    compound_id = parse_id(raw)
    if compound_id is None:
        raise Http404
    try:
        return scoped(Compound.objects.all(), request.user, INTAKE_ROLES).get(pk=compound_id)
    except Compound.DoesNotExist:
        raise Http404 from None


def _pick(rows: list[Any], raw: str) -> Any:
    return next((row for row in rows if str(row.pk) == raw), None)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def report(request: HttpRequest) -> HttpResponse:
    user = request.user
    staff_compound = _staff_compound(request)
    if staff_compound is None:
        houses = _own_houses(user)
        if not houses:
            compounds = list(
                scoped(Compound.objects.all(), user, INTAKE_ROLES).order_by("name")[:500]
            )
            if not compounds:
                raise Http404
            # Staff first choose the compound they take the order for.
            return render(request, "workorders/report_pick.html", {"compounds": compounds})
        compound_ids = {house.compound_id for house in houses}
    else:
        houses = list(
            House.objects.filter(compound=staff_compound)
            .select_related("building", "compound")
            .order_by("building__number", "unit", "room", "id")
        )
        compound_ids = {staff_compound.pk}
    categories = list(active_categories())
    buildings = list(
        Building.objects.filter(compound_id__in=compound_ids)
        .select_related("compound")
        .order_by("compound__name", "number")
    )
    values: dict[str, Any] = {
        "house": str(houses[0].pk) if staff_compound is None and len(houses) == 1 else "",
        "channel": Channel.PHONE if staff_compound else "",
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {key: request.POST.get(key, "").strip() for key in request.POST}
        category = _pick(categories, values.get("category", ""))
        house = _pick(houses, values.get("house", ""))
        building = _pick(buildings, values.get("building", ""))
        if category is None:
            errors["category"] = [_("Choose what kind of problem it is.")]
        if staff_compound is None and house is None:
            errors["house"] = [_("Choose your house.")]
        if staff_compound is not None and values.get("house") and house is None:
            errors["house"] = [_("Choose a house of this compound.")]
        channel = values.get("channel", "") if staff_compound else Channel.APP
        if staff_compound is not None and channel not in STAFF_CHANNELS:
            errors["channel"] = [_("Choose how the problem was reported.")]
        contact_phone = ""
        try:
            contact_phone = normalise_phone(values.get("contact_phone", ""))
        except ValidationError as error:
            errors["contact_phone"] = error.messages
        compound = staff_compound or (house.compound if house else None)
        if building is not None and compound is not None and building.compound_id != compound.pk:
            errors["building"] = [_("Choose a building of this compound.")]
        if not errors and compound is not None and category is not None:
            place = " ".join(
                part
                for part in (building.number if building else "", values.get("place", ""))
                if part
            )
            try:
                order = create_order(
                    actor=user,
                    compound=compound,
                    category=category,
                    description=values.get("description", ""),
                    house=house,
                    channel=channel,
                    place=place,
                    photos=request.FILES.getlist("photos"),
                    contact_name=values.get("contact_name", "") if staff_compound else "",
                    contact_phone=contact_phone if staff_compound else "",
                )
            except Forbidden:
                raise Http404 from None
            except ValidationError as error:
                errors = (
                    error.message_dict
                    if hasattr(error, "error_dict")
                    else {"__all__": error.messages}
                )
            else:
                messages.success(
                    request,
                    _("Thank you. Your report is number %(number)s; we will tell you each step.")
                    % {"number": order.pk}
                    if staff_compound is None
                    else _("Order %(number)s taken.") % {"number": order.pk},
                )
                return redirect("workorders:detail", pk=order.pk)
    other_errors = [m for key, msgs in errors.items() if key not in FIELDS for m in msgs]
    return render(
        request,
        "workorders/report.html",
        {
            "staff_compound": staff_compound,
            "houses": houses,
            "categories": categories,
            "buildings": buildings,
            "channels": [(c.value, c.label) for c in STAFF_CHANNELS],
            "values": values,
            "errors": errors,
            "other_errors": other_errors,
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
@never_cache
def mine(request: HttpRequest) -> HttpResponse:
    """My household's orders, newest first, with the next step in plain words."""
    scope = scope_for(request.user, RESIDENT)
    if not scope.house and not scope.everything:
        raise Http404
    rows = (
        scoped(WorkOrder.objects.all(), request.user, RESIDENT)
        .select_related("category", "compound", "house__building")
        .order_by("-created_at", "-id")
    )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    for order in page:
        order.may_rate = order.status == Status.VERIFIED and (  # type: ignore[attr-defined]
            order.requester_id == request.user.pk
            or (order.requester_id is None and order.house_id in scope.house)
        )
    return render(request, "workorders/mine.html", {"page": page})


urlpatterns = [
    path("report/", report, name="report"),
    path("mine/", mine, name="mine"),
]
