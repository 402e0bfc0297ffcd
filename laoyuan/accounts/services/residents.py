"""Residents: binding one to a house, phone sign-up with a one-time code, and confirming or
rejecting a sign-up request. Messages to the resident go out after commit."""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role, SignupStatus
from laoyuan.accounts.models import PhoneCode, RoleAssignment, SignupRequest, User
from laoyuan.accounts.queries import may_grant
from laoyuan.accounts.scoping import scoped
from laoyuan.accounts.services.roles import _assign, _audit_assignment, account_label
from laoyuan.core import audit
from laoyuan.core.models import PersonalDataAccess
from laoyuan.core.personal import (
    encrypt_id_number,
    id_number_hash,
    id_number_is_valid,
    normalise_id_number,
    normalise_phone,
    same_name,
)
from laoyuan.core.sms import send_sms
from laoyuan.people.enums import HouseholdRole
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import House
from laoyuan.places.services import refresh_compound_totals

CODE_RESEND_SECONDS = 60


@dataclass(frozen=True)
class Binding:
    """What ``bind_resident`` did. ``matched_existing``: the ID number and name entered belong to
    a resident record that already existed, which was linked as it is (the phone entered was not
    used)."""

    residency: Residency
    matched_existing: bool = False


def _resident_for(
    *, name: str, phone: str, id_number: str, street_id: int | None
) -> tuple[Person, bool]:
    """The resident record for what was entered, and whether it already existed: the record
    with this ID number if there is one under the same name (the same person, wherever else they
    live), else a new one; a record with this number under another name is a ValidationError.
    The input is judged in full before the ID number is looked up, so the input errors never
    depend on whether the number is on record somewhere."""
    errors: dict[str, Any] = {}
    name = name.strip()
    if not name:
        errors["name"] = _("Enter the resident's name.")
    try:
        phone = normalise_phone(phone, field="phone")
    except ValidationError as error:
        errors.update(error.message_dict)
    number = normalise_id_number(id_number)
    if number and not id_number_is_valid(number):
        errors["id_number"] = _("This is not a valid resident ID number (18 characters).")
    if errors:
        raise ValidationError(errors)
    if not number:
        return Person.objects.create(name=name, phone=phone, street_id=street_id), False
    # One record per ID number (a unique constraint); get_or_create also settles two officers
    # adding the same person at once, and the lock keeps their residencies apart.
    person, created = Person.objects.select_for_update().get_or_create(
        id_number_hash=id_number_hash(number),
        defaults={
            "name": name,
            "phone": phone,
            "id_number_encrypted": encrypt_id_number(number),
            "id_number_tail": number[-4:],
            "street_id": street_id,
        },
    )
    # ID numbers can be enumerated: a number alone does not make the record the binder's (it
    # would put the person, wherever they live, in the binder's scope). The name must agree.
    if not created and not same_name(name, person.name):
        raise ValidationError(
            {
                "id_number": _(
                    "This ID number is registered under another name. Check the name and the "
                    "number; a correction goes through the office that registered the resident."
                )
            }
        )
    return person, not created


def _add_residency(
    *,
    actor: Any,
    person: Person,
    house: House,
    household_role: str,
    since: datetime.date | None,
) -> Residency:
    residency = Residency.objects.create(
        person=person,
        house=house,
        compound_id=house.compound_id,
        role=household_role,
        since=since,
    )
    if person.street_id is None:
        person.street_id = house.street_id
        person.save(update_fields=["street"])
    refresh_compound_totals(compound_ids=[house.compound_id])
    audit.record(
        actor=actor,
        action="resident.bound",
        target=residency,
        summary=f"person #{person.pk} → {house.compound.name} {house.label} ({household_role})",
        changes={"person": person.pk, "house": house.pk, "household_role": household_role},
        district_id=house.compound.district_id,
        street_id=house.street_id,
    )
    return residency


