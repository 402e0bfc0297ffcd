"""The work-order API — report, read, take a step — as each role and as an outsider: exact
bodies, exact timelines, and every refusal changing nothing."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.factories import Cast, user_with
from laoyuan.workorders.enums import Action, Status
from laoyuan.workorders.models import Category, Event, Photo, WorkOrder
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import transition

Client = Callable[[str], APIClient]
URL = "/api/v1/work-orders/"

# The five-step path: who takes each step, with what, and the status it reaches.
PATH: list[tuple[str, str, dict[str, Any], str]] = [
    (Role.BRANCH, Action.DISPATCH, {}, Status.DISPATCHED),
    (Role.COMPANY, Action.ACCEPT, {}, Status.ACCEPTED),
    (Role.COMPANY, Action.START, {}, Status.IN_PROGRESS),
    (Role.COMPANY, Action.FINISH, {"note": "Replaced the bulb"}, Status.DONE),
    (Role.COMMITTEE, Action.SUPERVISE, {}, Status.SUPERVISED),
    (Role.COMMUNITY, Action.VERIFY, {}, Status.VERIFIED),
    (Role.RESIDENT, Action.RATE, {"rating": 5}, Status.RATED),
    (Role.COMMUNITY, Action.CLOSE, {}, Status.CLOSED),
]


def photo_file(name: str = "leak.jpg", size: tuple[int, int] = (32, 24)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def report(cast: Cast, *, by: str = Role.RESIDENT, **kwargs: Any) -> WorkOrder:
    """An order in compound A through the service: the resident's for their house by default."""
    fields: dict[str, Any] = {
        "compound": cast.a.compound,
        "category": Category.objects.get(code="repair"),
        "description": "The stairwell light is out",
        "place": "Building 1, unit 2",
    }
    if by == Role.RESIDENT:
        fields["house"] = cast.a.house
    fields.update(kwargs)
    return create_order(actor=cast.users[by], **fields)


def advance(cast: Cast, order: WorkOrder, to: str) -> WorkOrder:
    """Take the order along the five-step path until it reaches ``to``."""
    for role, action, extra, status in PATH:
        if order.status == to:
            break
        order = transition(order_id=order.pk, actor=cast.users[role], action=action, **extra)
        assert order.status == status
    assert order.status == to
    return order


def state(order: WorkOrder) -> tuple[str, int, int]:
    """What a refused step must leave alone: status, timeline length, photos."""
    order.refresh_from_db()
    return order.status, Event.objects.filter(order=order).count(), Photo.objects.count()


def step(client: APIClient, order: WorkOrder, **data: Any) -> Any:
    return client.post(f"{URL}{order.pk}/transition/", data, format="json")


def company_ref(cast: Cast) -> dict[str, Any]:
    company = cast.a.company
    return {"id": company.pk, "code": company.code, "name": company.name, "kind": company.kind}


# --- Create -----------------------------------------------------------------------------------


