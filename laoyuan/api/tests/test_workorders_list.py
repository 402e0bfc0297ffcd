"""The work-order list: scoped per role against the outsider with exact counts, its filters,
no personal data, ``allowed_actions`` equal to the order page's buttons, and a constant number
of queries."""

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.api.tests.test_workorders import URL, Client, advance, report
from laoyuan.factories import Cast, user_with
from laoyuan.workorders.enums import Status
from laoyuan.workorders.models import Category, WorkOrder
from laoyuan.workorders.queries import orders_for
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import available_actions

LIST_FIELDS = [
    "id",
    "status",
    "status_label",
    "category",
    "compound",
    "house",
    "place",
    "channel",
    "description",
    "company",
    "team",
    "created_at",
    "response_due",
    "resolution_due",
    "accepted_at",
    "verified_at",
    "rating",
    "escalation",
    "overdue",
    "allowed_actions",
]


def spread(cast: Cast) -> dict[str, WorkOrder]:
    """Orders across the cast's places: two in compound A (the resident's, and one the branch
    took without a house), one in A's other compound, one in street B, one in the other
    district."""
    repair = Category.objects.get(code="repair")
    b_street = cast.users["outsider"]
    c_street = user_with(Role.STREET, cast.c.street, "c_street")
    return {
        "mine": report(cast),
        "taken": report(cast, by=Role.BRANCH, contact_phone="13812345678", contact_name="Wang"),
        "other_compound": report(cast, by=Role.GRID, compound=cast.a.other_compound),
        "street_b": create_order(
            actor=b_street, compound=cast.b.compound, category=repair, description="B leak"
        ),
        "district_c": create_order(
            actor=c_street, compound=cast.c.compound, category=repair, description="C leak"
        ),
    }


A_ALL = {"mine", "taken", "other_compound"}
A_COMPOUND = {"mine", "taken"}
SEEN: dict[str, set[str]] = {
    Role.DISTRICT: A_ALL | {"street_b"},
    Role.STREET: A_ALL,
    Role.COMMUNITY: A_ALL,
    Role.GRID: A_ALL,
    Role.BRANCH: A_COMPOUND,
    Role.COMPANY: A_COMPOUND,
    Role.COMMITTEE: A_COMPOUND,
    Role.RESIDENT: {"mine"},
    Role.INSPECTOR: set(),
    "outsider": {"street_b"},
    "other_district": {"district_c"},
}


@pytest.mark.parametrize("who", list(SEEN))
def test_each_role_lists_exactly_its_orders(cast: Cast, as_role: Client, who: str) -> None:
    orders = spread(cast)
    names = {order.pk: name for name, order in orders.items()}

    response = as_role(who).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(SEEN[who])
    assert {names[row["id"]] for row in body["results"]} == SEEN[who]
    # Newest first.
    assert [row["id"] for row in body["results"]] == sorted(
        (orders[name].pk for name in SEEN[who]), reverse=True
    )
    for row in body["results"]:
        assert list(row) == LIST_FIELDS
    text = response.content.decode()
    assert "13812345678" not in text
    assert "138****5678" not in text
    assert "Wang" not in text
    assert cast.a.resident_person.name not in text


def test_list_rows_show_the_order(cast: Cast, as_role: Client) -> None:
    order = advance(cast, report(cast), Status.DISPATCHED)

    row = as_role(Role.COMPANY).get(URL).json()["results"][0]

    a = cast.a
    assert row == {
        "id": order.pk,
        "status": "dispatched",
        "status_label": "Dispatched (支部派单)",
        "category": {"code": "repair", "name": "Repair"},
        "compound": {"id": a.compound.pk, "code": a.compound.code, "name": a.compound.name},
        "house": {"id": a.house.pk, "label": a.house.label},
        "place": "Building 1, unit 2",
        "channel": "app",
        "description": "The stairwell light is out",
        "company": {
            "id": a.company.pk,
            "code": a.company.code,
            "name": a.company.name,
            "kind": a.company.kind,
        },
        "team": None,
        "created_at": order.created_at.astimezone().isoformat(),
        "response_due": order.response_due.astimezone().isoformat(),
        "resolution_due": order.resolution_due.astimezone().isoformat(),
        "accepted_at": None,
        "verified_at": None,
        "rating": None,
        "escalation": 0,
        "overdue": False,
        "allowed_actions": ["accept", "return"],
    }


