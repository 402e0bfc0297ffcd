"""Placeholder: replaced by the view module of this name."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def household(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
