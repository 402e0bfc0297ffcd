"""Importing the place registry from a workbook: all rows checked first, then all or nothing.

``import_registry`` is the one entry point (the upload page and the ``import_registry`` command
both call it). It never writes a registry row unless every row of every sheet is valid; a
rejected file leaves only an ``ImportBatch`` with its error report behind.
"""

import datetime
import time
from collections import Counter
from decimal import Decimal
from pathlib import PurePath
from typing import IO

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.models import User
from laoyuan.core import audit
from laoyuan.core.models import PersonalDataAccess
from laoyuan.core.personal import encrypt_id_number
from laoyuan.imports.bulk import insert_rows, insert_rows_returning_ids
from laoyuan.imports.enums import BatchStatus
from laoyuan.imports.models import ImportBatch
from laoyuan.imports.queries import ImportScope, import_scope_for
from laoyuan.imports.validation import HouseKey, Plan, RegistryValidator
from laoyuan.imports.xlsx import (
    MAX_FILE_BYTES,
    RegistryWorkbook,
    RowError,
    WorkbookError,
    error_report,
)
from laoyuan.people.models import Person, Residency
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Building, Compound, House, ManagementPeriod
from laoyuan.places.services import refresh_compound_totals

# Errors shown on the batch page (and printed by the command); the report lists them all.
FIRST_ERRORS = 20
BATCH_SIZE = 1000


def check_upload(*, file_name: str, size: int) -> None:
    """Reject what is plainly not a registry workbook before opening it."""
    suffix = PurePath(file_name).suffix.lower()
    if suffix != ".xlsx":
        if suffix in {".xls", ".et", ".csv", ".xlsm", ".ods"}:
            raise WorkbookError(
                [_("Save the file as an Excel workbook (.xlsx) and upload that file.")]
            )
        raise WorkbookError([_("Upload an Excel workbook (.xlsx).")])
    if size > MAX_FILE_BYTES:
        raise WorkbookError(
            [
                _("The file is larger than %(mb)s MB; split it into several workbooks.")
                % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            ]
        )
    if size == 0:
        raise WorkbookError([_("The file is empty.")])


def import_registry(
    *,
    file: IO[bytes],
    file_name: str,
    actor: User,
    today: datetime.date | None = None,
) -> ImportBatch:
    """Check every row of the workbook, then import it whole or reject it whole.

    Returns the batch: ``ok`` with its counts, or ``rejected`` with the error report. Raises
    WorkbookError (nothing recorded) when the file is not a usable registry workbook, and
    PermissionDenied when the actor may not import at all.
    """
    scope = import_scope_for(actor)
    if scope is None:
        raise PermissionDenied
    started = time.monotonic()
    today = today or timezone.localdate()
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    check_upload(file_name=file_name, size=size)
    book = RegistryWorkbook(file)
    try:
        plan = RegistryValidator(book, scope=scope, today=today).run()
    finally:
        book.close()
    if plan.rows == 0:
        raise WorkbookError([_("The workbook has no rows to import.")])
    file_name = PurePath(file_name).name[:255]
    errors = plan.sorted_errors
    if not plan.error_count:
        try:
            return _write(
                plan=plan,
                actor=actor,
                scope=scope,
                file_name=file_name,
                today=today,
                started=started,
            )
        except IntegrityError:
            # Someone registered the same compound, house or ID number between our check and our
            # write; the transaction rolled back, so nothing of this file is in the registry.
            errors = [
                RowError(
                    sheet="",
                    row=0,
                    column="",
                    value="",
                    message=_(
                        "The registry changed while this file was being checked; nothing was "
                        "written. Upload the file again."
                    ),
                )
            ]
    return _reject(
        actor=actor,
        scope=scope,
        file_name=file_name,
        rows=plan.rows,
        errors=errors,
        total=max(plan.error_count, len(errors)),
        started=started,
    )


def _batch(
    *, actor: User, scope: ImportScope, file_name: str, rows: int, status: str
) -> ImportBatch:
    return ImportBatch.objects.create(
        created_by=actor,
        file_name=file_name,
        status=status,
        district_id=scope.district_id,
        street_id=scope.street_id,
        community_id=scope.community_id,
        rows=rows,
    )


def _seconds(started: float) -> Decimal:
    return Decimal(str(round(time.monotonic() - started, 2)))


