"""Map shapes for the demo district: nested rectangles that tile Zhengzhou's old town.

A street's rectangle is split into its communities', each of those into its grids', and a grid's
into cells that each hold one compound, shrunk so neighbouring compounds never touch. Boundaries
are GeoJSON polygon coordinates ``[[[lng, lat], ...]]`` with a closed, counter-clockwise ring.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

# Guancheng's old town, roughly: 34.70-34.78 N, 113.65-113.75 E.
DISTRICT_BOX = (113.65, 34.70, 113.75, 34.78)


@dataclass(frozen=True)
class Rect:
    west: float
    south: float
    east: float
    north: float

    def split(self, n: int) -> list["Rect"]:
        """``n`` rectangles tiling this one, row by row; the last row's cells are wider."""
        cols = max(1, math.ceil(math.sqrt(n)))
        rows = math.ceil(n / cols)
        height = (self.north - self.south) / rows
        cells = []
        for row in range(rows):
            in_row = cols if row < rows - 1 else n - cols * (rows - 1)
            width = (self.east - self.west) / in_row
            north = self.north - row * height
            for col in range(in_row):
                west = self.west + col * width
                cells.append(Rect(west, north - height, west + width, north))
        return cells

    def shrink(self, fraction: float) -> "Rect":
        """The same rectangle with ``fraction`` of its width and height taken off each side."""
        dx = (self.east - self.west) * fraction
        dy = (self.north - self.south) * fraction
        return Rect(self.west + dx, self.south + dy, self.east - dx, self.north - dy)

    @property
    def latitude(self) -> Decimal:
        return Decimal(f"{(self.south + self.north) / 2:.6f}")

    @property
    def longitude(self) -> Decimal:
        return Decimal(f"{(self.west + self.east) / 2:.6f}")

    def polygon(self) -> list[list[list[float]]]:
        w, s, e, n = (round(v, 6) for v in (self.west, self.south, self.east, self.north))
        return [[[w, s], [e, s], [e, n], [w, n], [w, s]]]


def district_rect() -> Rect:
    return Rect(*DISTRICT_BOX)
