"""The time-bank API — activities, a household's hours, claims, verification and redemption — as
each role, as an outsider and anonymously, with exact figures; every refusal writes nothing."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.api.tests.conftest import ROLES
from laoyuan.api.tests.test_compounds import count_queries
from laoyuan.api.tests.test_workorders import photo_file
from laoyuan.billing.models import JournalEntry, Payment, Posting, Receipt
from laoyuan.billing.services.ledger import balance as fee_balance
from laoyuan.billing.services.ledger import household_account as fee_account
from laoyuan.factories import Cast, user_with
from laoyuan.timebank.enums import ClaimStatus
from laoyuan.timebank.models import Activity, Claim, HourEntry, HourPosting, Redemption
from laoyuan.timebank.services import claims, ledger
from laoyuan.timebank.tests import helpers as h
from laoyuan.timebank.tests.helpers import wide_claim_window  # noqa: F401  (autouse fixture)
from laoyuan.timebank.workdays import add_workdays

pytestmark = pytest.mark.django_db

Client = Callable[[str], APIClient]
D = Decimal
MARCH = datetime.date(2026, 3, 10)
ACTIVITIES = "/api/v1/timebank/activities/"
CLAIMS = "/api/v1/timebank/claims/"
REDEMPTIONS = "/api/v1/timebank/redemptions/"
# Who sees side A's time bank: its offices, its compound's roles and its resident.
BOARD_ROLES = {"district", "street", "community", "grid", "branch", "committee", "resident"}
NOTHING_ROLES = ["company", "inspector", "merchant", "outsider", "other_district"]


@pytest.fixture
def merchant(cast: Cast) -> Any:
    return user_with(Role.MERCHANT, cast.a.community, "merchant")


@pytest.fixture
def as_any(cast: Cast, merchant: Any, client_for: Callable[[Any], APIClient]) -> Client:
    """``as_role`` that also knows the merchant of side A's community."""

    def make(role: str) -> APIClient:
        return client_for(merchant if role == "merchant" else cast.users[role])

    return make


def errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "Invalid input."
    result: dict[str, list[str]] = body["errors"]
    return result


def iso(value: datetime.datetime) -> str:
    """How the API writes a time: ISO 8601 in the project's zone (Beijing)."""
    return timezone.localtime(value).isoformat()


def counts() -> dict[str, int]:
    models: tuple[Any, ...] = (
        Claim,
        Redemption,
        HourEntry,
        HourPosting,
        JournalEntry,
        Posting,
        Payment,
        Receipt,
    )
    return {model.__name__: model.objects.count() for model in models}


def earn(cast: Cast, day: datetime.date = MARCH, start: int = 8, end: int = 11) -> Claim:
    """A verified claim of the cast's volunteer (registered first if need be)."""
    if not hasattr(cast, "_volunteer"):
        cast._volunteer = h.volunteer(cast)  # type: ignore[attr-defined]
    activity = h.activity(cast, day, start, end)
    claim = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=activity, start=activity.start, end=activity.end
    )
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=claim)
    if claim.needs_second:
        claims.verify_claim(actor=h.organiser(cast), claim=claim)
    return claim


# --- Activities -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [*ROLES, "merchant", "other_district"])
def test_activities_as_each_role(cast: Cast, as_any: Client, role: str) -> None:
    activity = h.activity(cast, MARCH)

    response = as_any(role).get(ACTIVITIES)

    assert response.status_code == 200
    expected = [activity.pk] if role in BOARD_ROLES else []
    assert [row["id"] for row in response.json()["results"]] == expected


def test_activity_fields(cast: Cast, as_role: Client) -> None:
    org = h.org(cast)
    activity = h.activity(cast, MARCH, 9, 12, capacity=3)
    Activity.objects.filter(pk=activity.pk).update(org=org, place="3号楼")
    h.volunteer(cast)
    claims.create_claim(
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=h.at(MARCH, 9),
        end=h.at(MARCH, 10),
    )
    compound = cast.a.compound

    response = as_role("resident").get(ACTIVITIES)

    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": activity.pk,
                "title": "楼道清扫",
                "category": "cleaning",
                "compound": {"id": compound.pk, "code": compound.code, "name": compound.name},
                "place": "3号楼",
                "start": "2026-03-10T09:00:00+08:00",
                "end": "2026-03-10T12:00:00+08:00",
                "capacity": 3,
                "taken": 1,
                "places_left": 2,
                "organisation": {"id": org.pk, "name": "红马甲志愿服务队"},
            }
        ],
    }


