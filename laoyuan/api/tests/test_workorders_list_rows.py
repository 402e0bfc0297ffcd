"""The list builds its rows from plain columns (``api.workorders.list_rows``), not through
``WorkOrderSerializer``: every row must be exactly what the serializer gives for the same order
(the schema documents the serializer), in both languages, for orders with and without a house,
company or team, escalated, rated and overdue."""

import datetime
import json
from typing import Any

import pytest
from django.utils import timezone, translation

from laoyuan.accounts.enums import Role
from laoyuan.api import workorder_serializers as w
from laoyuan.api.tests.test_workorders import URL, Client, advance, report
from laoyuan.api.workorders import actions_for, with_committee
from laoyuan.factories import Cast
from laoyuan.workorders.enums import Status, TeamKind
from laoyuan.workorders.models import Category, Team, WorkOrder
from laoyuan.workorders.queries import orders_for


def _orders(cast: Cast) -> None:
    a = cast.a
    Team.objects.create(
        district=a.street.district,
        street=a.street,
        kind=TeamKind.EMERGENCY,
        name="Street repair station",
    )
    report(cast)  # ordered, the resident's house
    report(cast, by=Role.BRANCH, contact_phone="13812345678")  # no house
    leak = Category.objects.get(code="emergency-leak")
    report(cast, by=Role.BRANCH, house=a.house, category=leak)  # to the street's station
    report(cast, by=Role.GRID, compound=a.other_compound)
    advance(cast, report(cast), Status.RATED)
    late = advance(cast, report(cast), Status.IN_PROGRESS)
    now = timezone.now()
    WorkOrder.objects.filter(pk=late.pk).update(
        escalation=2, resolution_due=now - datetime.timedelta(hours=1)
    )


def _serialized(user: Any) -> list[dict[str, Any]]:
    """The serializer's rows for the user's orders, newest first (as the view used to build
    them)."""
    now = timezone.now()
    orders = list(
        with_committee(orders_for(user).select_related("house__building"), timezone.localdate())
    )
    context = {"now": now, "actions": {o.pk: actions_for(o, user, now) for o in orders}}
    data = w.WorkOrderSerializer(orders, many=True, context=context).data
    parsed: list[dict[str, Any]] = json.loads(json.dumps(data))
    return parsed


# The company sees compound A's orders (it manages A, not A's other compound); the resident
# their household's.
SEEN = {Role.STREET: 6, Role.COMPANY: 5, Role.COMMUNITY: 6, Role.RESIDENT: 4}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", [Role.STREET, Role.COMPANY, Role.COMMUNITY, Role.RESIDENT])
def test_rows_equal_the_serializers(
    cast: Cast, as_role: Client, settings: Any, role: str, language: str
) -> None:
    _orders(cast)
    settings.LANGUAGE_CODE = language  # what the site answers in without a language cookie

    rows = as_role(role).get(URL).json()["results"]
    with translation.override(language):
        expected = _serialized(cast.users[role])

    assert len(rows) == len(expected) == SEEN[role]
    assert rows == expected
    if role == Role.STREET:
        assert {row["team"]["name"] for row in rows if row["team"]} == {"Street repair station"}
        assert any(row["house"] is None for row in rows)
        assert any(row["overdue"] for row in rows)
