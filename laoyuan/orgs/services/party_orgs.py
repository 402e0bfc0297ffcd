"""The five-level party structure: a street's working committee, community committees,
compound branches, building groups and central households, each attached to its place."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from laoyuan.core import audit
from laoyuan.orgs.enums import PartyLevel
from laoyuan.orgs.models import PartyOrg
from laoyuan.orgs.services._common import Errors, _authority, _raise, _require
from laoyuan.places.models import Building, Community, Compound, House, Street

# The place each level is attached to, by the keyword argument that names it.
PLACE_FIELDS: dict[int, str] = {
    PartyLevel.STREET_COMMITTEE: "street",
    PartyLevel.COMMUNITY_COMMITTEE: "community",
    PartyLevel.COMPOUND_BRANCH: "compound",
    PartyLevel.BUILDING_GROUP: "building",
    PartyLevel.CENTRAL_HOUSEHOLD: "house",
}


@dataclass(frozen=True)
class _Place:
    """Where a party body sits: its district, street and the places below them."""

    district_id: int
    street_id: int
    community_id: int | None = None
    compound_id: int | None = None
    building_id: int | None = None
    house_id: int | None = None


def _place_of(place: Street | Community | Compound | Building | House) -> _Place:
    if isinstance(place, Street):
        return _Place(district_id=place.district_id, street_id=place.pk)
    if isinstance(place, Community):
        return _Place(place.district_id, place.street_id, place.pk)
    if isinstance(place, Compound):
        return _Place(place.district_id, place.street_id, place.community_id, place.pk)
    compound = Compound.objects.get(pk=place.compound_id)
    if isinstance(place, Building):
        return _Place(
            compound.district_id, compound.street_id, compound.community_id, compound.pk, place.pk
        )
    return _Place(
        compound.district_id,
        compound.street_id,
        compound.community_id,
        compound.pk,
        place.building_id,
        place.pk,
    )


def _under_parent(level: int, place: _Place, parent: PartyOrg) -> bool:
    """Whether the new body's place lies in its parent body's place."""
    if level == PartyLevel.COMMUNITY_COMMITTEE:
        return place.street_id == parent.street_id
    if level == PartyLevel.COMPOUND_BRANCH:
        return place.community_id == parent.community_id
    if level == PartyLevel.BUILDING_GROUP:
        return place.compound_id == parent.compound_id
    return place.building_id == parent.building_id


@transaction.atomic
def party_org_create(
    *,
    actor: Any,
    level: int,
    name: str,
    parent: PartyOrg | None = None,
    street: Street | None = None,
    community: Community | None = None,
    compound: Compound | None = None,
    building: Building | None = None,
    house: House | None = None,
) -> PartyOrg:
    """Set up one body of the five-level structure under its parent one level up: a street's
    working committee (no parent), a community committee, a compound branch, a building group or
    a central household, each attached to its place (one body per place)."""
    authority = _authority(actor)
    if level not in PartyLevel.values:
        raise ValidationError({"level": _("Choose a level from 1 to 5.")})
    field = PLACE_FIELDS[level]
    given: dict[str, Any] = {
        "street": street,
        "community": community,
        "compound": compound,
        "building": building,
        "house": house,
    }
    place_object = given[field]
    if parent is not None:
        parent = (
            PartyOrg.objects.select_for_update(of=("self",))
            .select_related("street")
            .get(pk=parent.pk)
        )
    place = _place_of(place_object) if place_object is not None else None
    if place is not None:
        if not authority.over_community(place.district_id, place.street_id, place.community_id):
            raise PermissionDenied
    elif parent is None or not authority.over_party_org(parent):
        raise PermissionDenied
    errors: Errors = {}
    name = _require(errors, "name", name, 100)
    if place is None:
        errors[field] = _("Choose the place this body serves.")
    if level == PartyLevel.STREET_COMMITTEE:
        if parent is not None:
            errors["parent"] = _("A street working committee has no parent body.")
    elif parent is None or parent.level != level - 1:
        errors["parent"] = _("Choose a parent body one level up.")
    elif place is not None and not _under_parent(level, place, parent):
        errors[field] = _("Choose a place within the parent body's place.")
    if place is not None and field not in errors:
        taken = PartyOrg.objects.filter(
            level=level, **{f"{field}_id": getattr(place, f"{field}_id")}
        )
        if taken.exists():
            errors[field] = _("This place already has a body of this level.")
    _raise(errors)
    assert place is not None
    org = PartyOrg.objects.create(
        level=level,
        parent=parent,
        name=name,
        street_id=place.street_id,
        community_id=place.community_id,
        compound_id=place.compound_id,
        building_id=place.building_id,
        house_id=place.house_id,
    )
    audit.record(
        actor=actor,
        action="party_org.created",
        target=org,
        summary=f"{name} (level {level})",
        changes={"level": level, "name": name, "parent": parent, field: place_object},
        district_id=place.district_id,
        street_id=place.street_id,
    )
    return org
