"""Fee collection for the offices: the district (all its streets), a street (its own), a
community (its compounds, figures only), a compound's party branch and committee (their compound)
and a company (the bills it issued).

Every figure comes from ``billing.queries``, which scopes it to the reader: a street of another
district sees nothing of ours. Drilling down (district → street → compound, or ``?community=``)
narrows the tables to one street, community or compound; a place outside the reader's scope
answers 404, as do the roles that read no collection figures (residents, inspectors, grid
workers).
"""

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.billing import exports, queries
from laoyuan.billing.calc import add_months, parse_period
from laoyuan.billing.models import ZERO
from laoyuan.billing.queries import ARREARS_BUCKET_LABELS, COLLECTION_ROLES, CollectionRow
from laoyuan.core.params import parse_id
from laoyuan.places.models import Community, Compound, Street

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLES = ("street", "company", "compound", "month", "arrears")


@dataclass(frozen=True)
class Drill:
    """Where the reader has drilled to: everything they see, one street, one community (with
    its street) or one compound (with its street)."""

    street: Street | None = None
    compound: Compound | None = None
    community: Community | None = None

    def params(self) -> dict[str, int]:
        if self.compound is not None:
            return {"compound": self.compound.pk}
        if self.community is not None:
            return {"community": self.community.pk}
        if self.street is not None:
            return {"street": self.street.pk}
        return {}


def _id(value: str | None) -> int | None:
    return parse_id(value)


def _reader_or_404(request: HttpRequest) -> Any:
    if scope_for(request.user, COLLECTION_ROLES).is_empty:
        raise Http404
    return request.user


def _drill(request: HttpRequest, user: Any) -> Drill:
    """The street, community or compound asked for, if the reader's collection roles see it;
    else 404."""
    compound_id, street_id = _id(request.GET.get("compound")), _id(request.GET.get("street"))
    community_id = _id(request.GET.get("community"))
    if compound_id is not None:
        compounds = scoped(Compound.objects.select_related("street"), user, COLLECTION_ROLES)
        compound = compounds.filter(pk=compound_id).first()
        if compound is None:
            raise Http404
        return Drill(street=compound.street, compound=compound)
    if community_id is not None:
        communities = scoped(Community.objects.select_related("street"), user, COLLECTION_ROLES)
        community = communities.filter(pk=community_id).first()
        if community is None:
            raise Http404
        return Drill(street=community.street, community=community)
    if street_id is not None:
        street = scoped(Street.objects.all(), user, COLLECTION_ROLES).filter(pk=street_id).first()
        if street is None:
            raise Http404
        return Drill(street=street)
    return Drill()


def _period(request: HttpRequest, user: Any) -> datetime.date | None:
    """The month asked for (``YYYY-MM``), else the latest month with bills the reader sees."""
    try:
        return parse_period(request.GET.get("period", ""))
    except ValueError:
        return queries.latest_billed_period(user)


def _pick(rows: list[CollectionRow], key: Any, label: str) -> CollectionRow:
    for row in rows:
        if row.key == key:
            return row
    return CollectionRow(key=key, label=label, billed=ZERO, paid=ZERO, rate=None)


def _trend(user: Any, period: datetime.date, by: str, key: int, name: str) -> list[CollectionRow]:
    """One compound's twelve months ending with ``period``, oldest first (twelve grouped
    queries, whatever the number of compounds or bills)."""
    months = [add_months(period, n) for n in range(-11, 1)]
    rows = []
    for month in months:
        row = _pick(queries.collection(user=user, period=month, by=by), key, name)
        rows.append(CollectionRow(month, f"{month:%Y-%m}", row.billed, row.paid, row.rate))
    return rows


def collection_tables(user: Any, period: datetime.date, drill: Drill) -> dict[str, Any]:
    """The page's tables for ``period`` at the drill level: ``total``, ``street``, ``company``,
    ``compound``, ``month`` (rows of ``queries.CollectionRow``; absent tables are None) and
    ``arrears`` (buckets of ``queries.arrears_by_age`` as of today)."""
    today = timezone.localdate()
    if drill.compound is not None:
        compound = drill.compound
        rows = queries.collection(user=user, period=period, by="compound")
        return {
            "total": _pick(rows, compound.pk, compound.name),
            "street": None,
            "company": None,
            "compound": None,
            "month": _trend(user, period, "compound", compound.pk, compound.name),
            "arrears": queries.arrears_by_age(user=user, as_of=today, compound_id=compound.pk),
        }
    if drill.street is not None:
        street, community = drill.street, drill.community
        place = Compound.objects.filter(street=street)
        if community is not None:
            place = place.filter(community=community)
        inside = set(scoped(place, user, COLLECTION_ROLES).values_list("pk", flat=True))
        narrowed: dict[str, int | None] = {
            "street_id": street.pk,
            "community_id": None if community is None else community.pk,
        }
        compounds = [
            row
            for row in queries.collection(user=user, period=period, by="compound")
            if row.key in inside
        ]
        name = street.name if community is None else community.name
        return {
            "total": queries.collection_sum(period, name, compounds),
            "street": None,
            "company": None,
            "compound": compounds,
            "month": queries.collection(user=user, period=period, by="month", **narrowed),
            "arrears": queries.arrears_by_age(user=user, as_of=today, **narrowed),
        }
    return {
        "total": queries.collection_total(user=user, period=period),
        "street": queries.collection(user=user, period=period, by="street"),
        "company": queries.collection(user=user, period=period, by="company"),
        "compound": queries.collection(user=user, period=period, by="compound"),
        "month": queries.collection(user=user, period=period, by="month"),
        "arrears": queries.arrears_by_age(user=user, as_of=today),
    }


