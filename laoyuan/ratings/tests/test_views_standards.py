"""The district's standard editor: starting from the default, editing a draft's bands, sections
and items, refusals on the page, publishing, read-only published versions; others kept out."""

from decimal import Decimal

import pytest
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent
from laoyuan.factories import as_user
from laoyuan.ratings.enums import ItemKind, StandardStatus
from laoyuan.ratings.models import Item, Section, Standard
from laoyuan.ratings.services import standards
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
LIST = "/ratings/standards/"


def text(response):
    return response.content.decode()


def draft_of(cast):
    client = as_user(cast.users[Role.DISTRICT])
    response = client.post("/ratings/standards/new/")
    draft = Standard.objects.get(district=cast.district, status=StandardStatus.DRAFT)
    assert response.status_code == 302 and response["Location"] == f"/ratings/standards/{draft.pk}/"
    return client, draft


def test_the_district_starts_from_the_default_when_there_is_none(cast):
    client = as_user(cast.users[Role.DISTRICT])
    empty = text(client.get(LIST))
    assert "data-empty" in empty and "Start from the default standard" in empty
    client, draft = draft_of(cast)
    assert draft.version == 1
    assert list(draft.sections.values_list("code", "weight")) == [
        ("S", D("30.00")),
        ("M", D("40.00")),
        ("C", D("30.00")),
    ]
    page = text(client.get(f"/ratings/standards/{draft.pk}/"))
    assert 'data-status="draft"' in page
    assert "Sections (weights add up to 100.00%)" in page
    assert "data-problems" not in page
    # A second draft is refused while one is open; the list offers the open one instead.
    assert "data-open-draft" in text(client.get(LIST))
    response = client.post("/ratings/standards/new/", follow=True)
    assert "A draft is already open" in text(response)
    assert Standard.objects.filter(district=cast.district).count() == 1


def test_editing_a_draft_and_publishing_it(cast):
    h.standard(cast)  # v1 in use
    client, draft = draft_of(cast)
    assert draft.version == 2
    url = f"/ratings/standards/{draft.pk}"
    bands = {
        "bands-five_stars": "92",
        "bands-four_stars": "87",
        "bands-three_stars": "82",
        "bands-two_stars": "72",
        "bands-one_star": "61",
        "bands-objection_days": "10",
    }
    assert client.post(f"{url}/bands/", bands).status_code == 302
    draft.refresh_from_db()
    assert (draft.five_stars, draft.one_star, draft.objection_days) == (D("92"), D("61"), 10)

    comprehensive = draft.sections.get(code="C")
    response = client.post(
        f"{url}/sections/{comprehensive.pk}/items/",
        {
            f"n{comprehensive.pk}-code": "C6",
            f"n{comprehensive.pk}-text": "电梯年检合格",
            f"n{comprehensive.pk}-kind": ItemKind.SCORED,
            f"n{comprehensive.pk}-points": "10",
            f"n{comprehensive.pk}-evidence_required": "on",
        },
    )
    assert response.status_code == 302
    added = Item.objects.get(section=comprehensive, code="C6")
    assert (added.text, added.points, added.evidence_required) == ("电梯年检合格", D("10"), True)

    veto = draft.sections.get(code="M").items.get(code="V1")
    response = client.post(
        f"{url}/items/{veto.pk}/",
        {
            f"i{veto.pk}-code": "V1",
            f"i{veto.pk}-text": "发生重大安全责任事故（含消防）",
            f"i{veto.pk}-kind": ItemKind.VETO,
            f"i{veto.pk}-points": "",
        },
    )
    assert response.status_code == 302
    veto.refresh_from_db()
    assert (veto.text, veto.points) == ("发生重大安全责任事故（含消防）", D("0.00"))

    # Weights 30 / 35 / 30 cannot be published; the page says why and the button is off.
    management = draft.sections.get(code="M")
    response = client.post(
        f"{url}/sections/{management.pk}/",
        {
            f"s{management.pk}-code": "M",
            f"s{management.pk}-name": "管理考评",
            f"s{management.pk}-kind": "items",
            f"s{management.pk}-weight": "35",
        },
    )
    assert response.status_code == 302
    page = text(client.get(f"{url}/"))
    assert "The sections&#x27; weights add up to 95.00%, not 100%." in page
    refused = client.post(f"{url}/publish/")
    assert refused.status_code == 400
    assert "weights add up to 95.00%" in text(refused)
    assert Standard.objects.get(pk=draft.pk).status == StandardStatus.DRAFT

    response = client.post(
        f"{url}/sections/",
        {"new-code": "P", "new-name": "党建引领", "new-kind": "items", "new-weight": "5"},
    )
    assert response.status_code == 302
    party = draft.sections.get(code="P")
    assert "Section P has no scored item or question." in text(client.get(f"{url}/"))
    client.post(
        f"{url}/sections/{party.pk}/items/",
        {
            f"n{party.pk}-code": "P1",
            f"n{party.pk}-text": "党员亮身份",
            f"n{party.pk}-kind": ItemKind.SCORED,
            f"n{party.pk}-points": "10",
        },
    )
    assert client.post(f"{url}/publish/").status_code == 302
    assert list(
        Standard.objects.filter(district=cast.district).values_list("version", "status")
    ) == [(2, StandardStatus.PUBLISHED), (1, StandardStatus.RETIRED)]
    assert standards.in_use(cast.district.pk).pk == draft.pk
    assert AuditEvent.objects.filter(action="ratings.standard_published").count() == 2

    # Published: read only, and a change is refused by the service.
    page = text(client.get(f"{url}/"))
    assert "data-section-form" not in page and "★★★★★ ≥ 92.00" in page
    assert "P1</span> 党员亮身份" in page
    response = client.post(f"{url}/items/{added.pk}/delete/")
    assert response.status_code == 400
    assert "A published standard is not edited" in text(response)
    assert Item.objects.filter(pk=added.pk).exists()


