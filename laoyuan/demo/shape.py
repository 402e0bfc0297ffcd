"""The demo district's counts at a scale, and the integer arithmetic that splits totals exactly.

At scale 1 the counts are the seed document's (548 compounds, 71,000 households, 346 public
compounds with 38,585 households, ...). Another scale multiplies every count and rounds it,
keeping at least one of each kind, so a small test district has the same shape.
"""

from dataclasses import dataclass

MIN_SCALE = 0.01
# Areas are planned in hundredths of a square metre, so every sum is an exact integer.
CENTI = 100


@dataclass(frozen=True)
class Shape:
    streets: int
    communities: int
    grids: int
    # Mode histories: (mode in 2018 → mode today).
    professional_kept: int  # professional → professional
    owner_self_to_professional: int
    owner_self_kept: int
    owner_self_to_public: int
    unmanaged_to_public: int
    households: int
    public_households: int
    area_centi: int
    public_area_centi: int
    residents: int
    public_companies: int
    professional_companies: int
    second_committees: int
    agency_branches: int
    cadres: int

    @property
    def public_compounds(self) -> int:
        return self.owner_self_to_public + self.unmanaged_to_public

    @property
    def other_compounds(self) -> int:
        return self.professional_kept + self.owner_self_to_professional + self.owner_self_kept

    @property
    def compounds(self) -> int:
        return self.public_compounds + self.other_compounds


def shape_for(scale: float) -> Shape:
    """The counts at ``scale`` (1 is the seed's district)."""
    if scale < MIN_SCALE:
        raise ValueError(f"scale must be at least {MIN_SCALE}")

    def n(base: float) -> int:
        return max(1, round(base * scale))

    streets = n(12)
    communities = max(streets, n(60))
    unmanaged_to_public = n(308)
    owner_self_to_public = n(38)
    public_compounds = unmanaged_to_public + owner_self_to_public
    return Shape(
        streets=streets,
        communities=communities,
        grids=max(communities, n(180)),
        professional_kept=n(134),
        owner_self_to_professional=n(16),
        owner_self_kept=n(52),
        owner_self_to_public=owner_self_to_public,
        unmanaged_to_public=unmanaged_to_public,
        households=n(71_000),
        public_households=n(38_585),
        area_centi=n(5_460_000 * CENTI),
        public_area_centi=n(2_845_000 * CENTI),
        residents=n(220_000),
        public_companies=min(n(8), public_compounds),
        professional_companies=n(20),
        second_committees=min(n(22), public_compounds),
        agency_branches=n(162),
        cadres=max(n(162), n(570)),
    )


def apportion(total: int, weights: list[int], minimum: int = 0) -> list[int]:
    """Split ``total`` into parts proportional to integer ``weights``, each at least
    ``minimum``, summing exactly to ``total`` (largest remainder, ties to the earlier part)."""
    count = len(weights)
    if count == 0:
        return []
    rest = total - minimum * count
    if rest < 0:
        raise ValueError(f"cannot give {count} parts at least {minimum} out of {total}")
    weight_sum = sum(weights)
    parts = [rest * w // weight_sum for w in weights]
    remainders = [rest * w % weight_sum for w in weights]
    short = rest - sum(parts)
    for index in sorted(range(count), key=lambda i: (-remainders[i], i))[:short]:
        parts[index] += 1
    return [minimum + part for part in parts]
