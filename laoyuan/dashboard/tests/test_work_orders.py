"""The overview's ``work_orders``: the same figures in ``dashboard.queries.overview``, the
``overview`` command, the API and the home page's card, scoped like everything else. Orders
from ``workorders.tests.report_orders`` (figures worked out there)."""

import datetime
import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.dashboard.queries import overview
from laoyuan.factories import Cast, as_user
from laoyuan.workorders.enums import Status
from laoyuan.workorders.models import Category
from laoyuan.workorders.tests.report_orders import (
    MARCH,
    SHANGHAI,
    _order,
    build_report_set,
    through,
)

pytestmark = pytest.mark.django_db


def statuses(**counts: int) -> dict[str, int]:
    return {status: counts.get(status, 0) for status in Status.values}


# Side A in March 2026; "now" is after every target, so O3 (in progress) is open and overdue.
SIDE_A = {
    "period": "2026-03",
    "created": 4,
    "open": 1,
    "overdue": 1,
    "by_status": statuses(rated=2, in_progress=1, cancelled=1),
    "response_rate": "0.5000",
    "resolution_rate": "0.4000",
    "satisfaction_rate": "0.6667",
    "avg_hours_to_verify": "104.0",
}
# Side B: one order taken by its street officer, never dispatched.
SIDE_B = {
    "period": "2026-03",
    "created": 1,
    "open": 1,
    "overdue": 1,
    "by_status": statuses(ordered=1),
    "response_rate": "0.0000",
    "resolution_rate": "0.0000",
    "satisfaction_rate": None,
    "avg_hours_to_verify": None,
}
EMPTY = {
    "period": "2026-03",
    "created": 0,
    "open": 0,
    "overdue": 0,
    "by_status": statuses(),
    "response_rate": None,
    "resolution_rate": None,
    "satisfaction_rate": None,
    "avg_hours_to_verify": None,
}
SIDE_A_READERS = [Role.STREET, Role.COMMUNITY, Role.BRANCH, Role.COMPANY, Role.COMMITTEE]


@pytest.fixture
def orders(cast: Cast) -> Any:
    with translation.override("en"):
        return build_report_set(cast, Category.objects.get(code="repair"))


@pytest.mark.parametrize("role", SIDE_A_READERS)
def test_side_a_readers(cast: Cast, orders: Any, role: str) -> None:
    assert overview(user=cast.users[role], period=MARCH)["work_orders"] == SIDE_A


def test_outsider_sees_none_of_street_a(cast: Cast, orders: Any) -> None:
    assert overview(user=cast.users["outsider"], period=MARCH)["work_orders"] == SIDE_B
    assert overview(user=cast.users["other_district"], period=MARCH)["work_orders"] == EMPTY


def test_district_sees_both_streets_and_narrows_to_one(cast: Cast, orders: Any) -> None:
    district = cast.users[Role.DISTRICT]
    figures = overview(user=district, period=MARCH)["work_orders"]
    assert figures == {
        **SIDE_A,
        "created": 5,
        "open": 2,
        "overdue": 2,
        "by_status": statuses(rated=2, in_progress=1, cancelled=1, ordered=1),
        "response_rate": "0.4000",
        "resolution_rate": "0.3333",  # 2 of 6 due (B1 was due 03-10)
    }
    assert overview(user=district, period=MARCH, street_id=cast.a.street.pk)["work_orders"] == (
        SIDE_A
    )
    assert (
        overview(user=district, period=MARCH, community_id=cast.b.community.pk)["work_orders"]
        == SIDE_B
    )
    # Narrowing never widens: the outsider asking for street A gets nothing.
    outsider = overview(user=cast.users["outsider"], period=MARCH, street_id=cast.a.street.pk)
    assert outsider["work_orders"] == EMPTY


@pytest.mark.parametrize("role", [Role.GRID, Role.RESIDENT, Role.INSPECTOR])
def test_roles_without_rates_get_none(cast: Cast, orders: Any, role: str) -> None:
    assert overview(user=cast.users[role], period=MARCH)["work_orders"] is None


def test_other_months_and_the_default(cast: Cast, orders: Any) -> None:
    street = cast.users[Role.STREET]
    april = overview(user=street, period=MARCH.replace(month=4))["work_orders"]
    # Open and overdue are as of now, whatever the month.
    assert april == {**EMPTY, "period": "2026-04", "open": 1, "overdue": 1}
    this_month = overview(user=street)["work_orders"]
    assert this_month["created"] == 0
    assert re.fullmatch(r"\d{4}-\d{2}", this_month["period"])


def test_api_overview_carries_the_figures(cast: Cast, orders: Any) -> None:
    client = APIClient()
    client.force_authenticate(cast.users[Role.STREET])
    body = client.get("/api/v1/overview/", {"period": "2026-03"}).json()
    assert body["work_orders"] == SIDE_A

    client.force_authenticate(cast.users["outsider"])
    assert client.get("/api/v1/overview/", {"period": "2026-03"}).json()["work_orders"] == SIDE_B

    client.force_authenticate(cast.users[Role.GRID])
    assert client.get("/api/v1/overview/", {"period": "2026-03"}).json()["work_orders"] is None


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("overview", *args, stdout=out)
    return out.getvalue()


