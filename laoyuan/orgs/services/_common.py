"""What the organisation services share: the actor's authority, field checks, the person to
appoint (someone on record or a ``NewPerson``) and the change record of an update."""

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from laoyuan.core.personal import PHONE_RE
from laoyuan.orgs.queries import Authority, authority_for, people_in_reach
from laoyuan.people.models import Person
from laoyuan.places.models import District, Street

Errors = dict[str, str]


@dataclass(frozen=True)
class NewPerson:
    """Someone not yet on record, appointed by name and (mobile) phone. If a person the actor can
    reach has exactly this name and phone, the post goes to them (a cross-appointment)."""

    name: str
    phone: str = ""


def _authority(actor: Any) -> Authority:
    authority = authority_for(actor)
    if authority.is_empty:
        raise PermissionDenied
    return authority


def _require(errors: Errors, field: str, value: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        errors[field] = _("This field is required.")
    elif len(value) > max_length:
        errors[field] = _("At most %(n)d characters.") % {"n": max_length}
    return value


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields that changed, as ``{"before": {...}, "after": {...}}``."""
    changed = [key for key in after if before[key] != after[key]]
    return {
        "before": {key: before[key] for key in changed},
        "after": {key: after[key] for key in changed},
    }


def _check_person(actor: Any, person: "Person | NewPerson", errors: Errors) -> "Person | None":
    """The existing person to appoint, or None when a new one is to be created.

    Choosing someone the actor cannot reach is refused; a new person's name and phone are
    checked, and one matching a reachable person exactly is that person.
    """
    if isinstance(person, Person):
        if not people_in_reach(actor).filter(pk=person.pk).exists():
            raise PermissionDenied
        return person
    name = _require(errors, "name", person.name, 50)
    phone = re.sub(r"[\s-]", "", person.phone)
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("Enter an 11-digit mobile number.")
    if not phone or errors:
        return None
    return people_in_reach(actor).filter(name=name, phone=phone).order_by("pk").first()


def _new_person(person: "Person | NewPerson", street: Street) -> Person:
    if isinstance(person, Person):
        return person
    return Person.objects.create(
        name=person.name.strip(), phone=re.sub(r"[\s-]", "", person.phone), street=street
    )


def _check_code(errors: Errors, model: Any, code: str, exclude_pk: int | None = None) -> str:
    code = _require(errors, "code", code, 32)
    if code and "code" not in errors:
        taken = model.objects.filter(code__iexact=code)
        if exclude_pk is not None:
            taken = taken.exclude(pk=exclude_pk)
        if taken.exists():
            errors["code"] = _("Another record already has this code.")
    return code


def _single_district(authority: Authority, district: District | None, errors: Errors) -> int | None:
    """The district a new district-level record belongs to: the one given, or the actor's own."""
    if district is not None:
        if not authority.over_district(district.pk):
            raise PermissionDenied
        return district.pk
    if len(authority.districts) == 1:
        return next(iter(authority.districts))
    errors["district"] = _("Choose the district.")
    return None
