"""One JSON shape for every API error.

``{"detail": "..."}`` always; a validation error adds ``"errors": {field: [messages]}`` with
nested fields joined by dots (``items.0.area``) and whole-object errors under
``non_field_errors``. A 404 never says what was looked for, so "missing" and "another scope's"
read the same.
"""

import datetime
import math
from collections.abc import Iterator
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class SignInLocked(exceptions.APIException):
    """429 while the sign-in lockout holds; ``Retry-After`` says for how long."""

    status_code = 429
    default_code = "locked"

    def __init__(self, *, until: datetime.datetime) -> None:
        left = max(1.0, (until - timezone.now()).total_seconds())
        self.wait = math.ceil(left)
        # The sign-in page's message, so both read (and translate) alike.
        message = _(
            "Too many failed sign-ins. Please try again after %(time)s "
            "(in about %(minutes)s minutes)."
        ) % {
            "time": time_format(timezone.localtime(until), "H:i"),
            "minutes": max(1, math.ceil(left / 60)),
        }
        super().__init__(message, self.default_code)


def _flatten(detail: Any, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            if detail:
                yield prefix or non_field, [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                yield from _flatten(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or non_field, [str(detail)]


def field_errors(detail: Any) -> dict[str, list[str]]:
    """A ValidationError's detail as ``{field: [messages]}``."""
    errors: dict[str, list[str]] = {}
    for field, messages in _flatten(detail):
        errors.setdefault(field, []).extend(messages)
    return errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        # Django's message names the model ("No Compound matches..."): answer the plain 404.
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": str(exceptions.ValidationError.default_detail),
            "errors": field_errors(exc.detail),
        }
    elif isinstance(exc, exceptions.APIException) and not (
        isinstance(response.data, dict) and set(response.data) == {"detail"}
    ):
        # An exception raised with a list or dict of messages: the same shape as validation.
        response.data = {"detail": str(exc.default_detail), "errors": field_errors(exc.detail)}
    return response
