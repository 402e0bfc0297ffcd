"""Plane geometry on the registry's boundaries (the district map, finding a compound from a
point): great-circle distance and point-in-polygon on GeoJSON coordinates
(``[[[lng, lat], ...], hole, ...]``), no GIS extension."""

import math
from collections.abc import Sequence
from typing import Any

# The mean Earth radius (IUGG), in metres.
EARTH_RADIUS_M = 6_371_008.8

Ring = Sequence[Sequence[float]]


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The great-circle distance between two points, in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _in_ring(lng: float, lat: float, ring: Ring) -> bool:
    """Ray casting: a point is inside when a ray to the east crosses the ring an odd number of
    times. Works for closed and unclosed rings of any orientation."""
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = float(ring[i][0]), float(ring[i][1])
        x2, y2 = float(ring[(i + 1) % n][0]), float(ring[(i + 1) % n][1])
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lng < x_cross:
                inside = not inside
    return inside


def polygons(boundary: Any) -> list[list[Ring]]:
    """A boundary as a list of polygons (each a list of rings, the first the outline): GeoJSON
    Polygon coordinates (what the registry and the demo store), a MultiPolygon's, or a
    geometry object holding either. Anything else is no polygon."""
    if isinstance(boundary, dict):
        boundary = boundary.get("coordinates")
    if not isinstance(boundary, list) or not boundary:
        return []
    depth = 0
    probe: Any = boundary
    while isinstance(probe, list) and probe:
        probe = probe[0]
        depth += 1
    if depth == 3:
        return [boundary]
    if depth == 4:
        return list(boundary)
    return []


def contains(boundary: Any, lat: float, lng: float) -> bool:
    """Whether the point lies inside the boundary (inside an outline and outside its holes)."""
    for rings in polygons(boundary):
        try:
            if (
                len(rings[0]) >= 3
                and _in_ring(lng, lat, rings[0])
                and not any(_in_ring(lng, lat, hole) for hole in rings[1:])
            ):
                return True
        except (TypeError, ValueError, IndexError):
            continue
    return False
