"""Pages of the organisations: property companies, committees, the party structure, agency
branches and their cadres.

Reading: the roles of ``orgs.queries.READ_ROLES``, each seeing what ``accounts.scoping`` gives
them. Managing: the district, street and community offices over their own places
(``orgs.queries.Authority``). A body outside either answers 404, and so does every page to a
user with no business here; the services check permission again.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.accounts.scoping import scoped
from laoyuan.orgs import queries, services
from laoyuan.orgs.enums import PartyLevel
from laoyuan.orgs.exports import committee_workbook, company_workbook
from laoyuan.orgs.forms import (
    AgencyBranchForm,
    CadreFilterForm,
    CadreForm,
    CommitteeFilterForm,
    CommitteeForm,
    CompanyFilterForm,
    CompanyForm,
    CompoundSearchForm,
    EndForm,
    PartyOrgForm,
    PostForm,
)
from laoyuan.orgs.models import Committee, PartyOrg, Post, PropertyCompany
from laoyuan.places.models import Building, Community, Compound, House, Street

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Helpers ----------------------------------------------------------------------------------


def _reader(user: Any) -> None:
    if not queries.reads_organisations(user):
        raise Http404


def _manager(user: Any, check: Callable[[queries.Authority], bool] | None = None) -> None:
    authority = queries.authority_for(user)
    if authority.is_empty or (check is not None and not check(authority)):
        raise Http404


def _read_or_404[M: Model](queryset: QuerySet[M], user: Any, pk: int) -> M:
    obj = scoped(queryset, user, queries.READ_ROLES).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _manage_or_404[M: Model](queryset: QuerySet[M], pk: int) -> M:
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _may(queryset: QuerySet[Any], pk: int) -> bool:
    return queryset.filter(pk=pk).exists()


def _number(request: HttpRequest, name: str) -> int | None:
    value = (request.GET.get(name) or request.POST.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def _xlsx(content: bytes, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    filename = f"{stem}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _form_page(
    request: HttpRequest,
    *,
    form: Any,
    title: str,
    back: tuple[str, str],
    intro: str = "",
    submit: str = "",
    facts: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    return render(
        request,
        "orgs/form.html",
        {
            "form": form,
            "title": title,
            "back_label": back[0],
            "back_url": back[1],
            "intro": intro,
            "submit": submit or _("Save"),
            "facts": facts or [],
        },
    )


def _save(request: HttpRequest, form: Any, action: Callable[[], Any], done: str) -> Any | None:
    """Call the service; its refusal becomes form errors (or a 404 when not the user's)."""
    try:
        result = action()
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, done)
    return result if result is not None else True


# --- Companies --------------------------------------------------------------------------------


def _creates_companies(authority: queries.Authority) -> bool:
    return authority.is_district or bool(authority.streets)


