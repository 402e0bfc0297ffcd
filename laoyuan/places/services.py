"""Writes to the place registry. The management mode changes only through here."""

import datetime
import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from laoyuan.core import audit
from laoyuan.orgs.enums import CompanyKind
from laoyuan.orgs.models import PropertyCompany
from laoyuan.people.models import Residency
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound, House, ManagementPeriod, Takeover

ZERO_AREA = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))
MODES_WITH_COMPANY = {ManagementMode.PROFESSIONAL, ManagementMode.PUBLIC}

# Scanned agreements: PDF, JPEG or PNG, recognised by their first bytes, at most 10 MB.
AGREEMENT_MAX_BYTES = 10 * 1024 * 1024
AGREEMENT_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
AGREEMENT_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
AGREEMENT_FILE_FIELDS = ("entrustment_file", "service_agreement_file")


def sniff_agreement_type(head: bytes) -> str | None:
    """The MIME type of an agreement scan from its first bytes, or None if it is none we take."""
    for signature, content_type in AGREEMENT_SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def agreement_file_error(upload: Any) -> str | None:
    """Why an uploaded agreement cannot be kept, or None when it is a PDF, JPEG or PNG scan.

    The content decides, not the name: a renamed executable stays out, and a file whose name
    promises one type while its bytes are another is refused too (it would be served wrongly).
    """
    if upload.size is not None and upload.size > AGREEMENT_MAX_BYTES:
        return _("The file is larger than 10 MB.")
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in AGREEMENT_EXTENSIONS:
        return _("Upload a PDF, JPEG or PNG file.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_agreement_type(head)
    if content_type is None:
        return _("The file's content is not a PDF, JPEG or PNG.")
    if content_type != AGREEMENT_EXTENSIONS[extension]:
        return _("The file's content does not match its name (%(name)s).") % {
            "name": os.path.basename(upload.name)
        }
    return None


@contextmanager
def files_removed_on_failure(saved: list[FieldFile] | None = None) -> Iterator[list[FieldFile]]:
    """Delete the files saved to storage inside the block (append them to the yielded list) if
    the block fails. Storage is not transactional: without this, a scan saved before a rollback
    stays on disk with no row pointing at it."""
    files = [] if saved is None else saved
    try:
        yield files
    except BaseException:
        for stored in files:
            if stored.name:
                stored.storage.delete(stored.name)
        files.clear()
        raise


def change_management_mode(
    *,
    compound: Compound,
    mode: str,
    company: PropertyCompany | None,
    effective_on: datetime.date,
    reason: str,
    actor: Any,
    takeover: dict[str, Any] | None = None,
) -> ManagementPeriod:
    """Close the compound's open management period and open a new one.

    ``takeover`` is required for the ``public`` mode: ``trial_months``, ``entrustment_signed_on``,
    ``entrustment_party``, ``entrustment_file``, ``service_agreement_signed_on``,
    ``service_agreement_file``. Raises ValidationError (keyed by field) and writes nothing when
    the change is not allowed.

    The company must fit: a public takeover takes the public company of the compound's own
    street; professional management a professional company of the compound's district, or one
    registered elsewhere that already serves a compound of this district.

    Uploaded scans are saved before the rows; if anything in the transaction fails (its commit
    included, when this is the outermost one) they are deleted again. One case remains: when
    the caller's own transaction rolls back after this function has returned, the files stay
    (Django has no rollback hook); they are named in no row and can be swept from storage.
    """
    with files_removed_on_failure() as saved_files, transaction.atomic():
        return _change_management_mode(
            compound=compound,
            mode=mode,
            company=company,
            effective_on=effective_on,
            reason=reason,
            actor=actor,
            takeover=takeover,
            saved_files=saved_files,
        )


def _change_management_mode(
    *,
    compound: Compound,
    mode: str,
    company: PropertyCompany | None,
    effective_on: datetime.date,
    reason: str,
    actor: Any,
    takeover: dict[str, Any] | None,
    saved_files: list[FieldFile],
) -> ManagementPeriod:
    compound = Compound.objects.select_for_update().get(pk=compound.pk)
    current = (
        ManagementPeriod.objects.select_for_update()
        .filter(compound=compound, ended_on__isnull=True)
        .first()
    )
    errors: dict[str, str] = {}
    if mode not in ManagementMode.values:
        errors["mode"] = _("Unknown management mode.")
    if not reason.strip():
        errors["reason"] = _("Say why the mode changes.")
    if mode in MODES_WITH_COMPANY and company is None:
        errors["company"] = _("This mode needs a property company.")
    if mode not in MODES_WITH_COMPANY and company is not None:
        errors["company"] = _("Only professional and public management have a company.")
    if company is not None and mode == ManagementMode.PUBLIC and company.kind != CompanyKind.PUBLIC:
        errors["company"] = _("A public takeover needs a street public company.")
    if (
        company is not None
        and mode == ManagementMode.PROFESSIONAL
        and company.kind != CompanyKind.PROFESSIONAL
    ):
        errors["company"] = _("Professional management needs a professional company.")
    if (
        company is not None
        and "company" not in errors
        and mode == ManagementMode.PUBLIC
        and company.street_id != compound.street_id
    ):
        errors["company"] = _(
            "A public takeover needs the public company of the compound's own street."
        )
    if (
        company is not None
        and "company" not in errors
        and mode == ManagementMode.PROFESSIONAL
        and company.district_id != compound.district_id
        and not Compound.objects.filter(district_id=compound.district_id, company=company).exists()
    ):
        errors["company"] = _(
            "The company is registered in another district and serves no compound in this one."
        )
    if current is not None:
        if effective_on <= current.started_on:
            errors["effective_on"] = _("The change must take effect after %(date)s.") % {
                "date": current.started_on.isoformat()
            }
        elif current.mode == mode and current.company_id == (company.pk if company else None):
            errors["mode"] = _("The compound is already managed this way.")
    if mode == ManagementMode.PUBLIC:
        details = takeover or {}
        if not details.get("entrustment_signed_on"):
            errors["entrustment_signed_on"] = _(
                "A public takeover needs the date of the entrustment agreement."
            )
        trial_months = details.get("trial_months")
        if trial_months is not None and trial_months < 0:
            errors["trial_months"] = _("Trial months cannot be negative.")
        for name in AGREEMENT_FILE_FIELDS:
            upload = details.get(name)
            if upload and (problem := agreement_file_error(upload)):
                errors[name] = problem
    if errors:
        raise ValidationError(errors)

    before = {"mode": compound.management_mode, "company": compound.company}
    if current is not None:
        current.ended_on = effective_on - datetime.timedelta(days=1)
        current.save(update_fields=["ended_on"])
    period = ManagementPeriod.objects.create(
        compound=compound,
        mode=mode,
        company=company,
        started_on=effective_on,
        reason=reason.strip(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    recorded_takeover = None
    if mode == ManagementMode.PUBLIC and takeover is not None:
        recorded_takeover = record_takeover(period=period, saved_files=saved_files, **takeover)
    compound.management_mode = mode
    compound.company = company
    compound.save(update_fields=["management_mode", "company"])
    audit.record(
        actor=actor,
        action="compound.mode_changed",
        target=compound,
        summary=f"{compound.code}: {before['mode']} → {mode} from {effective_on.isoformat()}",
        changes={
            "before": before,
            "after": {"mode": mode, "company": company},
            "effective_on": effective_on,
            "reason": reason.strip(),
            **({"takeover": _takeover_facts(recorded_takeover)} if recorded_takeover else {}),
        },
        district_id=compound.district_id,
        street_id=compound.street_id,
    )
    return period


def _takeover_facts(takeover: Takeover) -> dict[str, Any]:
    """What the audit trail keeps of a takeover: its terms and the names of the stored files."""
    return {
        "trial_months": takeover.trial_months,
        "entrustment_signed_on": takeover.entrustment_signed_on,
        "entrustment_party": takeover.entrustment_party,
        "entrustment_file": takeover.entrustment_file.name or "",
        "service_agreement_signed_on": takeover.service_agreement_signed_on,
        "service_agreement_file": takeover.service_agreement_file.name or "",
    }


def record_takeover(
    *,
    period: ManagementPeriod,
    entrustment_signed_on: datetime.date,
    trial_months: int | None = 3,
    entrustment_party: str = "",
    entrustment_file: UploadedFile | None = None,
    service_agreement_signed_on: datetime.date | None = None,
    service_agreement_file: UploadedFile | None = None,
    saved_files: list[FieldFile] | None = None,
) -> Takeover:
    """Record a takeover's terms and store its scans. The stored files are appended to
    ``saved_files`` so the caller can delete them if its transaction fails; if saving the row
    fails here, they are deleted before the error goes on."""
    takeover = Takeover(
        period=period,
        compound=period.compound,
        trial_months=3 if trial_months is None else trial_months,
        entrustment_signed_on=entrustment_signed_on,
        entrustment_party=entrustment_party,
        service_agreement_signed_on=service_agreement_signed_on,
    )
    with files_removed_on_failure(saved_files) as saved:
        if entrustment_file:
            takeover.entrustment_file.save(
                entrustment_file.name or "entrustment", entrustment_file, save=False
            )
            saved.append(takeover.entrustment_file)
        if service_agreement_file:
            takeover.service_agreement_file.save(
                service_agreement_file.name or "service-agreement",
                service_agreement_file,
                save=False,
            )
            saved.append(takeover.service_agreement_file)
        takeover.save()
    return takeover


def refresh_compound_totals(*, compound_ids: list[int] | None = None) -> int:
    """Recompute compounds' area, households and residents from their houses and residencies.

    One set-based UPDATE; ``compound_ids=None`` refreshes every compound. Returns rows updated.
    """
    houses = House.objects.filter(compound=OuterRef("pk")).order_by().values("compound")
    people = Residency.objects.filter(compound=OuterRef("pk")).order_by().values("compound")
    targets = Compound.objects.all()
    if compound_ids is not None:
        targets = targets.filter(pk__in=compound_ids)
    return targets.update(
        area_m2=Coalesce(Subquery(houses.annotate(total=Sum("area")).values("total")), ZERO_AREA),
        households=Coalesce(Subquery(houses.annotate(n=Count("pk")).values("n")), 0),
        residents=Coalesce(
            Subquery(people.annotate(n=Count("person_id", distinct=True)).values("n")), 0
        ),
    )