@transaction.atomic
def bind_resident(
    *,
    actor: Any,
    house: House,
    household_role: str,
    person: Person | None = None,
    name: str = "",
    phone: str = "",
    id_number: str = "",
    since: datetime.date | None = None,
    user: User | None = None,
) -> Binding:
    """Link a resident to a house: an existing person in the actor's scope, or one from name,
    phone and optional ID number; optionally give an account the resident role there.

    An ID number already on record is the same person (an owner may have houses in several
    streets) only when the name entered is the registered one; otherwise the binding is refused
    (ID numbers can be enumerated). A match is linked as it is, logged as a
    ``PersonalDataAccess``, and nothing about the record or the person's other houses is told
    beyond ``Binding.matched_existing``. A second link of one person to the same house is
    refused.
    """
    if not may_grant(actor, role=Role.RESIDENT, scope=house):
        raise ValidationError({"house": _("You may not bind residents to this house.")})
    if household_role not in HouseholdRole.values:
        raise ValidationError({"household_role": _("Choose owner, tenant or family member.")})
    chosen = person is not None
    matched = False
    if person is None:
        person, matched = _resident_for(
            name=name, phone=phone, id_number=id_number, street_id=house.street_id
        )
    elif scoped(Person.objects.filter(pk=person.pk), actor).exists():
        person = Person.objects.select_for_update().get(pk=person.pk)
    else:
        raise ValidationError({"person": _("Choose a resident from the list.")})
    if user is not None and user.person_id is not None and user.person_id != person.pk:
        raise ValidationError(
            {"account": _("This account already belongs to another resident record.")}
        )
    if Residency.objects.filter(person=person, house=house).exists():
        raise ValidationError(
            {
                "person" if chosen else "id_number": _(
                    "This resident is already linked to this house."
                )
            }
        )
    residency = _add_residency(
        actor=actor, person=person, house=house, household_role=household_role, since=since
    )
    if matched:
        # Linking a record found by ID number is logged like a view of the person's data.
        PersonalDataAccess.objects.create(
            viewer=actor, person_id=person.pk, field="id_number_match", purpose="bind"
        )
    if user is not None:
        _give_resident_role(actor=actor, user=user, person=person, house=house)
    return Binding(residency=residency, matched_existing=matched)


def _give_resident_role(*, actor: Any, user: User, person: Person, house: House) -> RoleAssignment:
    if user.person_id is None:
        user.person = person
        user.save(update_fields=["person"])
    held = RoleAssignment.objects.active().filter(user=user, role=Role.RESIDENT, house=house)
    existing = held.first()
    if existing is not None:
        return existing
    assignment = _assign(actor=actor, user=user, role=Role.RESIDENT, scope=house)
    _audit_assignment(actor=actor, action="role.granted", assignment=assignment)
    return assignment


def _code_hash(phone: str, code: str) -> str:
    message = f"{phone}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@transaction.atomic
def send_phone_code(*, phone: str) -> PhoneCode:
    """Send a 6-digit one-time code by SMS (after commit); one per phone per minute."""
    phone = normalise_phone(phone, field="phone")
    if not phone:
        raise ValidationError({"phone": _("Enter your mobile number.")})
    now = timezone.now()
    last = PhoneCode.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    if last is not None and last.created_at > now - datetime.timedelta(seconds=CODE_RESEND_SECONDS):
        wait = CODE_RESEND_SECONDS - int((now - last.created_at).total_seconds())
        raise ValidationError(
            {
                "phone": _("A code was sent less than a minute ago. Ask again in %(seconds)s s.")
                % {"seconds": max(wait, 1)}
            }
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    minutes: int = settings.PHONE_CODE_MINUTES
    row = PhoneCode.objects.create(
        phone=phone,
        code_hash=_code_hash(phone, code),
        expires_at=now + datetime.timedelta(minutes=minutes),
    )
    text = _("Your Laoyuan sign-up code is %(code)s. It is valid for %(minutes)s minutes.") % {
        "code": code,
        "minutes": minutes,
    }
    transaction.on_commit(lambda: send_sms(phone=phone, text=text))
    return row


class CodeStatus(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY = "too_many"
    NO_CODE = "no_code"


@dataclass(frozen=True)
class CodeCheck:
    status: CodeStatus
    tries_left: int = 0


def verify_phone_code(*, phone: str, code: str) -> CodeCheck:
    """Check a code against the phone's latest one. A wrong guess counts even though it fails,
    so this returns a result rather than raising (a raise would roll the count back)."""
    limit: int = settings.PHONE_CODE_ATTEMPTS
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone.strip())
            .order_by("-created_at", "-pk")
            .first()
        )
        now = timezone.now()
        if row is None or row.used_at is not None:
            return CodeCheck(CodeStatus.NO_CODE)
        if row.expires_at <= now:
            return CodeCheck(CodeStatus.EXPIRED)
        if row.attempts >= limit:
            return CodeCheck(CodeStatus.TOO_MANY)
        row.attempts += 1
        if not hmac.compare_digest(row.code_hash, _code_hash(row.phone, code.strip())):
            row.save(update_fields=["attempts"])
            left = limit - row.attempts
            return CodeCheck(CodeStatus.WRONG if left else CodeStatus.TOO_MANY, left)
        row.used_at = now
        row.save(update_fields=["attempts", "used_at"])
        return CodeCheck(CodeStatus.OK, limit - row.attempts)


