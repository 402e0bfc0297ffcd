"""The registry import pages: upload, the template, a batch and its error report.

Only the district, street and community offices see them; to anyone else they are 404.
"""

import datetime
from typing import IO, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.accounts.models import User
from laoyuan.imports.forms import ImportForm
from laoyuan.imports.queries import (
    ImportScope,
    batches_for,
    get_batch_or_404,
    grids_in,
    import_scope_for,
)
from laoyuan.imports.services import import_registry
from laoyuan.imports.xlsx import XLSX_CONTENT_TYPE, WorkbookError, template_workbook

RECENT_BATCHES = 20


def _scope_or_404(request: HttpRequest) -> ImportScope:
    scope = import_scope_for(request.user)
    if scope is None:
        raise Http404
    return scope


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    scope = _scope_or_404(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = import_registry(
                file=cast(IO[bytes], upload),
                file_name=upload.name,
                actor=cast(User, request.user),
            )
        except WorkbookError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        else:
            if batch.is_ok:
                messages.success(request, _("The workbook was imported."))
            else:
                messages.error(
                    request,
                    _("The workbook has errors; nothing was imported. Fix them and upload again."),
                )
            return redirect("imports:batch", pk=batch.pk)
    return render(
        request,
        "imports/upload.html",
        {"form": form, "batches": batches_for(request.user, scope)[:RECENT_BATCHES]},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope_or_404(request)
    found = get_batch_or_404(request.user, pk, scope)
    return render(request, "imports/batch.html", {"batch": found})


@login_required
@require_GET
def report(request: HttpRequest, pk: int) -> FileResponse:
    scope = _scope_or_404(request)
    found = get_batch_or_404(request.user, pk, scope)
    if not found.report:
        raise Http404
    return FileResponse(
        found.report.open("rb"),
        as_attachment=True,
        filename=f"import-{found.pk}-errors.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


@login_required
@require_GET
def template(request: HttpRequest) -> HttpResponse:
    scope = _scope_or_404(request)
    content = template_workbook(_examples(scope))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="laoyuan-import-template.xlsx"'
    return response


def _examples(scope: ImportScope) -> dict[str, dict[str, Any]]:
    """One example row per sheet, placed in the importer's first grid so it imports as is.
    (No ID number: a template should not carry one that might be somebody's.)"""
    grid = grids_in(scope).order_by("code").first()
    house = {"compound": "EX-0001", "building": "1号楼", "unit": "1", "room": "301"}
    return {
        "compounds": {
            "code": "EX-0001",
            "name": "示例小区",
            "address": "示例路1号",
            "street": grid.street.code if grid else "",
            "community": grid.community.code if grid else "",
            "grid": grid.code if grid else "",
            "build_year": 1992,
            "renovated": "是",
            "renovated_on": datetime.date(2021, 6, 30),
            "parking_motor": 20,
            "parking_non_motor": 60,
            "latitude": 34.7466,
            "longitude": 113.6801,
            "mode_from": datetime.date(2024, 1, 1),
        },
        "buildings": {"compound": "EX-0001", "number": "1号楼", "floors": 6, "units": 2},
        "houses": {**house, "floor": 3, "area": 86.4, "status": "已入住"},
        "residents": {
            **house,
            "name": "张三",
            "phone": "13800138000",
            "id_number": "",
            "role": "业主",
            "low_income": "否",
        },
    }
