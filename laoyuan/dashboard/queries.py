"""The district figures, scoped to a user. The overview command, the API and the pages all read
them from ``overview`` so the same scope shows the same numbers everywhere."""

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.billing.models import ZERO
from laoyuan.billing.queries import (
    ARREARS_BUCKETS,
    COLLECTION_ROLES,
    CollectionRow,
    arrears_by_age,
    collection,
    collection_sum,
    collection_total,
    latest_billed_period,
)
from laoyuan.core.money import to_fen
from laoyuan.orgs.enums import CompanyKind, PartyLevel
from laoyuan.orgs.models import Cadre, Committee, PartyOrg
from laoyuan.places.enums import ManagementMode
from laoyuan.places.geo import polygons
from laoyuan.places.models import (
    Community,
    Compound,
    Grid,
    ManagementPeriod,
    Street,
    Takeover,
)
from laoyuan.ratings import reports as rating_reports
from laoyuan.timebank import reports as timebank_reports
from laoyuan.workorders import reports as workorder_reports

# The offices whose dashboard (一屏观全域) this is; each lands on their own scope.
DASHBOARD_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID})

# A month as the command line and the API accept it: YYYY-MM.
MONTH_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


def _number(value: Decimal | None) -> float:
    """Areas are Decimal to the 0.01 m²; JSON carries them as numbers with two places."""
    return float(round(value or Decimal(0), 2))


def _money(value: Decimal | int) -> str:
    """Money leaves as a string with two decimals, as everywhere in the API."""
    return f"{to_fen(value):.2f}"


def parse_month(text: str) -> datetime.date:
    """``YYYY-MM`` → the first of that month; ValueError for anything else."""
    if not re.fullmatch(MONTH_PATTERN, text):
        raise ValueError(f"{text!r} is not a month in the form YYYY-MM")
    return datetime.date(int(text[:4]), int(text[5:]), 1)


def _narrowed_total(
    *, user: Any, month: datetime.date, street_id: int | None, community_id: int | None
) -> CollectionRow:
    """The collection of ``month`` in the user's scope, narrowed to a street or community, as
    one row (the sum of the street rows ``billing.queries.collection`` gives)."""
    if street_id is None and community_id is None:
        return collection_total(user=user, period=month)
    rows = collection(
        user=user, period=month, by="street", street_id=street_id, community_id=community_id
    )
    return collection_sum(month, "", rows)


def reads_collection(user: Any) -> bool:
    """Whether the user reads collection figures at all (a grid worker does not)."""
    return not scope_for(user, COLLECTION_ROLES).is_empty


def billing_figures(
    *,
    user: Any,
    period: datetime.date | None = None,
    street_id: int | None = None,
    community_id: int | None = None,
) -> dict[str, Any]:
    """Collection and arrears by age for ``period``'s month (default: the latest month billed in
    the user's scope), as ``billing.queries`` reckons them for the user, in the overview's JSON
    shape: money as strings with two decimals, the rate (paid ÷ billed) with four, or None when
    nothing was billed. With nothing billed at all, the period is None too. ``street_id`` and
    ``community_id`` narrow both to one street or community of that scope. Both are None for a
    user who reads no collection figures."""
    if not reads_collection(user):
        return {"collection": None, "arrears_by_age": None}
    month = period.replace(day=1) if period is not None else latest_billed_period(user)
    if month is None:
        total = CollectionRow(None, "", ZERO, ZERO, None)
        ages: dict[str, dict[str, Any]] = {
            bucket: {"households": 0, "amount": ZERO} for bucket in ARREARS_BUCKETS
        }
    else:
        total = _narrowed_total(
            user=user, month=month, street_id=street_id, community_id=community_id
        )
        ages = arrears_by_age(
            user=user, as_of=month, street_id=street_id, community_id=community_id
        )
    return {
        "collection": {
            "period": None if month is None else f"{month:%Y-%m}",
            "billed": _money(total.billed),
            "paid": _money(total.paid),
            "rate": None if total.rate is None else f"{total.rate:.4f}",
        },
        "arrears_by_age": {
            bucket: {"households": row["households"], "amount": _money(row["amount"])}
            for bucket, row in ages.items()
        },
    }


