"""Who may import where, and which import batches a user may see.

Importing is an office's job: the district office anywhere in its district, a street office in its
street, a community in its community. Other roles do not see the import pages at all (404).
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from laoyuan.accounts.enums import Role, ScopeLevel
from laoyuan.accounts.models import RoleAssignment
from laoyuan.imports.models import ImportBatch
from laoyuan.places.models import Grid

IMPORT_ROLES = (Role.DISTRICT, Role.STREET, Role.COMMUNITY)


@dataclass(frozen=True)
class ImportScope:
    """The places an importer may create or attach compounds in."""

    everything: bool = False
    districts: frozenset[int] = frozenset()
    streets: frozenset[int] = frozenset()
    communities: frozenset[int] = frozenset()
    # The streets holding the importer's communities: a community office may name its street.
    community_streets: frozenset[int] = frozenset()
    # The narrowest places covering the whole scope, recorded on the batch for its visibility.
    district_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None

    def covers(self, *, district_id: int, street_id: int | None, community_id: int | None) -> bool:
        """Whether a community or grid (or a compound) with these ids lies inside the scope."""
        return (
            self.everything
            or district_id in self.districts
            or (street_id is not None and street_id in self.streets)
            or (community_id is not None and community_id in self.communities)
        )

    def touches_street(self, *, district_id: int, street_id: int) -> bool:
        """Whether the importer may name this street (it holds some of their scope)."""
        return (
            self.covers(district_id=district_id, street_id=street_id, community_id=None)
            or street_id in self.community_streets
        )


def _common(values: list[int | None]) -> int | None:
    distinct = set(values)
    return values[0] if len(distinct) == 1 else None


def import_scope_for(user: Any) -> ImportScope | None:
    """The user's import scope, or None when they may not import at all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ImportScope(everything=True)
    rows = list(
        RoleAssignment.objects.active()
        .filter(user=user, role__in=IMPORT_ROLES)
        .values_list(
            "level",
            "district_id",
            "street_id",
            "street__district_id",
            "community_id",
            "community__street_id",
            "community__district_id",
        )
    )
    if not rows:
        return None
    districts: set[int] = set()
    streets: set[int] = set()
    communities: set[int] = set()
    community_streets: set[int] = set()
    # (district, street, community) of each assignment, None above its level.
    anchors: list[tuple[int | None, int | None, int | None]] = []
    for level, district, street, street_district, community, c_street, c_district in rows:
        if level == ScopeLevel.DISTRICT and district is not None:
            districts.add(district)
            anchors.append((district, None, None))
        elif level == ScopeLevel.STREET and street is not None:
            streets.add(street)
            anchors.append((street_district, street, None))
        elif level == ScopeLevel.COMMUNITY and community is not None:
            communities.add(community)
            community_streets.add(c_street)
            anchors.append((c_district, c_street, community))
    if not anchors:
        return None
    return ImportScope(
        districts=frozenset(districts),
        streets=frozenset(streets),
        communities=frozenset(communities),
        community_streets=frozenset(community_streets),
        district_id=_common([a[0] for a in anchors]),
        street_id=_common([a[1] for a in anchors]),
        community_id=_common([a[2] for a in anchors]),
    )


def batches_for(user: Any, scope: ImportScope | None = None) -> QuerySet[ImportBatch]:
    """The import batches the user may see: their own, and those made inside their scope."""
    scope = scope if scope is not None else import_scope_for(user)
    batches = ImportBatch.objects.select_related("created_by")
    if scope is None:
        return batches.none()
    if scope.everything:
        return batches.all()
    visible = Q(created_by=user)
    if scope.districts:
        visible |= Q(district_id__in=scope.districts)
    if scope.streets:
        visible |= Q(street_id__in=scope.streets)
    if scope.communities:
        visible |= Q(community_id__in=scope.communities)
    return batches.filter(visible)


def get_batch_or_404(user: Any, pk: int, scope: ImportScope | None = None) -> ImportBatch:
    """One batch the user may see, or 404 for missing and not-yours alike."""
    try:
        return batches_for(user, scope).get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404 from None


def grids_in(scope: ImportScope) -> QuerySet[Grid]:
    """The grids an importer may put compounds in."""
    grids = Grid.objects.select_related("street", "community")
    if scope.everything:
        return grids.all()
    return grids.filter(
        Q(district_id__in=scope.districts)
        | Q(street_id__in=scope.streets)
        | Q(community_id__in=scope.communities)
    )
