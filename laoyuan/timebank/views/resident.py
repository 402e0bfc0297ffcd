"""Placeholder: replaced by the view module of this name."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def mine(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def redeem(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def donate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def claim_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
