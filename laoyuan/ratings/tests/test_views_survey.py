"""The questionnaire in the resident app: the home page's call, answering once, refusals by
question, the closed survey, and everyone else kept out."""

import pytest

from laoyuan.accounts.enums import Role
from laoyuan.factories import anonymous, as_user, user_with
from laoyuan.ratings.enums import AnswerChannel
from laoyuan.ratings.models import SurveySample
from laoyuan.ratings.services import evaluations
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db

ALL_FIVE = {"S1": "5", "S2": "5", "S3": "5", "S4": "4", "S5": "3"}


def text(response):
    return response.content.decode()


def resident_sample(cast):
    evaluation = h.declared(cast)
    return evaluation, SurveySample.objects.get(survey__evaluation=evaluation, house=cast.a.house)


def test_a_drawn_household_answers_once_in_the_app(cast):
    evaluation, sample = resident_sample(cast)
    client = as_user(cast.users[Role.RESIDENT])
    home = text(client.get("/"))
    assert "data-questionnaires" in home
    assert "1 questionnaire is waiting." in home
    listing = text(client.get("/ratings/survey/"))
    assert f'data-sample="{sample.pk}"' in listing and "the 2026 star rating" in listing

    url = f"/ratings/survey/{sample.pk}/"
    page = text(client.get(url))
    assert "楼院环境卫生" in page and 'name="S5"' in page and "data-questionnaire" in page
    response = client.post(url, ALL_FIVE)
    assert response.status_code == 302 and response["Location"] == url
    sample.refresh_from_db()
    assert sample.answers == {"S1": 5, "S2": 5, "S3": 5, "S4": 4, "S5": 3}
    assert sample.channel == AnswerChannel.APP
    assert sample.answered_by == cast.users[Role.RESIDENT]

    page = text(client.get(url))
    assert "data-answered" in page and "data-questionnaire" not in page
    assert 'data-answer="S5">Neutral<' in page and 'data-answer="S1">Very satisfied<' in page
    assert "data-questionnaires" not in text(client.get("/"))
    # A second sending changes nothing.
    again = client.post(url, {code: "1" for code in ALL_FIVE})
    assert again.status_code == 400
    assert "This household has already answered." in text(again)
    sample.refresh_from_db()
    assert sample.answers["S1"] == 5
    # The evaluation's page counts the answer.
    staff = text(as_user(cast.users[Role.DISTRICT]).get(f"/ratings/evaluations/{evaluation.pk}/"))
    assert "answered" in staff


def test_a_missing_answer_names_the_question_and_keeps_the_others(cast):
    _evaluation, sample = resident_sample(cast)
    client = as_user(cast.users[Role.RESIDENT])
    response = client.post(
        f"/ratings/survey/{sample.pk}/", {"S1": "5", "S2": "9", "S3": "4", "S4": "4"}
    )
    page = text(response)
    assert response.status_code == 400
    assert "2 questions have no answer yet: they are marked below." in page
    assert 'data-error="S2">Choose an answer.' in page
    assert 'data-error="S5">Choose an answer.' in page
    assert 'data-error="S1"' not in page
    assert 'id="q-S1-5" value="5" checked' in page
    sample.refresh_from_db()
    assert (sample.answers, sample.answered_at) == (None, None)


def test_answers_recorded_by_staff_show_to_the_resident_after_scoring(cast):
    evaluation = h.declared(cast)
    h.score_all(evaluation, cast)
    h.answer_all(evaluation, cast)
    evaluations.complete_scoring(actor=cast.users[Role.INSPECTOR], evaluation=evaluation)
    sample = SurveySample.objects.get(survey__evaluation=evaluation, house=cast.a.house)
    client = as_user(cast.users[Role.RESIDENT])
    page = text(client.get(f"/ratings/survey/{sample.pk}/"))
    assert "data-answered" in page and 'data-answer="S1">Very satisfied<' in page
    listing = text(client.get("/ratings/survey/"))
    assert "data-empty" in listing and "answered on" in listing


def test_an_unanswered_questionnaire_of_a_scored_evaluation_is_closed(cast):
    _evaluation, sample = resident_sample(cast)
    sample.survey.evaluation.__class__.objects.filter(pk=sample.survey.evaluation_id).update(
        state="scored"
    )
    client = as_user(cast.users[Role.RESIDENT])
    page = text(client.get(f"/ratings/survey/{sample.pk}/"))
    assert "data-closed" in page and "data-questionnaire" not in page
    response = client.post(f"/ratings/survey/{sample.pk}/", ALL_FIVE)
    assert response.status_code == 400
    sample.refresh_from_db()
    assert sample.answered_at is None
    assert "closed without your answers" in text(client.get("/ratings/survey/"))


@pytest.mark.parametrize(
    "role",
    [
        Role.DISTRICT,
        Role.STREET,
        Role.COMMUNITY,
        Role.GRID,
        Role.BRANCH,
        Role.COMPANY,
        Role.COMMITTEE,
        Role.INSPECTOR,
        "outsider",
    ],
)
def test_only_the_households_residents_reach_the_questionnaire(cast, role):
    _evaluation, sample = resident_sample(cast)
    client = as_user(cast.users[role])
    assert client.get("/ratings/survey/").status_code == 404
    assert client.get(f"/ratings/survey/{sample.pk}/").status_code == 404
    assert client.post(f"/ratings/survey/{sample.pk}/", ALL_FIVE).status_code == 404
    sample.refresh_from_db()
    assert sample.answered_at is None


def test_a_resident_of_another_house_does_not_find_it(cast):
    _evaluation, sample = resident_sample(cast)
    neighbour = user_with(Role.RESIDENT, cast.b.house, "neighbour")
    client = as_user(neighbour)
    listing = text(client.get("/ratings/survey/"))
    assert "data-empty" in listing and f'data-sample="{sample.pk}"' not in listing
    assert client.get(f"/ratings/survey/{sample.pk}/").status_code == 404
    assert client.post(f"/ratings/survey/{sample.pk}/", ALL_FIVE).status_code == 404
    assert "data-questionnaires" not in text(client.get("/"))
    sample.refresh_from_db()
    assert sample.answered_at is None
    response = anonymous().get(f"/ratings/survey/{sample.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