def test_refusals_name_the_field_and_write_nothing(cast):
    client, draft = draft_of(cast)
    url = f"/ratings/standards/{draft.pk}"
    before = {
        "standard": Standard.objects.values_list("five_stars", "objection_days").get(),
        "sections": list(Section.objects.values_list("code", "weight")),
        "items": Item.objects.count(),
    }
    bands = {
        "bands-five_stars": "85",
        "bands-four_stars": "86",
        "bands-three_stars": "81",
        "bands-two_stars": "x",
        "bands-one_star": "60",
        "bands-objection_days": "0",
    }
    response = client.post(f"{url}/bands/", bands)
    page = text(response)
    assert response.status_code == 400
    assert 'data-error="five_stars">Each band must start above the next one down.' in page
    assert 'data-error="two_stars">Enter a number.' in page
    assert 'data-error="objection_days">Enter a whole number of days from 1 to 60.' in page
    # The refused values stay in the form to be corrected.
    assert 'name="bands-five_stars" value="85"' in page

    survey = draft.sections.get(code="S")
    response = client.post(
        f"{url}/sections/",
        {"new-code": "S", "new-name": "", "new-kind": "survey", "new-weight": "101"},
    )
    page = text(response)
    assert response.status_code == 400
    assert 'data-error="code">Another section has this code.' in page
    assert 'data-error="name">Enter a name of at most 100 characters.' in page
    assert 'data-error="kind">The standard already has a survey section.' in page
    assert 'data-error="weight">Enter a number from 0.01 to 100.' in page

    response = client.post(
        f"{url}/sections/{survey.pk}/items/",
        {
            f"n{survey.pk}-code": "M1",
            f"n{survey.pk}-text": "问卷题目",
            f"n{survey.pk}-kind": ItemKind.VETO,
        },
    )
    page = text(response)
    assert response.status_code == 400
    assert 'data-error="code">Another item of this standard has this code.' in page
    assert 'data-error="kind">A survey section holds questions only.' in page
    assert {
        "standard": Standard.objects.values_list("five_stars", "objection_days").get(),
        "sections": list(Section.objects.values_list("code", "weight")),
        "items": Item.objects.count(),
    } == before
    # A section of another standard, or an item of another standard, is not found.
    other = standards.create_default(district=cast.c.street.district, publish=False)
    foreign = other.sections.first()
    assert client.post(f"{url}/sections/{foreign.pk}/delete/").status_code == 404
    foreign_item = Item.objects.filter(section__standard=other).first()
    assert client.post(f"{url}/items/{foreign_item.pk}/delete/").status_code == 404
    assert Item.objects.filter(section__standard=other).count() == 23


def test_removing_items_and_sections_from_a_draft(cast):
    client, draft = draft_of(cast)
    url = f"/ratings/standards/{draft.pk}"
    bonus = Item.objects.get(section__standard=draft, code="B2")
    assert client.post(f"{url}/items/{bonus.pk}/delete/").status_code == 302
    assert not Item.objects.filter(pk=bonus.pk).exists()
    comprehensive = draft.sections.get(code="C")
    assert client.post(f"{url}/sections/{comprehensive.pk}/delete/").status_code == 302
    assert list(draft.sections.values_list("code", flat=True)) == ["S", "M"]
    assert Item.objects.filter(section__standard=draft).count() == 16
    assert AuditEvent.objects.filter(action="ratings.standard_section_deleted").count() == 1