def phone_has_account(phone: str) -> bool:
    return User.objects.filter(Q(username=phone) | Q(phone=phone)).exists()


@transaction.atomic
def sign_up_resident(
    *, phone: str, name: str, password: str, house: House, household_role: str
) -> SignupRequest:
    """Create a resident's account (user name = the verified phone) and a pending request to
    be bound to ``house``. The caller has verified the phone with a one-time code."""
    phone = normalise_phone(phone, field="phone")
    name = name.strip()
    errors: dict[str, Any] = {}
    if not phone:
        errors["phone"] = _("Enter your mobile number.")
    elif phone_has_account(phone):
        errors["phone"] = _("This phone already has an account. Please sign in.")
    if not name:
        errors["name"] = _("Enter your name.")
    if household_role not in HouseholdRole.values:
        errors["household_role"] = _("Choose owner, tenant or family member.")
    user = User(username=phone, phone=phone, first_name=name)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password1"] = error.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    return SignupRequest.objects.create(
        user=user,
        house=house,
        compound_id=house.compound_id,
        name=name,
        household_role=household_role,
    )


def _pending_request(*, actor: Any, signup: SignupRequest) -> SignupRequest:
    signup = (
        SignupRequest.objects.select_for_update()
        .select_related("user", "house__building", "house__compound")
        .get(pk=signup.pk)
    )
    if not may_grant(actor, role=Role.RESIDENT, scope=signup.house):
        raise PermissionDenied
    if signup.status != SignupStatus.PENDING:
        raise ValidationError(_("This request was already decided."))
    return signup


@transaction.atomic
def confirm_signup(*, actor: Any, signup: SignupRequest) -> RoleAssignment:
    """Bind the resident who signed up to the house: their resident record (an existing one in
    that house with the same phone, or a new one), the residency and the resident role."""
    signup = _pending_request(actor=actor, signup=signup)
    user = User.objects.select_for_update().get(pk=signup.user_id)
    house = signup.house
    person = user.person
    if person is None:
        person = (
            Person.objects.filter(residencies__house=house, phone=user.phone).order_by("pk").first()
            if user.phone
            else None
        )
    if person is None:
        person = Person.objects.create(name=signup.name, phone=user.phone, street=house.street)
    if not Residency.objects.filter(person=person, house=house).exists():
        _add_residency(
            actor=actor,
            person=person,
            house=house,
            household_role=signup.household_role,
            since=None,
        )
    assignment = _give_resident_role(actor=actor, user=user, person=person, house=house)
    signup.status = SignupStatus.CONFIRMED
    signup.decided_by = actor
    signup.decided_at = timezone.now()
    signup.save(update_fields=["status", "decided_by", "decided_at"])
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Laoyuan: your sign-up for %(house)s was confirmed. You can sign in now.") % {
            "house": f"{house.compound.name} {house.label}"
        }
    transaction.on_commit(lambda: send_sms(phone=user.phone, text=text))
    return assignment


@transaction.atomic
def reject_signup(*, actor: Any, signup: SignupRequest, reason: str) -> SignupRequest:
    """Turn a sign-up request down with a reason the resident receives by SMS."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is rejected.")})
    signup = _pending_request(actor=actor, signup=signup)
    signup.status = SignupStatus.REJECTED
    signup.decided_by = actor
    signup.decided_at = timezone.now()
    signup.reason = reason[:200]
    signup.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    house = signup.house
    audit.record(
        actor=actor,
        action="signup.rejected",
        target=signup,
        summary=f"{account_label(signup.user)} for {house.compound.name} {house.label}: {reason}",
        changes={"house": house.pk, "reason": signup.reason},
        district_id=house.compound.district_id,
        street_id=house.street_id,
    )
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Laoyuan: your sign-up for %(house)s was not confirmed: %(reason)s") % {
            "house": f"{house.compound.name} {house.label}",
            "reason": signup.reason,
        }
    phone = signup.user.phone
    transaction.on_commit(lambda: send_sms(phone=phone, text=text))
    return signup
