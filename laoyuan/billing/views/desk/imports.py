"""Importing payments (a cashier's ledger or a bank statement) and the opening balances inherited
at a takeover from Excel: all or nothing, with each bad row named and a report to download."""

import secrets
from collections.abc import Callable
from typing import IO, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.billing.forms import UploadForm
from laoyuan.billing.payment_import import (
    OPENING_BALANCES,
    PAYMENTS,
    PaymentImportResult,
    import_opening_balances,
    import_payments,
)
from laoyuan.billing.views.desk._common import Desk, desk_render, manager_or_404, xlsx_response
from laoyuan.imports.columns import SheetSpec
from laoyuan.orgs.models import PropertyCompany

# How long an error report stays downloadable after the upload that produced it.
REPORT_SECONDS = 3600
SHOWN_ERRORS = 200

Importer = Callable[..., PaymentImportResult]
KINDS: dict[str, tuple[Importer, SheetSpec]] = {
    "payments": (import_payments, PAYMENTS),
    "opening": (import_opening_balances, OPENING_BALANCES),
}


def _report_key(company_id: int, user_id: int | None, token: str) -> str:
    return f"billing:import-report:{company_id}:{user_id}:{token}"


def _keep_report(request: HttpRequest, desk: Desk, result: PaymentImportResult) -> str:
    """Keep the error report for this user for an hour; the token names it in the link."""
    token = secrets.token_urlsafe(12)
    cache.set(_report_key(desk.company.pk, request.user.pk, token), result.report(), REPORT_SECONDS)
    return token


def _run(
    importer: Importer, company: PropertyCompany, upload: IO[bytes], actor: Any
) -> PaymentImportResult:
    try:
        return importer(company=company, upload=upload, actor=actor)
    except PermissionDenied:
        raise Http404 from None


def _import_page(request: HttpRequest, company: int, kind: str) -> HttpResponse:
    desk = manager_or_404(request, company)
    importer, spec = KINDS[kind]
    result: PaymentImportResult | None = None
    token = ""
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            result = _run(importer, desk.company, form.cleaned_data["file"], request.user)
            if result.ok:
                messages.success(
                    request,
                    _(
                        "%(created)s rows recorded, %(already)s already recorded before "
                        "(nothing paid twice)."
                    )
                    % {"created": result.created, "already": result.already_recorded},
                )
            else:
                token = _keep_report(request, desk, result)
    else:
        form = UploadForm()
    return desk_render(
        request,
        "billing/desk/import.html",
        desk,
        "imports",
        {
            "form": form,
            "kind": kind,
            "spec": spec,
            "result": result,
            "errors": result.errors[:SHOWN_ERRORS] if result else [],
            "more_errors": max(len(result.errors) - SHOWN_ERRORS, 0) if result else 0,
            "token": token,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def desk_import_payments(request: HttpRequest, company: int) -> HttpResponse:
    return _import_page(request, company, "payments")


@login_required
@require_http_methods(["GET", "POST"])
def desk_import_opening(request: HttpRequest, company: int) -> HttpResponse:
    return _import_page(request, company, "opening")


@login_required
@require_GET
def desk_import_report(request: HttpRequest, company: int, token: str) -> HttpResponse:
    """The error report of the user's last upload, as a workbook."""
    desk = manager_or_404(request, company)
    content = cache.get(_report_key(desk.company.pk, request.user.pk, token))
    if content is None:
        raise Http404
    return xlsx_response(content, "import-errors.xlsx")
