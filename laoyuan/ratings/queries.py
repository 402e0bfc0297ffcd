"""Reads of ratings, narrowed by ``accounts.scoping`` (or public: final results only)."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from laoyuan.accounts.scoping import scoped
from laoyuan.places.models import Compound
from laoyuan.ratings.enums import EvaluationState
from laoyuan.ratings.models import Evaluation, SectionScore, Subsidy

SECTION_SCORES = Prefetch(
    "section_scores",
    queryset=SectionScore.objects.select_related("section").order_by(
        "section__position", "section_id"
    ),
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