def test_activity_without_organisation_is_null(cast: Cast, as_role: Client) -> None:
    h.activity(cast, MARCH)

    row = as_role("community").get(ACTIVITIES).json()["results"][0]

    assert row["organisation"] is None
    assert (row["taken"], row["places_left"]) == (0, 10)


def test_activities_upcoming_and_claimable(cast: Cast, as_role: Client) -> None:
    today = timezone.localdate()
    h.volunteer(cast)
    past = h.activity(cast, MARCH, title="三月")
    recent = h.activity(cast, today - datetime.timedelta(days=2), title="前天")
    claimed = h.activity(cast, today - datetime.timedelta(days=3), title="已申报")
    claims.create_claim(
        actor=cast.users[Role.RESIDENT],
        activity=claimed,
        start=claimed.start,
        end=claimed.end,
    )
    future = h.activity(cast, today + datetime.timedelta(days=5), title="下周")
    resident = as_role("resident")

    def ids(params: dict[str, str]) -> list[int]:
        response = resident.get(ACTIVITIES, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids({}) == [future.pk, recent.pk, claimed.pk, past.pk]
    assert ids({"upcoming": "1"}) == [future.pk]
    assert ids({"claimable": "1"}) == [recent.pk]
    assert ids({"claimable": "true", "upcoming": "0"}) == [recent.pk]
    # Staff are no volunteers: nothing to claim for themselves.
    assert as_role("community").get(ACTIVITIES, {"claimable": "1"}).json()["count"] == 0


def test_activities_bad_filter_is_400(cast: Cast, as_role: Client) -> None:
    response = as_role("resident").get(ACTIVITIES, {"upcoming": "soon"})

    assert errors(response) == {"upcoming": ["Enter true or false."]}


def test_activity_list_queries_do_not_grow_with_rows(cast: Cast, as_role: Client) -> None:
    org = h.org(cast)
    for hour in (8, 9):
        Activity.objects.filter(pk=h.activity(cast, MARCH, hour, hour + 1).pk).update(org=org)
    client = as_role("resident")
    two, body_two = count_queries(client, ACTIVITIES)

    for hour in range(10, 18):
        Activity.objects.filter(pk=h.activity(cast, MARCH, hour, hour + 1).pk).update(org=org)
    ten, body_ten = count_queries(client, ACTIVITIES)

    assert (body_two["count"], body_ten["count"]) == (2, 10)
    assert ten == two


# --- A household's hours ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [*ROLES, "merchant", "other_district"])
def test_account_as_each_role(cast: Cast, as_any: Client, role: str) -> None:
    earn(cast)

    response = as_any(role).get(f"/api/v1/timebank/accounts/{cast.a.house.pk}/")

    if role in BOARD_ROLES:
        assert response.status_code == 200
        assert response.json()["balance_minutes"] == 180
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_account_of_the_neighbour_is_404_for_a_resident(cast: Cast, as_role: Client) -> None:
    response = as_role("resident").get(f"/api/v1/timebank/accounts/{cast.a.neighbour_house.pk}/")

    assert response.status_code == 404
    # The community sees the neighbour's (empty) account.
    response = as_role("community").get(f"/api/v1/timebank/accounts/{cast.a.neighbour_house.pk}/")
    assert response.json() == {
        "house": cast.a.neighbour_house.pk,
        "balance_minutes": 0,
        "expiring": None,
        "postings": [],
    }


def test_account_figures(cast: Cast, as_role: Client) -> None:
    first = earn(cast, MARCH, 8, 11)
    second = earn(cast, datetime.date(2026, 4, 2), 14, 16)
    h.bills(cast)
    h.rate(cast, "10.00")
    h.pool(cast, "1000.00")
    as_role("resident").post(
        REDEMPTIONS, {"house": cast.a.house.pk, "minutes": 60, "reference": "R-1"}
    )
    entries = {
        claim.pk: HourEntry.objects.get(claim=claim, reverses__isnull=True).pk
        for claim in (first, second)
    }
    redeemed = HourEntry.objects.get(kind="redeem").pk

    response = as_role("resident").get(f"/api/v1/timebank/accounts/{cast.a.house.pk}/")

    today = timezone.localdate()
    assert response.json() == {
        "house": cast.a.house.pk,
        "balance_minutes": 240,
        "expiring": {"on": "2028-03-10", "minutes": 120},
        "postings": [
            {
                "entry": redeemed,
                "kind": "redeem",
                "category": "",
                "on": today.isoformat(),
                "minutes": -60,
                "memo": "10.00 yuan at 10.00/h",
                "reversal": False,
            },
            {
                "entry": entries[second.pk],
                "kind": "earn",
                "category": "cleaning",
                "on": "2026-04-02",
                "minutes": 120,
                "memo": "楼道清扫",
                "reversal": False,
            },
            {
                "entry": entries[first.pk],
                "kind": "earn",
                "category": "cleaning",
                "on": "2026-03-10",
                "minutes": 180,
                "memo": "楼道清扫",
                "reversal": False,
            },
        ],
    }


# --- Claims -----------------------------------------------------------------------------------


def claim_body(activity: Activity, start: int = 9, end: int = 12, **extra: Any) -> dict[str, Any]:
    day = timezone.localtime(activity.start).date()
    return {
        "activity": activity.pk,
        "start": h.at(day, start).isoformat(),
        "end": h.at(day, end).isoformat(),
        **extra,
    }


def test_resident_claims_for_themself(cast: Cast, as_role: Client) -> None:
    volunteer = h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    before = counts()

    response = as_role("resident").post(CLAIMS, claim_body(activity, 9, 11, note="扫了两层"))

    assert response.status_code == 201, response.content
    claim = Claim.objects.get()
    assert response.json() == {
        "id": claim.pk,
        "activity": activity.pk,
        "volunteer": volunteer.pk,
        "start": "2026-03-10T09:00:00+08:00",
        "end": "2026-03-10T11:00:00+08:00",
        "minutes": 120,
        "status": "pending",
        "needs_second": False,
        "on_behalf": False,
        "due_on": add_workdays(timezone.localdate(), 10).isoformat(),
        "reason": "",
    }
    assert claim.note == "扫了两层"
    assert claim.claimed_by == cast.users[Role.RESIDENT]
    assert counts() == {**before, "Claim": before["Claim"] + 1}


def test_claim_with_a_photo_as_multipart(cast: Cast, as_role: Client) -> None:
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    body = {**claim_body(activity, 9, 10), "photo": photo_file()}

    response = as_role("resident").post(CLAIMS, body, format="multipart")

    assert response.status_code == 201, response.content
    claim = Claim.objects.get()
    assert claim.minutes == 60
    assert claim.photo.name.startswith("timebank/")


def test_claim_with_a_photo_that_is_no_image_is_400(cast: Cast, as_role: Client) -> None:
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    text = SimpleUploadedFile("notes.jpg", b"not a picture", content_type="image/jpeg")

    response = as_role("resident").post(
        CLAIMS, {**claim_body(activity), "photo": text}, format="multipart"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["photo"]
    assert Claim.objects.count() == 0


def test_community_claims_on_a_volunteers_behalf(cast: Cast, as_role: Client) -> None:
    volunteer = h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 14)

    response = as_role("community").post(
        CLAIMS, claim_body(activity, 9, 14, volunteer=volunteer.pk)
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["volunteer"], body["minutes"], body["on_behalf"], body["needs_second"]) == (
        volunteer.pk,
        300,
        True,
        True,
    )


@pytest.mark.parametrize("role", ["district", "street", "grid", "branch", "committee"])
def test_claim_on_behalf_by_other_roles_is_403(cast: Cast, as_role: Client, role: str) -> None:
    volunteer = h.volunteer(cast)
    activity = h.activity(cast, MARCH)
    before = counts()

    response = as_role(role).post(CLAIMS, claim_body(activity, volunteer=volunteer.pk))

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert counts() == before


@pytest.mark.parametrize("role", NOTHING_ROLES)
def test_claim_of_an_activity_out_of_scope_is_404(cast: Cast, as_any: Client, role: str) -> None:
    h.volunteer(cast)
    activity = h.activity(cast, MARCH)
    before = counts()

    response = as_any(role).post(CLAIMS, claim_body(activity))

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert counts() == before


def test_claim_for_a_volunteer_out_of_scope_is_404(cast: Cast, as_role: Client) -> None:
    volunteer_b = h.volunteer(cast, "b")
    activity = h.activity(cast, MARCH)

    response = as_role("community").post(CLAIMS, claim_body(activity, volunteer=volunteer_b.pk))

    assert response.status_code == 404


def test_claim_by_a_non_volunteer_is_400(cast: Cast, as_role: Client) -> None:
    activity = h.activity(cast, MARCH)

    response = as_role("resident").post(CLAIMS, claim_body(activity))

    assert errors(response) == {"volunteer": ["Register as a volunteer first."]}


def test_overlapping_claim_is_refused_with_the_reason(cast: Cast, as_role: Client) -> None:
    h.volunteer(cast)
    first = h.activity(cast, MARCH, 8, 11, title="垃圾分类")
    second = h.activity(cast, MARCH, 10, 12)
    resident = as_role("resident")
    assert resident.post(CLAIMS, claim_body(first, 8, 11)).status_code == 201
    before = counts()

    response = resident.post(CLAIMS, claim_body(second, 10, 12))

    assert errors(response) == {
        "start": [
            "These times overlap your claim for “垃圾分类”, 2026-03-10 08:00 to 2026-03-10 11:00."
        ]
    }
    assert counts() == before


def test_claim_longer_than_the_activity_is_refused(cast: Cast, as_role: Client) -> None:
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)

    response = as_role("resident").post(CLAIMS, claim_body(activity, 9, 13))

    assert errors(response) == {
        "end": [
            "The claim must lie within the activity, 2026-03-10 09:00 to 2026-03-10 12:00 "
            "(3:00 hours)."
        ]
    }
    assert Claim.objects.count() == 0


