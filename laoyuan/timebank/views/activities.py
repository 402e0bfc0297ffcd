"""Volunteer activities (志愿活动) and standing posts (志愿岗位): the list with places taken and
left, one activity with its claims, and the forms the offices create them with
(``services.orgs``).

Activities are a community's notice board: every time-bank role in scope reads them. Who claimed
is residents' data: the offices and the organiser see the claims; a resident sees their own.
"""

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import RoleAssignment, User
from laoyuan.accounts.scoping import get_scoped_or_404, scope_for, scoped
from laoyuan.core.params import parse_id
from laoyuan.places.models import Community, Compound
from laoyuan.timebank import queries
from laoyuan.timebank.enums import LIVE_CLAIM_STATUSES, Category
from laoyuan.timebank.forms import service_errors as _service_errors
from laoyuan.timebank.models import Activity, Claim, Post, VolunteerOrg
from laoyuan.timebank.scoping import MANAGER_ROLES, STAFF_ROLES, TIMEBANK_ROLES, holds
from laoyuan.timebank.services import claims as claim_services
from laoyuan.timebank.services import orgs as org_services

PAGE_SIZE = 20
# Who sees an activity's claims: the offices (a resident sees their own claim only).
OFFICE_ROLES = TIMEBANK_ROLES - {Role.RESIDENT}


def _require_roles(user: Any, roles: frozenset[str]) -> None:
    if not scope_for(user, roles).has_role(*roles):
        raise Http404


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


def _mark_invalid(form: forms.Form) -> None:
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def managed_communities(user: Any) -> QuerySet[Community]:
    return scoped(Community.objects.all(), user, MANAGER_ROLES).order_by("name", "id")


# The list --------------------------------------------------------------------------------------


class ActivityFilterForm(forms.Form):
    when = forms.ChoiceField(
        label=gettext_lazy("When"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("upcoming", gettext_lazy("Upcoming and under way")),
            ("past", gettext_lazy("Past")),
        ],
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    compound = forms.ModelChoiceField(
        label=gettext_lazy("Compound"),
        queryset=Compound.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    org = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=VolunteerOrg.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
    )

    def __init__(self, *args: Any, activities: QuerySet[Activity], user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("All")), *Category.choices]
        compound = self.fields["compound"]
        assert isinstance(compound, forms.ModelChoiceField)
        compound.queryset = Compound.objects.filter(
            id__in=activities.order_by().values("compound_id")
        ).order_by("name", "id")
        org = self.fields["org"]
        assert isinstance(org, forms.ModelChoiceField)
        org.queryset = scoped(VolunteerOrg.objects.all(), user).order_by("name", "id")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


