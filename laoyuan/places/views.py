"""Server-rendered pages of the place registry.

Every object is fetched through ``accounts.scoping``: another scope's compound, house, street or
community answers 404, and lists and counts never include it. A resident sees their compound's
public facts and their own house; the people of a compound are shown only to roles whose scope
covers the whole compound, and phones are always masked (the reveal view logs each unmasking).
"""

import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.accounts.enums import PHONE_ROLES, Role
from laoyuan.accounts.models import RoleAssignment
from laoyuan.accounts.scoping import (
    RESIDENT_DATA_ROLES,
    compound_q,
    get_scoped_or_404,
    scope_for,
    scoped,
)
from laoyuan.core.forms import apply_service_errors
from laoyuan.dashboard.queries import DASHBOARD_ROLES, compound_figures, overview
from laoyuan.orgs.enums import CompanyKind, PartyLevel
from laoyuan.orgs.models import Cadre, Committee, PartyOrg, Post
from laoyuan.people.models import Residency
from laoyuan.places.enums import ManagementMode
from laoyuan.places.exports import compound_workbook
from laoyuan.places.forms import CompoundFilterForm, ModeChangeForm
from laoyuan.places.models import (
    Community,
    Compound,
    Grid,
    House,
    ManagementPeriod,
    Street,
    Takeover,
)
from laoyuan.places.queries import COMPOUND_ORDERINGS, CompoundFilters, compound_list, house_list
from laoyuan.places.services import change_management_mode, sniff_agreement_type

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TAKEOVER_FILES = {"entrustment": "entrustment_file", "service-agreement": "service_agreement_file"}

# The compound list's columns: label, the ordering key that sorts by it, numeric.
LIST_COLUMNS = (
    (gettext_lazy("Code"), "code", False),
    (gettext_lazy("Compound name"), "name", False),
    (gettext_lazy("Street"), "street", False),
    (gettext_lazy("Community"), None, False),
    (gettext_lazy("Grid"), None, False),
    (gettext_lazy("Management mode"), "mode", False),
    (gettext_lazy("Property company"), None, False),
    (gettext_lazy("Floor area (m²)"), "area", True),
    (gettext_lazy("Households"), "households", True),
    (gettext_lazy("Renovated"), None, False),
)


def _list_headers(ordering: str) -> list[dict[str, Any]]:
    """Column headers with the ordering each link asks for and the current sort direction."""
    headers = []
    for label, key, numeric in LIST_COLUMNS:
        header: dict[str, Any] = {"label": label, "numeric": numeric, "next": None, "sort": None}
        if key is not None:
            descending = f"-{key}"
            if ordering == key:
                header["sort"] = "ascending"
                header["next"] = descending if descending in COMPOUND_ORDERINGS else None
            elif ordering == descending:
                header["sort"] = "descending"
                header["next"] = key
            else:
                header["next"] = key
        headers.append(header)
    return headers


@login_required
@require_GET
def compound_list_page(request: HttpRequest) -> HttpResponse:
    """The compounds in the user's scope, filtered, searched, sorted and paginated."""
    filters = CompoundFilters.from_params(request.GET)
    compounds = compound_list(user=request.user, filters=filters)
    page = Paginator(compounds, PAGE_SIZE).get_page(request.GET.get("page"))
    form = CompoundFilterForm(
        initial={key: request.GET.get(key) for key in request.GET},
        user=request.user,
        filters=filters,
    )
    filtered = any(
        request.GET.get(key) for key in ("q", "street", "community", "grid", "mode", "company")
    ) or any(request.GET.get(key) in {"true", "false"} for key in ("renovated", "taken_over"))
    return render(
        request,
        "places/compound_list.html",
        {
            "form": form,
            "page_obj": page,
            "headers": _list_headers(filters.ordering),
            "ordering": filters.ordering,
            "filtered": filtered,
        },
    )


@login_required
@require_GET
def compound_export(request: HttpRequest) -> HttpResponse:
    """The filtered compound list (every row, not only one page) as an Excel workbook."""
    filters = CompoundFilters.from_params(request.GET)
    compounds = compound_list(user=request.user, filters=filters)
    content = compound_workbook(compounds.iterator(chunk_size=2000))
    filename = f"compounds-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _sees_whole_compound(user: Any, compound: Compound) -> bool:
    """True when a role that may see residents covers the compound itself, not only a house in
    it (a resident, an inspector or a merchant sees the compound's public facts)."""
    scope = scope_for(user, RESIDENT_DATA_ROLES)
    if scope.everything:
        return True
    return Compound.objects.filter(compound_q(scope, with_houses=False), pk=compound.pk).exists()