def test_filters(cast: Cast, as_role: Client) -> None:
    orders = spread(cast)
    advance(cast, orders["mine"], Status.DISPATCHED)
    parking = Category.objects.get(code="parking")
    WorkOrder.objects.filter(pk=orders["other_compound"].pk).update(category=parking)
    now = timezone.now()
    WorkOrder.objects.filter(pk=orders["taken"].pk).update(
        created_at=now - datetime.timedelta(days=10),
        response_due=now - datetime.timedelta(days=9),
        resolution_due=now - datetime.timedelta(days=3),
    )
    client = as_role(Role.DISTRICT)
    names = {order.pk: name for name, order in orders.items()}

    def listed(**params: Any) -> set[str]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == len(body["results"])
        return {names[row["id"]] for row in body["results"]}

    assert listed() == {"mine", "taken", "other_compound", "street_b"}
    assert listed(status="dispatched") == {"mine"}
    assert listed(status="ordered") == {"taken", "other_compound", "street_b"}
    assert listed(status="") == listed()
    assert listed(category="parking") == {"other_compound"}
    assert listed(category="repair") == {"mine", "taken", "street_b"}
    assert listed(compound=cast.a.compound.pk) == {"mine", "taken"}
    # Another district's compound lists nothing, not its orders.
    assert listed(compound=cast.c.compound.pk) == set()
    assert listed(company=cast.a.company.pk) == {"mine"}
    assert listed(overdue="true") == {"taken"}
    assert listed(overdue="false") == {"mine", "other_compound", "street_b"}
    day = (now - datetime.timedelta(days=5)).date().isoformat()
    assert listed(created_after=day) == {"mine", "other_compound", "street_b"}
    assert listed(created_before=day) == {"taken"}
    overdue_row = next(
        row for row in client.get(URL).json()["results"] if row["id"] == orders["taken"].pk
    )
    assert overdue_row["overdue"] is True

    bad = client.get(
        URL, {"status": "lost", "compound": "x", "overdue": "maybe", "created_after": "soon"}
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"status", "compound", "overdue", "created_after"}


def _make_orders(cast: Cast, n: int) -> None:
    """``n`` orders in compound A at every step of the path (so every hand's check runs)."""
    targets = [
        Status.ORDERED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.DONE,
        Status.SUPERVISED,
        Status.VERIFIED,
        Status.RATED,
    ]
    for index in range(n):
        advance(cast, report(cast), targets[index % len(targets)])


def _count(client: APIClient) -> tuple[int, dict[str, Any]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries), response.json()


@pytest.mark.parametrize("role", [Role.BRANCH, Role.COMPANY, Role.COMMUNITY, Role.RESIDENT])
def test_list_queries_do_not_grow_with_rows(
    cast: Cast, as_role: Client, role: str, django_assert_num_queries: Any
) -> None:
    _make_orders(cast, 2)
    few, body = _count(as_role(role))
    assert body["count"] == 2

    _make_orders(cast, 18)
    client = as_role(role)
    with django_assert_num_queries(few):
        response = client.get(URL)
    assert response.json()["count"] == 20
    assert len(response.json()["results"]) == 20


# Roles covering both of street A's compounds (and the company, to which the order went).
WIDE = {Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID, Role.COMPANY}
HANDS = {Role.BRANCH, Role.COMPANY, Role.COMMITTEE, Role.COMMUNITY, Role.RESIDENT}


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
        Role.RESIDENT,
    ],
)
def test_allowed_actions_are_the_order_pages_buttons(
    cast: Cast, as_role: Client, role: str
) -> None:
    _make_orders(cast, 7)
    # A done order in a compound without a committee: the community verifies it directly.
    no_committee = report(cast, by=Role.GRID, compound=cast.a.other_compound)
    WorkOrder.objects.filter(pk=no_committee.pk).update(status=Status.DONE, company=cast.a.company)
    user = cast.users[role]

    rows = as_role(role).get(URL).json()["results"]

    seen = orders_for(user)
    assert len(rows) == seen.count() == (8 if role in WIDE else 7)
    by_id = {row["id"]: row["allowed_actions"] for row in rows}
    expected = {order.pk: available_actions(order, user) for order in seen}
    assert by_id == expected
    # Only the five hands have buttons (a street or district office once escalated).
    assert bool(any(by_id.values())) == (role in HANDS)
    if role == Role.COMMUNITY:
        assert "verify" in by_id[no_committee.pk]
