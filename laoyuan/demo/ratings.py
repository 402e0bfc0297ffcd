"""The demo's star rating (星级评定) and its subsidies.

The district publishes the default standard (the published bands and weights) and a rate table
(0.10 to 0.30 yuan per m² a month for one to five stars). Every compound (all of the demo's are
renovated) went through one rating round, final about eight months before ``--today``: declared,
its survey sample drawn and answered, scored item by item by its street's inspector, reviewed by
the street and the district, published for objections and made final. Each compound has a
quality drawn from the seed that its item points and its households' answers follow; a few have
a veto item found (no star), many a bonus for an active party branch or a red-property
compound. The figures are those ``services.evaluations.figures`` computes from the rows written.

Each month from the round's final month until the month before ``--today`` has a subsidy run,
computed through ``services.subsidies`` and approved but the last, which waits for the district's
approval; the district pays into its subsidy fund for all of them first. The district publishes
a long-term fund rule and pays into the demo compound's fund.

The current year's round has begun in the demo street: the demo compound is declared, the demo
inspector has scored part of it and the demo resident's household is in its survey sample, still
to answer; others of the street wait for the street's review, the district's, or are published
for objections.

Evaluations, scores, samples and answers are written set-based (``insert_rows`` and
``bulk_create``); the demo compound's current evaluation goes through the services.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import RoleAssignment, User
from laoyuan.accounts.queries import level_for
from laoyuan.billing.services.ledger import insert_rows
from laoyuan.demo.workorders import demo_now
from laoyuan.places.enums import HouseStatus
from laoyuan.places.models import Compound, House
from laoyuan.ratings import scoring
from laoyuan.ratings.enums import (
    AnswerChannel,
    EvaluationState,
    ItemKind,
    SectionKind,
)
from laoyuan.ratings.models import (
    Assignment,
    Evaluation,
    Item,
    Score,
    SectionScore,
    Standard,
    Survey,
    SurveySample,
)
from laoyuan.ratings.services import evaluations, funds, standards, subsidies

D = Decimal
RATES = {1: "0.10", 2: "0.15", 3: "0.20", 4: "0.25", 5: "0.30"}
# The round was final this many days before --today; its steps came before, these many days
# before the final day.
FINAL_DAYS_AGO = 240
STEPS = {"declared": 60, "scored": 40, "street": 32, "district": 26, "published": 14}
VETO_SHARE = 0.015
FUND_NOTE = (
    "公办物业公司年度盈余的50%返还至所服务楼院的长效物业管理基金，"
    "用于楼院公共设施维修和物业服务提升。"
)


@dataclass
class Ready:
    """What the round's rows need of the standard."""

    standard: Standard
    sections: list[Any]
    items: dict[int, list[Item]]  # by section id
    questions: dict[str, Decimal]


def _ready(standard: Standard) -> Ready:
    sections = list(standard.sections.order_by("position", "id"))
    items: dict[int, list[Item]] = {section.pk: [] for section in sections}
    for item in Item.objects.filter(section__standard=standard).order_by("position", "id"):
        items[item.section_id].append(item)
    survey = next(section for section in sections if section.kind == SectionKind.SURVEY)
    questions = {item.code: item.points for item in items[survey.pk]}
    return Ready(standard=standard, sections=sections, items=items, questions=questions)


def _inspectors(writer: Any, password: str) -> dict[int, int]:
    """Each street's inspector (the demo street's is demo-inspector): street id → user id."""
    found = dict(
        RoleAssignment.objects.filter(role=Role.INSPECTOR, street__isnull=False)
        .values_list("street_id", "user_id")
        .order_by()
    )
    for street in writer.streets:
        if street.pk in found:
            continue
        user = User.objects.create(username=f"inspector-{street.code}", password=password)
        RoleAssignment.objects.create(
            user=user, role=Role.INSPECTOR, level=level_for(street), street=street
        )
        found[street.pk] = user.pk
        writer.count("inspectors", 1)
    return found


def _answer(rng: random.Random, quality: float) -> int:
    return max(1, min(5, round(1 + 4 * (quality + rng.gauss(0, 0.12)))))


def _points(rng: random.Random, points: Decimal, quality: float) -> Decimal:
    """An item's points for a compound of ``quality``, to the half point."""
    share = max(0.0, min(1.0, quality + rng.gauss(0, 0.07)))
    return min(points, D(round(float(points) * share * 2)) / 2).quantize(D("0.01"))


