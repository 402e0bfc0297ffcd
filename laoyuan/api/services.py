"""Writes the API makes on its own behalf (everything else goes through the domain services)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def token_issue(*, user: Any, request: Any = None) -> Token:
    """The user's API token (created on first use), signalled as a sign-in.

    One token per user, as DRF's ``Token`` model keeps it; the signal updates ``last_login`` and
    lets sign-in bookkeeping (such as clearing counted failures) run as for the sign-in page.
    """
    token, _created = Token.objects.get_or_create(user=user)
    user_logged_in.send(sender=type(user), request=request, user=user)
    return token
