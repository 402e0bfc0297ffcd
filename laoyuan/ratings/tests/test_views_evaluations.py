"""The rating workflow's pages: the list, declaring, and each hand's step on an evaluation's page,
with refusals on the page (400, nothing written) and every role against an outsider."""

from decimal import Decimal

import pytest

from laoyuan.accounts.enums import Role
from laoyuan.factories import as_user, user_with
from laoyuan.ratings.enums import EvaluationState
from laoyuan.ratings.models import Evaluation, Objection, Score
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
LIST = "/ratings/evaluations/"
DECLARE = "/ratings/evaluations/declare/"


def english(user):
    client = as_user(user)
    client.cookies["django_language"] = "en"
    return client


def text(response):
    return response.content.decode()


def url(evaluation, step=""):
    return f"/ratings/evaluations/{evaluation.pk}/{step}"


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.DISTRICT, True),
        (Role.STREET, True),
        (Role.COMMUNITY, True),
        (Role.INSPECTOR, True),
        (Role.COMPANY, True),
        (Role.COMMITTEE, True),
        (Role.RESIDENT, False),  # not published yet
        ("outsider", False),
    ],
)
def test_the_list_by_role(cast, role, sees):
    evaluation = h.declared(cast)

    response = english(cast.users[role]).get(LIST)

    assert response.status_code == 200
    assert (f'data-evaluation="{evaluation.pk}"' in text(response)) is sees


def test_the_list_is_not_found_for_a_merchant(cast):
    merchant = user_with(Role.MERCHANT, cast.a.community, "merchant")
    assert as_user(merchant).get(LIST).status_code == 404


def test_the_list_filters_and_its_empty_states(cast):
    h.declared(cast)
    client = english(cast.users[Role.STREET])

    assert "data-evaluation" in text(client.get(LIST, {"state": "declared", "period": "2026"}))
    filtered = text(client.get(LIST, {"state": "final"}))
    assert "No rating matches these filters." in filtered
    assert "Clear the filters" in filtered
    inspector = english(cast.users[Role.INSPECTOR])
    assert "data-evaluation" in text(inspector.get(LIST, {"mine": "on"}))


def test_the_street_declares_from_the_page(cast):
    h.standard(cast)
    client = english(cast.users[Role.STREET])
    form = text(client.get(DECLARE))
    assert f'<option value="{cast.a.compound.pk}">' in form
    assert f'<option value="{cast.a.other_compound.pk}">' not in form  # not renovated

    response = client.post(DECLARE, {"compound": cast.a.compound.pk, "period": "2026"})

    evaluation = Evaluation.objects.get()
    assert response.status_code == 302 and response["Location"] == url(evaluation)
    again = client.post(DECLARE, {"compound": cast.a.compound.pk, "period": "2026"})
    assert again.status_code == 400
    assert "This compound was already declared for 2026." in text(again)
    bad = client.post(DECLARE, {"compound": cast.a.compound.pk, "period": "26"})
    assert bad.status_code == 400 and "Enter the rating year, such as 2026." in text(bad)
    assert Evaluation.objects.count() == 1


@pytest.mark.parametrize("role", [Role.COMMUNITY, Role.INSPECTOR, Role.RESIDENT, Role.GRID])
def test_others_cannot_open_the_declaration(cast, role):
    h.standard(cast)
    assert as_user(cast.users[role]).get(DECLARE).status_code == 404


def test_the_inspector_scores_on_the_page_and_a_refusal_writes_nothing(cast):
    evaluation = h.declared(cast)
    item = h.items(evaluation)["M5"]
    client = english(cast.users[Role.INSPECTOR])
    page = text(client.get(url(evaluation)))
    assert 'data-score-form="M5"' in page and "data-complete" in page

    bad = client.post(url(evaluation, "score/"), {"item": item.pk, "points": "16"})
    assert bad.status_code == 400 and "Enter from 0 to 15.00 points." in text(bad)
    assert Score.objects.count() == 0

    done = client.post(url(evaluation, "score/"), {"item": item.pk, "points": "12.5", "note": "良"})
    assert done.status_code == 302
    assert Score.objects.get().points == D("12.50")


