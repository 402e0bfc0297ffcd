"""Placeholder: replaced by the view module of this name."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def queue(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def claim_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def claim_verify(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def claim_reject(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def claim_reverse(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def claim_photo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