def _reject(
    *,
    actor: User,
    scope: ImportScope,
    file_name: str,
    rows: int,
    errors: list[RowError],
    total: int,
    started: float,
) -> ImportBatch:
    batch = _batch(
        actor=actor, scope=scope, file_name=file_name, rows=rows, status=BatchStatus.REJECTED
    )
    batch.error_count = total
    batch.first_errors = [error.as_dict() for error in errors[:FIRST_ERRORS]]
    batch.report.save(
        f"import-{batch.pk}-errors.xlsx",
        ContentFile(error_report(errors, total=total)),
        save=False,
    )
    batch.seconds = _seconds(started)
    batch.save(update_fields=["error_count", "first_errors", "report", "seconds"])
    return batch


def _write(
    *,
    plan: Plan,
    actor: User,
    scope: ImportScope,
    file_name: str,
    today: datetime.date,
    started: float,
) -> ImportBatch:
    with transaction.atomic():
        batch = _batch(
            actor=actor, scope=scope, file_name=file_name, rows=plan.rows, status=BatchStatus.OK
        )
        # compound code -> (id, street id), for new and existing compounds alike
        compound_ids: dict[str, tuple[int, int]] = {
            code: (found.id, found.street_id) for code, found in plan.existing_compounds.items()
        }
        new_compounds: list[Compound] = []
        for row in plan.compounds:
            grid = row.grid_obj
            assert grid is not None and grid.street_id is not None
            assert grid.community_id is not None
            new_compounds.append(
                Compound(
                    district_id=grid.district_id,
                    street_id=grid.street_id,
                    community_id=grid.community_id,
                    grid_id=grid.id,
                    code=row.code,
                    name=row.name,
                    address=row.address,
                    build_year=row.build_year,
                    renovated=row.renovated,
                    renovated_on=row.renovated_on,
                    parking_motor=row.parking_motor,
                    parking_non_motor=row.parking_non_motor,
                    latitude=row.latitude,
                    longitude=row.longitude,
                    management_mode=ManagementMode.UNMANAGED,
                )
            )
        Compound.objects.bulk_create(new_compounds, batch_size=BATCH_SIZE)
        for compound in new_compounds:
            compound_ids[compound.code] = (compound.pk, compound.street_id)

        # Each new compound's mode history starts here: unmanaged (the model's default) from the
        # row's date or today. This is the compound's first period, not a change of mode, so it
        # is written in bulk and recorded by the batch's audit event rather than one event per
        # compound through change_management_mode (which the compound page uses from then on).
        starts = [row.mode_from or today for row in plan.compounds]
        ManagementPeriod.objects.bulk_create(
            [
                ManagementPeriod(
                    compound_id=compound.pk,
                    mode=ManagementMode.UNMANAGED,
                    started_on=start,
                    reason=f"Registered by registry import #{batch.pk}",
                    recorded_by=actor,
                )
                for compound, start in zip(new_compounds, starts, strict=True)
            ],
            batch_size=BATCH_SIZE,
        )

        building_ids = dict(plan.existing_buildings)
        new_buildings = [
            Building(
                compound_id=compound_ids[building_row.compound][0],
                number=building_row.number,
                floors=building_row.floors,
                units=building_row.units,
            )
            for building_row in plan.buildings
        ]
        Building.objects.bulk_create(new_buildings, batch_size=BATCH_SIZE)
        for building_row, building in zip(plan.buildings, new_buildings, strict=True):
            building_ids[(building_row.compound, building_row.number)] = building.pk

        touched = {compound_ids[compound_row.code][0] for compound_row in plan.compounds}
        # Houses, residents and residencies are the bulk of a large file: plain INSERTs.
        house_rows: list[tuple[object, ...]] = []
        house_places: list[tuple[int, int]] = []
        for house_row in plan.houses:
            compound_id, street_id = compound_ids[house_row.compound]
            touched.add(compound_id)
            house_places.append((compound_id, street_id))
            house_rows.append(
                (
                    street_id,
                    compound_id,
                    building_ids[(house_row.compound, house_row.building)],
                    house_row.unit,
                    house_row.floor,
                    house_row.room,
                    house_row.area,
                    house_row.status,
                )
            )
        new_house_ids = insert_rows_returning_ids(
            House,
            ("street_id", "compound_id", "building_id", "unit", "floor", "room", "area", "status"),
            house_rows,
        )
        # house key -> (id, compound id, street id)
        house_ids: dict[HouseKey, tuple[int, int, int]] = {
            key: (found.id, found.compound_id, found.street_id)
            for key, found in plan.existing_houses.items()
        }
        for house_row, values, house_id in zip(plan.houses, house_rows, new_house_ids, strict=True):
            house_ids[house_row.house_key] = (house_id, values[1], values[0])  # type: ignore[assignment]

        # One person per ID number (rows sharing it are one person in several houses), one per
        # row without; an ID number already registered is that person (validation made sure the
        # rows give the registered name), used as registered.
        person_rows: list[list[object]] = []
        new_person_of: dict[str, int] = {}  # ID hash -> position in person_rows
        # (registered person's id or None, else position in person_rows; house, compound, role)
        homes: list[tuple[int | None, int, int, int, str]] = []
        for person_row in plan.residents:
            house_id, compound_id, street_id = house_ids[person_row.house_key]
            touched.add(compound_id)
            id_hash = person_row.id_hash
            registered = plan.existing_people.get(id_hash) if id_hash else None
            ref = -1
            if registered is None and id_hash in new_person_of:
                ref = new_person_of[id_hash]
                same = person_rows[ref]
                # The first row's name (the check made them agree); a phone and the low-income
                # mark from any row that gives them.
                same[1] = same[1] or person_row.phone
                same[5] = same[5] or person_row.low_income
            elif registered is None:
                ref = len(person_rows)
                if id_hash:
                    new_person_of[id_hash] = ref
                number = person_row.id_number
                person_rows.append(
                    [
                        person_row.name,
                        person_row.phone,
                        encrypt_id_number(number) if number else "",
                        id_hash,
                        number[-4:],
                        person_row.low_income,
                        street_id,
                    ]
                )
            homes.append((registered, ref, house_id, compound_id, person_row.role))
        person_ids = insert_rows_returning_ids(
            Person,
            (
                "name",
                "phone",
                "id_number_encrypted",
                "id_number_hash",
                "id_number_tail",
                "low_income",
                "street_id",
            ),
            [tuple(values) for values in person_rows],
        )
        insert_rows(
            Residency,
            ("person_id", "house_id", "compound_id", "role"),
            [
                (person_ids[ref] if registered is None else registered, house_id, compound_id, role)
                for registered, ref, house_id, compound_id, role in homes
            ],
        )
        registered_people = {registered for registered, *_home in homes if registered is not None}
        # Linking to a person found by ID number is logged like a view of their data.
        PersonalDataAccess.objects.bulk_create(
            PersonalDataAccess(
                viewer=actor, person_id=person_id, field="id_number_match", purpose="import"
            )
            for person_id in sorted(registered_people)
        )

        refresh_compound_totals(compound_ids=sorted(touched))

        batch.compounds = len(new_compounds)
        batch.buildings = len(new_buildings)
        batch.houses = len(new_house_ids)
        batch.persons = len(person_ids)
        batch.residencies = len(homes)
        batch.notes = plan.notes
        counts = {
            "rows": plan.rows,
            "compounds": batch.compounds,
            "buildings": batch.buildings,
            "houses": batch.houses,
            "persons": batch.persons,
            "residencies": batch.residencies,
            "registered_persons": len(registered_people),
        }
        audit.record(
            actor=actor,
            action="registry.imported",
            target=batch,
            summary=(
                f"Import #{batch.pk} of {file_name}: {batch.compounds} compounds, "
                f"{batch.buildings} buildings, {batch.houses} houses, {batch.persons} new "
                f"residents, {batch.residencies} residencies"
            ),
            changes={
                "file": file_name,
                "counts": counts,
                "new_compounds": [compound.code for compound in new_compounds],
                "mode_history": {
                    "mode": ManagementMode.UNMANAGED.value,
                    "periods": len(new_compounds),
                    "started_on": {
                        day.isoformat(): count for day, count in sorted(Counter(starts).items())
                    },
                },
                "compounds_refreshed": len(touched),
            },
            district_id=_audit_district(plan, scope, new_compounds, touched),
            street_id=scope.street_id,
        )
        batch.seconds = _seconds(started)
        batch.save(
            update_fields=[
                "compounds",
                "buildings",
                "houses",
                "persons",
                "residencies",
                "notes",
                "seconds",
            ]
        )
    return batch


def _audit_district(
    plan: Plan, scope: ImportScope, new_compounds: list[Compound], touched: set[int]
) -> int | None:
    """The district whose office reads the batch's audit event: the importer's, else (an
    importer over several districts, or a superuser) the one district the file wrote to."""
    if scope.district_id is not None:
        return scope.district_id
    districts = {compound.district_id for compound in new_compounds} | {
        found.district_id for found in plan.existing_compounds.values() if found.id in touched
    }
    return districts.pop() if len(districts) == 1 else None
