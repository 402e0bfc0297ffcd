"""Forms for sign-in, roles, resident binding and phone sign-up.

Choices are computed from what the acting user may use, so a value outside their scope is "not a
valid choice" before any service runs. Forms whose later choices depend on earlier ones (role →
where, compound → house) re-render through ``_refresh`` (htmx on change, or a button without JS).
"""

import json
import math
from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext_lazy as _

from laoyuan.accounts.enums import ROLE_SCOPE_LEVELS, Role, ScopeLevel
from laoyuan.accounts.models import User
from laoyuan.accounts.queries import (
    LEVEL_MODELS,
    compounds_with_houses,
    find_account,
    grant_scopes,
    grantable_roles,
    people_of_compound,
    signup_buildings,
    signup_compounds,
    signup_houses,
)
from laoyuan.accounts.services import sign_in_attempt
from laoyuan.core.params import parse_id
from laoyuan.core.personal import normalise_phone
from laoyuan.people.enums import HouseholdRole
from laoyuan.places.models import Compound, House

REFRESH = "_refresh"
BLANK = ("", "---------")


def refresh_attrs(url: str) -> dict[str, str]:
    """htmx attributes that re-render the form around a field when it changes."""
    return {
        "hx-post": url,
        "hx-trigger": "change",
        "hx-vals": json.dumps({REFRESH: "1"}),
        "hx-include": "closest form",
        "hx-target": "closest form",
        "hx-swap": "outerHTML",
    }


def _int(value: Any) -> int | None:
    return parse_id(value)


