"""Volunteer organisations (志愿服务组织) and their members, and the register of volunteers.

The organisations are a community's notice board: every time-bank role in scope reads them. Who
the members are is residents' data (PIPL: the minimum necessary): the offices see names,
households and the low-income mark; a resident sees the organisation and how many members it has.
The register of volunteers is for the offices only. The community, street and district offices
create organisations, register volunteers and add members (``services.orgs``).
"""

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import get_scoped_or_404, scope_for, scoped
from laoyuan.billing.views.desk.payments import find_houses
from laoyuan.core.params import parse_id
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import Community, Compound, House
from laoyuan.timebank.enums import ClaimStatus, MemberRole
from laoyuan.timebank.forms import service_errors as _service_errors
from laoyuan.timebank.models import (
    Activity,
    Membership,
    Post,
    Volunteer,
    VolunteerOrg,
    minutes_label,
)
from laoyuan.timebank.scoping import MANAGER_ROLES, TIMEBANK_ROLES
from laoyuan.timebank.services import orgs as org_services

PAGE_SIZE = 20
HOUSE_SEARCH_LIMIT = 50
# The roles that see residents' data in the time bank: every office, not a resident.
OFFICE_ROLES = TIMEBANK_ROLES - {Role.RESIDENT}


def _require_roles(user: Any, roles: frozenset[str]) -> None:
    if not scope_for(user, roles).has_role(*roles):
        raise Http404


def _mark_invalid(form: forms.Form) -> None:
    """Bootstrap's invalid look on the fields with errors."""
    if not form.is_bound:
        return
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.RadioSelect):
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        if isinstance(field.widget, forms.CheckboxInput):
            css = "form-check-input"
        field.widget.attrs.setdefault("class", css)


def manager_communities(user: Any) -> QuerySet[Community]:
    return scoped(Community.objects.all(), user, MANAGER_ROLES).order_by("name", "id")


# Organisations ---------------------------------------------------------------------------------


