"""An evaluation's way from declaration to the final result: exact figures, every refusal with
its field and nothing written, who may take each step, and the audit trail."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent
from laoyuan.factories import grant, user_with
from laoyuan.ratings.enums import AnswerChannel, EvaluationState, ObjectionStatus
from laoyuan.ratings.models import Evaluation, Score, SectionScore, SurveySample
from laoyuan.ratings.services import evaluations
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
JUNE = datetime.date(2026, 6, 1)


def refused(call, **kwargs):
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    return error.value.message_dict


def test_a_compound_scoring_88_5_with_no_veto_gets_four_stars(cast):
    evaluation = h.scored_88_5(cast)

    assert evaluation.state == EvaluationState.SCORED
    assert (evaluation.total_score, evaluation.vetoed, evaluation.stars) == (D("88.50"), False, 4)
    assert list(
        SectionScore.objects.filter(evaluation=evaluation).values_list(
            "section__code", "earned", "possible", "score", "weighted"
        )
    ) == [
        ("S", D("85.00"), D("100.00"), D("85.00"), D("25.50")),
        ("M", D("90.00"), D("100.00"), D("90.00"), D("36.00")),
        ("C", D("90.00"), D("100.00"), D("90.00"), D("27.00")),
    ]


def test_the_same_with_a_veto_gets_no_star(cast):
    evaluation = h.scored_88_5(cast, veto="V1")

    assert (evaluation.total_score, evaluation.vetoed, evaluation.stars) == (D("88.50"), True, 0)


def test_bonus_items_lift_the_total(cast):
    evaluation = h.declared(cast)
    h.score_all(evaluation, cast, less={"M3": "5", "C1": "10"}, bonus={"B1": "2", "B2": "1"})
    h.answer_all(evaluation, cast)

    done = evaluations.complete_scoring(actor=cast.users[Role.INSPECTOR], evaluation=evaluation)

    assert (done.total_score, done.stars) == (D("91.50"), 5)


def test_the_whole_way_to_a_final_rating(cast):
    evaluation = h.scored_88_5(cast)
    district = cast.users[Role.DISTRICT]

    evaluations.street_review(actor=cast.users[Role.STREET], evaluation=evaluation, approve=True)
    evaluations.district_review(actor=district, evaluation=evaluation, approve=True)
    evaluations.publish(actor=district, evaluation=evaluation, today=JUNE)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.objection_until) == (
        EvaluationState.PUBLISHED,
        datetime.date(2026, 6, 8),
    )
    assert refused(
        evaluations.finalize, actor=district, evaluation=evaluation, today=datetime.date(2026, 6, 8)
    ) == {"state": ["Objections may be raised until 2026-06-08; finalise after that."]}

    done = evaluations.finalize(
        actor=district, evaluation=evaluation, today=datetime.date(2026, 6, 9)
    )

    assert (done.state, done.final_on, done.stars) == (
        EvaluationState.FINAL,
        datetime.date(2026, 6, 9),
        4,
    )
    assert list(
        AuditEvent.objects.filter(target_id=evaluation.pk, target_type="ratings.evaluation")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "ratings.declared",
        "ratings.assigned",
        *["ratings.scored_item"] * 18,
        *["ratings.survey_answer"] * 2,
        "ratings.scored",
        "ratings.street_reviewed",
        "ratings.district_reviewed",
        "ratings.published",
        "ratings.final",
    ]


def test_the_survey_sample_is_drawn_at_declaration_and_kept(cast):
    evaluation = h.declared(cast)

    survey = evaluation.survey
    assert (survey.households, survey.required, survey.seed) == (2, 2, "test-seed")
    assert sorted(
        SurveySample.objects.filter(survey=survey).values_list("house_id", flat=True)
    ) == sorted([cast.a.house.pk, cast.a.neighbour_house.pk])


def test_scoring_cannot_complete_with_items_or_questionnaires_missing(cast):
    evaluation = h.declared(cast)
    h.answer_all(evaluation, cast)
    item = h.items(evaluation)["M5"]
    evaluations.score_item(
        actor=cast.users[Role.INSPECTOR], evaluation=evaluation, item=item, points="15"
    )

    errors = refused(
        evaluations.complete_scoring, actor=cast.users[Role.INSPECTOR], evaluation=evaluation
    )

    assert errors["state"][0] == "Item M1 is not scored."
    assert len(errors["state"]) == 17
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.total_score) == (EvaluationState.DECLARED, None)


def test_unanswered_questionnaires_hold_the_scoring(cast):
    evaluation = h.declared(cast)
    h.score_all(evaluation, cast)

    assert refused(
        evaluations.complete_scoring, actor=cast.users[Role.INSPECTOR], evaluation=evaluation
    ) == {"state": ["0 of 2 questionnaires answered."]}


# --- Scoring: who and what -----------------------------------------------------------------------


def test_inspectors_cannot_score_outside_their_assignments(cast):
    evaluation = h.declared(cast)
    other = user_with(Role.INSPECTOR, cast.a.street, "inspector2")  # not assigned
    item = h.items(evaluation)["M5"]

    with pytest.raises(PermissionDenied):
        evaluations.score_item(actor=other, evaluation=evaluation, item=item, points="15")
    assert Score.objects.count() == 0


def test_a_company_cannot_score_itself(cast):
    evaluation = h.declared(cast)
    insider = user_with(Role.INSPECTOR, cast.a.street, "insider")
    grant(insider, Role.COMPANY, cast.a.company)
    insider = type(insider).objects.get(pk=insider.pk)

    assert refused(
        evaluations.assign, actor=cast.users[Role.STREET], evaluation=evaluation, inspector=insider
    ) == {"inspector": ["Staff of the company being rated may not score it."]}
    # Nor after being assigned and then joining the company.
    later = user_with(Role.INSPECTOR, cast.a.street, "later")
    evaluations.assign(actor=cast.users[Role.STREET], evaluation=evaluation, inspector=later)
    grant(later, Role.COMPANY, cast.a.company)
    later = type(later).objects.get(pk=later.pk)
    with pytest.raises(PermissionDenied):
        evaluations.score_item(
            actor=later, evaluation=evaluation, item=h.items(evaluation)["M5"], points="15"
        )
    # The company's own staff are no inspectors at all.
    with pytest.raises(PermissionDenied):
        evaluations.score_item(
            actor=cast.users[Role.COMPANY],
            evaluation=evaluation,
            item=h.items(evaluation)["M5"],
            points="15",
        )


def test_an_inspector_of_another_street_cannot_be_assigned(cast):
    evaluation = h.declared(cast)
    elsewhere = user_with(Role.INSPECTOR, cast.b.street, "inspector-b")

    assert refused(
        evaluations.assign,
        actor=cast.users[Role.STREET],
        evaluation=evaluation,
        inspector=elsewhere,
    ) == {"inspector": ["Choose an inspector of this street or district."]}


@pytest.mark.parametrize(
    ("code", "points", "message"),
    [
        ("M5", "16", "Enter from 0 to 15.00 points."),
        ("M5", "-1", "Enter from 0 to 15.00 points."),
        ("M5", "1.234", "Enter points with at most two decimal places."),
        ("M5", "many", "Enter the points."),
    ],
)
def test_points_outside_the_item_are_refused(cast, code, points, message):
    evaluation = h.declared(cast)

    assert refused(
        evaluations.score_item,
        actor=cast.users[Role.INSPECTOR],
        evaluation=evaluation,
        item=h.items(evaluation)[code],
        points=points,
    ) == {"points": [message]}
    assert Score.objects.count() == 0


def test_evidence_items_need_a_photo_and_a_veto_needs_a_reason(cast):
    evaluation = h.declared(cast)
    inspector = cast.users[Role.INSPECTOR]
    items = h.items(evaluation)

    assert refused(
        evaluations.score_item,
        actor=inspector,
        evaluation=evaluation,
        item=items["M1"],
        points="10",
    ) == {"photos": ["This item needs an evidence photo."]}
    assert refused(
        evaluations.score_item,
        actor=inspector,
        evaluation=evaluation,
        item=items["V1"],
        vetoed=True,
    ) == {"note": ["Say why the veto applies."]}
    score = evaluations.score_item(
        actor=inspector, evaluation=evaluation, item=items["M1"], points="8", photos=[h.photo()]
    )
    assert (score.points, score.evidence.count()) == (D("8.00"), 1)
    # Scoring again keeps the photo already taken.
    again = evaluations.score_item(
        actor=inspector, evaluation=evaluation, item=items["M1"], points="9"
    )
    assert (again.pk, again.points, again.evidence.count()) == (score.pk, D("9.00"), 1)


# --- Declaration ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STREET, Role.DISTRICT, Role.COMPANY])
def test_the_company_street_or_district_declares(cast, role):
    h.standard(cast)

    evaluation = evaluations.declare(
        actor=cast.users[role], compound=cast.a.compound, period="2026", seed="s"
    )

    assert (evaluation.state, evaluation.company_id) == (
        EvaluationState.DECLARED,
        cast.a.company.pk,
    )


@pytest.mark.parametrize(
    "role",
    [
        Role.COMMUNITY,
        Role.GRID,
        Role.BRANCH,
        Role.COMMITTEE,
        Role.RESIDENT,
        Role.INSPECTOR,
        "outsider",
        "other_district",
    ],
)
def test_no_one_else_declares(cast, role):
    h.standard(cast)

    with pytest.raises(PermissionDenied):
        evaluations.declare(actor=cast.users[role], compound=cast.a.compound, period="2026")
    assert Evaluation.objects.count() == 0


def test_declaration_refusals(cast):
    street = cast.users[Role.STREET]
    assert refused(evaluations.declare, actor=street, compound=cast.a.compound, period="2026") == {
        "standard": ["The district has not published a star standard yet."]
    }
    h.standard(cast)
    assert refused(
        evaluations.declare, actor=street, compound=cast.a.other_compound, period="2026"
    ) == {"compound": ["Only renovated compounds are rated."]}
    assert refused(evaluations.declare, actor=street, compound=cast.a.compound, period="26") == {
        "period": ["Enter the rating year, such as 2026."]
    }
    evaluations.declare(actor=street, compound=cast.a.compound, period="2026")
    assert refused(evaluations.declare, actor=street, compound=cast.a.compound, period="2026") == {
        "period": ["This compound was already declared for 2026."]
    }
    assert Evaluation.objects.count() == 1


# --- The survey ----------------------------------------------------------------------------------


def test_a_sampled_resident_answers_in_the_app_once(cast):
    evaluation = h.declared(cast)
    sample = SurveySample.objects.get(survey__evaluation=evaluation, house=cast.a.house)
    resident = cast.users[Role.RESIDENT]

    answered = evaluations.answer(actor=resident, sample=sample, answers=h.ANSWERS_85)

    assert (answered.channel, answered.answers) == (AnswerChannel.APP, h.ANSWERS_85)
    assert refused(evaluations.answer, actor=resident, sample=sample, answers=h.ANSWERS_85) == {
        "answers": ["This household has already answered."]
    }


def test_a_resident_cannot_answer_for_another_household(cast):
    evaluation = h.declared(cast)
    other = SurveySample.objects.get(survey__evaluation=evaluation, house=cast.a.neighbour_house)

    with pytest.raises(PermissionDenied):
        evaluations.answer(actor=cast.users[Role.RESIDENT], sample=other, answers=h.ANSWERS_85)


def test_every_question_needs_an_answer_from_1_to_5(cast):
    evaluation = h.declared(cast)
    sample = SurveySample.objects.get(survey__evaluation=evaluation, house=cast.a.house)

    assert refused(
        evaluations.answer,
        actor=cast.users[Role.RESIDENT],
        sample=sample,
        answers={"S1": 5, "S2": 6, "S3": "x", "S4": 1},
    ) == {
        "S2": ["Choose an answer."],
        "S3": ["Choose an answer."],
        "S5": ["Choose an answer."],
    }


# --- Review and objections -----------------------------------------------------------------------


def test_the_street_sends_it_back_with_a_reason_and_the_figures_go(cast):
    evaluation = h.scored_88_5(cast)

    assert refused(
        evaluations.street_review,
        actor=cast.users[Role.STREET],
        evaluation=evaluation,
        approve=False,
        reason=" ",
    ) == {"reason": ["This field is required."]}
    back = evaluations.street_review(
        actor=cast.users[Role.STREET], evaluation=evaluation, approve=False, reason="M3 照片不清"
    )

    assert (back.state, back.total_score, back.stars, back.returned_reason) == (
        EvaluationState.DECLARED,
        None,
        None,
        "M3 照片不清",
    )
    assert SectionScore.objects.filter(evaluation=evaluation).count() == 0
    # The scores stay: the inspector corrects and completes again.
    again = evaluations.complete_scoring(actor=cast.users[Role.INSPECTOR], evaluation=back)
    assert (again.state, again.total_score) == (EvaluationState.SCORED, D("88.50"))


@pytest.mark.parametrize(
    ("step", "role"),
    [
        ("street_review", Role.DISTRICT),
        ("street_review", Role.COMMUNITY),
        ("street_review", "outsider"),
        ("street_review", Role.INSPECTOR),
    ],
)
def test_only_the_street_reviews_first(cast, step, role):
    evaluation = h.scored_88_5(cast)

    with pytest.raises(PermissionDenied):
        getattr(evaluations, step)(actor=cast.users[role], evaluation=evaluation, approve=True)


def test_only_the_district_reviews_publishes_and_finalises(cast):
    evaluation = h.scored_88_5(cast)
    evaluations.street_review(actor=cast.users[Role.STREET], evaluation=evaluation, approve=True)
    for role in (Role.STREET, "other_district", Role.COMPANY):
        with pytest.raises(PermissionDenied):
            evaluations.district_review(actor=cast.users[role], evaluation=evaluation, approve=True)
    assert refused(
        evaluations.publish, actor=cast.users[Role.DISTRICT], evaluation=evaluation, today=JUNE
    ) == {
        "state": [
            "This evaluation is Reviewed by the street (街道审核); this step is not open to it."
        ]
    }


def test_an_upheld_objection_sends_the_evaluation_back(cast):
    evaluation = h.scored_88_5(cast)
    evaluations.street_review(actor=cast.users[Role.STREET], evaluation=evaluation, approve=True)
    evaluations.district_review(
        actor=cast.users[Role.DISTRICT], evaluation=evaluation, approve=True
    )
    evaluations.publish(actor=cast.users[Role.DISTRICT], evaluation=evaluation, today=JUNE)

    objection = evaluations.object_to(
        actor=cast.users[Role.RESIDENT],
        evaluation=evaluation,
        text="门岗夜间无人值守",
        today=datetime.date(2026, 6, 3),
    )
    assert refused(
        evaluations.finalize,
        actor=cast.users[Role.DISTRICT],
        evaluation=evaluation,
        today=datetime.date(2026, 6, 20),
    ) == {"state": ["Answer the open objections first."]}
    evaluations.answer_objection(
        actor=cast.users[Role.DISTRICT], objection=objection, upheld=True, answer_text="复核M4"
    )

    evaluation.refresh_from_db()
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD
    assert (evaluation.state, evaluation.stars, evaluation.returned_reason) == (
        EvaluationState.DECLARED,
        None,
        "复核M4",
    )


def test_objections_close_with_the_period_and_come_from_the_compound_only(cast):
    evaluation = h.scored_88_5(cast)
    evaluations.street_review(actor=cast.users[Role.STREET], evaluation=evaluation, approve=True)
    evaluations.district_review(
        actor=cast.users[Role.DISTRICT], evaluation=evaluation, approve=True
    )
    evaluations.publish(actor=cast.users[Role.DISTRICT], evaluation=evaluation, today=JUNE)

    assert refused(
        evaluations.object_to,
        actor=cast.users[Role.RESIDENT],
        evaluation=evaluation,
        text="晚了",
        today=datetime.date(2026, 6, 9),
    ) == {"text": ["The objection period ended on 2026-06-08."]}
    neighbour_elsewhere = user_with(Role.RESIDENT, cast.b.house, "resident-b")
    for actor in (neighbour_elsewhere, cast.users[Role.INSPECTOR], cast.users["outsider"]):
        with pytest.raises(PermissionDenied):
            evaluations.object_to(actor=actor, evaluation=evaluation, text="x", today=JUNE)
    dismissed = evaluations.answer_objection(
        actor=cast.users[Role.DISTRICT],
        objection=evaluations.object_to(
            actor=cast.users[Role.COMPANY], evaluation=evaluation, text="评分过低", today=JUNE
        ),
        upheld=False,
        answer_text="经复核，评分无误",
    )
    assert dismissed.status == ObjectionStatus.DISMISSED
    final = evaluations.finalize(
        actor=cast.users[Role.DISTRICT], evaluation=evaluation, today=datetime.date(2026, 6, 9)
    )
    assert (final.state, final.stars) == (EvaluationState.FINAL, 4)
