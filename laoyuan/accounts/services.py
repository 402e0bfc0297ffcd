"""Writes for accounts: the sign-in lockout, granting and revoking roles, invitations, binding
residents to houses, phone sign-up and its confirmation, and revealing unmasked personal data.

Every function that changes a role writes an audit event in the same transaction; messages to
people (SMS, email) go out only after the transaction commits.
"""

import datetime
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import ROLE_SCOPE_LEVELS, Role, SignupStatus, reveal_roles
from laoyuan.accounts.models import (
    Invitation,
    LoginFailure,
    PhoneCode,
    RoleAssignment,
    SignupRequest,
    User,
)
from laoyuan.accounts.queries import (
    district_id_of,
    invitation_token_hash,
    level_for,
    may_grant,
    may_revoke,
    street_id_of,
)
from laoyuan.accounts.scoping import forget_scope, scope_for, scoped
from laoyuan.core import audit
from laoyuan.core.models import PersonalDataAccess
from laoyuan.core.personal import (
    decrypt_id_number,
    encrypt_id_number,
    id_number_hash,
    id_number_is_valid,
    normalise_id_number,
    normalise_phone,
)
from laoyuan.core.sms import send_sms
from laoyuan.people.enums import HouseholdRole
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import House
from laoyuan.places.services import refresh_compound_totals

INVITATION_DAYS = 7
CODE_RESEND_SECONDS = 60
REVEALABLE_FIELDS = ("phone", "id_number")


# --- Sign-in lockout -----------------------------------------------------------------------------


def lockout_key(username: str) -> str:
    """Failures count per user name however it is capitalised."""
    return username.strip().lower()[:150]


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address.

    With ``TRUSTED_PROXY_COUNT`` = 0 only REMOTE_ADDR counts: X-Forwarded-For is the caller's to
    forge. Behind n proxies of ours, each appends the address it was reached from, so the n-th
    entry from the right was written by our outermost proxy and is the caller; entries further
    left are the caller's to forge. A header with fewer entries did not pass all our proxies,
    and REMOTE_ADDR is used.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    hops: int = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if len(entries) < hops:
        return remote
    return _address(entries[-hops]) or remote


