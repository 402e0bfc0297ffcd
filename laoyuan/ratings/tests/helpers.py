"""Rating test helpers: the default standard, a declared evaluation with an inspector, scores
that give a chosen result, and the steps to a final rating."""

import datetime
from decimal import Decimal
from typing import Any

from laoyuan.accounts.enums import Role
from laoyuan.factories import Cast
from laoyuan.ratings.enums import AnswerChannel, ItemKind, SectionKind
from laoyuan.ratings.models import Evaluation, Item, Standard, SurveySample
from laoyuan.ratings.services import evaluations, standards
from laoyuan.workorders.tests.flow import jpeg

D = Decimal
# Each household answers 5, 5, 4, 4, 4: 85% of the survey's points.
ANSWERS_85 = {"S1": 5, "S2": 5, "S3": 4, "S4": 4, "S5": 4}


def standard(cast: Cast) -> Standard:
    return standards.create_default(district=cast.district, actor=cast.users[Role.DISTRICT])


def declared(
    cast: Cast, period: str = "2026", *, compound: Any = None, inspector: Any = None
) -> Evaluation:
    """Side A's compound (or ``compound``) declared by the district office, with side A's
    inspector (or ``inspector``) assigned."""
    if standards.in_use(cast.district.pk) is None:
        standard(cast)
    evaluation = evaluations.declare(
        actor=cast.users[Role.DISTRICT] if compound is not None else cast.users[Role.STREET],
        compound=compound or cast.a.compound,
        period=period,
        seed="test-seed",
    )
    evaluations.assign(
        actor=cast.users[Role.DISTRICT],
        evaluation=evaluation,
        inspector=inspector or cast.users[Role.INSPECTOR],
    )
    return evaluation


def items(evaluation: Evaluation) -> dict[str, Item]:
    return {
        item.code: item
        for item in Item.objects.filter(section__standard=evaluation.standard).select_related(
            "section"
        )
    }


def photo() -> Any:
    return jpeg("evidence.jpg")


def score_all(
    evaluation: Evaluation,
    cast: Cast,
    *,
    less: dict[str, str] | None = None,
    veto: str | None = None,
    bonus: dict[str, str] | None = None,
    inspector: Any = None,
) -> None:
    """Score every inspector item: full points except ``less`` (code → points), the veto
    ``veto`` applying, bonus points ``bonus`` (others 0)."""
    inspector = inspector or cast.users[Role.INSPECTOR]
    less, bonus = less or {}, bonus or {}
    for code, item in items(evaluation).items():
        if item.section.kind != SectionKind.ITEMS:
            continue
        photos = [photo()] if item.evidence_required else None
        if item.kind == ItemKind.VETO:
            evaluations.score_item(
                actor=inspector,
                evaluation=evaluation,
                item=item,
                vetoed=code == veto,
                note="查实" if code == veto else "",
            )
        elif item.kind == ItemKind.BONUS:
            evaluations.score_item(
                actor=inspector,
                evaluation=evaluation,
                item=item,
                points=bonus.get(code, "0"),
                photos=photos,
            )
        else:
            evaluations.score_item(
                actor=inspector,
                evaluation=evaluation,
                item=item,
                points=less.get(code, str(item.points)),
                photos=photos,
            )


def answer_all(
    evaluation: Evaluation, cast: Cast, answers: dict[str, int] = ANSWERS_85, actor: Any = None
) -> None:
    for sample in SurveySample.objects.filter(survey__evaluation=evaluation):
        evaluations.answer(
            actor=actor or cast.users[Role.COMMUNITY],
            sample=sample,
            answers=answers,
            channel=AnswerChannel.STAFF,
        )


def scored_88_5(cast: Cast, *, veto: str | None = None, period: str = "2026") -> Evaluation:
    """Survey 85 (×30% = 25.50), management 90 (×40% = 36.00), comprehensive 90 (×30% = 27.00):
    a total of 88.50."""
    evaluation = declared(cast, period)
    score_all(evaluation, cast, less={"M3": "5", "C1": "10"}, veto=veto)
    answer_all(evaluation, cast)
    return evaluations.complete_scoring(actor=cast.users[Role.INSPECTOR], evaluation=evaluation)


def final(
    cast: Cast,
    evaluation: Evaluation,
    *,
    published_on: datetime.date,
    final_on: datetime.date,
    reviewed: bool = False,
) -> Evaluation:
    """Through the reviews (the street's, unless ``reviewed``), publication and the final step."""
    if not reviewed:
        evaluations.street_review(
            actor=cast.users[Role.STREET], evaluation=evaluation, approve=True
        )
    evaluations.district_review(
        actor=cast.users[Role.DISTRICT], evaluation=evaluation, approve=True
    )
    evaluations.publish(actor=cast.users[Role.DISTRICT], evaluation=evaluation, today=published_on)
    return evaluations.finalize(
        actor=cast.users[Role.DISTRICT], evaluation=evaluation, today=final_on
    )
