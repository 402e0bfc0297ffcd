"""Placeholder: replaced by the view module of this name."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def activity_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def activity_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def activity_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def post_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
