"""The overview's ``timebank``: the same figures in ``dashboard.queries.overview``, the
``overview`` command, the API and the home page's card, scoped like everything else. The data
is ``timebank.tests.test_reports``'s hand-built set (figures worked out there)."""

import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.factories import Cast, as_user
from laoyuan.timebank.tests.helpers import wide_claim_window  # noqa: F401  (autouse fixture)
from laoyuan.timebank.tests.test_reports import build

pytestmark = pytest.mark.django_db

SIDE_A = {
    "period": "2026-03",
    "volunteer_orgs": 1,
    "volunteers": 2,
    "minutes_verified": 480,
    "offsets_yuan": "0.00",
    "pool_balance": "970.00",
}
SIDE_B = {
    "period": "2026-03",
    "volunteer_orgs": 1,
    "volunteers": 1,
    "minutes_verified": 120,
    "offsets_yuan": "0.00",
    "pool_balance": "500.00",
}


@pytest.fixture
def data(cast: Cast) -> Any:
    return build(cast)


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("overview", *args, stdout=out)
    return out.getvalue()


def test_command_json_and_table(cast: Cast, data: Any) -> None:
    street = cast.users[Role.STREET].username
    figures = json.loads(_command("--json", "--as", street, "--period", "2026-03"))
    assert figures["timebank"] == SIDE_A

    lines = _command("--as", street, "--period", "2026-04").splitlines()
    start = lines.index("time bank 2026-04: 1 volunteer organisations, 2 volunteers")
    assert lines[start + 1 : start + 4] == [
        f"{'hours verified':<24}{'0:00':>10}",
        f"{'offsets (yuan)':<24}{'30.00':>10}",
        f"{'left in pools (yuan)':<24}{'970.00':>10}",
    ]
    outsider = _command("--as", cast.users["outsider"].username, "--period", "2026-03")
    assert "time bank 2026-03: 1 volunteer organisations, 1 volunteers" in outsider.splitlines()
    assert f"{'hours verified':<24}{'2:00':>10}" in outsider.splitlines()
    grid = _command("--as", cast.users[Role.GRID].username, "--period", "2026-03")
    assert "time bank" not in grid
    # The whole installation (no --as) counts both streets.
    whole = json.loads(_command("--json", "--period", "2026-03"))
    assert whole["timebank"] == {
        **SIDE_A,
        "volunteer_orgs": 2,
        "volunteers": 3,
        "minutes_verified": 600,
        "pool_balance": "1470.00",
    }


def test_api_overview_carries_the_figures(cast: Cast, data: Any) -> None:
    client = APIClient()
    client.force_authenticate(cast.users[Role.COMMUNITY])
    assert client.get("/api/v1/overview/", {"period": "2026-03"}).json()["timebank"] == SIDE_A

    client.force_authenticate(cast.users["outsider"])
    assert client.get("/api/v1/overview/", {"period": "2026-03"}).json()["timebank"] == SIDE_B

    for role in (Role.GRID, Role.RESIDENT, Role.COMPANY):
        client.force_authenticate(cast.users[role])
        assert client.get("/api/v1/overview/", {"period": "2026-03"}).json()["timebank"] is None


def test_api_schema_documents_the_figures() -> None:
    from laoyuan.api.serializers import OverviewSerializer

    fields = OverviewSerializer().fields["timebank"].fields
    assert list(fields) == [
        "period",
        "volunteer_orgs",
        "volunteers",
        "minutes_verified",
        "offsets_yuan",
        "pool_balance",
    ]


def card(html: str) -> dict[str, str] | None:
    match = re.search(r"<section[^>]*data-timebank>(.*?)</section>", html, re.S)
    if match is None:
        return None
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', match.group(1)))


def test_home_page_card(cast: Cast, data: Any) -> None:
    """The home page shows this month: no hours in it (the set's are from March to June), the
    pools and the volunteers as they are now."""
    html = as_user(cast.users[Role.STREET]).get("/").content.decode()
    assert card(html) == {
        "minutes_verified": "0:00",
        "offsets_yuan": "0.00",
        "pool_balance": "970.00",
        "volunteer_orgs": "1",
        "volunteers": "2",
    }
    assert "/timebank/reports/?from=" in html
    outsider = card(as_user(cast.users["outsider"]).get("/").content.decode())
    assert outsider is not None
    assert (outsider["pool_balance"], outsider["volunteers"]) == ("500.00", "1")
    for role in (Role.GRID, Role.RESIDENT, Role.COMMITTEE):
        assert card(as_user(cast.users[role]).get("/").content.decode()) is None
