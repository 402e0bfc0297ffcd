"""The sign-in lockout: failures counted per user name and per address, and a sign-in
attempt that checks the lockout before the password."""

import datetime
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from laoyuan.accounts.models import LoginFailure


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
