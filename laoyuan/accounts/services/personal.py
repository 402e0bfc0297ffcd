"""Revealing a person's whole phone or ID number to a viewer whose roles allow it, logged as
viewed."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from laoyuan.accounts.enums import reveal_roles
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.core.models import PersonalDataAccess
from laoyuan.core.personal import decrypt_id_number
from laoyuan.people.models import Person

REVEALABLE_FIELDS = ("phone", "id_number")


def may_reveal(user: Any, field: str = "phone") -> bool:
    """Whether any of the user's roles may reveal this field (of people in that role's scope)."""
    return not scope_for(user, reveal_roles(field)).is_empty


@transaction.atomic
def reveal_personal_data(*, viewer: Any, person: Person, field: str, purpose: str = "") -> str:
    """The whole phone or ID number of a person in the viewer's scope, logged as viewed."""
    if field not in REVEALABLE_FIELDS:
        raise ValueError(f"cannot reveal {field!r}")
    # Only the scopes of the roles that may reveal count: a grid worker of street B who is also
    # an inspector in street A may not reveal street A's numbers.
    roles = reveal_roles(field)
    if not scoped(Person.objects.filter(pk=person.pk), viewer, roles).exists():
        raise PermissionDenied
    if field == "phone":
        value = person.phone
    else:
        value = decrypt_id_number(person.id_number_encrypted) if person.id_number_encrypted else ""
    if not value:
        raise ValueError(f"person #{person.pk} has no {field}")
    PersonalDataAccess.objects.create(
        viewer=viewer, person_id=person.pk, field=field, purpose=purpose[:200]
    )
    return value