def test_claim_bad_body_is_400(cast: Cast, as_role: Client) -> None:
    response = as_role("resident").post(CLAIMS, {"activity": "x", "start": "soon"})

    assert errors(response) == {
        "activity": ["A valid integer is required."],
        "start": [
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ],
        "end": ["This field is required."],
    }


# --- Verify and reject ------------------------------------------------------------------------


def pending(cast: Cast, start: int = 9, end: int = 12) -> Claim:
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, start, end)
    return claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=activity, start=activity.start, end=activity.end
    )


@pytest.mark.parametrize("role", [*ROLES, "merchant", "other_district"])
def test_verify_as_each_role(cast: Cast, as_any: Client, role: str) -> None:
    claim = pending(cast)
    before = counts()

    response = as_any(role).post(f"{CLAIMS}{claim.pk}/verify/")

    if role == "community":
        assert response.status_code == 200
        assert response.json()["status"] == "verified"
        assert ledger.balance(ledger.household_account(cast.a.house)) == 180
    elif role in {"district", "street", "grid", "branch", "committee", "resident"}:
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to perform this action."}
        assert counts() == before
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
        assert counts() == before


def test_organiser_verifies(cast: Cast, client_for: Callable[[Any], APIClient]) -> None:
    h.volunteer(cast)
    organiser = user_with(Role.GRID, cast.a.grid, "organiser")
    activity = h.activity(cast, MARCH, organiser=organiser)
    claim = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=activity, start=activity.start, end=activity.end
    )

    response = client_for(organiser).post(f"{CLAIMS}{claim.pk}/verify/")

    assert response.status_code == 200
    assert response.json()["status"] == "verified"