@login_required
@require_GET
def company_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _reader(user)
    filters = queries.CompanyFilters.from_params(request.GET)
    page = Paginator(queries.company_list(user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "orgs/company_list.html",
        {
            "form": CompanyFilterForm(request.GET or None, user=user),
            "page_obj": page,
            "filtered": bool(filters.search or filters.kind or filters.street),
            "can_create": _creates_companies(queries.authority_for(user)),
        },
    )


@login_required
@require_GET
def company_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _reader(user)
    filters = queries.CompanyFilters.from_params(request.GET)
    rows = queries.company_list(user=user, filters=filters).iterator(chunk_size=2000)
    return _xlsx(company_workbook(rows), "companies")


@login_required
@require_GET
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _reader(user)
    company = _read_or_404(PropertyCompany.objects.select_related("district", "street"), user, pk)
    posts = list(queries.company_posts(company=company))
    today = timezone.localdate()
    return render(
        request,
        "orgs/company_detail.html",
        {
            "company": company,
            "compounds_page": Paginator(
                queries.company_compounds(user=user, company=company), PAGE_SIZE
            ).get_page(request.GET.get("compounds_page")),
            "posts": posts,
            "today": today,
            "cross": queries.cross_appointed(user=user, person_ids={p.person_id for p in posts}),
            "can_manage": _may(queries.manageable_companies(user), company.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _manager(user, _creates_companies)
    form = CompanyForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        company = _save(
            request,
            form,
            lambda: services.company_create(
                actor=user,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                street=data.get("street"),
                phone=data.get("phone") or "",
                district=data.get("district"),
            ),
            _("The company was registered."),
        )
        if company:
            return redirect("orgs:company_detail", pk=company.pk)
    return _form_page(
        request,
        form=form,
        title=_("Register a property company"),
        back=(_("Property companies"), reverse("orgs:company_list")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    company = _manage_or_404(queries.manageable_companies(user), pk)
    form = CompanyForm(request.POST or None, user=user, company=company)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: services.company_update(
                actor=user,
                company=company,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                street=data.get("street"),
                phone=data.get("phone") or "",
            ),
            _("The company was saved."),
        ):
            return redirect("orgs:company_detail", pk=company.pk)
    return _form_page(
        request,
        form=form,
        title=_("Edit %(name)s") % {"name": company.name},
        back=(company.name, reverse("orgs:company_detail", args=[company.pk])),
    )


def _post_form_page(
    request: HttpRequest,
    *,
    form: PostForm,
    body: Any,
    back_url: str,
    add: Callable[[dict[str, Any]], Post],
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: add(data),
            _("%(name)s now holds the post.") % {"name": data.get("person") or data.get("name")},
        ):
            return redirect(back_url)
    return _form_page(
        request,
        form=form,
        title=_("Add a post in %(body)s") % {"body": body},
        back=(str(body), back_url),
        intro=_(
            "Choose someone on record for a cross-appointment (交叉任职), or give a new person's "
            "name and mobile phone."
        ),
    )


def _post_kwargs(form: PostForm, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "person": form.appointee(),
        "title": data["title"],
        "term_start": data["term_start"],
        "term_end": data.get("term_end"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def company_post_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    company = _manage_or_404(queries.manageable_companies(user), pk)
    form = PostForm(request.POST or None, user=user, street_id=company.street_id, company=company)
    return _post_form_page(
        request,
        form=form,
        body=company,
        back_url=reverse("orgs:company_detail", args=[company.pk]),
        add=lambda data: services.post_add(
            actor=user, company=company, street=data.get("street"), **_post_kwargs(form, data)
        ),
    )


# --- Committees -------------------------------------------------------------------------------


def _term_state(committee: Committee, today: datetime.date, soon: datetime.date) -> str:
    if committee.term_end < today:
        return "ended"
    return "soon" if committee.term_end <= soon else ""


@login_required
@require_GET
def committee_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _reader(user)
    filters = queries.CommitteeFilters.from_params(request.GET)
    page = Paginator(queries.committee_list(user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    soon = queries.term_warning_date(today)
    for committee in page:
        committee.term_state = _term_state(committee, today, soon)  # type: ignore[attr-defined]
    return render(
        request,
        "orgs/committee_list.html",
        {
            "form": CommitteeFilterForm(request.GET or None, user=user, filters=filters),
            "page_obj": page,
            "filtered": any(
                [filters.search, filters.street, filters.community, filters.kind, filters.ending]
            ),
            "can_create": not queries.authority_for(user).is_empty,
        },
    )


@login_required
@require_GET
def committee_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _reader(user)
    filters = queries.CommitteeFilters.from_params(request.GET)
    rows = queries.committee_list(user=user, filters=filters).iterator(chunk_size=2000)
    return _xlsx(committee_workbook(rows), "committees")


@login_required
@require_GET
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _reader(user)
    committee = _read_or_404(
        Committee.objects.select_related("compound__community", "street"), user, pk
    )
    members = list(queries.committee_members(committee=committee))
    today = timezone.localdate()
    return render(
        request,
        "orgs/committee_detail.html",
        {
            "committee": committee,
            "term_state": _term_state(committee, today, queries.term_warning_date(today)),
            "members": members,
            "today": today,
            "cross": queries.cross_appointed(user=user, person_ids={m.person_id for m in members}),
            "can_manage": _may(queries.manageable_committees(user), committee.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def committee_create(request: HttpRequest) -> HttpResponse:
    """Pick a compound (search), then form its committee."""
    user = request.user
    _manager(user)
    compounds = queries.manageable_compounds(user)
    compound_id = _number(request, "compound")
    compound = None
    if compound_id is not None:
        compound = _manage_or_404(compounds, compound_id)
    if compound is None:
        search = CompoundSearchForm(request.GET or None)
        found: list[Compound] = []
        if search.is_valid():
            q = search.cleaned_data["q"].strip()
            found = list(
                compounds.filter(code__iexact=q)
                or compounds.filter(name__icontains=q).order_by("name", "code")[:20]
            )
        return render(
            request,
            "orgs/compound_pick.html",
            {"search": search, "found": found, "searched": search.is_bound},
        )
    form = CommitteeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        committee = _save(
            request,
            form,
            lambda: services.committee_create(
                actor=user,
                compound=compound,
                kind=data["kind"],
                name=data["name"],
                term_start=data["term_start"],
                term_end=data["term_end"],
            ),
            _("The committee was formed."),
        )
        if committee:
            return redirect("orgs:committee_detail", pk=committee.pk)
    return _form_page(
        request,
        form=form,
        title=_("Form a committee of %(compound)s") % {"compound": compound.name},
        back=(_("Committees"), reverse("orgs:committee_list")),
        facts=[(_("Compound"), f"{compound.code} {compound.name}")],
    )


@login_required
@require_http_methods(["GET", "POST"])
def committee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    committee = _manage_or_404(queries.manageable_committees(user).select_related("compound"), pk)
    form = CommitteeForm(
        request.POST or None,
        initial={
            "kind": committee.kind,
            "name": committee.name,
            "term_start": committee.term_start,
            "term_end": committee.term_end,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: services.committee_update(
                actor=user,
                committee=committee,
                kind=data["kind"],
                name=data["name"],
                term_start=data["term_start"],
                term_end=data["term_end"],
            ),
            _("The committee was saved."),
        ):
            return redirect("orgs:committee_detail", pk=committee.pk)
    return _form_page(
        request,
        form=form,
        title=_("Edit %(name)s") % {"name": committee.name},
        back=(committee.name, reverse("orgs:committee_detail", args=[committee.pk])),
        facts=[(_("Compound"), f"{committee.compound.code} {committee.compound.name}")],
    )


@login_required
@require_http_methods(["GET", "POST"])
def committee_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    committee = _manage_or_404(queries.manageable_committees(user), pk)
    form = PostForm(
        request.POST or None,
        user=user,
        street_id=committee.street_id,
        compound_id=committee.compound_id,
    )
    return _post_form_page(
        request,
        form=form,
        body=committee,
        back_url=reverse("orgs:committee_detail", args=[committee.pk]),
        add=lambda data: services.committee_member_add(
            actor=user, committee=committee, **_post_kwargs(form, data)
        ),
    )


# --- Posts ------------------------------------------------------------------------------------


def _post_back_url(post: Post) -> str:
    if post.committee_id is not None:
        return reverse("orgs:committee_detail", args=[post.committee_id])
    if post.company_id is not None:
        return reverse("orgs:company_detail", args=[post.company_id])
    return f"{reverse('orgs:party')}?street={post.street_id}"


@login_required
@require_http_methods(["GET", "POST"])
def post_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    post = _manage_or_404(
        queries.manageable_posts(user).select_related(
            "person", "committee", "party_org", "company"
        ),
        pk,
    )
    back_url = _post_back_url(post)
    form = EndForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _save(
            request,
            form,
            lambda: services.post_end(
                actor=user, post=post, ended_on=form.cleaned_data["ended_on"]
            ),
            _("The post was ended."),
        )
    ):
        return redirect(back_url)
    body = post.committee or post.party_org or post.company
    return _form_page(
        request,
        form=form,
        title=_("End a post"),
        back=(str(body), back_url),
        submit=_("End the post"),
        facts=[
            (_("Person"), post.person.name),
            (_("Post"), f"{post.title}, {body}"),
            (_("From"), post.term_start.isoformat()),
        ],
    )


# --- The party structure ----------------------------------------------------------------------


@login_required
@require_GET
def party(request: HttpRequest) -> HttpResponse:
    """The five-level structure of one street: down to the compound branches for the whole
    street, and all five levels of a chosen community."""
    user = request.user
    _reader(user)
    visible = scoped(PartyOrg.objects.all(), user, queries.READ_ROLES)
    streets = list(Street.objects.filter(pk__in=visible.values("street_id")).order_by("code"))
    street_id = _number(request, "street")
    street = next((s for s in streets if s.pk == street_id), None)
    if street is None and len(streets) == 1:
        street = streets[0]
    managed_streets = queries.manageable_streets(user)
    context: dict[str, Any] = {
        "streets": streets,
        "street": street,
        "creatable_streets": list(
            managed_streets.exclude(
                pk__in=PartyOrg.objects.filter(level=PartyLevel.STREET_COMMITTEE).values(
                    "street_id"
                )
            ).order_by("code")
        ),
    }
    if street is not None:
        communities = list(
            Community.objects.filter(
                pk__in=visible.filter(street=street).values("community_id")
            ).order_by("code")
        )
        community_id = _number(request, "community")
        community = next((c for c in communities if c.pk == community_id), None)
        if community is None and len(communities) == 1:
            community = communities[0]
        tree = queries.party_tree(user=user, street=street, community=community)
        shown = queries.party_nodes(tree)
        context.update(
            {
                "communities": communities,
                "community": community,
                "tree": tree,
                "cross": queries.cross_appointed(
                    user=user,
                    person_ids={
                        post.person_id for node in shown for post in queries.node_posts(node)
                    },
                ),
                "managed": set(
                    queries.manageable_party_orgs(user)
                    .filter(pk__in=[node.org.pk for node in shown])
                    .values_list("pk", flat=True)
                ),
                "managed_posts": set(
                    queries.manageable_posts(user)
                    .filter(pk__in=[post.pk for node in shown for post in queries.node_posts(node)])
                    .values_list("pk", flat=True)
                ),
            }
        )
    return render(request, "orgs/party.html", context)


def _child_places(parent: PartyOrg, user: Any) -> QuerySet[Any]:
    """The places one level below the parent's that the user manages and that have no body of
    the next level yet."""
    level = parent.level + 1
    taken = PartyOrg.objects.filter(level=level)
    if level == PartyLevel.COMMUNITY_COMMITTEE:
        return (
            queries.manageable_communities(user)
            .filter(street_id=parent.street_id)
            .exclude(pk__in=taken.values("community_id"))
            .order_by("code")
        )
    compounds = queries.manageable_compounds(user)
    if level == PartyLevel.COMPOUND_BRANCH:
        return (
            compounds.filter(Q(community_id=parent.community_id))
            .exclude(pk__in=taken.values("compound_id"))
            .order_by("code")
        )
    if level == PartyLevel.BUILDING_GROUP:
        return (
            Building.objects.filter(Q(compound_id=parent.compound_id), compound__in=compounds)
            .exclude(pk__in=taken.values("building_id"))
            .select_related("compound")
            .order_by("number", "pk")
        )
    return (
        House.objects.filter(Q(building_id=parent.building_id), compound__in=compounds)
        .exclude(pk__in=taken.values("house_id"))
        .select_related("building")
        .order_by("unit", "room", "pk")
    )


@login_required
@require_http_methods(["GET", "POST"])
def party_create(request: HttpRequest) -> HttpResponse:
    """A new body below ``?parent=`` (or a street's working committee with ``?street=``)."""
    user = request.user
    _manager(user)
    parent_id = _number(request, "parent")
    parent: PartyOrg | None = None
    places: QuerySet[Any]
    if parent_id is not None:
        parent = _read_or_404(PartyOrg.objects.select_related("street"), user, parent_id)
        if parent.level >= PartyLevel.CENTRAL_HOUSEHOLD:
            raise Http404
        level = parent.level + 1
        places = _child_places(parent, user)
    else:
        level = PartyLevel.STREET_COMMITTEE
        places = queries.manageable_streets(user).filter(Q(pk=_number(request, "street")))
    if not places.exists():
        raise Http404
    form = PartyOrgForm(request.POST or None, level=level, places=places)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        place_field = services.PLACE_FIELDS[level]
        org = _save(
            request,
            form,
            lambda: services.party_org_create(
                actor=user,
                level=level,
                name=data["name"],
                parent=parent,
                **{place_field: data["place"]},
            ),
            _("The party body was set up."),
        )
        if org:
            return redirect(f"{reverse('orgs:party')}?{_tree_query(org)}")
    street_id = parent.street_id if parent else _number(request, "street")
    return _form_page(
        request,
        form=form,
        title=_("Set up a %(level)s") % {"level": PartyLevel(level).label},
        back=(_("Party structure"), f"{reverse('orgs:party')}?street={street_id}"),
        facts=[(_("Parent body"), parent.name)] if parent else [],
    )


def _tree_query(org: PartyOrg) -> str:
    query = f"street={org.street_id}"
    if org.community_id is not None and org.level > PartyLevel.COMPOUND_BRANCH:
        query += f"&community={org.community_id}"
    return query


@login_required
@require_http_methods(["GET", "POST"])
def party_post_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    org = _manage_or_404(queries.manageable_party_orgs(user), pk)
    form = PostForm(
        request.POST or None, user=user, street_id=org.street_id, compound_id=org.compound_id
    )
    return _post_form_page(
        request,
        form=form,
        body=org,
        back_url=f"{reverse('orgs:party')}?{_tree_query(org)}",
        add=lambda data: services.post_add(actor=user, party_org=org, **_post_kwargs(form, data)),
    )


# --- Agency branches and cadres ---------------------------------------------------------------


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