def _percent(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else rate * 100


def _shown(
    rows: list[CollectionRow] | None,
    link: str | None,
    base: dict[str, str | int],
    opens: Collection[Any] | None = None,
) -> Any:
    """Rows as the template shows them: the rate in percent and the drill-down link (only to
    the keys in ``opens``, when given)."""
    if rows is None:
        return None
    url = reverse("billing:collection_page")
    return [
        {
            "row": row,
            "percent": _percent(row.rate),
            "url": f"{url}?{urlencode({**base, link: row.key})}"
            if link and (opens is None or row.key in opens)
            else None,
        }
        for row in rows
    ]


def _compounds_open(user: Any, rows: list[CollectionRow] | None) -> set[int]:
    """The compounds of ``rows`` whose own page the reader opens: a company still sees the
    bills of a compound it no longer serves, but not the compound (one query)."""
    if not rows:
        return set()
    keys = [row.key for row in rows]
    found = scoped(Compound.objects.filter(pk__in=keys), user, COLLECTION_ROLES)
    return set(found.values_list("pk", flat=True))


@login_required
@require_GET
def collection_page(request: HttpRequest) -> HttpResponse:
    """Billed, paid and the collection rate of a month, by street, company, compound and over
    twelve months, and arrears by age; narrowed to a street or a compound by drilling down."""
    user = _reader_or_404(request)
    drill = _drill(request, user)
    period = _period(request, user)
    context: dict[str, Any] = {"period": period, "drill": drill}
    if period is not None:
        tables = collection_tables(user, period, drill)
        base: dict[str, str | int] = {"period": f"{period:%Y-%m}"}
        by_street = tables["street"]
        district = _sees_district(user)
        context.update(
            {
                "previous": add_months(period, -1),
                "next": add_months(period, 1),
                "total": tables["total"],
                "total_percent": _percent(tables["total"].rate),
                # One street's own table of itself says nothing: shown when there are several.
                "by_street": _shown(by_street, "street" if district else None, base)
                if by_street is not None and (len(by_street) > 1 or district)
                else None,
                "by_company": _shown(tables["company"], None, base),
                "by_compound": _shown(
                    tables["compound"],
                    "compound",
                    base,
                    _compounds_open(user, tables["compound"]),
                ),
                "by_month": _shown(tables["month"], None, base),
                "arrears": [
                    {"bucket": bucket, "label": ARREARS_BUCKET_LABELS[bucket], **figures}
                    for bucket, figures in tables["arrears"].items()
                ],
                "arrears_total": {
                    "households": sum(f["households"] for f in tables["arrears"].values()),
                    "amount": sum((f["amount"] for f in tables["arrears"].values()), ZERO),
                },
                "drill_params": drill.params(),
                # The street's own page, when the reader's collection roles reach the street.
                "street_open": drill.street is not None
                and scoped(
                    Street.objects.filter(pk=drill.street.pk), user, COLLECTION_ROLES
                ).exists(),
                "export_query": urlencode({**base, **drill.params()}),
                "today": timezone.localdate(),
            }
        )
    return render(request, "billing/collection/collection.html", context)


def _sees_district(user: Any) -> bool:
    scope = scope_for(user, COLLECTION_ROLES)
    return scope.everything or bool(scope.district)


@login_required
@require_GET
def collection_export(request: HttpRequest) -> HttpResponse:
    """One table of the page (``table=street|company|compound|month|arrears``) as Excel, at the
    same month and drill level; without ``table``, the whole page's workbook (top level)."""
    user = _reader_or_404(request)
    drill = _drill(request, user)
    period = _period(request, user)
    if period is None:
        raise Http404
    table = request.GET.get("table", "")
    if table == "" and drill == Drill():
        content = exports.period_collection_workbook(user=user, period=period)
    elif table in TABLES:
        tables = collection_tables(user, period, drill)
        if tables[table] is None:
            raise Http404
        if table == "arrears":
            content = exports.arrears_by_age_workbook(tables["arrears"], as_of=timezone.localdate())
        else:
            total = tables["total"] if table != "month" else None
            content = exports.collection_workbook(tables[table], by=table, total=total)
    else:
        raise Http404
    where = "-".join(f"{key}{value}" for key, value in drill.params().items())
    name = "-".join(part for part in ("collection", f"{period:%Y-%m}", where, table) if part)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("collection/", collection_page, name="collection_page"),
    path("collection/export/", collection_export, name="collection_export"),
]