def test_command_json_and_table(cast: Cast, orders: Any) -> None:
    street = cast.users[Role.STREET].username
    figures = json.loads(_command("--json", "--as", street, "--period", "2026-03"))
    assert figures["work_orders"] == SIDE_A

    lines = _command("--as", street, "--period", "2026-03").splitlines()
    start = lines.index("work orders 2026-03: reported 4, open now 1, overdue now 1")
    assert lines[start + 1 : start + 6] == [
        f"{'response rate':<24}{'50.00%':>10}",
        f"{'resolution rate':<24}{'40.00%':>10}",
        f"{'satisfaction rate':<24}{'66.67%':>10}",
        f"{'hours to verify (mean)':<24}{'104.0':>10}",
        "reported, by status now: in_progress 1, rated 2, cancelled 1",
    ]
    outsider = _command("--as", cast.users["outsider"].username, "--period", "2026-03")
    assert "work orders 2026-03: reported 1, open now 1, overdue now 1" in outsider.splitlines()
    grid = _command("--as", cast.users[Role.GRID].username, "--period", "2026-03")
    assert "work orders" not in grid


def card(html: str) -> dict[str, str] | None:
    match = re.search(r"<section[^>]*data-work-orders>(.*?)</section>", html, re.S)
    if match is None:
        return None
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', match.group(1)))


def test_home_page_card(cast: Cast, orders: Any) -> None:
    """The home page shows this month: nothing reported yet, O3 still open and overdue."""
    html = as_user(cast.users[Role.STREET]).get("/").content.decode()
    assert card(html) == {
        "created": "0",
        "open": "1",
        "overdue": "1",
        "response_rate": "—",
        "resolution_rate": "—",
        "satisfaction_rate": "—",
        "avg_hours_to_verify": "—",
    }
    assert "/workorders/reports/?period=" in html
    outsider = card(as_user(cast.users["outsider"]).get("/").content.decode())
    assert outsider is not None and (outsider["open"], outsider["overdue"]) == ("1", "1")
    assert card(as_user(cast.users[Role.GRID]).get("/").content.decode()) is None
    assert card(as_user(cast.users[Role.RESIDENT]).get("/").content.decode()) is None


def test_home_page_card_in_percent(cast: Cast, orders: Any) -> None:
    from django.utils import timezone

    from laoyuan.workorders.services.orders import create_order
    from laoyuan.workorders.tests.report_orders import through

    now = timezone.now()
    with translation.override("en"):
        for _ in range(3):
            create_order(
                actor=cast.users[Role.RESIDENT],
                compound=cast.a.compound,
                house=cast.a.house,
                category=Category.objects.get(code="repair"),
                description="灯不亮",
                now=now,
            )
        through(
            cast,
            create_order(
                actor=cast.users[Role.RESIDENT],
                compound=cast.a.compound,
                house=cast.a.house,
                category=Category.objects.get(code="repair"),
                description="门坏了",
                now=now,
            ),
            accepted=now,
        )
    html = as_user(cast.users[Role.COMMITTEE]).get("/").content.decode()
    assert card(html) == {
        "created": "4",
        "open": "5",
        "overdue": "1",
        "response_rate": "25.00%",
        "resolution_rate": "—",
        "satisfaction_rate": "—",
        "avg_hours_to_verify": "—",
    }


def test_the_trend_and_the_gain_in_handling_time(cast: Cast, orders: Any) -> None:
    """One more order verified in May 2025 after 312 hours: the twelve months to March 2026 run
    from April 2025, whose first quarter verified it (312.0 h) and whose last verified O1, O2
    and O5 (104.0 h): (312 − 104) ÷ 312 = 0.6667 faster."""
    early = datetime.datetime(2025, 5, 5, 9, tzinfo=SHANGHAI)
    with translation.override("en"):
        late = through(
            cast,
            _order(cast, Category.objects.get(code="repair"), early, "屋顶漏雨"),
            accepted=early + datetime.timedelta(hours=2),
            verified=early + datetime.timedelta(hours=312),
        )
    assert late.status == Status.VERIFIED

    trend = overview(user=cast.users[Role.DISTRICT], period=MARCH)["trends"]["work_orders"]

    assert [m["period"] for m in trend["months"]] == [
        "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09",
        "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
    ]  # fmt: skip
    assert trend["months"][1] == {
        "period": "2025-05",
        "created": 1,
        "resolution_rate": "0.0000",
        "avg_hours_to_verify": "312.0",
    }
    assert trend["months"][-1] == {
        "period": "2026-03",
        "created": 5,
        "resolution_rate": "0.3333",
        "avg_hours_to_verify": "104.0",
    }
    assert trend["handling"] == {
        "first": {"period": "2025-04_2025-06", "verified": 1, "avg_hours_to_verify": "312.0"},
        "last": {"period": "2026-01_2026-03", "verified": 3, "avg_hours_to_verify": "104.0"},
        "gain": "0.6667",
    }
    # Side B's street sees none of it.
    street_b = overview(user=cast.users["outsider"], period=MARCH)["trends"]["work_orders"]
    assert street_b["handling"]["gain"] is None
    assert sum(m["created"] for m in street_b["months"]) == 1
