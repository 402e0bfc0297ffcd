"""Pages of the cadres that agency branches sink into grids: the list with the branches,
assigning a cadre, a cadre leaving, and registering a branch."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.orgs import queries, services
from laoyuan.orgs.forms import AgencyBranchForm, CadreFilterForm, CadreForm, EndForm
from laoyuan.orgs.views._common import (
    PAGE_SIZE,
    _form_page,
    _manage_or_404,
    _manager,
    _number,
    _reader,
    _save,
)


def _runs_cadres(authority: queries.Authority) -> bool:
    return authority.is_district or bool(authority.streets)


@login_required
@require_GET
def cadres(request: HttpRequest) -> HttpResponse:
    user = request.user
    _reader(user)
    filters = queries.CadreFilters.from_params(request.GET)
    page = Paginator(queries.cadre_list(user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    authority = queries.authority_for(user)
    return render(
        request,
        "orgs/cadres.html",
        {
            "form": CadreFilterForm(request.GET or None, user=user),
            "page_obj": page,
            "branches_page": Paginator(queries.agency_branch_list(user=user), PAGE_SIZE).get_page(
                request.GET.get("branches_page")
            ),
            "managed": set(
                queries.manageable_cadres(user)
                .filter(pk__in=[cadre.pk for cadre in page])
                .values_list("pk", flat=True)
            ),
            "can_assign": _runs_cadres(authority),
            "can_add_branch": authority.is_district,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cadre_assign(request: HttpRequest) -> HttpResponse:
    """Sink a cadre into a grid of ``?street=`` (a street office: its own street)."""
    user = request.user
    _manager(user, _runs_cadres)
    streets = queries.manageable_streets(user).order_by("code")
    street_id = _number(request, "street")
    street = None if street_id is None else _manage_or_404(streets, street_id)
    if street is None:
        if streets.count() != 1:
            return render(request, "orgs/street_pick.html", {"streets": streets})
        street = streets.first()
    assert street is not None
    form = CadreForm(request.POST or None, user=user, street=street)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: services.cadre_assign(
                actor=user,
                branch=data["branch"],
                grid=data["grid"],
                person=form.appointee(),
                since=data["since"],
            ),
            _("The cadre was recorded in the grid."),
        ):
            return redirect(f"{reverse('orgs:cadres')}?street={street.pk}")
    return _form_page(
        request,
        form=form,
        title=_("Sink a cadre into a grid"),
        back=(_("Cadres in grids"), reverse("orgs:cadres")),
        facts=[(_("Street"), street.name)],
    )


@login_required
@require_http_methods(["GET", "POST"])
def cadre_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    cadre = _manage_or_404(
        queries.manageable_cadres(user).select_related("person", "branch", "grid"), pk
    )
    form = EndForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _save(
            request,
            form,
            lambda: services.cadre_end(
                actor=user, cadre=cadre, ended_on=form.cleaned_data["ended_on"]
            ),
            _("The cadre has left the grid."),
        )
    ):
        return redirect("orgs:cadres")
    return _form_page(
        request,
        form=form,
        title=_("A cadre leaves the grid"),
        back=(_("Cadres in grids"), reverse("orgs:cadres")),
        submit=_("Record the end"),
        facts=[
            (_("Cadre"), cadre.person.name),
            (_("Agency branch"), cadre.branch.name),
            (_("Grid"), cadre.grid.name),
            (_("In the grid since"), cadre.since.isoformat()),
        ],
    )


@login_required
@require_http_methods(["GET", "POST"])
def agency_branch_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _manager(user, lambda authority: authority.is_district)
    form = AgencyBranchForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: services.agency_branch_create(
                actor=user,
                code=data["code"],
                name=data["name"],
                agency=data["agency"],
                district=data.get("district"),
            ),
            _("The agency branch was registered."),
        ):
            return redirect("orgs:cadres")
    return _form_page(
        request,
        form=form,
        title=_("Register an agency party branch"),
        back=(_("Cadres in grids"), reverse("orgs:cadres")),
    )
