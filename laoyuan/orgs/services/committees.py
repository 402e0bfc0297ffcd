"""Forming a compound's committees and changing their kind, name or term."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from laoyuan.core import audit
from laoyuan.orgs.enums import CommitteeKind
from laoyuan.orgs.models import Committee
from laoyuan.orgs.services._common import Errors, _authority, _changes, _raise, _require
from laoyuan.places.models import Compound


def _check_committee(
    errors: Errors, *, kind: str, name: str, term_start: datetime.date, term_end: datetime.date
) -> str:
    if kind not in CommitteeKind.values:
        errors["kind"] = _("Choose the kind of committee.")
    name = _require(errors, "name", name, 100)
    if term_end <= term_start:
        errors["term_end"] = _("The term must end after it starts.")
    return name


@transaction.atomic
def committee_create(
    *,
    actor: Any,
    compound: Compound,
    kind: str,
    name: str,
    term_start: datetime.date,
    term_end: datetime.date,
) -> Committee:
    """Form a committee of a compound (a compound may have several)."""
    authority = _authority(actor)
    if not authority.over_community(
        compound.district_id, compound.street_id, compound.community_id
    ):
        raise PermissionDenied
    errors: Errors = {}
    name = _check_committee(errors, kind=kind, name=name, term_start=term_start, term_end=term_end)
    _raise(errors)
    committee = Committee.objects.create(
        compound=compound,
        street_id=compound.street_id,
        kind=kind,
        name=name,
        term_start=term_start,
        term_end=term_end,
    )
    audit.record(
        actor=actor,
        action="committee.created",
        target=committee,
        summary=f"{compound.code}: {name} ({kind}) {term_start.isoformat()}–{term_end.isoformat()}",
        changes={
            "compound": compound,
            "kind": kind,
            "name": name,
            "term_start": term_start,
            "term_end": term_end,
        },
        district_id=compound.district_id,
        street_id=compound.street_id,
    )
    return committee


@transaction.atomic
def committee_update(
    *,
    actor: Any,
    committee: Committee,
    kind: str,
    name: str,
    term_start: datetime.date,
    term_end: datetime.date,
) -> Committee:
    """Change a committee's kind, name or term (its compound stays)."""
    authority = _authority(actor)
    committee = (
        Committee.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=committee.pk)
    )
    if not authority.over_committee(committee):
        raise PermissionDenied
    errors: Errors = {}
    name = _check_committee(errors, kind=kind, name=name, term_start=term_start, term_end=term_end)
    _raise(errors)
    before = {
        "kind": committee.kind,
        "name": committee.name,
        "term_start": committee.term_start,
        "term_end": committee.term_end,
    }
    after = {"kind": kind, "name": name, "term_start": term_start, "term_end": term_end}
    if before == after:
        return committee
    committee.kind, committee.name = kind, name
    committee.term_start, committee.term_end = term_start, term_end
    committee.save(update_fields=["kind", "name", "term_start", "term_end"])
    audit.record(
        actor=actor,
        action="committee.updated",
        target=committee,
        summary=f"{committee.compound.code}: {committee.name}",
        changes=_changes(before, after),
        district_id=committee.compound.district_id,
        street_id=committee.compound.street_id,
    )
    return committee
