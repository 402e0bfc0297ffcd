"""Forms of the organisation pages. They check the input's shape and offer only what the user
may choose; ``orgs.services`` decides whether a change is allowed, and its field errors are put
back on these fields (``core.forms.apply_service_errors``)."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.orgs.enums import CommitteeKind, CompanyKind, PartyLevel
from laoyuan.orgs.models import AgencyBranch, PropertyCompany
from laoyuan.orgs.queries import (
    READ_ROLES,
    CommitteeFilters,
    authority_for,
    manageable_agency_branches,
    manageable_grids,
    manageable_streets,
    person_candidates,
)
from laoyuan.orgs.services import NewPerson
from laoyuan.people.models import Person
from laoyuan.places.models import Community, District, Grid, Street


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SmallSelects:
    """Filter forms: small Bootstrap controls."""

    def style_small(self: Any) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs["class"] = "form-control form-control-sm"


# --- Filters ----------------------------------------------------------------------------------


class CompanyFilterForm(SmallSelects, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *CompanyKind.choices], required=False
    )
    street = forms.ModelChoiceField(
        label=_("Owning street"),
        queryset=Street.objects.none(),
        required=False,
        empty_label=_("All"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["street"].queryset = scoped(Street.objects.all(), user, READ_ROLES)
        self.style_small()
        fields["q"].widget.attrs["placeholder"] = _("Code or name")
        fields["q"].widget.input_type = "search"


class CommitteeFilterForm(SmallSelects, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    street = forms.ModelChoiceField(
        label=_("Street"), queryset=Street.objects.none(), required=False, empty_label=_("All")
    )
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *CommitteeKind.choices], required=False
    )
    ending = forms.BooleanField(label=_("Term ends within 90 days"), required=False)

    def __init__(self, *args: Any, user: Any, filters: CommitteeFilters, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_for(user, READ_ROLES)
        communities = scoped(Community.objects.all(), user, READ_ROLES)
        if filters.street is not None:
            communities = communities.filter(street_id=filters.street)
        elif scope.everything or scope.district or len(scope.street) > 1:
            # A district-wide user picks a street before its communities are listed.
            communities = communities.none()
        fields: Any = self.fields
        fields["street"].queryset = scoped(Street.objects.all(), user, READ_ROLES)
        fields["community"].queryset = communities
        self.style_small()
        fields["q"].widget.attrs["placeholder"] = _("Committee or compound")
        fields["q"].widget.input_type = "search"


class CadreFilterForm(SmallSelects, forms.Form):
    street = forms.ModelChoiceField(
        label=_("Street"), queryset=Street.objects.none(), required=False, empty_label=_("All")
    )
    branch = forms.ModelChoiceField(
        label=_("Agency branch"),
        queryset=AgencyBranch.objects.none(),
        required=False,
        empty_label=_("All"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["street"].queryset = scoped(Street.objects.all(), user, READ_ROLES)
        fields["branch"].queryset = scoped(AgencyBranch.objects.all(), user, READ_ROLES)
        self.style_small()


class CompoundSearchForm(forms.Form):
    q = forms.CharField(label=_("Compound code or name"), max_length=100)


# --- Companies --------------------------------------------------------------------------------


class CompanyForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=CompanyKind.choices)
    street = forms.ModelChoiceField(
        label=_("Owning street"),
        queryset=Street.objects.none(),
        required=False,
        empty_label=_("None (professional company)"),
        help_text=_("A public company is owned by a street office."),
    )
    phone = forms.CharField(label=_("Service phone"), max_length=20, required=False)
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, user: Any, company: PropertyCompany | None = None, **kwargs: Any
    ) -> None:
        if company is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": company.code,
                    "name": company.name,
                    "kind": company.kind,
                    "street": company.street_id,
                    "phone": company.phone,
                },
            )
        super().__init__(*args, **kwargs)
        authority = authority_for(user)
        fields: Any = self.fields
        fields["street"].queryset = manageable_streets(user).order_by("code")
        if not authority.is_district:
            # A street office registers its own public company only.
            fields["kind"].choices = [(CompanyKind.PUBLIC, CompanyKind.PUBLIC.label)]
            fields["street"].required = True
            fields["street"].empty_label = None
        if company is not None or (not authority.everything and len(authority.districts) <= 1):
            # The company's district never changes; a district office registers in its own.
            del fields["district"]
        else:
            fields["district"].queryset = (
                District.objects.all()
                if authority.everything
                else District.objects.filter(pk__in=authority.districts)
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == CompanyKind.PROFESSIONAL:
            data["street"] = None
        return data


# --- Committees -------------------------------------------------------------------------------


class CommitteeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CommitteeKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    term_start = forms.DateField(label=_("Term starts"), widget=date_input())
    term_end = forms.DateField(label=_("Term ends"), widget=date_input())


# --- Posts and cadres -------------------------------------------------------------------------


class PersonFieldsMixin:
    """Someone on record (chosen from a list) or a new person (name and mobile phone)."""

    def person_fields(self: Any, candidates: QuerySet[Person]) -> None:
        fields: Any = self.fields
        if candidates.exists():
            fields["person"].queryset = candidates
        else:
            # Nobody on record to choose: the form asks for a new person only.
            del fields["person"]

    def appointee(self: Any) -> Person | NewPerson:
        data = self.cleaned_data
        if data.get("person") is not None:
            person: Person = data["person"]
            return person
        return NewPerson(name=data.get("name") or "", phone=data.get("phone") or "")

    def check_person(self: Any, data: dict[str, Any]) -> None:
        if data.get("person") is None and not (data.get("name") or "").strip():
            # gettext at request time (not the lazy ``_``): the error is a plain string in the
            # user's language wherever it is read later.
            self.add_error(
                "name", gettext("Choose someone on record, or give the new person's name.")
            )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.masked_phone}" if obj.phone else str(obj.name)


def person_field() -> PersonChoiceField:
    return PersonChoiceField(
        label=_("Someone on record"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("— a new person (give the name below) —"),
        help_text=_("Office holders of the street, cadres and (for a compound) its residents."),
    )


class PostForm(PersonFieldsMixin, forms.Form):
    person = person_field()
    name = forms.CharField(label=_("New person's name"), max_length=50, required=False)
    phone = forms.CharField(label=_("New person's mobile phone"), max_length=20, required=False)
    title = forms.CharField(
        label=_("Post"),
        max_length=50,
        help_text=_("For example: chair (主任), secretary (书记), member (委员), manager (经理)."),
    )
    term_start = forms.DateField(label=_("From"), widget=date_input())
    term_end = forms.DateField(label=_("Until"), required=False, widget=date_input())
    street = forms.ModelChoiceField(
        label=_("Street where the post works"), queryset=Street.objects.none()
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        street_id: int | None,
        compound_id: int | None = None,
        company: PropertyCompany | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["term_start"].initial = timezone.localdate()
        if company is not None and company.kind == CompanyKind.PROFESSIONAL:
            # A professional company has no street of its own: its staff work in a street.
            fields["street"].queryset = manageable_streets(user).filter(
                district_id=company.district_id
            )
            candidates = Person.objects.none()
        else:
            del fields["street"]
            candidates = (
                person_candidates(user=user, street_id=street_id, compound_id=compound_id)
                if street_id is not None
                else Person.objects.none()
            )
        self.person_fields(candidates)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_person(data)
        return data


class EndForm(forms.Form):
    ended_on = forms.DateField(label=_("Last day"), widget=date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = timezone.localdate()


class CadreForm(PersonFieldsMixin, forms.Form):
    branch = forms.ModelChoiceField(label=_("Agency branch"), queryset=AgencyBranch.objects.none())
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Grid.objects.none())
    person = person_field()
    name = forms.CharField(label=_("New person's name"), max_length=50, required=False)
    phone = forms.CharField(label=_("New person's mobile phone"), max_length=20, required=False)
    since = forms.DateField(label=_("In the grid since"), widget=date_input())

    def __init__(self, *args: Any, user: Any, street: Street, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["branch"].queryset = manageable_agency_branches(user).filter(
            district_id=street.district_id
        )
        fields["grid"].queryset = manageable_grids(user).filter(street=street).order_by("code")
        fields["since"].initial = timezone.localdate()
        self.person_fields(person_candidates(user=user, street_id=street.pk))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_person(data)
        return data


class AgencyBranchForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    agency = forms.CharField(label=_("Agency"), max_length=100)
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        authority = authority_for(user)
        fields: Any = self.fields
        if not authority.everything and len(authority.districts) <= 1:
            del fields["district"]
        else:
            fields["district"].queryset = (
                District.objects.all()
                if authority.everything
                else District.objects.filter(pk__in=authority.districts)
            )


# --- The party structure ----------------------------------------------------------------------

PLACE_LABELS = {
    PartyLevel.STREET_COMMITTEE: _("Street"),
    PartyLevel.COMMUNITY_COMMITTEE: _("Community"),
    PartyLevel.COMPOUND_BRANCH: _("Compound"),
    PartyLevel.BUILDING_GROUP: _("Building"),
    PartyLevel.CENTRAL_HOUSEHOLD: _("House"),
}


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        label = getattr(obj, "label", None)
        return str(label) if label is not None and not callable(label) else str(obj)


class PartyOrgForm(forms.Form):
    """A new body one level below ``parent`` (or a street's working committee), attached to one
    of the places of the parent's place that has no body of this level yet."""

    place = PlaceChoiceField(label=_("Place"), queryset=Street.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(self, *args: Any, level: int, places: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["place"].queryset = places
        fields["place"].label = PLACE_LABELS[PartyLevel(level)]
        if places.count() == 1:
            fields["place"].initial = places.first()