def test_street_verifies_a_claim_once_flagged(cast: Cast, as_role: Client) -> None:
    claim = pending(cast)
    street = as_role("street")
    assert street.post(f"{CLAIMS}{claim.pk}/verify/").status_code == 403
    Claim.objects.filter(pk=claim.pk).update(flagged_at=timezone.now())

    response = street.post(f"{CLAIMS}{claim.pk}/verify/")

    assert response.status_code == 200
    assert response.json()["status"] == "verified"


def test_long_claim_needs_a_second_different_verifier(cast: Cast, as_role: Client) -> None:
    claim = pending(cast, 8, 13)
    community = as_role("community")

    first = community.post(f"{CLAIMS}{claim.pk}/verify/")
    again = community.post(f"{CLAIMS}{claim.pk}/verify/")

    assert (first.status_code, first.json()["status"], first.json()["needs_second"]) == (
        200,
        "second",
        True,
    )
    assert errors(again) == {"claim": ["A second verifier must be someone else than the first."]}
    assert HourEntry.objects.count() == 0


def test_reject_with_a_reason(cast: Cast, as_role: Client) -> None:
    claim = pending(cast)

    response = as_role("community").post(f"{CLAIMS}{claim.pk}/reject/", {"reason": "未到场"})

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["reason"]) == (claim.pk, "rejected", "未到场")
    assert HourEntry.objects.count() == 0