def overview(
    *,
    user: Any,
    street_id: int | None = None,
    community_id: int | None = None,
    period: datetime.date | None = None,
) -> dict[str, Any]:
    """The registry figures of the user's scope (keys documented in README, 'overview'), with
    ``collection`` and ``arrears_by_age`` of ``period`` (see ``billing_figures``).

    ``street_id`` and ``community_id`` narrow the figures to one street or community inside that
    scope (the street and community pages); they never widen it. The billing figures are None
    for a user who reads no collection figures (a grid worker).

    ``work_orders`` holds the work-order figures of ``period``'s month (default: this month)
    as ``workorders.reports.figures`` reckons them — ``created``, ``open``, ``overdue``,
    ``by_status``, ``response_rate``, ``resolution_rate``, ``satisfaction_rate``,
    ``avg_hours_to_verify`` and ``period`` — or None for a user who reads no work-order rates.

    ``timebank`` holds the time-bank figures of the same month as ``timebank.reports.figures``
    reckons them — ``period``, ``volunteer_orgs``, ``volunteers``, ``minutes_verified``,
    ``offsets_yuan`` and ``pool_balance`` — or None for a user who reads no time-bank reports
    (only the district, street and community offices do).

    ``stars`` counts the compounds at each star level 0–5 by their latest final rating (unrated
    compounds are left out); ``subsidies`` holds the subsidies posted for the same month —
    ``period``, ``amount`` and ``compounds`` — or None for a user who reads no subsidies.

    ``takeovers`` counts the public takeovers among the compounds (``takeover_figures``).

    ``trends`` holds the twelve months ending with the figures' months: ``collection`` (each
    month's ``period``, ``billed``, ``paid`` and ``rate`` as ``billing.queries.collection`` by
    month reckons them; None with nothing billed or for a user who reads no collection
    figures) and
    ``work_orders`` (``workorders.reports.trend``: the months and the change in average handling
    time from the first quarter to the last; None for a user who reads no work-order rates).
    """
    compounds = scope_compounds(user, street_id=street_id, community_id=community_id)
    billing = billing_figures(
        user=user, period=period, street_id=street_id, community_id=community_id
    )
    period_text = (billing["collection"] or {}).get("period")
    month = None if period_text is None else parse_month(period_text)
    rows = list(
        compounds.order_by()
        .values("street_id", "management_mode", "company__kind")
        .annotate(n=Count("id"), area=Sum("area_m2"), households=Sum("households"))
    )
    residents = compounds.aggregate(n=Sum("residents"))["n"] or 0

    by_mode: dict[str, dict[str, Any]] = {
        mode: {"compounds": 0, "area_m2": Decimal(0), "households": 0}
        for mode in ManagementMode.values
    }
    public: dict[str, Any] = {"compounds": 0, "area_m2": Decimal(0), "households": 0}
    per_street: dict[int, dict[str, Any]] = {}
    for row in rows:
        for bucket in (
            by_mode[row["management_mode"]],
            per_street.setdefault(
                row["street_id"], {"compounds": 0, "area_m2": Decimal(0), "households": 0}
            ),
            *([public] if row["company__kind"] == CompanyKind.PUBLIC else []),
        ):
            bucket["compounds"] += row["n"]
            bucket["area_m2"] += row["area"] or 0
            bucket["households"] += row["households"] or 0

    streets = {s.id: s for s in Street.objects.filter(id__in=per_street)}
    public_company_count = (
        compounds.filter(company__kind=CompanyKind.PUBLIC).values("company_id").distinct().count()
    )
    # Organisations are counted through their own scope rules too, so a figure never counts
    # what the same user's pages would not show.
    cadres = scoped(Cadre.objects.all(), user).filter(grid_id__in=compounds.values("grid_id"))
    total_area = sum((b["area_m2"] for b in by_mode.values()), Decimal(0))
    return {
        "compounds": sum(b["compounds"] for b in by_mode.values()),
        "area_m2": _number(total_area),
        "households": sum(b["households"] for b in by_mode.values()),
        "residents": residents,
        "by_mode": {mode: {**b, "area_m2": _number(b["area_m2"])} for mode, b in by_mode.items()},
        "public_companies": {
            "count": public_company_count,
            **public,
            "area_m2": _number(public["area_m2"]),
        },
        "takeovers": takeover_figures(user, compounds),
        "committees": scoped(Committee.objects.filter(compound__in=compounds), user).count(),
        "party_branches": scoped(
            PartyOrg.objects.filter(level=PartyLevel.COMPOUND_BRANCH, compound__in=compounds),
            user,
        ).count(),
        "agency_branches": cadres.values("branch_id").distinct().count(),
        "cadres": cadres.count(),
        "by_street": [
            {
                "code": streets[street_id].code,
                "name": streets[street_id].name,
                "compounds": b["compounds"],
                "area_m2": _number(b["area_m2"]),
                "households": b["households"],
            }
            for street_id, b in sorted(per_street.items(), key=lambda kv: streets[kv[0]].code)
        ],
        "work_orders": workorder_reports.figures(
            user,
            workorder_reports.month_period(period or timezone.localdate()),
            street_id=street_id,
            community_id=community_id,
        ),
        "timebank": timebank_reports.figures(
            user,
            timebank_reports.month_period(period or timezone.localdate()),
            street_id=street_id,
            community_id=community_id,
        ),
        "stars": rating_reports.star_counts(compounds),
        "subsidies": rating_reports.subsidy_figures(
            user,
            (period or timezone.localdate()).replace(day=1),
            street_id=street_id,
            community_id=community_id,
        ),
        **billing,
        "trends": {
            "collection": None
            if month is None
            else [
                {
                    "period": row.label,
                    "billed": _money(row.billed),
                    "paid": _money(row.paid),
                    "rate": None if row.rate is None else f"{row.rate:.4f}",
                }
                for row in collection(
                    user=user,
                    period=month,
                    by="month",
                    street_id=street_id,
                    community_id=community_id,
                )
            ],
            "work_orders": workorder_reports.trend(
                user,
                period or timezone.localdate(),
                street_id=street_id,
                community_id=community_id,
            ),
        },
    }