def test_resident_reports_for_their_own_house(cast: Cast, as_role: Client) -> None:
    a = cast.a
    response = as_role(Role.RESIDENT).post(
        URL,
        {
            "compound": a.compound.pk,
            "house": a.house.pk,
            "category": "repair",
            "description": "  The stairwell light is out  ",
            "place": "Building 1, unit 2",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get()
    assert (order.requester, order.reported_by, order.house, order.channel) == (
        cast.users[Role.RESIDENT],
        None,
        a.house,
        "app",
    )
    body = response.json()
    assert body == {
        "id": order.pk,
        "status": "ordered",
        "status_label": "Ordered (业主点单)",
        "category": {"code": "repair", "name": "Repair"},
        "compound": {"id": a.compound.pk, "code": a.compound.code, "name": a.compound.name},
        "house": {"id": a.house.pk, "label": a.house.label},
        "place": "Building 1, unit 2",
        "channel": "app",
        "description": "The stairwell light is out",
        "company": None,
        "team": None,
        "created_at": body["created_at"],
        "response_due": body["response_due"],
        "resolution_due": body["resolution_due"],
        "accepted_at": None,
        "verified_at": None,
        "rating": None,
        "escalation": 0,
        "overdue": False,
        "allowed_actions": ["cancel"],
        "dispatched_at": None,
        "done_at": None,
        "supervised_at": None,
        "rated_at": None,
        "closed_at": None,
        "responsible": "",
        "duplicate_of": None,
        "reopened": 0,
        "contact_phone": None,
        "photos": [],
        "timeline": [
            {
                "id": Event.objects.get().pk,
                "action": "create",
                "action_label": "Reported",
                "from_status": "",
                "to_status": "ordered",
                "role": "resident",
                "on_behalf": False,
                "actor": None,
                "at": body["created_at"],
                "note": "",
                "data": {"channel": "app"},
                "photos": [],
            }
        ],
    }
    assert body["created_at"] == order.created_at.astimezone().isoformat()


@pytest.mark.parametrize(
    "role,channel,actions",
    [
        (Role.BRANCH, "phone", ["dispatch", "mark_duplicate", "not_ours", "cancel"]),
        (Role.GRID, "grid", ["cancel"]),
        (Role.COMPANY, "phone", ["cancel"]),
        (Role.COMMUNITY, "phone", ["cancel"]),
    ],
)
def test_staff_take_an_order_on_a_residents_behalf(
    cast: Cast, as_role: Client, role: str, channel: str, actions: list[str]
) -> None:
    response = as_role(role).post(
        URL,
        {"compound": cast.a.compound.pk, "category": "repair", "description": "Gate broken"},
        format="json",
    )

    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get()
    staff = cast.users[role]
    assert (order.requester, order.reported_by, order.house, order.channel) == (
        None,
        staff,
        None,
        channel,
    )
    body = response.json()
    assert (body["status"], body["channel"], body["house"], body["allowed_actions"]) == (
        "ordered",
        channel,
        None,
        actions,
    )
    assert [
        (e["action"], e["role"], e["on_behalf"], e["actor"], e["data"]) for e in body["timeline"]
    ] == [("create", role, True, staff.display_name, {"channel": channel})]


def test_staff_may_name_the_household_and_the_channel(cast: Cast, as_role: Client) -> None:
    response = as_role(Role.COMMUNITY).post(
        URL,
        {
            "compound": cast.a.compound.pk,
            "house": cast.a.neighbour_house.pk,
            "category": "parking",
            "description": "A car blocks the fire lane",
            "channel": "service_centre",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get()
    assert (order.house, order.channel, order.category.code, order.reported_by) == (
        cast.a.neighbour_house,
        "service_centre",
        "parking",
        cast.users[Role.COMMUNITY],
    )


def test_an_emergency_goes_straight_to_its_station(cast: Cast, as_role: Client) -> None:
    from laoyuan.workorders.enums import TeamKind
    from laoyuan.workorders.models import Team

    a = cast.a
    station = Team.objects.create(
        district=a.street.district,
        street=a.street,
        company=a.company,
        kind=TeamKind.EMERGENCY,
        name="Emergency repair station",
    )
    response = as_role(Role.RESIDENT).post(
        URL,
        {
            "compound": a.compound.pk,
            "house": a.house.pk,
            "category": "emergency-leak",
            "description": "Water through the ceiling",
            "photos": [photo_file()],
        },
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["company"], body["team"]) == (
        "dispatched",
        company_ref(cast),
        {"id": station.pk, "name": "Emergency repair station", "kind": "emergency"},
    )
    assert [(e["action"], e["role"], len(e["photos"])) for e in body["timeline"]] == [
        ("create", "resident", 1),
        ("dispatch", "system", 0),
    ]


def test_resident_reporting_for_a_neighbours_house_is_a_404(cast: Cast, as_role: Client) -> None:
    client = as_role(Role.RESIDENT)
    data = {"compound": cast.a.compound.pk, "category": "repair", "description": "Leak"}

    neighbour = client.post(URL, {**data, "house": cast.a.neighbour_house.pk}, format="json")
    elsewhere = client.post(
        URL, {**data, "compound": cast.b.compound.pk, "house": cast.a.house.pk}, format="json"
    )
    missing = client.post(URL, {**data, "house": 10**9}, format="json")

    for response in (neighbour, elsewhere, missing):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert WorkOrder.objects.count() == 0
    assert Event.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider", "other_district"])
def test_outsiders_reporting_in_compound_a_get_404(cast: Cast, as_role: Client, who: str) -> None:
    response = as_role(who).post(
        URL,
        {"compound": cast.a.compound.pk, "category": "repair", "description": "Leak"},
        format="json",
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert WorkOrder.objects.count() == 0


def test_in_scope_but_not_a_reporter_is_a_403(cast: Cast, as_role: Client) -> None:
    data = {"compound": cast.a.compound.pk, "category": "repair", "description": "Leak"}
    # An inspector sees the compound but takes no orders; a resident reports only for a house.
    inspector = as_role(Role.INSPECTOR).post(URL, data, format="json")
    resident = as_role(Role.RESIDENT).post(URL, data, format="json")

    for response in (inspector, resident):
        assert response.status_code == 403
        assert response.json() == {"detail": "You may not report problems for this compound."}
    assert WorkOrder.objects.count() == 0


def test_invalid_reports_answer_400_by_field(cast: Cast, as_role: Client) -> None:
    client = as_role(Role.RESIDENT)
    base = {"compound": cast.a.compound.pk, "house": cast.a.house.pk, "description": "Leak"}

    def errors(data: dict[str, Any]) -> dict[str, list[str]]:
        response = client.post(URL, data, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["detail"] == "Invalid input."
        result: dict[str, list[str]] = response.json()["errors"]
        return result

    assert errors({**base, "category": "flying"}) == {
        "category": ["No such category (service code)."]
    }
    assert errors({**base, "category": "repair", "description": "   "}) == {
        "description": ["This field may not be blank."]
    }
    assert errors({**base, "category": "repair", "channel": "open311"}) == {
        "channel": ["Open311 requests come through /open311/v2/."]
    }
    assert errors({**base, "category": "emergency-leak"}) == {
        "photos": ["This category needs a photo of the problem."]
    }
    assert errors({"category": "repair"}) == {
        "compound": ["This field is required."],
        "description": ["This field is required."],
    }
    assert WorkOrder.objects.count() == 0


def test_anonymous_gets_401(cast: Cast, api_client: APIClient) -> None:
    order = report(cast)
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"{URL}{order.pk}/").status_code == 401
    assert api_client.post(URL, {}, format="json").status_code == 401
    response = step(api_client, order, action="cancel")
    assert response.status_code == 401
    assert state(order) == ("ordered", 1, 0)


# --- Photos -----------------------------------------------------------------------------------


def test_multipart_photos_are_stored_cleaned(cast: Cast, as_role: Client) -> None:
    response = as_role(Role.RESIDENT).post(
        URL,
        {
            "compound": cast.a.compound.pk,
            "house": cast.a.house.pk,
            "category": "repair",
            "description": "Cracked window",
            "photos": [photo_file("one.jpg"), photo_file("two.jpg", (10, 40))],
        },
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    photos = list(Photo.objects.order_by("id"))
    expected = [
        {
            "id": photo.pk,
            "url": f"/api/v1/work-orders/photos/{photo.pk}/",
            "content_type": "image/jpeg",
            "width": width,
            "height": height,
        }
        for photo, (width, height) in zip(photos, [(32, 24), (10, 40)], strict=True)
    ]
    assert body["photos"] == expected
    assert body["timeline"][0]["photos"] == expected
    # The scoped photo view serves them to the order's readers only.
    assert as_role(Role.RESIDENT).get(expected[0]["url"]).status_code == 200
    assert as_role("outsider").get(expected[0]["url"]).status_code == 404
    assert {photo.event.action for photo in photos} == {"create"}


def test_a_file_that_is_not_an_image_is_a_400_naming_photos(cast: Cast, as_role: Client) -> None:
    text = SimpleUploadedFile("notes.txt", b"not a picture", content_type="text/plain")
    response = as_role(Role.RESIDENT).post(
        URL,
        {
            "compound": cast.a.compound.pk,
            "house": cast.a.house.pk,
            "category": "repair",
            "description": "Cracked window",
            "photos": [photo_file(), text],
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {"photos": ["notes.txt is not a photo (JPEG, PNG or WebP)."]},
    }
    assert (WorkOrder.objects.count(), Event.objects.count(), Photo.objects.count()) == (0, 0, 0)


def test_finishing_with_photos_through_multipart(cast: Cast, as_role: Client) -> None:
    order = advance(cast, report(cast), Status.IN_PROGRESS)
    response = as_role(Role.COMPANY).post(
        f"{URL}{order.pk}/transition/",
        {"action": "finish", "note": "Glass replaced", "photos": [photo_file("after.jpg")]},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    finish = body["timeline"][-1]
    photo = Photo.objects.get()
    assert (finish["action"], finish["note"], finish["photos"]) == (
        "finish",
        "Glass replaced",
        [
            {
                "id": photo.pk,
                "url": f"/api/v1/work-orders/photos/{photo.pk}/",
                "content_type": "image/jpeg",
                "width": 32,
                "height": 24,
            }
        ],
    )
    assert body["status"] == "done"

    bad = SimpleUploadedFile("after.jpg", b"GIF89a broken", content_type="image/jpeg")
    other = advance(cast, report(cast), Status.IN_PROGRESS)
    before = state(other)
    refused = as_role(Role.COMPANY).post(
        f"{URL}{other.pk}/transition/",
        {"action": "finish", "note": "Glass replaced", "photos": [bad]},
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"photos": ["after.jpg is not a photo (JPEG, PNG or WebP)."]}
    assert state(other) == before


# --- Detail and timeline ----------------------------------------------------------------------


def test_the_five_steps_through_the_api(cast: Cast, as_role: Client) -> None:
    order = report(cast)
    for role, action, extra, status in PATH:
        response = step(as_role(role), order, action=action, **extra)
        assert response.status_code == 200, (action, response.content)
        assert response.json()["status"] == status
    order.refresh_from_db()
    assert (order.status, order.rating, order.company) == ("closed", 5, cast.a.company)


def _timeline(cast: Cast) -> tuple[WorkOrder, list[tuple[str, str, str, str, bool, str, Any]]]:
    order = advance(cast, report(cast), Status.RATED)
    users = cast.users
    expected = [
        ("create", "", "ordered", "resident", False, "", {"channel": "app"}),
        (
            "dispatch",
            "ordered",
            "dispatched",
            "branch",
            False,
            "",
            {"company": cast.a.company.pk, "team": None},
        ),
        ("accept", "dispatched", "accepted", "company", False, "", {}),
        ("start", "accepted", "in_progress", "company", False, "", {}),
        ("finish", "in_progress", "done", "company", False, "Replaced the bulb", {}),
        ("supervise", "done", "supervised", "committee", False, "", {}),
        ("verify", "supervised", "verified", "community", False, "", {}),
        ("rate", "verified", "rated", "resident", False, "", {"rating": 5}),
    ]
    actors = [users[e[3]] for e in expected]
    return order, [(*e, actor) for e, actor in zip(expected, actors, strict=True)]


def test_timeline_names_actors_to_staff_only(cast: Cast, as_role: Client) -> None:
    order, expected = _timeline(cast)
    events = list(Event.objects.filter(order=order).order_by("at", "id"))

    def rows(body: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (
                e["action"],
                e["from_status"],
                e["to_status"],
                e["role"],
                e["on_behalf"],
                e["note"],
                e["data"],
                e["actor"],
                e["id"],
                e["at"],
                e["photos"],
            )
            for e in body["timeline"]
        ]

    def wanted(named: bool) -> list[tuple[Any, ...]]:
        return [
            (
                *row[:7],
                row[7].display_name if named else None,
                e.pk,
                e.at.astimezone().isoformat(),
                [],
            )
            for row, e in zip(expected, events, strict=True)
        ]

    community = as_role(Role.COMMUNITY).get(f"{URL}{order.pk}/")
    resident = as_role(Role.RESIDENT).get(f"{URL}{order.pk}/")

    assert community.status_code == resident.status_code == 200
    assert rows(community.json()) == wanted(named=True)
    assert rows(resident.json()) == wanted(named=False)
    assert community.json()["allowed_actions"] == ["close"]
    assert resident.json()["allowed_actions"] == []
    assert resident.json()["rating"] == 5


def test_contact_phone_is_masked_and_only_for_staff(cast: Cast, as_role: Client) -> None:
    order = report(cast, by=Role.BRANCH, house=cast.a.house, contact_phone="13812345678")

    branch = as_role(Role.BRANCH).get(f"{URL}{order.pk}/").json()
    resident = as_role(Role.RESIDENT).get(f"{URL}{order.pk}/").json()

    assert branch["contact_phone"] == "138****5678"
    assert resident["contact_phone"] is None
    assert "13812345678" not in str(branch) + str(resident)


VIEWERS = [Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID, Role.BRANCH, Role.COMPANY]


@pytest.mark.parametrize("who", ["outsider", "other_district", Role.INSPECTOR])
def test_out_of_scope_detail_and_transition_are_404(cast: Cast, as_role: Client, who: str) -> None:
    order = report(cast)
    client = as_role(who)

    detail = client.get(f"{URL}{order.pk}/")
    acted = step(client, order, action="dispatch")
    junk = step(client, order, action="fly")

    for response in (detail, acted, junk):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert state(order) == ("ordered", 1, 0)


def test_a_missing_order_is_404(cast: Cast, as_role: Client) -> None:
    assert as_role(Role.DISTRICT).get(f"{URL}999999/").status_code == 404
    assert step(as_role(Role.DISTRICT), WorkOrder(pk=999999), action="cancel").status_code == 404


def test_a_neighbour_sees_nothing_of_the_order(cast: Cast, as_role: Client) -> None:
    order = report(cast)
    neighbour = user_with(Role.RESIDENT, cast.a.neighbour_house, "neighbour")
    client = as_role(Role.RESIDENT)
    client.force_authenticate(neighbour)

    assert client.get(f"{URL}{order.pk}/").status_code == 404
    assert step(client, order, action="cancel").status_code == 404
    assert client.get(URL).json()["count"] == 0
    assert state(order) == ("ordered", 1, 0)


# --- Refusals ---------------------------------------------------------------------------------


# (the status the order is brought to, the action, the roles that see it but may not act)
WRONG_HANDS = [
    (
        Status.ORDERED,
        Action.DISPATCH,
        [
            Role.DISTRICT,
            Role.STREET,
            Role.COMMUNITY,
            Role.GRID,
            Role.COMPANY,
            Role.COMMITTEE,
            Role.RESIDENT,
        ],
    ),
    (
        Status.DISPATCHED,
        Action.ACCEPT,
        [Role.DISTRICT, Role.COMMUNITY, Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT],
    ),
    (Status.IN_PROGRESS, Action.FINISH, [Role.BRANCH, Role.COMMITTEE, Role.RESIDENT]),
    (
        Status.DONE,
        Action.SUPERVISE,
        [Role.COMPANY, Role.BRANCH, Role.COMMUNITY, Role.RESIDENT, Role.STREET],
    ),
    (Status.SUPERVISED, Action.VERIFY, [Role.RESIDENT, Role.COMPANY, Role.COMMITTEE]),
    (Status.VERIFIED, Action.RATE, [Role.COMMUNITY, Role.COMPANY, Role.BRANCH]),
    (Status.RATED, Action.CLOSE, [Role.RESIDENT, Role.COMPANY, Role.COMMITTEE]),
    (Status.ORDERED, Action.CANCEL, [Role.BRANCH, Role.COMPANY, Role.COMMUNITY]),
]


@pytest.mark.parametrize(
    "status,action,role",
    [(status, action, role) for status, action, roles in WRONG_HANDS for role in roles],
)
def test_each_wrong_hand_gets_403_and_changes_nothing(
    cast: Cast, as_role: Client, status: str, action: str, role: str
) -> None:
    order = advance(cast, report(cast), status)
    before = state(order)
    extra = {"note": "Done", "rating": 5}

    response = step(as_role(role), order, action=action, **extra)

    assert response.status_code == 403, response.content
    assert response.json() == {"detail": f"You may not {action} this order."}
    assert state(order) == before
    assert before[0] == status


def test_a_committee_member_may_not_supervise_their_own_order(cast: Cast, as_role: Client) -> None:
    order = report(cast, by=Role.RESIDENT)
    member = cast.users[Role.COMMITTEE]
    WorkOrder.objects.filter(pk=order.pk).update(requester=member)
    order = advance(cast, order, Status.DONE)
    before = state(order)

    response = step(as_role(Role.COMMITTEE), order, action="supervise")

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not supervise or verify an order you asked for."}
    assert state(order) == before


def test_not_allowed_from_this_status_is_a_409_naming_the_allowed(
    cast: Cast, as_role: Client
) -> None:
    order = report(cast)

    response = step(as_role(Role.COMPANY), order, action="accept")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "“accept” is not allowed while the order is Ordered (业主点单). "
        "Allowed: dispatch, mark_duplicate, not_ours, cancel.",
        "status": "ordered",
        "allowed": ["dispatch", "mark_duplicate", "not_ours", "cancel"],
    }
    assert state(order) == ("ordered", 1, 0)


def test_verifying_before_the_committee_supervised_is_a_409(cast: Cast, as_role: Client) -> None:
    order = advance(cast, report(cast), Status.DONE)
    before = state(order)

    response = step(as_role(Role.COMMUNITY), order, action="verify")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The compound's committee supervises the work before it is verified.",
        "status": "done",
        "allowed": ["supervise", "send_back"],
    }
    assert state(order) == before


def test_invalid_steps_answer_400_by_field(cast: Cast, as_role: Client) -> None:
    order = advance(cast, report(cast), Status.IN_PROGRESS)
    before = state(order)
    company = as_role(Role.COMPANY)

    def errors(**data: Any) -> dict[str, list[str]]:
        response = step(company, order, **data)
        assert response.status_code == 400, response.content
        result: dict[str, list[str]] = response.json()["errors"]
        return result

    assert errors(action="fly") == {"action": ['"fly" is not a valid choice.']}
    assert errors(action="escalate") == {"action": ['"escalate" is not a valid choice.']}
    assert errors() == {"action": ["This field is required."]}
    assert errors(action="finish") == {"note": ["Describe the work done."]}
    assert errors(action="finish", note="   ") == {"note": ["Describe the work done."]}
    assert state(order) == before

    rated = advance(cast, report(cast), Status.VERIFIED)
    response = step(as_role(Role.RESIDENT), rated, action="rate", rating=9)
    assert response.status_code == 400
    assert response.json()["errors"] == {"rating": ["Give a rating from 1 to 5."]}
    assert state(rated)[0] == "verified"


def test_dispatch_defaults_to_the_managing_company_and_transfer_moves_it(
    cast: Cast, as_role: Client
) -> None:
    order = report(cast)
    branch = as_role(Role.BRANCH)

    dispatched = step(branch, order, action="dispatch")
    same = step(branch, order, action="transfer")
    elsewhere = step(branch, order, action="transfer", company=cast.c.company.pk)

    assert dispatched.status_code == 200
    assert dispatched.json()["company"] == company_ref(cast)
    assert dispatched.json()["allowed_actions"] == ["transfer", "mark_duplicate", "not_ours"]
    assert same.status_code == 400
    assert same.json()["errors"] == {"company": ["The order is already with this company or team."]}
    assert elsewhere.status_code == 400
    assert elsewhere.json()["errors"] == {"company": ["No such company in this district."]}
    assert state(order) == ("dispatched", 2, 0)


def test_mark_duplicate_and_cancel(cast: Cast, as_role: Client) -> None:
    first = report(cast)
    second = report(cast)

    duplicate = step(as_role(Role.BRANCH), second, action="mark_duplicate", duplicate_of=first.pk)
    cancelled = step(as_role(Role.RESIDENT), first, action="cancel")

    assert duplicate.status_code == 200
    assert (duplicate.json()["status"], duplicate.json()["duplicate_of"]) == (
        "duplicate",
        first.pk,
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["allowed_actions"]) == ("cancelled", [])


def test_reopen_within_the_window_after_a_poor_rating(cast: Cast, as_role: Client) -> None:
    poor = advance(cast, report(cast), Status.VERIFIED)
    good = advance(cast, report(cast), Status.RATED)  # rated 5 on the path
    resident = as_role(Role.RESIDENT)

    rated = resident.post(
        f"{URL}{poor.pk}/transition/",
        {"action": "rate", "rating": "2", "note": "Still flickers"},
        format="multipart",
    )
    assert rated.status_code == 200, rated.content
    assert (rated.json()["rating"], rated.json()["allowed_actions"]) == (2, ["reopen"])
    reopened = step(resident, poor, action="reopen")
    refused = step(resident, good, action="reopen")

    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["reopened"]) == ("dispatched", 1)
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Only an order rated 2 or less may be reopened, within 7 days of rating.",
        "status": "rated",
        "allowed": ["close"],
    }
    assert state(good)[:2] == ("rated", 8)


def test_the_community_dispatches_an_escalated_order(cast: Cast, as_role: Client) -> None:
    order = report(cast)
    community = as_role(Role.COMMUNITY)
    assert step(community, order, action="dispatch").status_code == 403
    WorkOrder.objects.filter(pk=order.pk).update(escalation=1)

    listed = community.get(URL).json()["results"][0]["allowed_actions"]
    response = step(community, order, action="dispatch")

    assert listed == ["dispatch", "mark_duplicate", "not_ours"]
    assert response.status_code == 200
    assert response.json()["timeline"][-1]["role"] == "community"


def test_a_signed_in_browser_session_works_with_csrf(cast: Cast) -> None:
    order = report(cast)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.users[Role.RESIDENT])

    listed = client.get(URL)
    without_token = step(client, order, action="cancel")

    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert without_token.status_code == 403
    assert state(order) == ("ordered", 1, 0)


def test_dispatch_to_a_streets_team_which_the_street_then_accepts(
    cast: Cast, as_role: Client
) -> None:
    from laoyuan.workorders.enums import TeamKind
    from laoyuan.workorders.models import Team

    a, b = cast.a, cast.b
    volunteers = Team.objects.create(
        district=a.street.district, street=a.street, kind=TeamKind.VOLUNTEER, name="Volunteers"
    )
    theirs = Team.objects.create(
        district=b.street.district, street=b.street, kind=TeamKind.VOLUNTEER, name="B team"
    )
    order = report(cast)
    branch, street = as_role(Role.BRANCH), as_role(Role.STREET)

    wrong = step(branch, order, action="dispatch", team=theirs.pk)
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {"team": ["No such team in this order's street."]}
    dispatched = step(branch, order, action="dispatch", team=volunteers.pk)
    assert dispatched.status_code == 200
    assert (dispatched.json()["company"], dispatched.json()["team"]) == (
        None,
        {"id": volunteers.pk, "name": "Volunteers", "kind": "volunteer"},
    )
    assert street.get(URL).json()["results"][0]["allowed_actions"] == ["accept", "return"]
    accepted = step(street, order, action="accept")

    assert accepted.status_code == 200
    assert [(e["action"], e["role"], e["data"]) for e in accepted.json()["timeline"][1:]] == [
        ("dispatch", "branch", {"company": None, "team": volunteers.pk}),
        ("accept", "street", {}),
    ]
