"""The rating arithmetic, on plain values so it can be read and tested on its own.

- An items section's score (of 100) is its scored items' points earned over the points possible.
- A survey section's score (of 100) is every answered question's points, weighted by the answer
  (5 very satisfied = all the points, 1 very dissatisfied = none, linear between), over the points
  possible for the questionnaires answered.
- The total is the sum of each section's score times its weight (percent), plus the bonus items'
  points, at most 100. Each step rounds half-up to two places.
- Any veto item that applies caps the result at no star; otherwise the stars are the highest band
  whose least total the total reaches.
- The satisfaction sample is at least 10% of the households and at least 50 (all of them when
  there are fewer).
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from laoyuan.ratings.enums import SAMPLE_MINIMUM, SAMPLE_SHARE

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")


def two_places(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def sample_size(households: int) -> int:
    """Questionnaires required: at least ``SAMPLE_SHARE`` of the households (rounded up) and at
    least ``SAMPLE_MINIMUM``, or every household when there are fewer."""
    if households <= 0:
        return 0
    share = math.ceil(Decimal(households) * Decimal(SAMPLE_SHARE))
    return min(households, max(SAMPLE_MINIMUM, share))


def stars_for(total: Decimal, bands: Sequence[tuple[int, Decimal]], *, vetoed: bool) -> int:
    """The star level of ``total`` by ``bands`` ((stars, least total), highest first)."""
    if vetoed:
        return 0
    for stars, least in bands:
        if total >= least:
            return stars
    return 0


def section_score(earned: Decimal, possible: Decimal) -> Decimal:
    """Points earned as a score of 100."""
    if possible <= 0:
        return ZERO
    return two_places(earned * HUNDRED / possible)


def answer_points(points: Decimal, answer: int) -> Decimal:
    """What one answer earns of a question's points: 5 → all, 1 → none."""
    return points * Decimal(answer - 1) / Decimal(4)


def survey_figures(
    questions: Mapping[str, Decimal], questionnaires: Iterable[Mapping[str, int]]
) -> tuple[Decimal, Decimal]:
    """(earned, possible) over the answered questionnaires, each answer weighted."""
    earned = Decimal(0)
    possible = Decimal(0)
    for answers in questionnaires:
        for code, points in questions.items():
            earned += answer_points(points, int(answers[code]))
            possible += points
    return two_places(earned), two_places(possible)


@dataclass(frozen=True)
class SectionResult:
    section_id: int
    earned: Decimal
    possible: Decimal
    score: Decimal  # of 100
    weight: Decimal  # percent
    weighted: Decimal


@dataclass(frozen=True)
class Result:
    sections: list[SectionResult]
    bonus: Decimal
    total: Decimal
    vetoed: bool
    stars: int


def result(
    sections: Sequence[tuple[int, Decimal, Decimal, Decimal]],
    *,
    bonus: Decimal,
    vetoed: bool,
    bands: Sequence[tuple[int, Decimal]],
) -> Result:
    """``sections``: (section id, weight %, earned, possible) each."""
    rows = []
    for section_id, weight, earned, possible in sections:
        score = section_score(earned, possible)
        rows.append(
            SectionResult(
                section_id=section_id,
                earned=earned,
                possible=possible,
                score=score,
                weight=weight,
                weighted=two_places(score * weight / HUNDRED),
            )
        )
    total = min(HUNDRED, sum((row.weighted for row in rows), ZERO) + two_places(bonus))
    total = two_places(total)
    return Result(
        sections=rows,
        bonus=two_places(bonus),
        total=total,
        vetoed=vetoed,
        stars=stars_for(total, bands, vetoed=vetoed),
    )
