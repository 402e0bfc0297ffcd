"""What the account pages share: the page size and a form page that redraws itself through
htmx as earlier choices change."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from laoyuan.accounts.forms import REFRESH
from laoyuan.core.forms import apply_service_errors

PAGE_SIZE = 50


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _render_form(
    request: HttpRequest, template: str, form: Form, context: dict[str, Any] | None = None
) -> HttpResponse:
    """The whole page, or only the form for an htmx refresh."""
    context = {"form": form, **(context or {})}
    if _is_htmx(request) and REFRESH in request.POST:
        return render(request, "accounts/_form.html", context)
    return render(request, template, context)


def _form_page(
    request: HttpRequest,
    form_class: Callable[..., Form],
    form_kwargs: dict[str, Any],
    *,
    act: Callable[[dict[str, Any]], HttpResponse],
    context: dict[str, Any],
    template: str = "accounts/form_page.html",
    not_redrawn: tuple[str, ...] = (),
) -> HttpResponse:
    """A form whose later choices depend on earlier ones (it redraws itself through this page).

    A POST submits it: ``act`` gets the cleaned data, calls one service and answers (a
    ValidationError from the service goes onto the form). A POST with ``_refresh`` only redraws
    the form with the choices for the posted values (less ``not_redrawn`` ones, such as
    passwords), without judging it; a GET draws it with the query's values.
    """

    def make_form(**kwargs: Any) -> Form:
        return form_class(refresh_url=request.path, **form_kwargs, **kwargs)

    if request.method == "POST" and REFRESH not in request.POST:
        form = make_form(data=request.POST)
        if form.is_valid():
            try:
                return act(form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
    elif request.method == "POST":
        posted = request.POST.items()
        skipped = {"csrfmiddlewaretoken", *not_redrawn}
        form = make_form(initial={key: str(value) for key, value in posted if key not in skipped})
    else:
        form = make_form(initial=request.GET.dict())
    return _render_form(request, template, form, context)
