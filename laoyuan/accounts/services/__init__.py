"""Writes for accounts: the sign-in lockout, granting and revoking roles, invitations, binding
residents to houses, phone sign-up and its confirmation, and revealing unmasked personal data.

Every function that changes a role writes an audit event in the same transaction; messages to
people (SMS, email) go out only after the transaction commits.

One module per topic (``signin``, ``roles``, ``residents``, ``personal``); callers import the
functions from here.
"""

from laoyuan.accounts.services.personal import (
    REVEALABLE_FIELDS,
    may_reveal,
    reveal_personal_data,
)
from laoyuan.accounts.services.residents import (
    CODE_RESEND_SECONDS,
    Binding,
    CodeCheck,
    CodeStatus,
    bind_resident,
    confirm_signup,
    phone_has_account,
    reject_signup,
    send_phone_code,
    sign_up_resident,
    verify_phone_code,
)
from laoyuan.accounts.services.roles import (
    INVITATION_DAYS,
    accept_invitation,
    account_label,
    grant_role,
    invitation_is_open,
    invite_user,
    revoke_role,
)
from laoyuan.accounts.services.signin import (
    SignInResult,
    check_lockout,
    clear_login_failures,
    client_ip,
    lockout_key,
    record_login_failure,
    sign_in_attempt,
)

__all__ = [
    "CODE_RESEND_SECONDS",
    "INVITATION_DAYS",
    "REVEALABLE_FIELDS",
    "Binding",
    "CodeCheck",
    "CodeStatus",
    "SignInResult",
    "accept_invitation",
    "account_label",
    "bind_resident",
    "check_lockout",
    "clear_login_failures",
    "client_ip",
    "confirm_signup",
    "grant_role",
    "invitation_is_open",
    "invite_user",
    "lockout_key",
    "may_reveal",
    "phone_has_account",
    "record_login_failure",
    "reject_signup",
    "reveal_personal_data",
    "revoke_role",
    "send_phone_code",
    "sign_in_attempt",
    "sign_up_resident",
    "verify_phone_code",
]
