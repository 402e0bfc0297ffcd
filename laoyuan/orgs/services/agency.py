"""Agency party branches of the district and the cadres they sink into grids (下沉干部)."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.core import audit
from laoyuan.orgs.models import AgencyBranch, Cadre
from laoyuan.orgs.services._common import (
    Errors,
    NewPerson,
    _authority,
    _check_code,
    _check_person,
    _new_person,
    _raise,
    _require,
    _single_district,
)
from laoyuan.people.models import Person
from laoyuan.places.models import District, Grid, Street


@transaction.atomic
def agency_branch_create(
    *, actor: Any, code: str, name: str, agency: str, district: District | None = None
) -> AgencyBranch:
    """Register an agency party branch of the actor's district (the district office only)."""
    authority = _authority(actor)
    if not authority.is_district:
        raise PermissionDenied
    errors: Errors = {}
    district_id = _single_district(authority, district, errors)
    code = _check_code(errors, AgencyBranch, code)
    name = _require(errors, "name", name, 100)
    agency = _require(errors, "agency", agency, 100)
    _raise(errors)
    assert district_id is not None
    try:
        with transaction.atomic():
            branch = AgencyBranch.objects.create(
                district_id=district_id, code=code, name=name, agency=agency
            )
    except IntegrityError:
        raise ValidationError({"code": _("Another record already has this code.")}) from None
    audit.record(
        actor=actor,
        action="agency_branch.created",
        target=branch,
        summary=f"{code} {name} ({agency})",
        changes={"code": code, "name": name, "agency": agency},
        district_id=district_id,
        street_id=None,
    )
    return branch


@transaction.atomic
def cadre_assign(
    *,
    actor: Any,
    branch: AgencyBranch,
    grid: Grid,
    person: Person | NewPerson,
    since: datetime.date,
) -> Cadre:
    """Record that an agency branch sinks a cadre into a grid (下沉干部)."""
    authority = _authority(actor)
    grid = Grid.objects.select_for_update().get(pk=grid.pk)
    if not authority.over_grid(grid):
        raise PermissionDenied
    errors: Errors = {}
    if branch.district_id != grid.district_id:
        errors["branch"] = _("Choose an agency branch of the grid's district.")
    if since > timezone.localdate():
        errors["since"] = _("Record the cadre once they have started; the date is in the future.")
    existing = _check_person(actor, person, errors)
    if existing is not None and Cadre.objects.filter(person=existing, grid=grid).exists():
        errors["person" if isinstance(person, Person) else "name"] = _(
            "%(name)s is already a cadre in this grid."
        ) % {"name": existing.name}
    _raise(errors)
    street = Street.objects.get(pk=grid.street_id)
    cadre = Cadre.objects.create(
        person=existing or _new_person(person, street),
        branch=branch,
        grid=grid,
        street_id=grid.street_id,
        since=since,
    )
    audit.record(
        actor=actor,
        action="cadre.assigned",
        target=cadre,
        summary=f"{cadre.person.name}: {branch.name} → {grid.name} from {since.isoformat()}",
        changes={"person": cadre.person, "branch": branch, "grid": grid, "since": since},
        district_id=grid.district_id,
        street_id=grid.street_id,
    )
    return cadre


@transaction.atomic
def cadre_end(*, actor: Any, cadre: Cadre, ended_on: datetime.date) -> None:
    """A cadre leaves their grid on ``ended_on``.

    ``Cadre`` has no end date, so the row goes and the audit event keeps its whole record
    (person, branch, grid, since, until); the person stays.
    """
    authority = _authority(actor)
    cadre = (
        Cadre.objects.select_for_update(of=("self",))
        .select_related("grid", "branch", "person")
        .get(pk=cadre.pk)
    )
    if not authority.over_grid(cadre.grid):
        raise PermissionDenied
    errors: Errors = {}
    if ended_on < cadre.since:
        errors["ended_on"] = _("The cadre cannot leave before they started (%(date)s).") % {
            "date": cadre.since.isoformat()
        }
    elif ended_on > timezone.localdate():
        errors["ended_on"] = _("Record the end once it has happened; the date is in the future.")
    _raise(errors)
    audit.record(
        actor=actor,
        action="cadre.ended",
        target=cadre,
        summary=(
            f"{cadre.person.name}: {cadre.branch.name} → {cadre.grid.name} "
            f"{cadre.since.isoformat()}–{ended_on.isoformat()}"
        ),
        changes={
            "person": cadre.person,
            "branch": cadre.branch,
            "grid": cadre.grid,
            "since": cadre.since,
            "ended_on": ended_on,
        },
        district_id=cadre.grid.district_id,
        street_id=cadre.grid.street_id,
    )
    cadre.delete()
