"""The verification pages: each verifier's queue (community, organiser, street for flagged claims
only; 404 to roles without one), one claim with its photo and history, and verify / reject /
reverse through the pages with exact hours on the ledger."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.factories import as_user, user_with
from laoyuan.people.models import Person
from laoyuan.timebank.enums import ClaimStatus
from laoyuan.timebank.models import Claim, Volunteer
from laoyuan.timebank.services import claims, ledger, orgs
from laoyuan.timebank.tests import helpers as h
from laoyuan.workorders.tests.flow import jpeg

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 10)
AFTER = h.at(datetime.date(2026, 3, 11), 9)
QUEUE = reverse("timebank:queue")
ROW = re.compile(r'<tr data-claim="(\d+)"')


def rows(response) -> list[int]:
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def claim_of(cast, activity, *, actor=None, volunteer=None, photo=None) -> Claim:
    return claims.create_claim(
        actor=actor or cast.users[Role.RESIDENT],
        activity=activity,
        start=activity.start,
        end=activity.end,
        volunteer=volunteer,
        photo=photo,
        now=AFTER,
    )


def neighbour(cast) -> Volunteer:
    return orgs.register_volunteer(
        actor=cast.users[Role.COMMUNITY],
        person=Person.objects.get(name="甲邻居"),
        house=cast.a.neighbour_house,
        on=datetime.date(2026, 1, 5),
    )


def held(house) -> int:
    return ledger.balance(ledger.household_account(house))


@pytest.fixture
def setup(cast):
    """Three claims in community A: ``mine`` (resident, 3 h, by the organiser's activity),
    ``late`` (neighbour, overdue and flagged), ``other`` (neighbour, another activity)."""
    h.volunteer(cast)
    other_volunteer = neighbour(cast)
    committee = cast.users[Role.COMMITTEE]
    organised = h.activity(cast, MARCH, 9, 12, organiser=committee, title="楼道清扫")
    second = h.activity(cast, MARCH, 14, 16, title="垃圾分类督导")
    mine = claim_of(cast, organised)
    late = claim_of(cast, organised, actor=cast.users[Role.COMMUNITY], volunteer=other_volunteer)
    other = claim_of(cast, second, actor=cast.users[Role.COMMUNITY], volunteer=other_volunteer)
    today = timezone.localdate()
    Claim.objects.filter(pk__in=[mine.pk, other.pk]).update(
        due_on=today + datetime.timedelta(days=5)
    )
    Claim.objects.filter(pk=late.pk).update(due_on=today - datetime.timedelta(days=3))
    assert claims.flag_overdue(today=today) == 1
    return {"mine": mine, "late": late, "other": other, "organised": organised}


# --- The queue -----------------------------------------------------------------------------


def test_community_sees_every_open_claim_flagged_first(cast, setup):
    response = as_user(cast.users[Role.COMMUNITY]).get(QUEUE)
    assert response.status_code == 200
    assert rows(response) == [setup["late"].pk, setup["mine"].pk, setup["other"].pk]
    html = response.content.decode()
    assert 'data-total="3"' in html
    assert cast.a.resident_person.name in html and "甲邻居" in html
    assert html.count("data-on-behalf") == 2
    assert 'data-minutes="180"' in html and ">3:00" in html
    assert html.count("data-overdue") == 1


def test_queue_row_shows_name_household_and_due_date(cast, setup):
    html = as_user(cast.users[Role.COMMUNITY]).get(QUEUE).content.decode()
    row = html[html.index(f'data-claim="{setup["late"].pk}"') :]
    row = row[: row.index("</tr>")]
    assert "甲邻居" in row
    assert f">{cast.a.neighbour_house.label}<" in row
    assert "Overdue by 3 days" in row
    assert (timezone.localdate() - datetime.timedelta(days=3)).isoformat() in row


def test_the_organiser_sees_the_claims_of_their_activity_only(cast, setup):
    response = as_user(cast.users[Role.COMMITTEE]).get(QUEUE)
    assert response.status_code == 200
    assert rows(response) == [setup["late"].pk, setup["mine"].pk]


def test_the_street_sees_flagged_claims_only(cast, setup):
    response = as_user(cast.users[Role.STREET]).get(QUEUE)
    assert rows(response) == [setup["late"].pk]


def test_outsider_street_has_an_empty_queue(cast, setup):
    response = as_user(cast.users["outsider"]).get(QUEUE)
    assert response.status_code == 200
    assert rows(response) == []
    assert "No claims wait for you." in response.content.decode()


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.COMPANY, Role.INSPECTOR, Role.GRID])
def test_roles_without_a_queue_get_404(cast, setup, role):
    assert as_user(cast.users[role]).get(QUEUE).status_code == 404


def test_tabs_and_activity_filter(cast, setup):
    client = as_user(cast.users[Role.COMMUNITY])
    assert rows(client.get(QUEUE, {"tab": "flagged"})) == [setup["late"].pk]
    assert rows(client.get(QUEUE, {"tab": "second"})) == []
    assert rows(client.get(QUEUE, {"tab": "first"})) == [
        setup["late"].pk,
        setup["mine"].pk,
        setup["other"].pk,
    ]
    by_activity = client.get(QUEUE, {"activity": setup["organised"].pk})
    assert rows(by_activity) == [setup["late"].pk, setup["mine"].pk]
    empty = client.get(QUEUE, {"tab": "second", "activity": setup["organised"].pk})
    assert "No claims in this queue match these filters." in empty.content.decode()


def test_queue_reads_a_constant_number_of_queries(cast):
    h.volunteer(cast)
    other_volunteer = neighbour(cast)
    client = as_user(cast.users[Role.COMMUNITY])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(QUEUE).status_code == 200
        return len(ctx.captured_queries)

    for hour in (8, 10):
        act = h.activity(cast, MARCH, hour, hour + 1, title=f"巡逻{hour}")
        claim_of(cast, act)
    small = count()
    for hour in range(12, 20):
        act = h.activity(cast, MARCH, hour, hour + 1, title=f"巡逻{hour}")
        claim_of(cast, act, actor=cast.users[Role.COMMUNITY], volunteer=other_volunteer)
    assert Claim.objects.count() == 10
    assert count() == small


# --- Verifying, rejecting -------------------------------------------------------------------


def test_verifying_from_the_queue_posts_the_hours(cast, setup):
    client = as_user(cast.users[Role.COMMUNITY])
    response = client.post(
        reverse("timebank:claim_verify", args=[setup["mine"].pk]), {"next": QUEUE}
    )
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert Claim.objects.get(pk=setup["mine"].pk).status == ClaimStatus.VERIFIED
    assert held(cast.a.house) == 180
    assert rows(client.get(QUEUE)) == [setup["late"].pk, setup["other"].pk]


def test_the_organiser_verifies_through_the_claim_page(cast, setup):
    client = as_user(cast.users[Role.COMMITTEE])
    url = reverse("timebank:claim_detail", args=[setup["mine"].pk])
    assert "data-verify" in client.get(url).content.decode()
    response = client.post(reverse("timebank:claim_verify", args=[setup["mine"].pk]))
    assert response["Location"] == url
    assert held(cast.a.house) == 180


def test_reject_needs_a_reason_on_the_field_and_changes_nothing(cast, setup):
    client = as_user(cast.users[Role.COMMUNITY])
    url = reverse("timebank:claim_reject", args=[setup["mine"].pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        '<div class="invalid-feedback d-block" data-error="reason">Give the reason.</div>' in html
    )
    assert Claim.objects.get(pk=setup["mine"].pk).status == ClaimStatus.PENDING
    response = client.post(url, {"reason": "当天未到场"})
    assert response.status_code == 302
    rejected = Claim.objects.get(pk=setup["mine"].pk)
    assert (rejected.status, rejected.reason) == (ClaimStatus.REJECTED, "当天未到场")
    assert held(cast.a.house) == 0
    page = client.get(reverse("timebank:claim_detail", args=[rejected.pk])).content.decode()
    assert "Rejected by" in page and "当天未到场" in page


def test_a_second_verifier_through_the_pages(cast):
    h.volunteer(cast)
    long = h.activity(cast, MARCH, 8, 13, title="敬老院陪护")
    claim = claim_of(cast, long)
    assert claim.needs_second
    first = as_user(cast.users[Role.COMMUNITY])
    verify = reverse("timebank:claim_verify", args=[claim.pk])
    detail = reverse("timebank:claim_detail", args=[claim.pk])
    first.post(verify)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SECOND
    assert held(cast.a.house) == 0
    html = first.get(detail).content.decode()
    assert "data-waiting" in html and "data-verify" not in html
    # The first verifier's queue drops it; another officer's shows it waiting for them.
    assert rows(first.get(QUEUE, {"tab": "second"})) == []
    assert rows(as_user(h.organiser(cast)).get(QUEUE, {"tab": "second"})) == [claim.pk]
    again = first.post(verify)
    assert again.status_code == 400
    assert "A second verifier must be someone else than the first." in again.content.decode()
    assert held(cast.a.house) == 0
    second = as_user(h.organiser(cast))
    assert "Verify as the second person" in second.get(detail).content.decode()
    second.post(verify)
    done = Claim.objects.get(pk=claim.pk)
    assert done.status == ClaimStatus.VERIFIED
    assert done.second_by == h.organiser(cast)
    assert held(cast.a.house) == 300
    html = second.get(detail).content.decode()
    assert 'data-step="verified"' in html and 'data-step="second"' in html


def test_the_volunteer_cannot_verify_their_own_claim(cast, setup):
    client = as_user(cast.users[Role.RESIDENT])
    detail = client.get(reverse("timebank:claim_detail", args=[setup["mine"].pk]))
    assert detail.status_code == 200
    assert "data-verify" not in detail.content.decode()
    assert client.post(reverse("timebank:claim_verify", args=[setup["mine"].pk])).status_code == 403
    assert (
        client.post(
            reverse("timebank:claim_reject", args=[setup["mine"].pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    # The neighbour's claim is not theirs to read.
    assert client.post(reverse("timebank:claim_verify", args=[setup["late"].pk])).status_code == 404
    assert Claim.objects.get(pk=setup["mine"].pk).status == ClaimStatus.PENDING


def test_outsiders_get_404_on_every_claim_endpoint(cast, setup):
    client = as_user(cast.users["outsider"])
    pk = setup["late"].pk
    for name in ("claim_detail", "claim_photo"):
        assert client.get(reverse(f"timebank:{name}", args=[pk])).status_code == 404
    for name in ("claim_verify", "claim_reject", "claim_reverse"):
        response = client.post(reverse(f"timebank:{name}", args=[pk]), {"reason": "x"})
        assert response.status_code == 404
    assert Claim.objects.get(pk=pk).status == ClaimStatus.PENDING


def test_the_street_may_verify_a_flagged_claim_but_not_an_unflagged_one(cast, setup):
    client = as_user(cast.users[Role.STREET])
    assert client.post(reverse("timebank:claim_verify", args=[setup["mine"].pk])).status_code == 403
    assert client.post(reverse("timebank:claim_verify", args=[setup["late"].pk])).status_code == 302
    assert held(cast.a.neighbour_house) == 180


# --- Reversing ------------------------------------------------------------------------------


def test_reverse_needs_a_reason_and_a_confirmation(cast, setup):
    community = as_user(cast.users[Role.COMMUNITY])
    community.post(reverse("timebank:claim_verify", args=[setup["mine"].pk]))
    assert held(cast.a.house) == 180
    url = reverse("timebank:claim_reverse", args=[setup["mine"].pk])
    html = community.get(reverse("timebank:claim_detail", args=[setup["mine"].pk])).content
    assert b"data-reverse-form" in html
    refused = community.post(url, {"reason": "重复申报"})
    assert refused.status_code == 400
    assert b'data-error="confirm">Tick the box to confirm.' in refused.content
    refused = community.post(url, {"reason": "", "confirm": "on"})
    assert refused.status_code == 400
    assert b'data-error="reason">Give the reason.' in refused.content
    assert held(cast.a.house) == 180
    # The organiser (a committee member) verifies but does not reverse.
    assert as_user(cast.users[Role.COMMITTEE]).post(
        url, {"reason": "重复申报", "confirm": "on"}
    ).status_code in (403, 404)
    done = community.post(url, {"reason": "重复申报", "confirm": "on"})
    assert done.status_code == 302
    reversed_ = Claim.objects.get(pk=setup["mine"].pk)
    assert (reversed_.status, reversed_.reason) == (ClaimStatus.REVERSED, "重复申报")
    assert held(cast.a.house) == 0
    again = community.post(url, {"reason": "重复申报", "confirm": "on"})
    assert again.status_code == 400
    assert b"Only a verified claim can be reversed." in again.content


# --- The photo ------------------------------------------------------------------------------


def test_the_photo_is_streamed_only_in_scope(cast):
    h.volunteer(cast)
    act = h.activity(cast, MARCH, 9, 12)
    claim = claim_of(cast, act, photo=jpeg())
    url = reverse("timebank:claim_photo", args=[claim.pk])
    response = as_user(cast.users[Role.COMMUNITY]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert as_user(cast.users[Role.RESIDENT]).get(url).status_code == 200
    assert as_user(cast.users["outsider"]).get(url).status_code == 404
    assert as_user(cast.users[Role.COMPANY]).get(url).status_code == 404
    detail = as_user(cast.users[Role.COMMUNITY]).get(
        reverse("timebank:claim_detail", args=[claim.pk])
    )
    assert f'src="{url}"'.encode() in detail.content


def test_no_photo_is_404(cast, setup):
    url = reverse("timebank:claim_photo", args=[setup["mine"].pk])
    assert as_user(cast.users[Role.COMMUNITY]).get(url).status_code == 404


def test_get_on_an_action_is_refused(cast, setup):
    client = as_user(cast.users[Role.COMMUNITY])
    assert client.get(reverse("timebank:claim_verify", args=[setup["mine"].pk])).status_code == 405


def test_another_community_cannot_read_the_claim(cast, setup):
    other = user_with(Role.COMMUNITY, cast.b.community, "community_b")
    client = as_user(other)
    assert rows(client.get(QUEUE)) == []
    assert client.get(reverse("timebank:claim_detail", args=[setup["mine"].pk])).status_code == 404
