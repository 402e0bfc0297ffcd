"""The time-bank report (``timebank.reports``) for the offices: the district, a street and a
community, over their scope. Everyone else gets 404, as for the work-order rates.

``?year=YYYY`` picks a year (default: this year); ``?from=YYYY-MM&to=YYYY-MM`` a range of whole
months instead. ``?street=<id>`` and ``?community=<id>`` drill down to one place of the scope:
the district's page lists its streets, a street's its communities. The Excel export takes the
same parameters and holds exactly the page's figures.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from laoyuan.accounts.scoping import scoped
from laoyuan.core.params import parse_id
from laoyuan.dashboard.queries import parse_month
from laoyuan.places.models import Community, Street
from laoyuan.timebank import exports
from laoyuan.timebank.reports import Period, period_label, reader_scope, report, year_period
from laoyuan.workorders.reports import month_period

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LONGEST_MONTHS = 120
FIRST_YEAR = 2000


def _reader_or_404(request: HttpRequest) -> Any:
    if reader_scope(request.user).is_empty:
        raise Http404
    return request.user


def _year(text: str) -> int | None:
    if len(text) == 4 and text.isdigit() and FIRST_YEAR <= int(text) <= 2999:
        return int(text)
    return None


def _period(request: HttpRequest) -> tuple[Period, str]:
    """The period asked for and an error message ('' when understood); a request not
    understood shows this year."""
    this_year = year_period(timezone.localdate().year)
    first, last = request.GET.get("from", ""), request.GET.get("to", "")
    if first or last:
        try:
            start, end = parse_month(first), month_period(parse_month(last)).end
        except ValueError:
            return this_year, _("Give both months of the range as YYYY-MM.")
        if end < start:
            return this_year, _("The range ends before it starts.")
        if (end.year - start.year) * 12 + end.month - start.month >= LONGEST_MONTHS:
            return this_year, _("Choose a range of at most ten years.")
        return Period(start, end), ""
    text = request.GET.get("year", "")
    if not text:
        return this_year, ""
    year = _year(text)
    if year is None:
        return this_year, _("Give the year as four digits, e.g. 2026.")
    return year_period(year), ""


def _id(request: HttpRequest, name: str) -> int | None:
    text = request.GET.get(name, "")
    if not text:
        return None
    number = parse_id(text)
    if number is None:
        raise Http404
    return number


def _place(request: HttpRequest, user: Any) -> tuple[Street | None, Community | None]:
    """The street or community drilled into (404 outside the reader's scope)."""
    community_id, street_id = _id(request, "community"), _id(request, "street")
    community = street = None
    if community_id is not None:
        community = (
            scoped(Community.objects.all(), user)
            .select_related("street")
            .filter(pk=community_id)
            .first()
        )
        if community is None:
            raise Http404
        street = community.street
    elif street_id is not None:
        street = scoped(Street.objects.all(), user).filter(pk=street_id).first()
        if street is None:
            raise Http404
    return street, community


def _place_level(user: Any, street: Street | None, community: Community | None) -> str | None:
    """The by-place table: the district's streets, a street's communities."""
    if community is not None:
        return None
    if street is not None:
        return "community"
    scope = reader_scope(user)
    if scope.everything or scope.district:
        return "street"
    if scope.street:
        return "community"
    return None


def _build(request: HttpRequest) -> tuple[Any, Period, str, Street | None, Community | None]:
    user = _reader_or_404(request)
    period, error = _period(request)
    street, community = _place(request, user)
    result = report(
        user,
        period,
        street_id=None if street is None else street.pk,
        community=community,
        place_level=_place_level(user, street, community),
    )
    return result, period, error, street, community


def _query(period: Period, street: Any, community: Any) -> dict[str, str]:
    query: dict[str, str] = {}
    if period == year_period(period.start.year):
        query["year"] = str(period.start.year)
    else:
        query["from"], query["to"] = f"{period.start:%Y-%m}", f"{period.end:%Y-%m}"
    if community is not None:
        query["community"] = str(community.pk)
    elif street is not None:
        query["street"] = str(street.pk)
    return query


@login_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    """Summary figures, hours and offsets by category, compound, month and place, the pools."""
    result, period, error, street, community = _build(request)
    query = _query(period, street, community)
    period_query = {k: v for k, v in query.items() if k not in ("street", "community")}
    is_year = "year" in query
    context = {
        "report": result,
        "period": period,
        "is_year": is_year,
        "error": error,
        "street": street,
        "community": community,
        "place_header": exports.place_header(result.place_level),
        "drill_param": "street" if result.place_level == "street" else "community",
        "period_query": urlencode(period_query),
        "street_query": urlencode({**period_query, "street": str(street.pk)}) if street else "",
        "export_query": urlencode(query),
        "previous_year": period.start.year - 1,
        "next_year": period.start.year + 1,
        "summary": exports.summary_rows(result),
    }
    return render(request, "timebank/reports.html", context)


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The page's tables as an Excel workbook, for the same period and place."""
    result, period, error, street, community = _build(request)
    if error:
        raise Http404
    place = str(community or street or "")
    content = exports.report_workbook(result, place)
    response = HttpResponse(content, content_type=XLSX)
    name = f"timebank-{period_label(period)}"
    if community is not None:
        name += f"-community-{community.pk}"
    elif street is not None:
        name += f"-street-{street.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


# The URL map names the export ``reports_export``.
reports_export = export
