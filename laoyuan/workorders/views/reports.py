"""The three rates and average times of the five-step order (``workorders.reports``) for the
offices and the hands of an order: the district (its district), a street, a community, a
compound's party branch and committee (their compound) and a company (the compounds it manages
and the orders dispatched to it). Everyone else gets 404, as for billing's collection page.

``?period=YYYY-MM`` picks a month (default: this month); ``?start=YYYY-MM-DD&end=YYYY-MM-DD``
a range of days instead; ``?by=compound|company|branch|street|month`` the grouping;
``?street=<id>`` or ``?community=<id>`` narrows the orders to one place of the reader's scope
(404 outside it). The Excel export takes the same parameters and holds exactly the page's figures.
"""

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from laoyuan.accounts.scoping import scope_for
from laoyuan.core.params import parse_id
from laoyuan.dashboard.queries import parse_month, places_or_404
from laoyuan.places.models import Community, Street
from laoyuan.workorders import exports
from laoyuan.workorders.reports import REPORT_BY, REPORT_ROLES, Period, month_period, rates

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A range of days may span at most this many (a by-month table of ten years stays readable).
LONGEST_RANGE = datetime.timedelta(days=3660)
BY_LABELS = {
    "compound": gettext_lazy("By compound"),
    "company": gettext_lazy("By property company"),
    "branch": gettext_lazy("By party branch"),
    "street": gettext_lazy("By street"),
    "month": gettext_lazy("By month"),
}


def _reader_or_404(request: HttpRequest) -> Any:
    if scope_for(request.user, REPORT_ROLES).is_empty:
        raise Http404
    return request.user


def _day(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _period(request: HttpRequest) -> tuple[Period, str]:
    """The period asked for and an error message ('' when the request was understood); a
    request not understood shows this month."""
    this_month = month_period(timezone.localdate())
    start_text, end_text = request.GET.get("start", ""), request.GET.get("end", "")
    if start_text or end_text:
        start, end = _day(start_text), _day(end_text)
        if start is None or end is None:
            return this_month, _("Give both days of the range as YYYY-MM-DD.")
        if end < start:
            return this_month, _("The range ends before it starts.")
        if end - start > LONGEST_RANGE:
            return this_month, _("Choose a range of at most ten years.")
        return Period(start, end), ""
    text = request.GET.get("period", "")
    if not text:
        return this_month, ""
    try:
        return month_period(parse_month(text)), ""
    except ValueError:
        return this_month, _("Give the month as YYYY-MM.")


def _place(
    request: HttpRequest, user: Any
) -> tuple[Street | None, Community | None, dict[str, int]]:
    """The street or community asked for (``?street=``, ``?community=``) among the places the
    reader's report roles see (404 otherwise), and its query parameters."""
    street, community = places_or_404(
        user,
        street_id=parse_id(request.GET.get("street")),
        community_id=parse_id(request.GET.get("community")),
        roles=REPORT_ROLES,
    )
    if community is not None:
        return street, community, {"community": community.pk}
    if street is not None:
        return street, None, {"street": street.pk}
    return None, None, {}


def _narrowed_rates(user: Any, period: Period, by: str, place: dict[str, int]) -> Any:
    return rates(
        user,
        period.start,
        period.end,
        by=by,
        street_id=None if "community" in place else place.get("street"),
        community_id=place.get("community"),
    )


def _by(request: HttpRequest) -> str:
    by = request.GET.get("by", "compound")
    return by if by in REPORT_BY else "compound"


def _percent(value: Any) -> Any:
    return None if value is None else value * 100


def _add_month(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


@login_required
@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    """The three rates and the average hours per group, with the total of the reader's scope."""
    user = _reader_or_404(request)
    street, community, place = _place(request, user)
    period, error = _period(request)
    by = _by(request)
    report = _narrowed_rates(user, period, by, place)
    is_month = period == month_period(period.start)
    query = (
        {"period": f"{period.start:%Y-%m}"}
        if is_month
        else {"start": period.start.isoformat(), "end": period.end.isoformat()}
    )
    context = {
        "report": report,
        "period": period,
        "is_month": is_month,
        "error": error,
        "by": by,
        "by_choices": [(key, BY_LABELS[key]) for key in REPORT_BY],
        "group_header": exports.group_headers()[by],
        "rows": [{"row": row, "percent": _percents(row)} for row in report.rows],
        "total": {"row": report.total, "percent": _percents(report.total)},
        "previous": _add_month(period.start, -1) if is_month else None,
        "next": _add_month(period.start, 1) if is_month else None,
        "export_query": urlencode([*query.items(), ("by", by), *place.items()]),
        "street": street,
        "community": community,
        "place": place,
        "place_query": urlencode(place),
    }
    return render(request, "workorders/reports.html", context)


def _percents(row: Any) -> dict[str, Any]:
    return {
        "response": _percent(row.response_rate),
        "resolution": _percent(row.resolution_rate),
        "satisfaction": _percent(row.satisfaction_rate),
    }


@login_required
@require_GET
def reports_export(request: HttpRequest) -> HttpResponse:
    """The page's table as an Excel workbook, for the same period and grouping."""
    user = _reader_or_404(request)
    _street, _community, place = _place(request, user)
    period, error = _period(request)
    if error:
        raise Http404
    by = _by(request)
    content = exports.rates_workbook(_narrowed_rates(user, period, by, place))
    response = HttpResponse(content, content_type=XLSX)
    where = "".join(f"-{key}{value}" for key, value in place.items())
    name = f"workorder-rates-{period.label}{where}-by-{by}"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("reports/", reports_page, name="reports"),
    path("reports/export/", reports_export, name="reports_export"),
]
