"""Reusable reads of the place registry, scoped by user.

``compound_list`` is the one query behind the compound list page, its Excel export and the API,
so the three always agree on what a filter means.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from laoyuan.accounts.scoping import scoped
from laoyuan.core.params import parse_id
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound, House, Takeover

COMPOUND_ORDERINGS = {
    "code": ("code",),
    "-code": ("-code",),
    "name": ("name", "code"),
    "-name": ("-name", "code"),
    "area": ("area_m2", "code"),
    "-area": ("-area_m2", "code"),
    "households": ("households", "code"),
    "-households": ("-households", "code"),
    "street": ("street__code", "code"),
    "mode": ("management_mode", "code"),
}


@dataclass(frozen=True)
class CompoundFilters:
    """Filters a person can set on the compound list; ``None`` means "any"."""

    street: int | None = None
    community: int | None = None
    grid: int | None = None
    mode: str | None = None
    company: int | None = None
    renovated: bool | None = None
    # Taken over by a public company at some time (公办物业托底), whatever manages it now.
    taken_over: bool | None = None
    search: str = ""
    ordering: str = "code"

    @classmethod
    def from_params(cls, params: Any) -> "CompoundFilters":
        """Read filters from a QueryDict; unknown or malformed values are ignored."""

        def number(name: str) -> int | None:
            return parse_id(params.get(name))

        mode = params.get("mode") or params.get("management_mode") or None

        def flag(name: str) -> bool | None:
            value = (params.get(name) or "").lower()
            return {"true": True, "1": True, "false": False, "0": False}.get(value)

        ordering = params.get("ordering") or params.get("sort") or "code"
        return cls(
            street=number("street"),
            community=number("community"),
            grid=number("grid"),
            mode=mode if mode in ManagementMode.values else None,
            company=number("company"),
            renovated=flag("renovated"),
            taken_over=flag("taken_over"),
            search=(params.get("q") or params.get("search") or "").strip()[:100],
            ordering=ordering if ordering in COMPOUND_ORDERINGS else "code",
        )


def compound_list(*, user: Any, filters: CompoundFilters) -> QuerySet[Compound]:
    """Compounds in the user's scope matching the filters, with what a list row shows joined."""
    qs = scoped(Compound.objects.all(), user).select_related(
        "street", "community", "grid", "company"
    )
    for name in ("street", "community", "grid", "company"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{f"{name}_id": value})
    if filters.mode:
        qs = qs.filter(management_mode=filters.mode)
    if filters.renovated is not None:
        qs = qs.filter(renovated=filters.renovated)
    if filters.taken_over is not None:
        taken = Exists(Takeover.objects.filter(compound_id=OuterRef("pk")))
        qs = qs.filter(taken if filters.taken_over else ~taken)
    if filters.search:
        qs = qs.filter(
            Q(name__icontains=filters.search)
            | Q(code__icontains=filters.search)
            | Q(address__icontains=filters.search)
        )
    return qs.order_by(*COMPOUND_ORDERINGS[filters.ordering])


def house_list(*, user: Any, compound_id: int | None = None) -> QuerySet[House]:
    """Houses in the user's scope (a resident: their own), optionally of one compound."""
    qs = scoped(House.objects.all(), user).select_related("building", "compound")
    if compound_id is not None:
        qs = qs.filter(compound_id=compound_id)
    return qs.order_by("compound__code", "building__number", "unit", "room", "id")
