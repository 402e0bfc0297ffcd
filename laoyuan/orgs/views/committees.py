"""Pages of the committees: the list (terms ending soon marked) and its export, a committee,
forming one for a compound, editing it and appointing its members."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.orgs import queries, services
from laoyuan.orgs.exports import committee_workbook
from laoyuan.orgs.forms import CommitteeFilterForm, CommitteeForm, CompoundSearchForm, PostForm
from laoyuan.orgs.models import Committee
from laoyuan.orgs.views._common import (
    PAGE_SIZE,
    _form_page,
    _manage_or_404,
    _manager,
    _may,
    _number,
    _read_or_404,
    _reader,
    _save,
    _xlsx,
)
from laoyuan.orgs.views.posts import _post_form_page, _post_kwargs
from laoyuan.places.models import Compound


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
