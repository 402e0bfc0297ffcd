"""Writes to the place registry. The management mode changes only through here."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
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


@transaction.atomic
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
    """
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
    if current is not None:
        if effective_on <= current.started_on:
            errors["effective_on"] = _("The change must take effect after %(date)s.") % {
                "date": current.started_on.isoformat()
            }
        elif current.mode == mode and current.company_id == (company.pk if company else None):
            errors["mode"] = _("The compound is already managed this way.")
    if mode == ManagementMode.PUBLIC:
        if not takeover or not takeover.get("entrustment_signed_on"):
            errors["entrustment_signed_on"] = _(
                "A public takeover needs the date of the entrustment agreement."
            )
        elif (takeover.get("trial_months") or 0) < 0:
            errors["trial_months"] = _("Trial months cannot be negative.")
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
    if mode == ManagementMode.PUBLIC and takeover is not None:
        record_takeover(period=period, **takeover)
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
        },
        street_id=compound.street_id,
    )
    return period


def record_takeover(
    *,
    period: ManagementPeriod,
    entrustment_signed_on: datetime.date,
    trial_months: int | None = 3,
    entrustment_party: str = "",
    entrustment_file: UploadedFile | None = None,
    service_agreement_signed_on: datetime.date | None = None,
    service_agreement_file: UploadedFile | None = None,
) -> Takeover:
    takeover = Takeover(
        period=period,
        compound=period.compound,
        trial_months=3 if trial_months is None else trial_months,
        entrustment_signed_on=entrustment_signed_on,
        entrustment_party=entrustment_party,
        service_agreement_signed_on=service_agreement_signed_on,
    )
    if entrustment_file:
        takeover.entrustment_file.save(
            entrustment_file.name or "entrustment", entrustment_file, save=False
        )
    if service_agreement_file:
        takeover.service_agreement_file.save(
            service_agreement_file.name or "service-agreement", service_agreement_file, save=False
        )
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