def takeover_figures(user: Any, compounds: QuerySet[Compound]) -> dict[str, Any]:
    """The public takeovers (公办物业托底) of ``compounds``: how many compounds were taken over,
    their floor area and households, and ``before``: how each was managed before its latest
    takeover (``unrecorded`` when the takeover opened its history). One query."""
    previous = (
        ManagementPeriod.objects.filter(
            compound_id=OuterRef("compound_id"), started_on__lt=OuterRef("period__started_on")
        )
        .order_by("-started_on", "-id")
        .values("mode")[:1]
    )
    rows = (
        scoped(Takeover.objects.filter(compound__in=compounds), user)
        .annotate(before=Subquery(previous))
        .order_by("compound_id", "-period__started_on", "-id")
        .values_list("compound_id", "before", "compound__area_m2", "compound__households")
    )
    before = {mode: 0 for mode in (*ManagementMode.values, "unrecorded")}
    seen: set[int] = set()
    area, households = Decimal(0), 0
    for compound_id, mode, compound_area, compound_households in rows:
        if compound_id in seen:
            continue
        seen.add(compound_id)
        before[mode or "unrecorded"] += 1
        area += compound_area or 0
        households += compound_households or 0
    return {
        "compounds": len(seen),
        "area_m2": _number(area),
        "households": households,
        "before": before,
    }


def places_or_404(
    user: Any,
    *,
    street_id: int | None = None,
    community_id: int | None = None,
    roles: Iterable[str] | None = None,
) -> tuple[Street | None, Community | None]:
    """The street and community a page or the API is narrowed to, each in the user's scope
    (of ``roles`` only, when given; 404 otherwise); a community names its street too."""
    community = None
    if community_id is not None:
        community = (
            scoped(Community.objects.select_related("street"), user, roles)
            .filter(pk=community_id)
            .first()
        )
        if community is None or (street_id is not None and community.street_id != street_id):
            raise Http404
    street = community.street if community is not None else None
    if street is None and street_id is not None:
        street = scoped(Street.objects.all(), user, roles).filter(pk=street_id).first()
        if street is None:
            raise Http404
    return street, community