def _may_reveal_in(user: Any, compound: Compound) -> bool:
    """Whether a role that may reveal phone numbers covers this compound."""
    return scoped(Compound.objects.filter(pk=compound.pk), user, PHONE_ROLES).exists()


def _may_change_mode(user: Any, compound: Compound) -> bool:
    """The street office of the compound's street and the district office change modes."""
    if user.is_superuser and user.is_active:
        return True
    return (
        RoleAssignment.objects.active()
        .filter(user=user)
        .filter(
            Q(role=Role.DISTRICT, district_id=compound.district_id)
            | Q(role=Role.STREET, street_id=compound.street_id)
        )
        .exists()
    )


def _may_see(model: type[Street] | type[Community], user: Any, pk: int) -> bool:
    return scoped(model.objects.filter(pk=pk), user).exists()


@login_required
@require_GET
def compound_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    compound = get_scoped_or_404(
        Compound.objects.select_related("street", "community", "grid", "company"), user, pk=pk
    )
    whole = _sees_whole_compound(user, compound)
    history = (
        scoped(ManagementPeriod.objects.filter(compound=compound), user)
        .select_related("company", "recorded_by", "takeover")
        .order_by("-started_on", "-id")
    )
    committees = scoped(Committee.objects.filter(compound=compound), user).order_by("kind", "id")
    houses = house_list(user=user, compound_id=compound.pk)
    context: dict[str, Any] = {
        "compound": compound,
        "whole": whole,
        "history": list(history),
        "can_change_mode": _may_change_mode(user, compound),
        "can_reveal": _may_reveal_in(user, compound),
        "can_see_street": _may_see(Street, user, compound.street_id),
        "can_see_community": _may_see(Community, user, compound.community_id),
    }
    if not whole:
        # A resident, an inspector or a merchant: the compound's public facts, no person; a
        # resident also sees their own house (through the resident role only).
        context["committees"] = list(committees)
        context["own_houses"] = list(
            scoped(House.objects.filter(compound=compound), user, [Role.RESIDENT])
            .select_related("building")
            .order_by("building__number", "unit", "room")
        )
        context["is_resident"] = scope_for(user).has_role(Role.RESIDENT)
        return render(request, "places/compound_detail.html", context)

    members = Post.objects.select_related("person").order_by("term_start", "id")
    branches = scoped(
        PartyOrg.objects.filter(level=PartyLevel.COMPOUND_BRANCH, compound=compound), user
    ).prefetch_related(Prefetch("posts", queryset=members))
    groups = scoped(
        PartyOrg.objects.filter(level=PartyLevel.BUILDING_GROUP).filter(
            Q(compound=compound)
            | Q(parent__level=PartyLevel.COMPOUND_BRANCH, parent__compound=compound)
        ),
        user,
    ).select_related("building")
    buildings = (
        scoped(compound.buildings.all(), user)
        .annotate(house_count=Count("houses"))
        .order_by("number", "id")
    )
    residents = (
        scoped(Residency.objects.filter(compound=compound), user)
        .select_related("person", "house__building")
        .order_by("house__building__number", "house__unit", "house__room", "role", "id")
    )
    context.update(
        {
            # Committee members are visible because their committee is in the user's scope.
            "committees": list(committees.prefetch_related(Prefetch("members", queryset=members))),
            "branches": list(branches),
            "groups": list(groups),
            "cadres": list(
                scoped(Cadre.objects.filter(grid_id=compound.grid_id), user)
                .select_related("person", "branch")
                .order_by("since", "id")
            ),
            "buildings": list(buildings),
            "panel": compound_figures(user=user, compound=compound),
            "dashboard": not scope_for(user, DASHBOARD_ROLES).is_empty,
            "houses_page": Paginator(
                houses.annotate(resident_count=Count("residencies")), PAGE_SIZE
            ).get_page(request.GET.get("houses_page")),
            "residents_page": Paginator(residents, PAGE_SIZE).get_page(
                request.GET.get("residents_page")
            ),
        }
    )
    return render(request, "places/compound_detail.html", context)


