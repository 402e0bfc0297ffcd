"""Registering and changing property companies (a public one is owned by a street)."""

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from laoyuan.core import audit
from laoyuan.orgs.enums import CompanyKind
from laoyuan.orgs.models import PropertyCompany
from laoyuan.orgs.queries import Authority
from laoyuan.orgs.services._common import (
    Errors,
    _authority,
    _changes,
    _check_code,
    _raise,
    _require,
    _single_district,
)
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound, District, Street

# A company's service line may be a landline with an area code (0371-6xxxxxxx).
SERVICE_PHONE_RE = re.compile(r"^[0-9+()\- ]{5,20}$")


def _check_company(
    authority: Authority,
    *,
    kind: str,
    street: Street | None,
    district: District | None,
    errors: Errors,
) -> int | None:
    """Permission and shape of a company's kind, owning street and district; its district id."""
    if street is not None and not authority.over_street(street.district_id, street.pk):
        raise PermissionDenied
    if kind != CompanyKind.PUBLIC and not authority.is_district:
        # Street offices run their own public companies; the district registers the rest.
        raise PermissionDenied
    if kind not in CompanyKind.values:
        errors["kind"] = _("Choose the kind of company.")
    if kind == CompanyKind.PUBLIC and street is None:
        errors["street"] = _("A public company is owned by a street: choose it.")
    if kind == CompanyKind.PROFESSIONAL and street is not None:
        errors["street"] = _("Only a public company is owned by a street.")
    if street is not None:
        if district is not None and district.pk != street.district_id:
            errors["street"] = _("Choose a street of the company's district.")
        return street.district_id
    if district is None and kind == CompanyKind.PUBLIC:
        return None
    return _single_district(authority, district, errors)


@transaction.atomic
def company_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    street: Street | None = None,
    phone: str = "",
    district: District | None = None,
) -> PropertyCompany:
    """Register a property company in the actor's district (a public one owned by a street)."""
    authority = _authority(actor)
    errors: Errors = {}
    district_id = _check_company(
        authority, kind=kind, street=street, district=district, errors=errors
    )
    code = _check_code(errors, PropertyCompany, code)
    name = _require(errors, "name", name, 100)
    phone = phone.strip()
    if phone and not SERVICE_PHONE_RE.match(phone):
        errors["phone"] = _("Enter a phone number (digits, spaces, + - and brackets).")
    _raise(errors)
    assert district_id is not None
    try:
        with transaction.atomic():
            company = PropertyCompany.objects.create(
                district_id=district_id,
                code=code,
                name=name,
                kind=kind,
                street=street if kind == CompanyKind.PUBLIC else None,
                phone=phone,
            )
    except IntegrityError:
        # Another office registered the same code at the same moment.
        raise ValidationError({"code": _("Another record already has this code.")}) from None
    audit.record(
        actor=actor,
        action="company.created",
        target=company,
        summary=f"{company.code} {company.name} ({company.kind})",
        changes={
            "code": company.code,
            "name": company.name,
            "kind": company.kind,
            "street": street,
            "phone": company.phone,
        },
        district_id=company.district_id,
        street_id=company.street_id,
    )
    return company


@transaction.atomic
def company_update(
    *,
    actor: Any,
    company: PropertyCompany,
    code: str,
    name: str,
    kind: str,
    street: Street | None = None,
    phone: str = "",
) -> PropertyCompany:
    """Change a company's code, name, kind, owning street or service phone.

    Its kind cannot change while it serves compounds (their mode names the kind), nor can a
    public company be handed to another street while it runs public compounds elsewhere.
    """
    authority = _authority(actor)
    company = (
        PropertyCompany.objects.select_for_update(of=("self",))
        .select_related("street", "district")
        .get(pk=company.pk)
    )
    if not authority.over_company(company):
        raise PermissionDenied
    errors: Errors = {}
    _check_company(authority, kind=kind, street=street, district=company.district, errors=errors)
    code = _check_code(errors, PropertyCompany, code, exclude_pk=company.pk)
    name = _require(errors, "name", name, 100)
    phone = phone.strip()
    if phone and not SERVICE_PHONE_RE.match(phone):
        errors["phone"] = _("Enter a phone number (digits, spaces, + - and brackets).")
    served = Compound.objects.filter(company=company)
    if kind != company.kind and "kind" not in errors and served.exists():
        errors["kind"] = _(
            "The company serves compounds; change their management mode before its kind."
        )
    if (
        kind == CompanyKind.PUBLIC
        and street is not None
        and "street" not in errors
        and served.filter(management_mode=ManagementMode.PUBLIC).exclude(street=street).exists()
    ):
        errors["street"] = _(
            "The company runs public compounds of its street; a new owner must be their street."
        )
    _raise(errors)
    new_street = street if kind == CompanyKind.PUBLIC else None
    before = {
        "code": company.code,
        "name": company.name,
        "kind": company.kind,
        "street": company.street,
        "phone": company.phone,
    }
    after = {"code": code, "name": name, "kind": kind, "street": new_street, "phone": phone}
    if before == after:
        return company
    old_street_id = company.street_id
    company.code, company.name, company.kind, company.street, company.phone = (
        code,
        name,
        kind,
        new_street,
        phone,
    )
    try:
        with transaction.atomic():
            company.save(update_fields=["code", "name", "kind", "street", "phone"])
    except IntegrityError:
        raise ValidationError({"code": _("Another record already has this code.")}) from None
    # The street losing the company reads the change in its own trail too: one event per street.
    streets = [company.street_id]
    if old_street_id is not None and old_street_id != company.street_id:
        streets.append(old_street_id)
    changes = _changes(before, after)
    for street_id in streets:
        audit.record(
            actor=actor,
            action="company.updated",
            target=company,
            summary=f"{company.code} {company.name}",
            changes=changes,
            district_id=company.district_id,
            street_id=street_id,
        )
    return company