def scope_compounds(
    user: Any, *, street_id: int | None = None, community_id: int | None = None
) -> QuerySet[Compound]:
    """The user's compounds, narrowed to one street or community of that scope."""
    compounds = scoped(Compound.objects.all(), user)
    if street_id is not None:
        compounds = compounds.filter(street_id=street_id)
    if community_id is not None:
        compounds = compounds.filter(community_id=community_id)
    return compounds


def _geometry(boundary: Any) -> dict[str, Any] | None:
    found = polygons(boundary)
    if not found:
        return None
    return {"type": "MultiPolygon", "coordinates": found}


def _compound_layers(
    user: Any,
    compounds: QuerySet[Compound],
    month: datetime.date | None,
    street_id: int | None,
    community_id: int | None = None,
) -> list[tuple[Any, dict[str, Any]]]:
    """Each compound's boundary and its properties on the map (see ``map_features``). Three
    queries."""
    rates = (
        {}
        if month is None
        else {
            row.key: row.rate
            for row in collection(
                user=user,
                period=month,
                by="compound",
                street_id=street_id,
                community_id=community_id,
            )
        }
    )
    orders = workorder_reports.open_by_compound(user, compounds.values("id"))
    rows = (
        compounds.annotate(stars=rating_reports.latest_final_stars())
        .order_by("code")
        .values("id", "code", "name", "management_mode", "grid_id", "boundary", "stars")
    )
    found = []
    for row in rows:
        rate = rates.get(row["id"])
        counts = None if orders is None else orders.get(row["id"], (0, 0))
        found.append(
            (
                row["boundary"],
                {
                    "name": row["code"],
                    "kind": "compound",
                    "id": row["id"],
                    "label": row["name"],
                    "grid": row["grid_id"],
                    "mode": row["management_mode"],
                    "stars": row["stars"],
                    "collection_rate": None if rate is None else f"{rate:.4f}",
                    "open": None if counts is None else counts[0],
                    "overdue": None if counts is None else counts[1],
                },
            )
        )
    return found


def compound_figures(*, user: Any, compound: Compound) -> dict[str, Any]:
    """The compound's own panel on its page: what the map shows of it (its mode, stars,
    collection rate in the latest month billed in the user's scope, open and overdue orders),
    with that month as ``period``."""
    month = latest_billed_period(user)
    compounds = scoped(Compound.objects.filter(pk=compound.pk), user)
    found = _compound_layers(user, compounds, month, compound.street_id)
    props = found[0][1] if found else {}
    return {"period": None if month is None else f"{month:%Y-%m}", **props}


def map_features(
    *,
    user: Any,
    street_id: int | None = None,
    community_id: int | None = None,
    period: datetime.date | None = None,
) -> dict[str, Any]:
    """The scope's grids and compounds as a GeoJSON FeatureCollection for the dashboard's map
    (places without a boundary are left out). A grid's feature is named ``G<id>``, a
    compound's by its code; a compound's properties carry every layer: ``mode``, ``stars`` (its
    latest final rating, None unrated), ``collection_rate`` (its rate in ``period``'s month, as
    the collection list by compound reckons it; None with nothing billed), ``open`` and
    ``overdue`` (orders now; None for a user who reads no work-order rates). Four queries."""
    compounds = scope_compounds(user, street_id=street_id, community_id=community_id)
    month = period.replace(day=1) if period is not None else latest_billed_period(user)
    features = []
    grids = Grid.objects.filter(id__in=compounds.values("grid_id")).order_by("code")
    for grid in grids.values("id", "name", "street_id", "community_id", "boundary"):
        geometry = _geometry(grid["boundary"])
        if geometry is not None:
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "name": f"G{grid['id']}",
                        "kind": "grid",
                        "id": grid["id"],
                        "label": grid["name"],
                        "street": grid["street_id"],
                        "community": grid["community_id"],
                    },
                    "geometry": geometry,
                }
            )
    for boundary, props in _compound_layers(user, compounds, month, street_id, community_id):
        geometry = _geometry(boundary)
        if geometry is not None:
            features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {
        "type": "FeatureCollection",
        "period": None if month is None else f"{month:%Y-%m}",
        "features": features,
    }
