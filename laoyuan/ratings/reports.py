"""Rating and subsidy figures for the overview, the dashboard and the reports: the same numbers
in the command, the API and the pages."""

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.core.money import to_fen
from laoyuan.places.models import Compound
from laoyuan.ratings.enums import EvaluationState, SubsidyState
from laoyuan.ratings.models import Evaluation, Subsidy
from laoyuan.ratings.scoping import SUBSIDY_ROLES

STAR_LEVELS = ("0", "1", "2", "3", "4", "5")


def latest_final_stars() -> Subquery:
    """For a compound row: the stars of its latest final rating (None when it has none)."""
    latest = Evaluation.objects.filter(
        compound_id=OuterRef("pk"), state=EvaluationState.FINAL
    ).order_by("-final_on", "-id")
    return Subquery(latest.values("stars")[:1])


def star_counts(compounds: QuerySet[Compound]) -> dict[str, int]:
    """Compounds per star level 0–5 by their latest final rating (unrated ones left out)."""
    counts = dict.fromkeys(STAR_LEVELS, 0)
    rows = (
        compounds.order_by()
        .annotate(latest_stars=latest_final_stars())
        .values("latest_stars")
        .annotate(n=Count("id"))
    )
    for row in rows:
        if row["latest_stars"] is not None:
            counts[str(row["latest_stars"])] = row["n"]
    return counts


def subsidy_figures(
    user: Any,
    period: datetime.date,
    *,
    street_id: int | None = None,
    community_id: int | None = None,
) -> dict[str, Any] | None:
    """The month's posted subsidies in the user's scope: ``{period, amount, compounds}``, or
    None for a user who reads no subsidies."""
    if not scope_for(user, SUBSIDY_ROLES).has_role(*SUBSIDY_ROLES):
        return None
    rows = scoped(Subsidy.objects.all(), user).filter(
        period=period.replace(day=1), state=SubsidyState.POSTED
    )
    if street_id is not None:
        rows = rows.filter(street_id=street_id)
    if community_id is not None:
        rows = rows.filter(community_id=community_id)
    figures = rows.aggregate(total=Sum("amount"), compounds=Count("compound_id", distinct=True))
    return {
        "period": f"{period:%Y-%m}",
        "amount": f"{to_fen(figures['total'] or Decimal(0)):.2f}",
        "compounds": figures["compounds"],
    }