def check_lockout(
    *, username: str, ip: str | None, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """When sign-in is allowed again for this user name or address, or None if it is now.

    ``LOGIN_FAILURE_LIMIT`` failures of one user name, or ``LOGIN_FAILURE_LIMIT_PER_ADDRESS``
    from one address, within ``LOGIN_LOCKOUT_MINUTES`` lock it until the oldest of those
    failures leaves the window. The address limit is much higher: a whole office or housing
    estate can sit behind one address, and a few mistyped user names must not lock them all out.
    """
    now = now or timezone.now()
    window = datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    conditions: list[tuple[Q, int]] = []
    if lockout_key(username):
        conditions.append((Q(username=lockout_key(username)), settings.LOGIN_FAILURE_LIMIT))
    if ip:
        conditions.append((Q(ip=ip), settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS))
    until: datetime.datetime | None = None
    for condition, limit in conditions:
        times = list(
            LoginFailure.objects.filter(condition, at__gt=now - window, at__lte=now)
            .order_by("-at")
            .values_list("at", flat=True)[:limit]
        )
        if len(times) >= limit:
            candidate = times[limit - 1] + window
            until = candidate if until is None else max(until, candidate)
    return until


def record_login_failure(*, username: str, ip: str | None) -> LoginFailure:
    return LoginFailure.objects.create(username=lockout_key(username), ip=ip)


def clear_login_failures(*, username: str) -> int:
    deleted, _per_model = LoginFailure.objects.filter(username=lockout_key(username)).delete()
    return deleted


@dataclass(frozen=True)
class SignInResult:
    user: AbstractBaseUser | None
    locked_until: datetime.datetime | None = None


def sign_in_attempt(*, request: HttpRequest | None, username: str, password: str) -> SignInResult:
    """Check the lockout, then the password; record a failure or clear the user name's failures.

    A locked user name or address is refused before the password is even checked, whether or not
    the user name exists, so the answer never tells which user names are real.
    """
    ip = client_ip(request) if request is not None else None
    until = check_lockout(username=username, ip=ip)
    if until is not None:
        return SignInResult(user=None, locked_until=until)
    user = authenticate(request, username=username, password=password)
    if user is None:
        record_login_failure(username=username, ip=ip)
        return SignInResult(user=None, locked_until=check_lockout(username=username, ip=ip))
    clear_login_failures(username=username)
    return SignInResult(user=user)


# --- Roles ---------------------------------------------------------------------------------------


def account_label(user: User) -> str:
    """How the audit trail names an account: its name, or its user name with a phone masked."""
    return f"{user.display_name} (#{user.pk})"


def _check_grant(*, actor: Any, role: str, scope: models.Model) -> str:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    level = level_for(scope)
    if level not in ROLE_SCOPE_LEVELS[role] or not may_grant(actor, role=role, scope=scope):
        raise ValidationError({"scope": _("You may not grant this role there.")})
    return level


def _assign(*, actor: Any, user: User, role: str, scope: models.Model) -> RoleAssignment:
    level = _check_grant(actor=actor, role=role, scope=scope)
    # Lock the user so two officers granting the same role at once cannot both succeed.
    User.objects.select_for_update().filter(pk=user.pk).first()
    held = RoleAssignment.objects.active().filter(user=user, role=role, level=level)
    if held.filter(**{level: scope}).exists():
        raise ValidationError({"role": _("This person already holds this role there.")})
    assignment = RoleAssignment.objects.create(
        user=user,
        role=role,
        level=level,
        granted_by=actor if getattr(actor, "pk", None) else None,
        **{level: scope},
    )
    forget_scope(user)
    return assignment


def _audit_assignment(
    *, actor: Any, action: str, assignment: RoleAssignment, note: str = ""
) -> None:
    scope = assignment.scope_object
    summary = f"{account_label(assignment.user)}: {assignment.role} @ {assignment.scope_label}"
    audit.record(
        actor=actor,
        action=action,
        target=assignment,
        summary=f"{summary} {note}".strip(),
        changes={
            "user": assignment.user_id,
            "role": assignment.role,
            "level": assignment.level,
            "scope": {"id": scope.pk, "str": assignment.scope_label},
        },
        district_id=district_id_of(scope),
        street_id=street_id_of(scope),
    )


@transaction.atomic
def grant_role(*, actor: Any, user: User, role: str, scope: models.Model) -> RoleAssignment:
    """Give ``user`` the ``role`` bound to ``scope``, where the actor may grant it."""
    assignment = _assign(actor=actor, user=user, role=role, scope=scope)
    _audit_assignment(actor=actor, action="role.granted", assignment=assignment)
    return assignment


@transaction.atomic
def revoke_role(*, actor: Any, assignment: RoleAssignment) -> RoleAssignment:
    """End an assignment (it is kept, with who ended it and when)."""
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.revoked_at is not None:
        raise ValidationError(_("This role was already revoked."))
    if assignment.user_id == getattr(actor, "pk", None):
        raise ValidationError(_("You cannot revoke your own role; ask a colleague or your office."))
    if not may_revoke(actor, assignment=assignment):
        raise PermissionDenied
    assignment.revoked_at = timezone.now()
    assignment.revoked_by = actor
    assignment.save(update_fields=["revoked_at", "revoked_by"])
    forget_scope(assignment.user)
    _audit_assignment(actor=actor, action="role.revoked", assignment=assignment)
    return assignment


@transaction.atomic
def invite_user(
    *,
    actor: Any,
    name: str,
    phone: str,
    email: str,
    role: str,
    scope: models.Model,
    accept_url: Callable[[str], str],
) -> tuple[Invitation, str]:
    """Create an account without a usable password, its role and an invitation link valid for
    ``INVITATION_DAYS`` days, and send the link by SMS and/or email after commit.

    Returns the invitation and the token (only its hash is stored). ``accept_url(token)`` builds
    the absolute link.
    """
    name = name.strip()
    phone = normalise_phone(phone, field="phone")
    email = email.strip().lower()
    if not name:
        raise ValidationError({"name": _("Enter the person's name.")})
    if not phone and not email:
        raise ValidationError({"phone": _("Enter a mobile number or an email address.")})
    username = phone or email
    taken = Q(username__iexact=username)
    if phone:
        taken |= Q(phone=phone)
    if email:
        taken |= Q(email__iexact=email)
    if User.objects.filter(taken).exists():
        raise ValidationError(
            {
                "phone" if phone else "email": _(
                    "An account with this phone or email already exists: grant it a role instead."
                )
            }
        )
    _check_grant(actor=actor, role=role, scope=scope)
    user = User(username=username, phone=phone, email=email, first_name=name)
    user.set_unusable_password()
    user.save()
    assignment = _assign(actor=actor, user=user, role=role, scope=scope)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        token=invitation_token_hash(token),
        email=email,
        phone=phone,
        name=name,
        assignment=assignment,
        expires_at=timezone.now() + datetime.timedelta(days=INVITATION_DAYS),
    )
    _audit_assignment(actor=actor, action="role.invited", assignment=assignment)
    link = accept_url(token)
    # Messages to other people go out in the site's language, not the sender's choice.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your invitation to Laoyuan")
        text = _(
            "%(name)s, you are invited to Laoyuan as %(role)s. Set your password within "
            "%(days)s days: %(link)s"
        ) % {"name": name, "role": Role(role).label, "days": INVITATION_DAYS, "link": link}

    def deliver() -> None:
        if phone:
            send_sms(phone=phone, text=text)
        if email:
            send_mail(subject, text, None, [email])

    transaction.on_commit(deliver)
    return invitation, token


def invitation_is_open(invitation: Invitation, *, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        invitation.accepted_at is None
        and invitation.expires_at > now
        and invitation.assignment.revoked_at is None
    )


@transaction.atomic
def accept_invitation(*, invitation: Invitation, password: str) -> User:
    """Set the invited person's password; the link works once."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("assignment__user")
        .get(pk=invitation.pk)
    )
    if not invitation_is_open(invitation):
        raise ValidationError(_("This invitation has expired or was already used."))
    user = invitation.assignment.user
    validate_password(password, user)
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    _audit_assignment(
        actor=user, action="role.invitation_accepted", assignment=invitation.assignment
    )
    return user


# --- Residents -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """What ``bind_resident`` did. ``matched_existing``: the ID number entered belongs to a
    resident record that already existed, which was linked as it is (the name and phone entered
    were not used)."""

    residency: Residency
    matched_existing: bool = False


def _resident_for(
    *, name: str, phone: str, id_number: str, street_id: int | None
) -> tuple[Person, bool]:
    """The resident record for what was entered, and whether it already existed: the record
    with this ID number if there is one (the same person, wherever else they live), else a new
    one. The input is judged in full before the ID number is looked up, so the errors never
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
    streets): that record is linked as it is, and nothing about it or the person's other houses
    is told beyond ``Binding.matched_existing``. Only a second link of one person to the same
    house is refused.
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


# --- Phone sign-up -------------------------------------------------------------------------------


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


# --- Unmasked personal data ----------------------------------------------------------------------


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