def test_an_unassigned_inspector_reads_but_cannot_score(cast):
    evaluation = h.declared(cast)
    other = user_with(Role.INSPECTOR, cast.a.street, "inspector2")
    client = english(other)
    assert "data-score-form" not in text(client.get(url(evaluation)))

    response = client.post(
        url(evaluation, "score/"), {"item": h.items(evaluation)["M5"].pk, "points": "15"}
    )

    assert response.status_code == 403
    assert Score.objects.count() == 0


def test_staff_record_a_paper_questionnaire(cast):
    evaluation = h.declared(cast)
    sample = evaluation.survey.samples.order_by("position").first()
    client = english(cast.users[Role.COMMUNITY])

    response = client.post(
        url(evaluation, "answer/"), {"sample": sample.pk, **{k: v for k, v in h.ANSWERS_85.items()}}
    )

    assert response.status_code == 302
    sample.refresh_from_db()
    assert (sample.channel, sample.answers) == ("staff", h.ANSWERS_85)
    missing = client.post(url(evaluation, "answer/"), {"sample": sample.pk})
    assert missing.status_code == 400 and "This household has already answered." in text(missing)


def test_the_way_to_final_through_the_pages(cast):
    evaluation = h.declared(cast)
    h.score_all(evaluation, cast, less={"M3": "5", "C1": "10"})
    h.answer_all(evaluation, cast)

    assert english(cast.users[Role.INSPECTOR]).post(url(evaluation, "complete/")).status_code == 302
    street = english(cast.users[Role.STREET])
    assert "data-review" in text(street.get(url(evaluation)))
    refused = street.post(url(evaluation, "review/street/"), {"decision": "return", "reason": ""})
    assert refused.status_code == 400 and "This field is required." in text(refused)
    assert street.post(url(evaluation, "review/street/"), {"decision": "pass"}).status_code == 302
    district = english(cast.users[Role.DISTRICT])
    assert (
        district.post(url(evaluation, "review/district/"), {"decision": "pass"}).status_code == 302
    )
    assert district.post(url(evaluation, "publish/")).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.PUBLISHED

    resident = english(cast.users[Role.RESIDENT])
    assert "data-object-form" in text(resident.get(url(evaluation)))
    assert resident.post(url(evaluation, "object/"), {"text": "门岗夜间无人"}).status_code == 302
    objection = Objection.objects.get()
    early = district.post(url(evaluation, "finalize/"))
    assert early.status_code == 400
    assert (
        district.post(
            url(evaluation, f"objections/{objection.pk}/"),
            {"decision": "dismiss", "answer": "已核实"},
        ).status_code
        == 302
    )
    objection.refresh_from_db()
    assert objection.status == "dismissed"
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.total_score, evaluation.stars) == (
        EvaluationState.PUBLISHED,
        D("88.50"),
        4,
    )


@pytest.mark.parametrize("who", ["outsider", "other_district"])
def test_another_places_evaluation_is_not_found(cast, who):
    evaluation = h.declared(cast)
    client = as_user(cast.users[who])

    assert client.get(url(evaluation)).status_code == 404
    assert client.post(url(evaluation, "complete/")).status_code == 404
    assert client.post(url(evaluation, "publish/")).status_code == 404


def test_the_wrong_hand_is_refused(cast):
    evaluation = h.scored_88_5(cast)

    # The step's state is checked first (400, the page says why), then the hand (403).
    for role, step, status in [
        (Role.COMMUNITY, "review/street/", 403),
        (Role.DISTRICT, "review/street/", 403),
        (Role.STREET, "review/district/", 400),
        (Role.COMPANY, "publish/", 400),
    ]:
        response = as_user(cast.users[role]).post(url(evaluation, step), {"decision": "pass"})
        assert response.status_code == status, (role, step)
    evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.SCORED


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.DISTRICT, True),
        (Role.STREET, True),
        (Role.INSPECTOR, True),
        (Role.COMPANY, True),
        (Role.COMMITTEE, True),
        (Role.RESIDENT, False),
    ],
)
def test_the_menu_entry(cast, role, shown):
    page = text(english(cast.users[role]).get("/"))
    assert ('data-nav="ratings"' in page) is shown
