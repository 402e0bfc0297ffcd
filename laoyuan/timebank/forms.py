"""Forms of the resident's time-bank pages and the community's household page: redeem hours,
give hours to another household, claim hours for an activity.

Hours are typed as hours and minutes (plain for elderly residents) and handed to the services as
whole minutes; the services check everything else and their refusals go on these fields
(``core.forms.apply_service_errors``)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from laoyuan.places.models import House
from laoyuan.timebank.models import Pool

# ``<input type="datetime-local">`` sends this format.
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class HouseChoiceField(forms.ModelChoiceField):
    """A house shown by its label (building-unit-room), never by a name (PIPL)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


class HoursForm(forms.Form):
    """Hours and minutes, and the confirmation of the second step."""

    hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=10000, initial=0)
    minutes = forms.IntegerField(
        label=_("Minutes"), min_value=0, max_value=59, initial=0, required=False
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours, minutes = data.get("hours"), data.get("minutes") or 0
        if hours is not None and "minutes" not in self.errors and hours * 60 + minutes < 1:
            self.add_error("hours", _("Enter how many hours, at least one minute."))
        return data

    @property
    def total_minutes(self) -> int:
        return int(self.cleaned_data["hours"]) * 60 + int(self.cleaned_data.get("minutes") or 0)


class RedeemForm(HoursForm):
    house = HouseChoiceField(
        label=_("Household"), queryset=House.objects.none(), widget=forms.HiddenInput
    )
    # The pool shown at the confirmation, so the final step uses the pool the resident saw.
    pool = forms.ModelChoiceField(
        queryset=Pool.objects.filter(active=True), required=False, widget=forms.HiddenInput
    )
    # Made at the confirmation: a second click or a resent form redeems once.
    reference = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    field_order = ["house", "hours", "minutes", "pool", "reference", "confirm"]

    def __init__(self, *args: Any, houses: QuerySet[House], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["house"].queryset = houses  # type: ignore[attr-defined]


class DonateForm(HoursForm):
    house = HouseChoiceField(
        label=_("Household"), queryset=House.objects.none(), widget=forms.HiddenInput
    )
    to_house = HouseChoiceField(
        label=_("Give to the household"),
        queryset=House.objects.none(),
        empty_label=_("Choose a household"),
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=200, required=False)
    field_order = ["house", "to_house", "hours", "minutes", "note", "confirm"]

    def __init__(
        self, *args: Any, houses: QuerySet[House], neighbours: QuerySet[House], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["house"].queryset = houses  # type: ignore[attr-defined]
        self.fields["to_house"].queryset = neighbours  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        house, to_house = data.get("house"), data.get("to_house")
        if house is not None and to_house is not None:
            if to_house.pk == house.pk:
                self.add_error("to_house", _("Choose another household."))
            elif to_house.compound_id != house.compound_id:
                self.add_error("to_house", _("Choose a household of the same compound."))
        return data


class ClaimForm(forms.Form):
    start = forms.DateTimeField(
        label=_("Checked in"),
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )
    end = forms.DateTimeField(
        label=_("Checked out"),
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )
    # A plain file field: the service re-encodes the image and names what is wrong with it.
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, shown on the fields it names (the others above the form)."""
    for field, texts in error.message_dict.items():
        form.add_error(field if field in form.fields else None, texts)
