"""Who may import where, and which import batches a user may see.

Importing is an office's job: the district office anywhere in its district, a street office in its
street, a community in its community. Other roles do not see the import pages at all (404).
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import RoleAssignment
from laoyuan.accounts.scoping import scope_for
from laoyuan.imports.models import ImportBatch
from laoyuan.places.models import Community, Grid, Street

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
    """The user's import scope (their district, street and community offices' assignments, read
    through ``accounts.scoping``), or None when they may not import at all."""
    scope = scope_for(user, roles=IMPORT_ROLES)
    if scope.is_empty:
        return None
    if scope.everything:
        return ImportScope(everything=True)
    street_districts: dict[int, int] = (
        dict(Street.objects.filter(pk__in=scope.street).values_list("pk", "district_id"))
        if scope.street
        else {}
    )
    community_places: dict[int, tuple[int, int]] = (
        {
            pk: (district_id, street_id)
            for pk, district_id, street_id in Community.objects.filter(
                pk__in=scope.community
            ).values_list("pk", "district_id", "street_id")
        }
        if scope.community
        else {}
    )
    # (district, street, community) of each assignment, None above its level.
    anchors: list[tuple[int | None, int | None, int | None]] = [
        *((district, None, None) for district in scope.district),
        *((street_districts[street], street, None) for street in scope.street),
        *((d, s, community) for community, (d, s) in community_places.items()),
    ]
    if not anchors:
        return None
    return ImportScope(
        districts=scope.district,
        streets=scope.street,
        communities=scope.community,
        community_streets=frozenset(s for _d, s in community_places.values()),
        district_id=_common([a[0] for a in anchors]),
        street_id=_common([a[1] for a in anchors]),
        community_id=_common([a[2] for a in anchors]),
    )


def batches_for(user: Any, scope: ImportScope | None = None) -> QuerySet[ImportBatch]:
    """The import batches the user may see: those made inside their current import scope.

    Having made a batch gives no right of its own: an officer who has left the place sees its
    batches no more (a report holds residents' rows). The uploader also sees a batch recorded
    above their current scope (one made while they held two streets is recorded at the
    district) only while they still hold every import role they held when they made it."""
    scope = scope if scope is not None else import_scope_for(user)
    batches = ImportBatch.objects.select_related("created_by")
    if scope is None:
        return batches.none()
    if scope.everything:
        return batches.all()
    lost_since = RoleAssignment.objects.filter(
        user=user,
        role__in=IMPORT_ROLES,
        granted_at__lte=OuterRef("created_at"),
        revoked_at__gt=OuterRef("created_at"),
    )
    visible = Q(~Exists(lost_since), created_by=user)
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