def test_reject_without_a_reason_or_twice_is_400(cast: Cast, as_role: Client) -> None:
    claim = pending(cast)
    community = as_role("community")

    assert errors(community.post(f"{CLAIMS}{claim.pk}/reject/", {})) == {
        "reason": ["Give the reason."]
    }
    assert errors(community.post(f"{CLAIMS}{claim.pk}/reject/", {"reason": "  "})) == {
        "reason": ["Give the reason."]
    }
    assert community.post(f"{CLAIMS}{claim.pk}/reject/", {"reason": "重复"}).status_code == 200
    assert errors(community.post(f"{CLAIMS}{claim.pk}/reject/", {"reason": "重复"})) == {
        "claim": ["This claim is already Rejected."]
    }
    assert errors(community.post(f"{CLAIMS}{claim.pk}/verify/")) == {
        "claim": ["This claim is already Rejected."]
    }
    claim.refresh_from_db()
    assert (claim.status, claim.reason) == (ClaimStatus.REJECTED, "重复")


@pytest.mark.parametrize("role", [*ROLES, "merchant", "other_district"])
def test_reject_as_each_role(cast: Cast, as_any: Client, role: str) -> None:
    claim = pending(cast)

    response = as_any(role).post(f"{CLAIMS}{claim.pk}/reject/", {"reason": "未到场"})

    if role == "community":
        assert response.status_code == 200
    elif role in BOARD_ROLES:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.status == (ClaimStatus.REJECTED if role == "community" else ClaimStatus.PENDING)


def test_unknown_claim_is_404(cast: Cast, as_role: Client) -> None:
    assert as_role("community").post(f"{CLAIMS}999999/verify/").status_code == 404


# --- Redemptions ------------------------------------------------------------------------------


def ready(cast: Cast, minutes: tuple[tuple[int, int], ...] = ((8, 11), (14, 17))) -> None:
    """Two open bills (86.40), a rate of 10.00 yuan an hour, a pool of 1,000.00 and six hours."""
    h.bills(cast)
    h.rate(cast, "10.00")
    h.pool(cast, "1000.00")
    for offset, (start, end) in enumerate(minutes):
        earn(cast, MARCH + datetime.timedelta(days=offset), start, end)


def test_six_hours_at_ten_yuan_redeem_sixty(cast: Cast, as_role: Client) -> None:
    ready(cast)
    house = cast.a.house
    company = cast.a.company

    response = as_role("resident").post(
        REDEMPTIONS, {"house": house.pk, "minutes": 360, "reference": "R-1"}
    )

    assert response.status_code == 201, response.content
    redemption = Redemption.objects.get()
    assert response.json() == {
        "id": redemption.pk,
        "house": house.pk,
        "reference": "R-1",
        "minutes": 360,
        "yuan_per_hour": "10.00",
        "amount": "60.00",
        "pool": {"id": redemption.pool_id, "name": "甲社区公益金"},
        "receipt": {"number": f"{company.code}-00000001"},
        "year": timezone.localdate().year,
        "on_behalf": False,
    }
    assert Receipt.objects.get().number == f"{company.code}-00000001"
    assert ledger.balance(ledger.household_account(house)) == 0
    assert fee_balance(fee_account(house)) == D("26.40")


