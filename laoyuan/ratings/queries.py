"""Reads of ratings, narrowed by ``accounts.scoping`` (or public: final results only)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.places.models import Compound
from laoyuan.ratings.enums import OPEN_STATES, EvaluationState, ItemKind, SectionKind
from laoyuan.ratings.models import Evaluation, Item, SectionScore, Standard, Subsidy, SurveySample

SECTION_SCORES = Prefetch(
    "section_scores",
    queryset=SectionScore.objects.select_related("section").order_by(
        "section__position", "section_id"
    ),
)


def survey_questions(standard: Standard) -> QuerySet[Item]:
    """The questionnaire of ``standard``: its survey section's questions, in order."""
    return Item.objects.filter(
        section__standard=standard, section__kind=SectionKind.SURVEY, kind=ItemKind.SCORED
    ).order_by("section__position", "position", "id")


def questionnaires_of(user: Any) -> QuerySet[SurveySample]:
    """The satisfaction questionnaires drawn for ``user``'s households (as a resident), newest
    survey first."""
    houses = scope_for(user, {Role.RESIDENT}).house
    return (
        SurveySample.objects.filter(house_id__in=houses)
        .select_related(
            "house__building", "survey__evaluation__compound", "survey__evaluation__standard"
        )
        .order_by("-survey__drawn_at", "position")
    )


def is_open(sample: SurveySample) -> bool:
    """Whether the household may still answer: not yet answered, and the scoring not complete."""
    return sample.answered_at is None and sample.survey.evaluation.state in OPEN_STATES


def open_questionnaires(user: Any) -> int:
    return (
        questionnaires_of(user)
        .filter(answered_at__isnull=True, survey__evaluation__state__in=OPEN_STATES)
        .count()
    )


def final_ratings(compound: Compound) -> QuerySet[Evaluation]:
    """A compound's final ratings, newest first, with their scores by section (public)."""
    return (
        Evaluation.objects.filter(compound=compound, state=EvaluationState.FINAL)
        .select_related("standard")
        .prefetch_related(SECTION_SCORES)
        .order_by("-final_on", "-id")
    )


def history(user: Any, compound: Compound) -> QuerySet[Evaluation]:
    """Every rating of the compound the user may see, newest period first."""
    return (
        scoped(Evaluation.objects.filter(compound=compound), user)
        .select_related("standard")
        .prefetch_related(SECTION_SCORES)
        .order_by("-period", "-id")
    )


def subsidies_of(user: Any, compound: Compound) -> QuerySet[Subsidy]:
    """The compound's subsidies the user may see, newest month first."""
    return scoped(Subsidy.objects.filter(compound=compound), user).order_by("-period", "-id")


@dataclass(frozen=True)
class Ranked:
    rank: int  # in the whole list
    street_rank: int  # among the same street's compounds
    evaluation: Evaluation


def rankings(user: Any, *, street_id: int | None = None) -> list[Ranked]:
    """The compounds in the user's scope by their latest final rating's total, highest first (a
    vetoed rating ranks by its stars, none, after every unvetoed one); ties share a rank."""
    compounds = scoped(Compound.objects.all(), user)
    if street_id is not None:
        compounds = compounds.filter(street_id=street_id)
    latest = Evaluation.objects.filter(
        compound_id=OuterRef("compound_id"), state=EvaluationState.FINAL
    ).order_by("-final_on", "-id")
    rows = list(
        Evaluation.objects.filter(
            compound__in=compounds,
            state=EvaluationState.FINAL,
            pk=Subquery(latest.values("pk")[:1]),
        )
        .select_related("compound__street")
        .prefetch_related(SECTION_SCORES)
        .order_by("vetoed", "-total_score", "compound__name", "id")
    )
    ranked: list[Ranked] = []
    street_seen: dict[int, tuple[int, tuple[bool, Decimal | None], int]] = {}
    previous: tuple[bool, Decimal | None] | None = None
    rank = 0
    for index, row in enumerate(rows, start=1):
        key = (row.vetoed, row.total_score)
        if key != previous:
            rank, previous = index, key
        count, last_key, last_rank = street_seen.get(row.street_id, (0, (False, None), 0))
        count += 1
        street_rank = last_rank if key == last_key else count
        street_seen[row.street_id] = (count, key, street_rank)
        ranked.append(Ranked(rank=rank, street_rank=street_rank, evaluation=row))
    return ranked
