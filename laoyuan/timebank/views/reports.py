"""Placeholder: replaced by the view module of this name."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def reports(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def export(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