@login_required
@require_GET
def house_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A house and the people living in it; a resident may open only their own house."""
    user = request.user
    house = get_scoped_or_404(
        House.objects.select_related("building", "compound__street", "compound__company"),
        user,
        pk=pk,
    )
    residents = (
        scoped(Residency.objects.filter(house=house), user)
        .select_related("person")
        .order_by("role", "id")
    )
    return render(
        request,
        "places/house_detail.html",
        {
            "house": house,
            "compound": house.compound,
            "residents": list(residents),
            "can_reveal": _may_reveal_in(user, house.compound),
        },
    )


def _counts_by(compounds: Any, field: str) -> dict[int, int]:
    return dict(compounds.order_by().values_list(field).annotate(n=Count("id")))


@login_required
@require_GET
def street_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A street's figures and its communities (district and the street's own roles only)."""
    user = request.user
    street = get_scoped_or_404(Street.objects.select_related("district"), user, pk=pk)
    compounds = scoped(Compound.objects.filter(street=street), user)
    per_community = _counts_by(compounds, "community_id")
    communities = scoped(Community.objects.filter(street=street), user).annotate(
        grid_count=Count("grids")
    )
    companies = (
        compounds.filter(company__kind=CompanyKind.PUBLIC)
        .order_by("company__code")
        .values("company_id", "company__name")
        .annotate(compounds=Count("id"), area_m2=Sum("area_m2"), households=Sum("households"))
    )
    return render(
        request,
        "places/street_detail.html",
        {
            "street": street,
            "figures": overview(user=user, street_id=street.pk),
            "list_url": f"{reverse('places:compound_list')}?street={street.pk}",
            "communities": [(c, per_community.get(c.pk, 0)) for c in communities],
            "companies": list(companies),
        },
    )


@login_required
@require_GET
def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A community's figures and its grids (district, its street and the community itself)."""
    user = request.user
    community = get_scoped_or_404(Community.objects.select_related("street"), user, pk=pk)
    compounds = scoped(Compound.objects.filter(community=community), user)
    per_grid = _counts_by(compounds, "grid_id")
    grids = scoped(Grid.objects.filter(community=community), user).annotate(
        cadre_count=Count("cadres")
    )
    return render(
        request,
        "places/community_detail.html",
        {
            "community": community,
            "figures": overview(user=user, community_id=community.pk),
            "list_url": f"{reverse('places:compound_list')}?community={community.pk}",
            "grids": [(g, per_grid.get(g.pk, 0)) for g in grids],
            "can_see_street": _may_see(Street, user, community.street_id),
        },
    )


def _summary_to(form: ModeChangeForm) -> dict[str, str]:
    """The chosen mode and company, as the confirmation summary shows them after a post."""
    if not form.is_bound:
        return {}
    mode = form.data.get("mode", "")
    company = form.cleaned_data.get("company") if hasattr(form, "cleaned_data") else None
    return {
        "mode": ManagementMode(mode).label if mode in ManagementMode.values else "",
        "company": company.name if company else "",
        "effective_on": form.data.get("effective_on", ""),
    }


@login_required
@require_http_methods(["GET", "POST"])
def compound_mode(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a compound's management mode (with the takeover details for a public takeover)."""
    user = request.user
    compound = get_scoped_or_404(Compound.objects.select_related("street", "company"), user, pk=pk)
    if not _may_change_mode(user, compound):
        raise Http404
    current = (
        ManagementPeriod.objects.filter(compound=compound, ended_on__isnull=True)
        .select_related("company")
        .first()
    )
    if request.method == "POST":
        form = ModeChangeForm(request.POST, request.FILES, compound=compound, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                change_management_mode(
                    compound=compound,
                    mode=data["mode"],
                    company=data["company"],
                    effective_on=data["effective_on"],
                    reason=data["reason"],
                    actor=user,
                    takeover=form.takeover(),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The management mode of %(name)s is now: %(mode)s.")
                    % {"name": compound.name, "mode": ManagementMode(data["mode"]).label},
                )
                return redirect("places:compound_detail", pk=compound.pk)
    else:
        mode = request.GET.get("mode")
        if mode not in ManagementMode.values:
            mode = compound.management_mode
        form = ModeChangeForm(initial={"mode": mode}, compound=compound, user=user)
        form.initial["company"] = form.suggested_company(mode)
    return render(
        request,
        "places/compound_mode.html",
        {
            "compound": compound,
            "current": current,
            "form": form,
            "takeover_fields": [form[name] for name in ModeChangeForm.TAKEOVER_FIELDS],
            "summary_to": _summary_to(form),
        },
    )


@login_required
@require_GET
def takeover_file(request: HttpRequest, pk: int, which: str) -> FileResponse:
    """A takeover's scanned agreement, only to users whose scope covers the compound.

    Agreements are never served from MEDIA_URL: this view is the only way to them.
    """
    field_name = TAKEOVER_FILES.get(which)
    if field_name is None:
        raise Http404
    takeover = get_scoped_or_404(Takeover.objects.all(), request.user, pk=pk)
    stored = getattr(takeover, field_name)
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    head = handle.read(16)
    handle.seek(0)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=os.path.basename(stored.name),
        content_type=sniff_agreement_type(head) or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