def write_ratings(writer: Any) -> None:
    """The rating stages of the demo."""
    rng = writer.rng("ratings")
    today = writer.today
    now = demo_now(today)
    district = writer.district
    users = dict(
        User.objects.filter(username__startswith="demo-").values_list("username", "pk").order_by()
    )
    office = User.objects.get(pk=users["demo-district"])
    standard = standards.create_default(district=district, actor=office)
    ready = _ready(standard)
    inspectors = _inspectors(writer, make_password(None))
    writer.stage("ratings standard", f"{standard} published, {len(inspectors)} inspectors")

    final_on = today - datetime.timedelta(days=FINAL_DAYS_AGO)
    period = str(final_on.year - 1)
    compounds = list(
        Compound.objects.filter(district=district, renovated=True)
        .order_by("id")
        .values(
            "id",
            "district_id",
            "street_id",
            "community_id",
            "management_mode",
            "company_id",
            "code",
        )
    )
    houses: dict[int, list[int]] = {row["id"]: [] for row in compounds}
    for compound_id, house_id in (
        House.objects.filter(compound__district=district, status=HouseStatus.OCCUPIED)
        .order_by("compound_id", "id")
        .values_list("compound_id", "id")
    ):
        houses[compound_id].append(house_id)
    counts = _round(
        writer,
        rng,
        ready,
        compounds,
        houses,
        inspectors,
        period=period,
        final_on=final_on,
        office_id=office.pk,
        street_user_id=users["demo-street"],
    )
    writer.count("evaluations", counts["evaluations"])
    writer.count("survey_samples", counts["samples"])
    writer.stage(
        "ratings round",
        f"{counts['evaluations']} compounds rated for {period}, final on {final_on}, "
        f"{counts['samples']} questionnaires",
    )
    _subsidies(writer, office, final_on)
    _current_round(writer, rng, ready, users, houses, now, last_period=period)
    funds.set_rule(
        actor=office,
        district=district,
        effective_from=datetime.date(final_on.year - 1, 1, 1),
        profit_share="0.50",
        note=FUND_NOTE,
    )
    funds.pay_in(
        actor=office,
        compound=writer.demo_compound,
        amount="20000.00",
        reference=f"长效基金-{final_on.year}-001",
    )
    writer.stage("ratings current", "the demo street's current round, the long-term fund")


