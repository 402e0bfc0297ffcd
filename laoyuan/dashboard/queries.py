"""The district figures, scoped to a user. The overview command, the API and the pages all read
them from ``overview`` so the same scope shows the same numbers everywhere."""

from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from laoyuan.accounts.scoping import scoped
from laoyuan.orgs.enums import CompanyKind, PartyLevel
from laoyuan.orgs.models import Cadre, Committee, PartyOrg
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound, Street


def _number(value: Decimal | None) -> float:
    """Areas are Decimal to the 0.01 m²; JSON carries them as numbers with two places."""
    return float(round(value or Decimal(0), 2))


def overview(
    *, user: Any, street_id: int | None = None, community_id: int | None = None
) -> dict[str, Any]:
    """The registry figures of the user's scope (keys documented in README, 'overview').

    ``street_id`` and ``community_id`` narrow the figures to one street or community inside that
    scope (the street and community pages); they never widen it.
    """
    compounds = scoped(Compound.objects.all(), user)
    if street_id is not None:
        compounds = compounds.filter(street_id=street_id)
    if community_id is not None:
        compounds = compounds.filter(community_id=community_id)
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
    }