@login_required
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    """The activities in scope, newest first, with places taken and left (a fixed number of
    queries whatever the number of rows)."""
    user = request.user
    _require_roles(user, TIMEBANK_ROLES)
    now = timezone.now()
    rows = queries.activities_for(user).order_by("-start", "-id")
    form = ActivityFilterForm(request.GET or None, activities=rows, user=user)
    filtered = False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["when"] == "upcoming":
            rows = rows.filter(end__gte=now).order_by("start", "id")
        elif data["when"] == "past":
            rows = rows.filter(end__lt=now)
        if data["category"]:
            rows = rows.filter(category=data["category"])
        if data["compound"] is not None:
            rows = rows.filter(compound=data["compound"])
        if data["org"] is not None:
            rows = rows.filter(org=data["org"])
        filtered = any(data[name] for name in ("when", "category", "compound", "org"))
    page = Paginator(rows.select_related("compound", "org"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    volunteer = claim_services.volunteer_of(user)
    claimable: set[int] = set()
    if volunteer is not None:
        claimable = set(
            queries.claimable(volunteer, now=now)
            .filter(id__in=[row.pk for row in page.object_list])
            .values_list("id", flat=True)
        )
    items = [
        {
            "activity": row,
            "left": max(row.capacity - getattr(row, "taken", 0), 0),
            "claimable": row.pk in claimable,
            "past": row.end < now,
        }
        for row in page.object_list
    ]
    may_manage = managed_communities(user).exists()
    return render(
        request,
        "timebank/activities.html",
        {
            "form": form,
            "page_obj": page,
            "items": items,
            "filtered": filtered,
            "may_create": may_manage,
        },
    )


# One activity ----------------------------------------------------------------------------------


@login_required
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    activity = get_scoped_or_404(
        queries.activities_for(user).select_related(
            "compound", "community", "org", "post", "organiser"
        ),
        user,
        pk=pk,
    )
    organiser = activity.organiser_id is not None and activity.organiser_id == user.pk
    staff = organiser or scope_for(user, OFFICE_ROLES).has_role(*OFFICE_ROLES)
    claims = Claim.objects.filter(activity=activity)
    if staff:
        if not organiser:
            claims = scoped(claims, user)
    else:
        claims = scoped(claims, user, {Role.RESIDENT})
    claims = claims.select_related("volunteer__person", "house__building").order_by("start", "id")
    volunteer = claim_services.volunteer_of(user)
    now = timezone.now()
    may_claim = (
        volunteer is not None
        and queries.claimable(volunteer, now=now).filter(pk=activity.pk).exists()
    )
    return render(
        request,
        "timebank/activity_detail.html",
        {
            "activity": activity,
            "left": max(activity.capacity - getattr(activity, "taken", 0), 0),
            "claims": list(claims),
            "staff": staff,
            "live": LIVE_CLAIM_STATUSES,
            "may_claim": may_claim,
            "may_claim_for": holds(user, STAFF_ROLES, activity) or organiser,
            "past": activity.end < now,
        },
    )


# Creating activities and posts -----------------------------------------------------------------


def _organisers(communities: QuerySet[Community]) -> QuerySet[User]:
    """Active users holding the community role in one of ``communities``."""
    holders = RoleAssignment.objects.active().filter(role=Role.COMMUNITY, community__in=communities)
    return (
        User.objects.filter(is_active=True, id__in=holders.values("user_id"))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class ActivityForm(forms.Form):
    compound = forms.ModelChoiceField(
        label=gettext_lazy("Compound"), queryset=Compound.objects.none()
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    org = forms.ModelChoiceField(
        label=gettext_lazy("Organisation (optional)"),
        queryset=VolunteerOrg.objects.none(),
        required=False,
    )
    post = forms.ModelChoiceField(
        label=gettext_lazy("Standing post (optional)"),
        queryset=Post.objects.none(),
        required=False,
    )
    place = forms.CharField(label=gettext_lazy("Where (optional)"), max_length=100, required=False)
    start = forms.DateTimeField(
        label=gettext_lazy("Starts"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = forms.DateTimeField(
        label=gettext_lazy("Ends"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Places (how many people)"), initial=10, min_value=1, max_value=1000
    )
    organiser = forms.ModelChoiceField(
        label=gettext_lazy("Organiser (verifies the claims)"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Me"),
        help_text=gettext_lazy("The community office may always verify as well."),
    )

    def __init__(self, *args: Any, communities: QuerySet[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields
        for name, queryset in (
            ("compound", Compound.objects.filter(community__in=communities)),
            ("org", VolunteerOrg.objects.filter(community__in=communities, active=True)),
            ("post", Post.objects.filter(community__in=communities, active=True)),
        ):
            field = fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset.order_by("name", "id")
        organiser = fields["organiser"]
        assert isinstance(organiser, forms.ModelChoiceField)
        organiser.queryset = _organisers(communities)
        organiser.label_from_instance = lambda obj: obj.display_name  # type: ignore[method-assign]
        _style(self)


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_roles(user, MANAGER_ROLES)
    communities = managed_communities(user)
    if request.method == "POST":
        form = ActivityForm(request.POST, communities=communities)
        if form.is_valid():
            data = form.cleaned_data
            organiser = data["organiser"]
            if (
                organiser is not None
                and not _organisers(Community.objects.filter(pk=data["compound"].community_id))
                .filter(pk=organiser.pk)
                .exists()
            ):
                form.add_error("organiser", _("Choose someone of the compound's community office."))
            else:
                try:
                    activity = org_services.create_activity(
                        actor=user,
                        compound=data["compound"],
                        title=data["title"],
                        category=data["category"],
                        start=data["start"],
                        end=data["end"],
                        capacity=data["capacity"],
                        place=data["place"],
                        org=data["org"],
                        post=data["post"],
                        organiser=organiser,
                    )
                except PermissionDenied:
                    raise Http404 from None
                except ValidationError as error:
                    _service_errors(form, error)
                else:
                    messages.success(
                        request, _("Activity “%(title)s” created.") % {"title": activity.title}
                    )
                    return redirect("timebank:activity_detail", pk=activity.pk)
    else:
        initial: dict[str, Any] = {}
        compounds = Compound.objects.filter(community__in=communities)
        only = list(compounds[:2])
        if len(only) == 1:
            initial["compound"] = only[0]
        post_id = parse_id(request.GET.get("post"))
        if post_id is not None:
            post = Post.objects.filter(pk=post_id, community__in=communities).first()
            if post is not None:
                initial.update(post=post, title=post.name, category=post.category, org=post.org)
                if post.compound_id:
                    initial["compound"] = post.compound
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        initial.setdefault("start", datetime.datetime.combine(tomorrow, datetime.time(9)))
        initial.setdefault("end", datetime.datetime.combine(tomorrow, datetime.time(11)))
        form = ActivityForm(initial=initial, communities=communities)
    _mark_invalid(form)
    return render(request, "timebank/activity_form.html", {"form": form})


class PostForm(forms.Form):
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
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    org = forms.ModelChoiceField(
        label=gettext_lazy("Organisation (optional)"),
        queryset=VolunteerOrg.objects.none(),
        required=False,
    )
    description = forms.CharField(
        label=gettext_lazy("Description (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, communities: QuerySet[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("community", communities),
            ("compound", Compound.objects.filter(community__in=communities).order_by("name")),
            ("org", VolunteerOrg.objects.filter(community__in=communities, active=True)),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset.order_by("name", "id")
        _style(self)


@login_required
@require_http_methods(["GET", "POST"])
def post_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_roles(user, MANAGER_ROLES)
    communities = managed_communities(user)
    if request.method == "POST":
        form = PostForm(request.POST, communities=communities)
        if form.is_valid():
            data = form.cleaned_data
            try:
                post = org_services.create_post(
                    actor=user,
                    community=data["community"],
                    compound=data["compound"],
                    name=data["name"],
                    category=data["category"],
                    org=data["org"],
                    description=data["description"],
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Post “%(name)s” created. Add its activities from here.")
                    % {"name": post.name},
                )
                return redirect(f"{reverse('timebank:activity_new')}?post={post.pk}")
    else:
        only = list(communities[:2])
        form = PostForm(
            initial={"community": only[0]} if len(only) == 1 else None, communities=communities
        )
    _mark_invalid(form)
    return render(request, "timebank/post_form.html", {"form": form})