class LoginForm(AuthenticationForm):
    """Django's sign-in form with the lockout in front of the password check."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed sign-ins. Please try again after %(time)s "
            "(in about %(minutes)s minutes)."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            result = sign_in_attempt(request=self.request, username=username, password=password)
            if result.user is None:
                if result.locked_until is not None:
                    left = (result.locked_until - timezone.now()).total_seconds()
                    raise ValidationError(
                        self.error_messages["locked"],
                        code="locked",
                        params={
                            "time": time_format(timezone.localtime(result.locked_until), "H:i"),
                            "minutes": max(1, math.ceil(left / 60)),
                        },
                    )
                raise self.get_invalid_login_error()
            user = cast(User, result.user)
            self.user_cache = user
            self.confirm_login_allowed(user)
        return self.cleaned_data


class FormWithChoices(forms.Form):
    """A form that reads its current values (bound data, or initial on a refresh)."""

    def current(self, name: str) -> str:
        source: Any = self.data if self.is_bound else self.initial
        value = source.get(self.add_prefix(name) if self.is_bound else name, "")
        return str(value or "")


def scope_label(level: str, obj: models.Model) -> str:
    name = f"{obj.code} {obj}" if isinstance(obj, Compound) else str(obj)
    return f"{ScopeLevel(level).label}: {name}"


class RoleScopeForm(FormWithChoices):
    """A role and where it holds: a place or company for most roles, a compound and a house for
    residents. ``cleaned_data['scope_object']`` is the chosen scope."""

    role = forms.ChoiceField(label=_("Role"))
    scope = forms.ChoiceField(label=_("Where"), required=False)
    compound = forms.ChoiceField(label=_("Compound"), required=False)
    house = forms.ChoiceField(label=_("House"), required=False)

    def __init__(
        self, *args: Any, actor: Any, refresh_url: str, fixed_role: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        refresh = refresh_attrs(refresh_url)
        if fixed_role is not None:
            del self.fields["role"]
            self.chosen_role: str | None = fixed_role
        else:
            roles = grantable_roles(actor)
            role_field = self.fields["role"]
            assert isinstance(role_field, forms.ChoiceField)
            role_field.choices = [BLANK, *[(role, Role(role).label) for role in roles]]
            role_field.widget.attrs.update(refresh)
            chosen = self.current("role")
            self.chosen_role = chosen if chosen in roles else None
        levels = ROLE_SCOPE_LEVELS.get(self.chosen_role, ()) if self.chosen_role else ()
        self.needs_house = ScopeLevel.HOUSE in levels
        self.needs_scope = any(level != ScopeLevel.HOUSE for level in levels)
        scope_choices: list[tuple[str, str]] = [BLANK]
        for level in levels:
            if level != ScopeLevel.HOUSE and self.chosen_role:
                for obj in grant_scopes(actor, role=self.chosen_role, level=level):
                    scope_choices.append((f"{level}:{obj.pk}", scope_label(level, obj)))
        self._set_choices("scope", scope_choices)
        self.compound_obj: Compound | None = None
        house_choices: list[tuple[str, str]] = [BLANK]
        if self.needs_house and self.chosen_role:
            houses = grant_scopes(actor, role=self.chosen_role, level=ScopeLevel.HOUSE)
            compounds = list(compounds_with_houses(houses))
            self._set_choices(
                "compound", [BLANK, *[(str(c.pk), f"{c.code} {c.name}") for c in compounds]]
            )
            self.fields["compound"].widget.attrs.update(refresh)
            chosen_compound = _int(self.current("compound"))
            self.compound_obj = next((c for c in compounds if c.pk == chosen_compound), None)
            if self.compound_obj is not None:
                house_choices += [
                    (str(h.pk), h.label)
                    for h in houses.filter(compound=self.compound_obj)
                    .select_related("building")
                    .order_by("building__number", "unit", "room", "pk")
                ]
        self._set_choices("house", house_choices)
        if not self.needs_scope:
            del self.fields["scope"]
        if not self.needs_house:
            del self.fields["compound"]
            del self.fields["house"]

    def _set_choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.chosen_role:
            return data
        house_id = _int(data.get("house"))
        scope_value = data.get("scope") or ""
        if house_id is not None and self.needs_house:
            data["scope_object"] = House.objects.select_related("building", "compound").get(
                pk=house_id
            )
        elif scope_value and self.needs_scope:
            level, pk = scope_value.split(":")
            data["scope_object"] = LEVEL_MODELS[level]._default_manager.get(pk=int(pk))
        else:
            field = "scope" if self.needs_scope else "house"
            if field in self.fields and not self.has_error(field):
                message = (
                    _("Choose where the role holds.")
                    if self.needs_scope
                    else _("Choose the house.")
                )
                self.add_error(field, message)
        return data


class AccountField(forms.CharField):
    """An existing account, by its exact user name or phone."""

    def clean(self, value: Any) -> User | None:
        text = super().clean(value)
        if not text:
            return None
        found = find_account(text)
        if not found:
            raise ValidationError(_("No account has this user name or phone."))
        if len(found) > 1:
            raise ValidationError(_("Several accounts use this phone; enter the user name."))
        return found[0]


class GrantForm(RoleScopeForm):
    account = AccountField(
        label=_("Account (user name or phone)"),
        max_length=150,
        help_text=_("The person must already have an account; otherwise invite them."),
    )
    field_order = ["account", "role", "scope", "compound", "house"]


class InviteForm(RoleScopeForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    field_order = ["name", "phone", "email", "role", "scope", "compound", "house"]

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("phone") and not data.get("email") and not self.has_error("phone"):
            self.add_error("phone", _("Enter a mobile number or an email address."))
        return data


class BindForm(RoleScopeForm):
    """Bind a resident to a house: an existing resident of the compound, or a new record."""

    person = forms.ChoiceField(
        label=_("Existing resident"),
        required=False,
        help_text=_("Leave empty to add a new resident below."),
    )
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("ID number (optional)"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted and shown masked."),
    )
    household_role = forms.ChoiceField(label=_("Household role"), choices=HouseholdRole.choices)
    since = forms.DateField(
        label=_("Living there since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    account = AccountField(
        label=_("Account to give the resident role (optional)"),
        max_length=150,
        required=False,
        help_text=_("User name or phone of the resident's account."),
    )
    field_order = [
        "compound",
        "house",
        "person",
        "name",
        "phone",
        "id_number",
        "household_role",
        "since",
        "account",
    ]

    def __init__(self, *args: Any, actor: Any, refresh_url: str, **kwargs: Any) -> None:
        super().__init__(
            *args, actor=actor, refresh_url=refresh_url, fixed_role=Role.RESIDENT, **kwargs
        )
        people: list[tuple[str, str]] = [BLANK]
        if self.compound_obj is not None:
            people += [
                (str(p.pk), f"{p.name} {p.masked_phone}".strip())
                for p in people_of_compound(actor=actor, compound=self.compound_obj)
            ]
        self._set_choices("person", people)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("person") and not (data.get("name") or "").strip():
            self.add_error("name", _("Choose an existing resident or enter a name."))
        return data


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the text message"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )


class SignupForm(FormWithChoices):
    """Pick the house (compound by code or name, then building, then room), then name, household
    role and a password."""

    q = forms.CharField(
        label=_("Compound code or name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    compound = forms.ChoiceField(label=_("Compound"))
    building = forms.ChoiceField(label=_("Building"))
    house = forms.ChoiceField(label=_("Room"))
    household_role = forms.ChoiceField(label=_("You are the"), choices=HouseholdRole.choices)
    name = forms.CharField(label=_("Your name"), max_length=50)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, refresh_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        refresh = refresh_attrs(refresh_url)
        compounds = signup_compounds(self.current("q"))
        chosen = _int(self.current("compound"))
        if chosen is not None and all(c.pk != chosen for c in compounds):
            compounds += list(Compound.objects.filter(pk=chosen))
        self._choices("compound", [(str(c.pk), f"{c.name} ({c.code})") for c in compounds])
        self.fields["compound"].widget.attrs.update(refresh)
        self.fields["building"].widget.attrs.update(refresh)
        buildings = list(signup_buildings(chosen)) if chosen is not None else []
        self._choices("building", [(str(b.pk), b.number) for b in buildings])
        building = _int(self.current("building"))
        houses = (
            list(signup_houses(building))
            if building is not None and any(b.pk == building for b in buildings)
            else []
        )
        self._choices(
            "house", [(str(h.pk), f"{h.unit}-{h.room}" if h.unit else h.room) for h in houses]
        )
        self.no_compound_found = bool(self.current("q")) and not compounds

    def _choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [BLANK, *choices]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", _("The two passwords differ."))
        house_id = _int(data.get("house"))
        if house_id is not None:
            data["house_object"] = House.objects.select_related("compound", "building").get(
                pk=house_id
            )
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All actions")), *[(a, a) for a in actions]]
