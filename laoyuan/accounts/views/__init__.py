"""Pages for sign-in, users and roles, resident binding, phone sign-up, unmasked personal data
and the audit trail. Views parse input, check who may act, call one service and render.

One module per topic (``signin``, ``roles``, ``residents``, ``personal``, ``audit_trail``; the
shared form page in ``_common``); ``accounts.urls`` takes the views from here.
"""

from laoyuan.accounts.views._common import PAGE_SIZE
from laoyuan.accounts.views.audit_trail import audit
from laoyuan.accounts.views.personal import reveal
from laoyuan.accounts.views.residents import (
    SIGNUP_PHONE,
    SIGNUP_SESSION_MINUTES,
    SIGNUP_VERIFIED,
    bind,
    signup,
    signup_confirm,
    signup_details,
    signup_reject,
    signup_requests,
    signup_status,
    signup_verify,
)
from laoyuan.accounts.views.roles import accept_invite, grant, invite, revoke, users
from laoyuan.accounts.views.signin import LoginView

__all__ = [
    "PAGE_SIZE",
    "SIGNUP_PHONE",
    "SIGNUP_SESSION_MINUTES",
    "SIGNUP_VERIFIED",
    "LoginView",
    "accept_invite",
    "audit",
    "bind",
    "grant",
    "invite",
    "reveal",
    "revoke",
    "signup",
    "signup_confirm",
    "signup_details",
    "signup_reject",
    "signup_requests",
    "signup_status",
    "signup_verify",
    "users",
]