def _round(
    writer: Any,
    rng: random.Random,
    ready: Ready,
    compounds: list[Any],
    houses: dict[int, list[int]],
    inspectors: dict[int, int],
    *,
    period: str,
    final_on: datetime.date,
    office_id: int,
    street_user_id: int,
) -> dict[str, int]:
    """One final rating per compound, with every row the workflow would have written."""
    tz = timezone.get_current_timezone()

    def moment(step: str, minutes: int = 0) -> datetime.datetime:
        day = final_on - datetime.timedelta(days=STEPS[step])
        return datetime.datetime.combine(day, datetime.time(9, minutes % 60), tzinfo=tz)

    standard = ready.standard
    bands = standard.bands()
    published = moment("published")
    objection_until = published.date() + datetime.timedelta(days=standard.objection_days)
    plans = []
    for compound in compounds:
        quality = max(0.55, min(1.0, rng.gauss(0.84, 0.07)))
        sample = scoring.sample_size(len(houses[compound["id"]]))
        seed = f"demo-{writer.seed}-{compound['code']}-{period}"
        drawn = random.Random(seed).sample(houses[compound["id"]], sample)
        answers = [{code: _answer(rng, quality) for code in ready.questions} for _house in drawn]
        scores: list[tuple[Item, Decimal, bool]] = []
        rows = []
        bonus = D(0)
        vetoed = False
        veto_code = rng.choice(["V1", "V2", "V3"]) if rng.random() < VETO_SHARE else None
        for section in ready.sections:
            if section.kind == SectionKind.SURVEY:
                earned, possible = scoring.survey_figures(ready.questions, answers)
            else:
                earned = possible = D(0)
                for item in ready.items[section.pk]:
                    if item.kind == ItemKind.SCORED:
                        points = _points(rng, item.points, quality)
                        earned += points
                        possible += item.points
                        scores.append((item, points, False))
                    elif item.kind == ItemKind.BONUS:
                        chance = 0.6 if item.code == "B1" else 0.15
                        points = item.points if rng.random() < chance * quality else D("0.00")
                        bonus += points
                        scores.append((item, points, False))
                    else:
                        applies = item.code == veto_code
                        vetoed = vetoed or applies
                        scores.append((item, D("0.00"), applies))
            rows.append((section.pk, section.weight, earned, possible))
        result = scoring.result(rows, bonus=bonus, vetoed=vetoed, bands=bands)
        plans.append((compound, seed, drawn, answers, scores, result))

    evaluation_ids = insert_rows(
        Evaluation,
        [
            "district_id",
            "street_id",
            "community_id",
            "compound_id",
            "standard_id",
            "period",
            "state",
            "management_mode",
            "company_id",
            "total_score",
            "vetoed",
            "stars",
            "declared_by_id",
            "declared_at",
            "scored_at",
            "street_reviewed_by_id",
            "street_reviewed_at",
            "district_reviewed_by_id",
            "district_reviewed_at",
            "published_at",
            "objection_until",
            "final_on",
            "returned_reason",
        ],
        [
            (
                compound["district_id"],
                compound["street_id"],
                compound["community_id"],
                compound["id"],
                standard.pk,
                period,
                EvaluationState.FINAL,
                compound["management_mode"],
                compound["company_id"],
                result.total,
                result.vetoed,
                result.stars,
                street_user_id if compound["street_id"] == writer.demo_compound.street_id else None,
                moment("declared", index),
                moment("scored", index),
                street_user_id if compound["street_id"] == writer.demo_compound.street_id else None,
                moment("street", index),
                office_id,
                moment("district", index),
                published,
                objection_until,
                final_on,
                "",
            )
            for index, (compound, _seed, _drawn, _answers, _scores, result) in enumerate(plans)
        ],
        returning=True,
    )
    insert_rows(
        SectionScore,
        ["evaluation_id", "section_id", "earned", "possible", "score", "weighted"],
        [
            (evaluation_id, row.section_id, row.earned, row.possible, row.score, row.weighted)
            for evaluation_id, plan in zip(evaluation_ids, plans, strict=True)
            for row in plan[5].sections
        ],
    )
    insert_rows(
        Assignment,
        ["evaluation_id", "inspector_id", "assigned_by_id", "assigned_at"],
        [
            (evaluation_id, inspectors[plan[0]["street_id"]], office_id, moment("declared", 5))
            for evaluation_id, plan in zip(evaluation_ids, plans, strict=True)
        ],
    )
    insert_rows(
        Score,
        ["evaluation_id", "item_id", "points", "vetoed", "note", "scored_by_id", "scored_at"],
        [
            (
                evaluation_id,
                item.pk,
                points,
                applies,
                "查实" if applies else "",
                inspectors[plan[0]["street_id"]],
                moment("scored", 30),
            )
            for evaluation_id, plan in zip(evaluation_ids, plans, strict=True)
            for item, points, applies in plan[4]
        ],
    )
    survey_ids = insert_rows(
        Survey,
        ["evaluation_id", "households", "required", "seed", "drawn_by_id", "drawn_at"],
        [
            (
                evaluation_id,
                len(houses[plan[0]["id"]]),
                len(plan[2]),
                plan[1],
                None,
                moment("declared", 1),
            )
            for evaluation_id, plan in zip(evaluation_ids, plans, strict=True)
        ],
        returning=True,
    )
    sample_rows = []
    for survey_id, plan in zip(survey_ids, plans, strict=True):
        answered_at = moment("scored", 10)
        for position, (house_id, given) in enumerate(zip(plan[2], plan[3], strict=True), 1):
            sample_rows.append(
                SurveySample(
                    survey_id=survey_id,
                    house_id=house_id,
                    position=position,
                    answers=given,
                    channel=AnswerChannel.STAFF if position % 3 == 0 else AnswerChannel.APP,
                    answered_at=answered_at,
                )
            )
    SurveySample.objects.bulk_create(sample_rows, batch_size=2000)
    return {"evaluations": len(evaluation_ids), "samples": len(sample_rows)}


def _subsidies(writer: Any, office: User, final_on: datetime.date) -> None:
    """The rate table, then a run for each month from the round's final month until the month
    before today, all approved but the last."""
    district = writer.district
    subsidies.set_rates(
        actor=office,
        district=district,
        effective_from=f"{final_on.year - 1}-01",
        rates=RATES,
    )
    month = final_on.replace(day=1)
    last = writer.today.replace(day=1)
    runs = []
    while month < last:
        run = subsidies.compute(district=district, period=month, command=True)
        if run is not None:
            runs.append(run)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    to_approve = runs[:-1]
    total = sum((run.amount for run in to_approve), D("0.00"))
    # The budget pays in for every run, so the one waiting can be approved from the demo.
    paid = sum((run.amount for run in runs), D("0.00"))
    if paid:
        subsidies.pay_into_fund(
            actor=office, district=district, amount=paid, reference=f"补贴-{final_on.year}"
        )
    for run in to_approve:
        subsidies.approve(actor=office, run=run)
    writer.count("subsidy_runs", len(runs))
    writer.stage(
        "subsidies",
        f"{len(runs)} monthly runs, {len(to_approve)} approved for {total} yuan",
    )