class OrgFilterForm(forms.Form):
    q = forms.CharField(
        label=pgettext_lazy("of a thing", "Search by name"), required=False, max_length=100
    )
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
    )

    def __init__(self, *args: Any, communities: QuerySet[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = communities
        _style(self)


@login_required
@require_GET
def org_list(request: HttpRequest) -> HttpResponse:
    """The organisations in scope with their community, compound, member count and founding day
    (three queries whatever the number of rows)."""
    _require_roles(request.user, TIMEBANK_ROLES)
    orgs = scoped(VolunteerOrg.objects.all(), request.user)
    communities = Community.objects.filter(id__in=orgs.values("community_id").order_by()).order_by(
        "name", "id"
    )
    form = OrgFilterForm(request.GET or None, communities=communities)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["community"] is not None:
            orgs = orgs.filter(community=form.cleaned_data["community"])
        if form.cleaned_data["q"].strip():
            orgs = orgs.filter(name__icontains=form.cleaned_data["q"].strip())
    orgs = (
        orgs.select_related("community", "compound")
        .annotate(members=Count("volunteers", distinct=True))
        .order_by("community__name", "name", "id")
    )
    page = Paginator(orgs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "timebank/orgs.html",
        {
            "form": form,
            "page_obj": page,
            "may_create": scope_for(request.user, MANAGER_ROLES).has_role(*MANAGER_ROLES),
        },
    )


class OrgForm(forms.Form):
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"), queryset=Community.objects.none()
    )
    compound = forms.ModelChoiceField(
        label=gettext_lazy("Compound (optional)"),
        queryset=Compound.objects.none(),
        required=False,
        empty_label=gettext_lazy("The whole community"),
    )
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=100)
    founded_on = forms.DateField(
        label=gettext_lazy("Founded on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    description = forms.CharField(
        label=gettext_lazy("Description (optional)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, communities: QuerySet[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community = self.fields["community"]
        compound = self.fields["compound"]
        assert isinstance(community, forms.ModelChoiceField)
        assert isinstance(compound, forms.ModelChoiceField)
        community.queryset = communities
        compound.queryset = Compound.objects.filter(community__in=communities).order_by(
            "name", "id"
        )
        _style(self)


@login_required
@require_http_methods(["GET", "POST"])
def org_new(request: HttpRequest) -> HttpResponse:
    _require_roles(request.user, MANAGER_ROLES)
    communities = manager_communities(request.user)
    if request.method == "POST":
        form = OrgForm(request.POST, communities=communities)
        if form.is_valid():
            data = form.cleaned_data
            try:
                org = org_services.create_org(
                    actor=request.user,
                    community=data["community"],
                    compound=data["compound"],
                    name=data["name"],
                    founded_on=data["founded_on"],
                    description=data["description"],
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(
                    request, _("Organisation “%(name)s” created.") % {"name": org.name}
                )
                return redirect("timebank:org_detail", pk=org.pk)
    else:
        initial = {"community": communities[0].pk} if len(communities) == 1 else {}
        form = OrgForm(initial=initial, communities=communities)
    _mark_invalid(form)
    return render(request, "timebank/org_form.html", {"form": form})


class VolunteerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.person.name} · {obj.house.label}"


class MemberForm(forms.Form):
    volunteer = VolunteerChoiceField(
        label=gettext_lazy("Volunteer"), queryset=Volunteer.objects.none()
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=MemberRole.choices, initial=MemberRole.MEMBER
    )

    def __init__(self, *args: Any, volunteers: QuerySet[Volunteer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["volunteer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = volunteers
        _style(self)


@login_required
@require_http_methods(["GET", "POST"])
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An organisation: its members (names for the offices, the count for residents), its
    activities and posts, and for its managers a form to add a member."""
    org = get_scoped_or_404(
        VolunteerOrg.objects.select_related("community", "compound"), request.user, pk=pk
    )
    user = request.user
    sees_members = scope_for(user, OFFICE_ROLES).has_role(*OFFICE_ROLES)
    may_manage = org_services.may_manage(user, org)
    form: MemberForm | None = None
    if may_manage:
        candidates = (
            scoped(Volunteer.objects.all(), user, MANAGER_ROLES)
            .filter(community_id=org.community_id, active=True)
            .exclude(memberships__org=org)
            .select_related("person", "house__building")
            .order_by("person__name", "id")
        )
        if request.method == "POST":
            form = MemberForm(request.POST, volunteers=candidates)
            if form.is_valid():
                try:
                    membership = org_services.add_member(
                        actor=user,
                        org=org,
                        volunteer=form.cleaned_data["volunteer"],
                        role=form.cleaned_data["role"],
                    )
                except PermissionDenied:
                    raise Http404 from None
                except ValidationError as error:
                    _service_errors(form, error)
                else:
                    messages.success(
                        request,
                        _("%(name)s joined %(org)s.")
                        % {"name": membership.volunteer.person.name, "org": org.name},
                    )
                    return redirect("timebank:org_detail", pk=org.pk)
        else:
            form = MemberForm(volunteers=candidates)
        _mark_invalid(form)
    elif request.method == "POST":
        raise Http404
    members: list[Membership] = []
    if sees_members:
        members = list(
            scoped(Membership.objects.filter(org=org), user, OFFICE_ROLES)
            .select_related("volunteer__person", "volunteer__house__building")
            .order_by("-role", "volunteer__person__name", "id")
        )
    member_count = Membership.objects.filter(org=org).count()
    activities = list(
        scoped(Activity.objects.filter(org=org), user)
        .select_related("compound")
        .order_by("-start", "-id")[:20]
    )
    posts = list(
        scoped(Post.objects.filter(org=org), user).select_related("compound").order_by("name")
    )
    return render(
        request,
        "timebank/org_detail.html",
        {
            "org": org,
            "sees_members": sees_members,
            "members": members,
            "member_count": member_count,
            "activities": activities,
            "posts": posts,
            "form": form,
            "may_manage": may_manage,
        },
    )


# Volunteers ------------------------------------------------------------------------------------


class VolunteerFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search by name"), required=False, max_length=50)
    compound = forms.ModelChoiceField(
        label=gettext_lazy("Compound"),
        queryset=Compound.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    low_income = forms.BooleanField(
        label=gettext_lazy("Low-income households only (困难群众)"), required=False
    )

    def __init__(self, *args: Any, compounds: QuerySet[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["compound"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = compounds
        _style(self)


def year_bounds(today: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime(today.year, 1, 1, tzinfo=zone)
    end = datetime.datetime(today.year + 1, 1, 1, tzinfo=zone)
    return start, end


@login_required
@require_GET
def volunteer_list(request: HttpRequest) -> HttpResponse:
    """The register of volunteers in the office's scope (district, street, community): name,
    masked phone, household, compound, the low-income mark, registration day, organisations and
    verified hours this year (four queries whatever the number of rows)."""
    user = request.user
    # The register (with the low-income mark) is the offices' (the menu offers it to them
    # only): a grid worker, party branch or committee sees a volunteer through their activities.
    _require_roles(user, MANAGER_ROLES)
    volunteers = scoped(Volunteer.objects.all(), user, MANAGER_ROLES)
    compounds = Compound.objects.filter(
        id__in=volunteers.values("compound_id").order_by()
    ).order_by("name", "id")
    form = VolunteerFilterForm(request.GET or None, compounds=compounds)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["compound"] is not None:
            volunteers = volunteers.filter(compound=data["compound"])
        if data["low_income"]:
            volunteers = volunteers.filter(person__low_income=True)
        if data["q"].strip():
            volunteers = volunteers.filter(person__name__icontains=data["q"].strip())
    today = timezone.localdate()
    start, end = year_bounds(today)
    volunteers = (
        volunteers.select_related("person", "house__building", "compound")
        .annotate(
            verified_minutes=Sum(
                "claims__minutes",
                filter=Q(
                    claims__status=ClaimStatus.VERIFIED,
                    claims__start__gte=start,
                    claims__start__lt=end,
                ),
            )
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("org").order_by("org__name", "id"),
            )
        )
        .order_by("compound__name", "person__name", "id")
    )
    page = Paginator(volunteers, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(v, minutes_label(getattr(v, "verified_minutes", 0))) for v in page.object_list]
    return render(
        request,
        "timebank/volunteers.html",
        {
            "form": form,
            "page_obj": page,
            "rows": rows,
            "year": today.year,
            "may_register": scope_for(user, MANAGER_ROLES).has_role(*MANAGER_ROLES),
        },
    )


class HouseSearchForm(forms.Form):
    compound = forms.ModelChoiceField(
        label=gettext_lazy("Compound"), queryset=Compound.objects.none()
    )
    q = forms.CharField(
        label=gettext_lazy("House number (building-unit-room)"), required=False, max_length=40
    )

    def __init__(self, *args: Any, compounds: QuerySet[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["compound"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = compounds
        _style(self)
        self.fields["q"].widget.attrs["placeholder"] = "1号楼-1-101"


class ResidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class VolunteerForm(forms.Form):
    person = ResidentChoiceField(
        label=gettext_lazy("Resident"),
        queryset=Person.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    def __init__(self, *args: Any, house: House, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Person.objects.filter(residencies__house=house).distinct()


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_new(request: HttpRequest) -> HttpResponse:
    """Register a resident as a volunteer: find the house (compound and number), choose one of
    its residents (the low-income mark shown), register (``services.orgs.register_volunteer``)."""
    user = request.user
    _require_roles(user, MANAGER_ROLES)
    houses = scoped(House.objects.all(), user, MANAGER_ROLES)
    compounds = scoped(Compound.objects.all(), user, MANAGER_ROLES).order_by("name", "id")
    wanted = request.POST.get("house") if request.method == "POST" else request.GET.get("house")
    house: House | None = None
    if wanted:
        wanted_id = parse_id(wanted)
        if wanted_id is None:
            raise Http404
        house = houses.select_related("building", "compound").filter(pk=wanted_id).first()
        if house is None:
            raise Http404
    search = HouseSearchForm(
        request.GET if "compound" in request.GET else None, compounds=compounds
    )
    found: list[House] | None = None
    more = False
    if house is None and search.is_bound and search.is_valid():
        rows = find_houses(
            houses.filter(compound=search.cleaned_data["compound"]), search.cleaned_data["q"]
        ).select_related("building", "compound")
        found = list(
            rows.order_by("building__number", "unit", "room", "pk")[: HOUSE_SEARCH_LIMIT + 1]
        )
        more = len(found) > HOUSE_SEARCH_LIMIT
        found = found[:HOUSE_SEARCH_LIMIT]
    form: VolunteerForm | None = None
    residents: list[dict[str, Any]] = []
    if house is not None:
        if request.method == "POST":
            form = VolunteerForm(request.POST, house=house)
            if form.is_valid():
                try:
                    volunteer = org_services.register_volunteer(
                        actor=user, person=form.cleaned_data["person"], house=house
                    )
                except PermissionDenied:
                    raise Http404 from None
                except ValidationError as error:
                    _service_errors(form, error)
                else:
                    messages.success(
                        request,
                        _("%(name)s of %(house)s is registered as a volunteer.")
                        % {"name": volunteer.person.name, "house": house.label},
                    )
                    return redirect("timebank:volunteers")
        else:
            form = VolunteerForm(house=house)
        chosen = str(form["person"].value() or "")
        registered = set(
            Volunteer.objects.filter(person__residencies__house=house).values_list(
                "person_id", flat=True
            )
        )
        for residency in (
            Residency.objects.filter(house=house).select_related("person").order_by("id")
        ):
            person = residency.person
            residents.append(
                {
                    "person": person,
                    "role": residency.get_role_display(),
                    "registered": person.pk in registered,
                    "checked": chosen == str(person.pk),
                }
            )
    return render(
        request,
        "timebank/volunteer_form.html",
        {
            "search": search,
            "found": found,
            "more": more,
            "house": house,
            "form": form,
            "residents": residents,
        },
    )
