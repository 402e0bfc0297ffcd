"""What the organisation pages share: who may read or manage, fetching a body or a 404, the
form page and saving through a service (its refusal becomes form errors)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.scoping import scoped
from laoyuan.core.forms import apply_service_errors
from laoyuan.core.params import parse_id
from laoyuan.orgs import queries

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reader(user: Any) -> None:
    if not queries.reads_organisations(user):
        raise Http404


def _manager(user: Any, check: Callable[[queries.Authority], bool] | None = None) -> None:
    authority = queries.authority_for(user)
    if authority.is_empty or (check is not None and not check(authority)):
        raise Http404


def _read_or_404[M: Model](queryset: QuerySet[M], user: Any, pk: int) -> M:
    obj = scoped(queryset, user, queries.READ_ROLES).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _manage_or_404[M: Model](queryset: QuerySet[M], pk: int) -> M:
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _may(queryset: QuerySet[Any], pk: int) -> bool:
    return queryset.filter(pk=pk).exists()


def _number(request: HttpRequest, name: str) -> int | None:
    return parse_id(request.GET.get(name) or request.POST.get(name))


def _xlsx(content: bytes, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    filename = f"{stem}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _form_page(
    request: HttpRequest,
    *,
    form: Any,
    title: str,
    back: tuple[str, str],
    intro: str = "",
    submit: str = "",
    facts: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    return render(
        request,
        "orgs/form.html",
        {
            "form": form,
            "title": title,
            "back_label": back[0],
            "back_url": back[1],
            "intro": intro,
            "submit": submit or _("Save"),
            "facts": facts or [],
        },
    )


def _save(request: HttpRequest, form: Any, action: Callable[[], Any], done: str) -> Any | None:
    """Call the service; its refusal becomes form errors (or a 404 when not the user's)."""
    try:
        result = action()
    except ValidationError as error:
        apply_service_errors(form, error)
        return None
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, done)
    return result if result is not None else True
