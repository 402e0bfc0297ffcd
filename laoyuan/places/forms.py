"""Forms of the place registry pages: the compound list filters and the mode change.

The filter form only renders the filters; what a filter means is decided by
``places.queries.CompoundFilters`` so the page, the export and the API agree.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.orgs.enums import CompanyKind
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Community, Compound, Grid, Street
from laoyuan.places.queries import CompoundFilters
from laoyuan.places.services import agreement_file_error

# The kind of company each mode is managed by; the other modes have none.
MODE_COMPANY_KIND: dict[str, str] = {
    ManagementMode.PROFESSIONAL: CompanyKind.PROFESSIONAL,
    ManagementMode.PUBLIC: CompanyKind.PUBLIC,
}


class CompanySelect(forms.Select):
    """A company dropdown whose options carry the company's kind, so the page script can offer
    only the companies that fit the chosen mode."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-kind"] = instance.kind
        return option


class CompanyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.get_kind_display()}"


class CompoundFilterForm(forms.Form):
    """The compound list's filters, with dropdown options limited to the user's scope.

    A chosen street narrows the community and grid options, and a chosen community the grids;
    a user who sees several streets (or communities) chooses one before its children are listed.
    """

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
    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=Grid.objects.none(), required=False, empty_label=_("All")
    )
    mode = forms.ChoiceField(
        label=_("Management mode"),
        choices=[("", _("All")), *ManagementMode.choices],
        required=False,
    )
    company = forms.ModelChoiceField(
        label=_("Property company"),
        queryset=PropertyCompany.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    renovated = forms.ChoiceField(
        label=_("Renovated"),
        choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))],
        required=False,
    )
    taken_over = forms.ChoiceField(
        label=_("Taken over (公办托底)"),
        choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))],
        required=False,
    )

    def __init__(self, *args: Any, user: Any, filters: CompoundFilters, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_for(user)
        scope_spans_streets = scope.everything or bool(scope.district) or len(scope.street) > 1
        streets = scoped(Street.objects.all(), user)
        communities = scoped(Community.objects.all(), user)
        grids = scoped(Grid.objects.all(), user)
        if filters.street is not None:
            communities = communities.filter(street_id=filters.street)
            grids = grids.filter(street_id=filters.street)
        elif filters.community is None and scope_spans_streets:
            # A district-wide user picks a street first: listing every community and grid of
            # the district (thousands at scale) would make the page slow and the list useless.
            communities = communities.none()
        if filters.community is not None:
            grids = grids.filter(community_id=filters.community)
        elif filters.street is None and filters.grid is None and scope_spans_streets:
            grids = grids.none()
        fields: Any = self.fields
        fields["street"].queryset = streets
        fields["community"].queryset = communities
        fields["grid"].queryset = grids
        fields["company"].queryset = scoped(PropertyCompany.objects.all(), user)
        for field in fields.values():
            css = (
                "form-control form-control-sm"
                if field is fields["q"]
                else "form-select form-select-sm"
            )
            field.widget.attrs["class"] = css
        fields["q"].widget.attrs["placeholder"] = _("Code, name or address")
        fields["q"].widget.attrs["type"] = "search"


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def agreement_input() -> forms.FileInput:
    return forms.FileInput(
        attrs={
            "class": "form-control",
            "accept": "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png",
        }
    )


def validate_agreement_file(upload: Any) -> None:
    if upload and (problem := agreement_file_error(upload)):
        raise ValidationError(problem)


class ModeChangeForm(forms.Form):
    """Change a compound's management mode; the takeover fields apply to the public mode only.

    The form checks the input's shape; ``places.services.change_management_mode`` decides
    whether the change is allowed, and its field errors are put back on these fields.
    """

    TAKEOVER_FIELDS = (
        "trial_months",
        "entrustment_signed_on",
        "entrustment_party",
        "entrustment_file",
        "service_agreement_signed_on",
        "service_agreement_file",
    )

    mode = forms.ChoiceField(
        label=_("New management mode"),
        choices=ManagementMode.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    company = CompanyChoiceField(
        label=_("Property company"),
        queryset=PropertyCompany.objects.none(),
        required=False,
        empty_label=_("No company"),
        widget=CompanySelect(attrs={"class": "form-select"}),
        help_text=_(
            "Professional management needs a professional company; a public takeover needs the "
            "street's public company; the other modes have none."
        ),
    )
    effective_on = forms.DateField(label=_("Takes effect on"), widget=date_input())
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    trial_months = forms.IntegerField(
        label=_("Free trial months (先尝后买)"),
        min_value=0,
        max_value=36,
        initial=3,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    entrustment_signed_on = forms.DateField(
        label=_("Entrustment agreement signed on"), required=False, widget=date_input()
    )
    entrustment_party = forms.CharField(
        label=_("Entrusting party (property-rights unit or community)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    entrustment_file = forms.FileField(
        label=_("Entrustment agreement (scan)"),
        required=False,
        validators=[validate_agreement_file],
        widget=agreement_input(),
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
    )
    service_agreement_signed_on = forms.DateField(
        label=_("Owners' service agreement signed on"), required=False, widget=date_input()
    )
    service_agreement_file = forms.FileField(
        label=_("Owners' service agreement (scan)"),
        required=False,
        validators=[validate_agreement_file],
        widget=agreement_input(),
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
    )
    confirm = forms.BooleanField(
        label=_("I have checked the change summarised above."),
        required=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Tick the box to confirm the change.")},
    )

    def __init__(self, *args: Any, compound: Compound, user: Any, **kwargs: Any) -> None:
        # ``user`` is the one changing the mode; the view has checked they may, and the
        # companies offered do not depend on their scope.
        super().__init__(*args, **kwargs)
        self.compound = compound
        fields: Any = self.fields
        # The companies that may manage this compound, whatever the user's own scope (a street
        # office brings in a professional company it has never dealt with): every professional
        # company of the compound's district, or registered elsewhere but already serving one of
        # its compounds, and the public companies owned by the compound's own street. The
        # service applies the same rule.
        serving_here = Compound.objects.filter(district_id=compound.district_id).values(
            "company_id"
        )
        self.companies = PropertyCompany.objects.filter(
            Q(kind=CompanyKind.PROFESSIONAL, district_id=compound.district_id)
            | Q(kind=CompanyKind.PROFESSIONAL, pk__in=serving_here)
            | Q(kind=CompanyKind.PUBLIC, street_id=compound.street_id)
        ).order_by("kind", "code")
        fields["company"].queryset = self.companies
        fields["effective_on"].initial = timezone.localdate()

    @property
    def is_public(self) -> bool:
        """Whether the chosen (or preselected) mode is a public takeover."""
        mode = self.data.get("mode") if self.is_bound else self.initial.get("mode")
        return mode == ManagementMode.PUBLIC

    def suggested_company(self, mode: str) -> int | None:
        """The company to preselect for ``mode``: the compound's own if it fits, otherwise (for a
        takeover) the street's public company when the street has exactly one."""
        kind = MODE_COMPANY_KIND.get(mode)
        current = self.compound.company
        if kind is None:
            return None
        if current is not None and current.kind == kind:
            return current.pk
        if kind == CompanyKind.PUBLIC:
            ids = list(self.companies.filter(kind=kind).values_list("pk", flat=True)[:2])
            return ids[0] if len(ids) == 1 else None
        return None

    def clean_effective_on(self) -> Any:
        effective_on = self.cleaned_data["effective_on"]
        if effective_on > timezone.localdate():
            raise ValidationError(
                _("Record the change once it has taken effect; the date is in the future.")
            )
        return effective_on

    def takeover(self) -> dict[str, Any] | None:
        """The takeover details for the service, or None when the mode is not public."""
        data = self.cleaned_data
        if data.get("mode") != ManagementMode.PUBLIC:
            return None
        trial_months = data.get("trial_months")
        return {
            "trial_months": 3 if trial_months is None else trial_months,
            "entrustment_signed_on": data.get("entrustment_signed_on"),
            "entrustment_party": data.get("entrustment_party") or "",
            "entrustment_file": data.get("entrustment_file") or None,
            "service_agreement_signed_on": data.get("service_agreement_signed_on"),
            "service_agreement_file": data.get("service_agreement_file") or None,
        }