def test_removing_a_middle_section_or_item_closes_the_gap(cast):
    client, draft = draft_of(cast)
    url = f"/ratings/standards/{draft.pk}"
    management = draft.sections.get(code="M")
    assert client.post(f"{url}/sections/{management.pk}/delete/").status_code == 302
    assert list(draft.sections.values_list("code", "position")) == [("S", 0), ("C", 1)]
    response = client.post(
        f"{url}/sections/",
        {"new-code": "P", "new-name": "党建引领", "new-kind": "items", "new-weight": "40"},
    )
    assert response.status_code == 302
    assert list(draft.sections.values_list("code", "position")) == [("S", 0), ("C", 1), ("P", 2)]
    survey = draft.sections.get(code="S")
    second = survey.items.get(position=1)
    assert client.post(f"{url}/items/{second.pk}/delete/").status_code == 302
    assert list(survey.items.values_list("position", flat=True)) == [0, 1, 2, 3]


def test_a_survey_section_holds_questions_only_and_every_standard_has_one(cast):
    client, draft = draft_of(cast)
    url = f"/ratings/standards/{draft.pk}"
    survey = draft.sections.get(code="S")
    management = draft.sections.get(code="M")

    # Items that are not questions keep a section from becoming the survey.
    assert client.post(f"{url}/sections/{survey.pk}/delete/").status_code == 302
    response = client.post(
        f"{url}/sections/{management.pk}/",
        {
            f"s{management.pk}-code": "M",
            f"s{management.pk}-name": "物业管理",
            f"s{management.pk}-kind": "survey",
            f"s{management.pk}-weight": "70",
        },
    )
    assert response.status_code == 400
    assert (
        'data-error="kind">A survey section holds questions only: remove this section&#x27;s '
        "veto, bonus and evidence items first." in text(response)
    )
    management.refresh_from_db()
    assert (management.kind, management.weight) == ("items", D("40.00"))

    # Without a survey section the draft is not published.
    client.post(
        f"{url}/sections/{management.pk}/",
        {
            f"s{management.pk}-code": "M",
            f"s{management.pk}-name": "物业管理",
            f"s{management.pk}-kind": "items",
            f"s{management.pk}-weight": "70",
        },
    )
    with translation.override("en"):
        found = standards.problems(draft)
    assert found == [
        "The standard needs one survey section: the residents' questionnaire is scored in it."
    ]
    response = client.post(f"{url}/publish/")
    assert response.status_code == 400
    assert "The standard needs one survey section" in text(response)
    draft.refresh_from_db()
    assert draft.status == StandardStatus.DRAFT


def test_a_change_from_a_stale_tab_after_publishing_shows_why(cast):
    client, draft = draft_of(cast)
    url = f"/ratings/standards/{draft.pk}"
    survey = draft.sections.get(code="S")
    assert client.post(f"{url}/publish/").status_code == 302

    response = client.post(
        f"{url}/sections/{survey.pk}/",
        {
            f"s{survey.pk}-code": "S",
            f"s{survey.pk}-name": "满意度",
            f"s{survey.pk}-kind": "survey",
            f"s{survey.pk}-weight": "30",
        },
    )
    page = text(response)
    assert response.status_code == 400
    assert (
        '<div class="alert alert-danger" role="alert" data-errors>A published standard is not '
        "edited; start a new version.</div>" in page
    )
    survey.refresh_from_db()
    assert survey.name == "满意度测评"


ROLES = [
    Role.STREET,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMPANY,
    Role.COMMITTEE,
    Role.RESIDENT,
    Role.INSPECTOR,
    "outsider",
    "other_district",
]


@pytest.mark.parametrize("role", ROLES)
def test_only_the_districts_office_reaches_the_editor(cast, role):
    draft = standards.create_default(district=cast.district, publish=False)
    item = Item.objects.filter(section__standard=draft).first()
    client = as_user(cast.users[role])
    url = f"/ratings/standards/{draft.pk}"
    # Another district's office has its own editor, where this district's draft is not found.
    own_editor = role == "other_district"
    assert client.get(LIST).status_code == (200 if own_editor else 404)
    assert client.get(f"{url}/").status_code == 404
    for path in (
        f"{url}/publish/",
        f"{url}/bands/",
        f"{url}/items/{item.pk}/delete/",
        f"{url}/sections/",
    ):
        assert client.post(path, {"new-code": "X"}).status_code == 404, path
    if not own_editor:
        assert client.post("/ratings/standards/new/").status_code == 404
    assert Item.objects.filter(pk=item.pk).exists()
    assert Standard.objects.filter(district=cast.district).count() == 1
    assert Section.objects.filter(standard=draft).count() == 3
    assert draft.status == Standard.objects.get(pk=draft.pk).status == StandardStatus.DRAFT


def test_anonymous_users_are_sent_to_sign_in(cast):
    from laoyuan.factories import anonymous

    response = anonymous().get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_evaluations_list_links_the_editor_for_the_district_only(cast):
    assert "data-standards-link" in text(
        as_user(cast.users[Role.DISTRICT]).get("/ratings/evaluations/")
    )
    assert "data-standards-link" not in text(
        as_user(cast.users[Role.STREET]).get("/ratings/evaluations/")
    )
