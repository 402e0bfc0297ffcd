"""The audit trail page and its Excel export."""

import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts import queries
from laoyuan.accounts.forms import AuditFilterForm
from laoyuan.accounts.views._common import PAGE_SIZE


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    """The audit trail: the district sees all of it, a street officer their street's events."""
    visible = queries.audit_visibility(request.user)
    if visible is None:
        raise Http404
    form = AuditFilterForm(request.GET or None, actions=queries.audit_actions(visible=visible))
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "action": form.cleaned_data["action"],
            "date_from": form.cleaned_data["date_from"],
            "date_to": form.cleaned_data["date_to"],
        }
    events = queries.audit_events(visible=visible, **filters)
    if request.GET.get("export") == "xlsx":
        return _audit_workbook(events)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "accounts/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _audit_workbook(events: Any) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Audit trail"))
    sheet.append([_("Time"), _("Actor"), _("Action"), _("Object"), _("Summary")])
    for event in events.iterator(chunk_size=2000):
        sheet.append(
            [
                timezone.localtime(event.at).replace(tzinfo=None),
                event.actor.display_name if event.actor else "",
                event.action,
                f"{event.target_type}#{event.target_id}",
                event.summary,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
    return response
