"""Placeholder: replaced by the view module of this name."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def org_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def org_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def org_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def volunteer_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def volunteer_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