def _current_round(
    writer: Any,
    rng: random.Random,
    ready: Ready,
    users: dict[str, int],
    houses: dict[int, list[int]],
    now: datetime.datetime,
    *,
    last_period: str,
) -> None:
    """This year's round in the demo street: the demo compound through the services, part
    scored, with the demo resident's household to answer; three others further on."""
    period = str(writer.today.year)
    demo = writer.demo_compound
    street_user = User.objects.get(pk=users["demo-street"])
    office = User.objects.get(pk=users["demo-district"])
    inspector = User.objects.get(pk=users["demo-inspector"])
    wanted = writer.demo_house.pk
    required = scoring.sample_size(len(houses[demo.pk]))
    # A recorded seed whose draw includes the demo resident's household.
    seed = next(
        f"demo-{writer.seed}-{demo.code}-{period}-{n}"
        for n in range(10_000)
        if wanted
        in random.Random(f"demo-{writer.seed}-{demo.code}-{period}-{n}").sample(
            houses[demo.pk], required
        )
    )
    evaluation = evaluations.declare(
        actor=street_user,
        compound=demo,
        period=period,
        seed=seed,
        now=now - datetime.timedelta(days=12),
    )
    evaluations.assign(actor=office, evaluation=evaluation, inspector=inspector)
    for item in ready.items[ready.sections[1].pk][:7]:
        if item.kind == ItemKind.SCORED and not item.evidence_required:
            evaluations.score_item(
                actor=inspector,
                evaluation=evaluation,
                item=item,
                points=_points(rng, item.points, 0.9),
            )
    community = User.objects.get(pk=users["demo-community"])
    for sample in SurveySample.objects.filter(survey__evaluation=evaluation).exclude(
        house_id=wanted
    )[: required // 2]:
        evaluations.answer(
            actor=community,
            sample=sample,
            answers={code: _answer(rng, 0.9) for code in ready.questions},
            channel=AnswerChannel.STAFF,
        )
    others = list(
        Compound.objects.filter(street_id=demo.street_id)
        .exclude(pk=demo.pk)
        .order_by("code")
        .values_list("pk", flat=True)[:3]
    )
    states = [
        EvaluationState.SCORED,
        EvaluationState.STREET_REVIEWED,
        EvaluationState.PUBLISHED,
    ]
    moved = Evaluation.objects.filter(compound_id__in=others, period=last_period)
    # The others copy their last round's figures into this year's, a step further each.
    for compound_id, state in zip(others, states, strict=False):
        last = moved.filter(compound_id=compound_id).first()
        if last is None:
            continue
        _copy_forward(last, period, state, writer.today, now, street_user, office)
    writer.count("evaluations", 1 + len(others))


def _copy_forward(
    last: Evaluation,
    period: str,
    state: str,
    today: datetime.date,
    now: datetime.datetime,
    street_user: User,
    office: User,
) -> None:
    """A current-year evaluation at ``state`` with ``last``'s scores, answers and figures."""
    old_id = last.pk
    last.pk = None
    last.period, last.state = period, state
    last.declared_at = now - datetime.timedelta(days=40)
    last.scored_at = now - datetime.timedelta(days=20)
    last.street_reviewed_by = street_user if state != EvaluationState.SCORED else None
    last.street_reviewed_at = now - datetime.timedelta(days=12) if last.street_reviewed_by else None
    published = state == EvaluationState.PUBLISHED
    last.district_reviewed_by = office if published else None
    last.district_reviewed_at = now - datetime.timedelta(days=8) if published else None
    last.published_at = now - datetime.timedelta(days=4) if published else None
    last.objection_until = (
        today + datetime.timedelta(days=last.standard.objection_days - 4) if published else None
    )
    last.final_on = None
    last.save(force_insert=True)
    SectionScore.objects.bulk_create(
        SectionScore(
            evaluation=last,
            section_id=row.section_id,
            earned=row.earned,
            possible=row.possible,
            score=row.score,
            weighted=row.weighted,
        )
        for row in SectionScore.objects.filter(evaluation_id=old_id)
    )
    Assignment.objects.bulk_create(
        Assignment(evaluation=last, inspector_id=row.inspector_id, assigned_by=office)
        for row in Assignment.objects.filter(evaluation_id=old_id)
    )
    Score.objects.bulk_create(
        Score(
            evaluation=last,
            item_id=row.item_id,
            points=row.points,
            vetoed=row.vetoed,
            note=row.note,
            scored_by_id=row.scored_by_id,
        )
        for row in Score.objects.filter(evaluation_id=old_id)
    )
    old = Survey.objects.get(evaluation_id=old_id)
    survey = Survey.objects.create(
        evaluation=last, households=old.households, required=old.required, seed=old.seed
    )
    SurveySample.objects.bulk_create(
        SurveySample(
            survey=survey,
            house_id=row.house_id,
            position=row.position,
            answers=row.answers,
            channel=row.channel,
            answered_at=now - datetime.timedelta(days=25),
        )
        for row in SurveySample.objects.filter(survey=old)
    )