def test_a_retried_redemption_redeems_once(cast: Cast, as_role: Client) -> None:
    ready(cast)
    client = as_role("resident")
    body = {"house": cast.a.house.pk, "minutes": 90, "reference": "app-7f3a"}

    first = client.post(REDEMPTIONS, body)
    again = client.post(REDEMPTIONS, body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    redemption = Redemption.objects.get()
    assert (redemption.reference, redemption.amount) == ("app-7f3a", D("15.00"))
    assert Receipt.objects.count() == 1
    assert ledger.balance(ledger.household_account(cast.a.house)) == 360 - 90


def test_a_reference_used_for_other_minutes_is_400(cast: Cast, as_role: Client) -> None:
    ready(cast)
    client = as_role("resident")
    client.post(REDEMPTIONS, {"house": cast.a.house.pk, "minutes": 90, "reference": "app-1"})
    before = counts()

    response = client.post(
        REDEMPTIONS, {"house": cast.a.house.pk, "minutes": 60, "reference": "app-1"}
    )

    assert errors(response) == {
        "reference": [
            "The reference app-1 was already used to redeem 1:30 hours; check the reference."
        ]
    }
    assert counts() == before


def test_community_redeems_on_the_households_behalf(cast: Cast, as_role: Client) -> None:
    ready(cast)

    response = as_role("community").post(
        REDEMPTIONS, {"house": cast.a.house.pk, "minutes": 90, "reference": "R-1"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["on_behalf"]) == ("15.00", True)


@pytest.mark.parametrize("role", [*ROLES, "merchant", "other_district"])
def test_redeem_as_each_role(cast: Cast, as_any: Client, role: str) -> None:
    ready(cast)
    before = counts()

    response = as_any(role).post(
        REDEMPTIONS, {"house": cast.a.house.pk, "minutes": 60, "reference": "R-1"}
    )

    if role in {"resident", "community"}:
        assert response.status_code == 201
        assert response.json()["amount"] == "10.00"
    elif role in BOARD_ROLES:
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to perform this action."}
        assert counts() == before
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
        assert counts() == before


def test_resident_cannot_redeem_the_neighbours_hours(cast: Cast, as_role: Client) -> None:
    ready(cast)

    response = as_role("resident").post(
        REDEMPTIONS, {"house": cast.a.neighbour_house.pk, "minutes": 60, "reference": "R-1"}
    )

    assert response.status_code == 404


def test_redemption_beyond_the_hours_held_is_refused_and_writes_nothing(
    cast: Cast, as_role: Client
) -> None:
    ready(cast)
    before = counts()

    response = as_role("resident").post(
        REDEMPTIONS, {"house": cast.a.house.pk, "minutes": 361, "reference": "R-1"}
    )

    assert errors(response) == {
        "minutes": ["The household holds 6:00 hours (h:mm) that can be redeemed."]
    }
    assert counts() == before


def test_redemption_beyond_the_debt_is_refused_and_writes_nothing(
    cast: Cast, as_role: Client
) -> None:
    ready(cast, ((8, 12), (8, 12), (8, 12)))  # 12 hours: 120.00 yuan, the bills are 86.40
    before = counts()

    response = as_role("resident").post(
        REDEMPTIONS, {"house": cast.a.house.pk, "minutes": 720, "reference": "R-1"}
    )

    assert errors(response) == {
        "minutes": ["120.00 yuan is more than the household owes (86.40 yuan)."]
    }
    assert counts() == before


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "Enter a whole number of minutes, at least 1."),
        (-5, "Enter a whole number of minutes, at least 1."),
    ],
)
def test_redemption_of_no_minutes_is_400(
    cast: Cast, as_role: Client, minutes: int, message: str
) -> None:
    ready(cast)
    before = counts()

    response = as_role("resident").post(
        REDEMPTIONS, {"house": cast.a.house.pk, "minutes": minutes, "reference": "R-1"}
    )

    assert errors(response) == {"minutes": [message]}
    assert counts() == before


def test_redemption_from_a_pool_not_serving_the_house_is_400(cast: Cast, as_role: Client) -> None:
    ready(cast)
    before = counts()

    unknown = as_role("resident").post(
        REDEMPTIONS, {"house": cast.a.house.pk, "minutes": 60, "reference": "R-1", "pool": 999999}
    )

    assert errors(unknown) == {"pool": ["This pool does not serve this household."]}
    assert counts() == before


def test_redemption_bad_body_is_400(cast: Cast, as_role: Client) -> None:
    response = as_role("resident").post(REDEMPTIONS, {"minutes": "many"})

    assert errors(response) == {
        "house": ["This field is required."],
        "minutes": ["A valid integer is required."],
        "reference": ["This field is required."],
    }


# --- Without credentials ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ACTIVITIES),
        ("get", "/api/v1/timebank/accounts/1/"),
        ("post", CLAIMS),
        ("post", f"{CLAIMS}1/verify/"),
        ("post", f"{CLAIMS}1/reject/"),
        ("post", REDEMPTIONS),
    ],
)
def test_anonymous_is_401(cast: Cast, api_client: APIClient, method: str, url: str) -> None:
    before = counts()

    response = getattr(api_client, method)(url, {})

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert counts() == before


def test_session_sign_in_works(cast: Cast, client: Any) -> None:
    h.activity(cast, MARCH)
    client.force_login(cast.users[Role.RESIDENT])

    response = client.get(ACTIVITIES)

    assert response.status_code == 200
    assert response.json()["count"] == 1
