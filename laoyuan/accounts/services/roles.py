"""Granting and revoking roles, and inviting a person to an account with a role. Every
change writes an audit event in the same transaction; messages go out after commit."""

import datetime
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import ROLE_SCOPE_LEVELS, Role
from laoyuan.accounts.models import Invitation, RoleAssignment, User
from laoyuan.accounts.queries import (
    district_id_of,
    invitation_token_hash,
    level_for,
    may_grant,
    may_revoke,
    street_id_of,
)
from laoyuan.accounts.scoping import forget_scope
from laoyuan.core import audit
from laoyuan.core.personal import normalise_phone
from laoyuan.core.sms import send_sms

INVITATION_DAYS = 7


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
