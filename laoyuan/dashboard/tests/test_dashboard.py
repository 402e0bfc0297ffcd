"""The district view (一屏观全域): each panel's figures are the overview API's for the same scope,
the map carries every layer and drills down, and nobody sees a street that is not theirs."""

import datetime
import json
import re
from decimal import Decimal
from html import unescape
from io import BytesIO
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import User
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.dashboard.queries import overview
from laoyuan.dashboard.tests.billing import FEB, JAN, taken
from laoyuan.demo.tests.test_seed_demo import seed
from laoyuan.factories import Cast, as_user
from laoyuan.places.models import Compound
from laoyuan.places.queries import CompoundFilters, compound_list
from laoyuan.places.services import change_management_mode

DASHBOARD = "/dashboard/"
PANELS = [
    "map",
    "compounds",
    "public_companies",
    "takeovers",
    "collection",
    "arrears",
    "work_orders",
    "handling",
    "timebank",
    "stars",
    "subsidies",
    "organisations",
]
FIGURE = re.compile(r'data-figure="([^"]+)" data-value="([^"]*)"')
SQUARE = [[[113.60, 34.70], [113.61, 34.70], [113.61, 34.71], [113.60, 34.71], [113.60, 34.70]]]


def shown(html: str) -> dict[str, str]:
    """Every figure the page carries, by its path in the overview."""
    found = dict(FIGURE.findall(html))
    assert len(found) == len(FIGURE.findall(html)), "a figure appears twice"
    return found


def at(data: Any, path: str) -> str:
    for part in path.split("."):
        data = data[part]
    return "null" if data is None else str(data)


def api(user: User, **params: Any) -> dict[str, Any]:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/overview/", params)
    assert response.status_code == 200, response.content
    return response.json()


def panels(html: str) -> list[str]:
    return re.findall(r'data-panel="([a-z_]+)"', html)


@pytest.mark.django_db
def test_every_figure_on_the_dashboard_is_the_apis_for_two_scopes() -> None:
    seed()
    district, street = (
        User.objects.get(username=name) for name in ("demo-district", "demo-street")
    )
    own_street = street.assignments.get().street_id

    # 4 totals and 5 modes × 3, 4 of the public companies, 3 of takeovers and the modes they
    # were taken over from, 3 of collection and 4 ages × 2 of arrears, 7 work-order figures and
    # 13 statuses, 3 of handling time, 5 of the time bank, 6 star levels, 2 of subsidies, 4
    # organisations.
    fixed = 4 + 15 + 4 + 3 + 3 + 8 + 7 + 13 + 3 + 5 + 6 + 2 + 4
    for user, params in ((district, {}), (district, {"street": own_street}), (street, {})):
        response = as_user(user).get(DASHBOARD, params)
        assert response.status_code == 200
        html = response.content.decode()
        assert panels(html)[: len(PANELS)] == PANELS
        figures = shown(html)
        expected = api(user, **params)
        assert {path: at(expected, path) for path in figures} == figures
        before = [mode for mode, n in expected["takeovers"]["before"].items() if n]
        assert len(figures) == fixed + len(before), sorted(figures)
        # The list behind the compounds panel counts the same compounds.
        listed = compound_list(user=user, filters=CompoundFilters(street=params.get("street")))
        assert figures["compounds"] == str(listed.count()) == str(expected["compounds"])
    # The street office's own dashboard is the district's drilled into that street.
    assert shown(as_user(street).get(DASHBOARD).content.decode()) == shown(
        as_user(district).get(DASHBOARD, {"street": own_street}).content.decode()
    )
    # And the figures equal the list pages' exports for the same scope and period.
    community = User.objects.get(username="demo-community")
    own_community = community.assignments.get().community_id
    for user, params in (
        (district, {}),
        (district, {"street": own_street}),
        (district, {"community": own_community}),
        (street, {}),
        (community, {}),
    ):
        expected = api(user, **params)
        assert_exports_agree(user, params, expected)
    assert shown(as_user(community).get(DASHBOARD).content.decode()) == shown(
        as_user(district).get(DASHBOARD, {"community": own_community}).content.decode()
    )


def sheets(response: Any) -> dict[str, list[tuple]]:
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(response.content))
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in workbook}


def money(value: Any) -> str:
    return f"{Decimal(str(value)):.2f}"


def rate(value: Any) -> str | None:
    return None if value is None else f"{Decimal(str(value)):.4f}"


def assert_exports_agree(user: User, params: dict[str, Any], expected: dict[str, Any]) -> None:
    """The collection, work-order and time-bank panels' figures are the totals of the Excel
    exports of their lists, narrowed to the same place and period."""
    client = as_user(user)
    collection = expected["collection"]
    [rows] = sheets(
        client.get(
            "/billing/collection/export/",
            {"period": collection["period"], "table": "compound", **params},
        )
    ).values()
    total = rows[-1]
    assert (money(total[1]), money(total[2])) == (collection["billed"], collection["paid"])
    assert rate(total[3]) == collection["rate"]

    orders = expected["work_orders"]
    [rows] = sheets(
        client.get(
            "/workorders/reports/export/",
            {"period": orders["period"], "by": "compound", **params},
        )
    ).values()
    total = dict(zip(rows[0], rows[-1], strict=True))
    assert total["Orders reported"] == orders["created"]
    assert rate(total["Response rate"]) == orders["response_rate"]
    assert rate(total["Resolution rate"]) == orders["resolution_rate"]
    assert rate(total["Satisfaction rate"]) == orders["satisfaction_rate"]
    hours = total["Average hours to verify"]
    assert (None if hours is None else f"{Decimal(str(hours)):.1f}") == orders[
        "avg_hours_to_verify"
    ]

    timebank = expected["timebank"]
    month = timebank["period"]
    workbook = sheets(
        client.get("/timebank/reports/export.xlsx", {"from": month, "to": month, **params})
    )
    summary = next(iter(workbook.values()))
    figures = [row[1] for row in summary[1:]]
    assert figures[0] == timebank["minutes_verified"]
    assert money(figures[1]) == timebank["offsets_yuan"]
    assert money(figures[3]) == timebank["pool_balance"]
    assert (figures[4], figures[5]) == (timebank["volunteer_orgs"], timebank["volunteers"])


def test_the_dashboard_charts_the_trends_of_the_api(cast: Cast) -> None:
    posted_scheme(cast.a.compound, rate="0.50")
    for period in (JAN, FEB):
        bill(cast.a.house, period)
    taken(cast, cast.a.house, "50.00", "DASH-1")
    user = cast.users[Role.DISTRICT]
    html = as_user(user).get(DASHBOARD).content.decode()
    data = json.loads(
        re.search(r'id="dashboard-data" type="application/json">(.*?)</script>', html, re.S).group(
            1
        )
    )
    expected = api(user)
    assert data["collection"] == expected["trends"]["collection"]
    assert data["collection"][-1] == {
        "period": "2026-02",
        "billed": "43.20",
        "paid": "6.80",
        "rate": "0.1574",
    }
    assert data["work_orders"] == expected["trends"]["work_orders"]["months"]
    assert data["stars"] == expected["stars"]
    last = expected["trends"]["work_orders"]["months"][-1]["period"]
    first = expected["trends"]["work_orders"]["months"][0]["period"]
    assert re.search(
        rf'href="/workorders/reports/\?by=month&amp;start={first}-01&amp;end={last}-\d\d"', html
    )
    assert data["modes"] == {mode: row["compounds"] for mode, row in expected["by_mode"].items()}


def test_the_map_carries_every_layer_and_drills_down(cast: Cast) -> None:
    Compound.objects.filter(pk=cast.a.compound.pk).update(boundary=SQUARE)
    Compound.objects.filter(pk=cast.b.compound.pk).update(boundary=SQUARE)
    cast.a.grid.boundary = SQUARE
    cast.a.grid.save(update_fields=["boundary"])
    posted_scheme(cast.a.compound, rate="0.50")
    bill(cast.a.house, JAN)
    taken(cast, cast.a.house, "21.60", "DASH-2")

    district = as_user(cast.users[Role.DISTRICT])
    found = district.get(reverse("dashboard:map")).json()
    by_name = {f["properties"]["name"]: f["properties"] for f in found["features"]}
    assert found["period"] == "2026-01"
    assert set(by_name) == {f"G{cast.a.grid.pk}", cast.a.compound.code, cast.b.compound.code}
    assert by_name[cast.a.compound.code] == {
        "name": cast.a.compound.code,
        "kind": "compound",
        "id": cast.a.compound.pk,
        "label": cast.a.compound.name,
        "grid": cast.a.grid.pk,
        "mode": "public",
        "stars": None,
        "collection_rate": "0.5000",
        "open": 0,
        "overdue": 0,
        "url": f"/places/compounds/{cast.a.compound.pk}/",
    }
    assert by_name[cast.b.compound.code]["collection_rate"] is None
    # From the district a grid opens its street; from the street, its community.
    grid = by_name[f"G{cast.a.grid.pk}"]
    assert grid["url"] == f"{DASHBOARD}?street={cast.a.street.pk}"
    street_map = district.get(reverse("dashboard:map"), {"street": cast.a.street.pk}).json()
    names = {f["properties"]["name"]: f["properties"] for f in street_map["features"]}
    assert set(names) == {f"G{cast.a.grid.pk}", cast.a.compound.code}
    assert names[f"G{cast.a.grid.pk}"]["url"] == f"{DASHBOARD}?community={cast.a.community.pk}"
    found = district.get(reverse("dashboard:map"), {"community": cast.a.community.pk}).json()
    grid = next(f for f in found["features"] if f["properties"]["kind"] == "grid")
    assert grid["properties"]["url"] == f"/places/compounds/?grid={cast.a.grid.pk}"


def test_an_outsider_sees_nothing_of_another_street(cast: Cast) -> None:
    outsider = as_user(cast.users["outsider"])
    for params in ({"street": cast.a.street.pk}, {"community": cast.a.community.pk}):
        assert outsider.get(DASHBOARD, params).status_code == 404
        assert outsider.get(reverse("dashboard:map"), params).status_code == 404
        assert outsider.get(reverse("dashboard:screen"), params).status_code == 404
    client = APIClient()
    client.force_authenticate(cast.users["outsider"])
    assert client.get("/api/v1/overview/", {"street": cast.a.street.pk}).status_code == 404
    html = outsider.get(DASHBOARD).content.decode()
    assert shown(html)["compounds"] == "2"
    assert cast.a.compound.name not in html
    # A community of the reader's own street, named with another street, is not found either.
    street = as_user(cast.users[Role.STREET])
    assert (
        street.get(
            DASHBOARD, {"street": cast.a.street.pk, "community": cast.b.community.pk}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", [Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID])
def test_each_office_lands_on_its_own_scope(cast: Cast, role: str) -> None:
    client = as_user(cast.users[role])
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    expected = {Role.DISTRICT: "4", Role.STREET: "2", Role.COMMUNITY: "2", Role.GRID: "2"}[role]
    assert shown(html)["compounds"] == expected
    assert 'href="/dashboard/"' in html  # the menu's link
    assert "vendor/echarts.min.js" in html
    screen = client.get(reverse("dashboard:screen")).content.decode()
    assert 'data-theme="dark"' in screen and 'data-refresh="300"' in screen
    assert shown(screen) == shown(html)


@pytest.mark.parametrize(
    "role", [Role.BRANCH, Role.COMPANY, Role.COMMITTEE, Role.RESIDENT, Role.INSPECTOR]
)
def test_other_roles_have_no_dashboard(cast: Cast, role: str) -> None:
    client = as_user(cast.users[role])
    for url in (DASHBOARD, reverse("dashboard:screen"), reverse("dashboard:map")):
        assert client.get(url).status_code == 404
    assert 'href="/dashboard/"' not in client.get("/").content.decode()


def test_anonymous_readers_are_sent_to_sign_in(db: None) -> None:
    for url in (DASHBOARD, reverse("dashboard:screen"), reverse("dashboard:map")):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_takeovers_count_the_compounds_and_what_they_were_before(cast: Cast) -> None:
    """Both sides' first compounds were unmanaged until their company took them over in 2021;
    side A's second compound, owner-managed since 2018, is taken over too."""
    change_management_mode(
        compound=cast.a.other_compound,
        mode="owner_self",
        company=None,
        effective_on=datetime.date(2018, 1, 1),
        reason="owners' own management",
        actor=None,
    )
    change_management_mode(
        compound=cast.a.other_compound,
        mode="public",
        company=cast.a.company,
        effective_on=datetime.date(2024, 6, 1),
        reason="public takeover",
        takeover={"trial_months": 3, "entrustment_signed_on": datetime.date(2024, 5, 20)},
        actor=None,
    )
    compounds = [cast.a.compound, cast.a.other_compound, cast.b.compound]
    for compound in compounds:
        compound.refresh_from_db()
    before = {mode: 0 for mode in ("professional", "owner_self", "owner_unit", "public")}
    assert overview(user=cast.users[Role.DISTRICT])["takeovers"] == {
        "compounds": 3,
        "area_m2": float(sum(c.area_m2 for c in compounds)),
        "households": sum(c.households for c in compounds),
        "before": {**before, "owner_self": 1, "unmanaged": 2, "unrecorded": 0},
    }
    street = overview(user=cast.users[Role.STREET])["takeovers"]
    assert (street["compounds"], street["before"]["owner_self"], street["before"]["unmanaged"]) == (
        2,
        1,
        1,
    )
    html = as_user(cast.users[Role.STREET]).get(DASHBOARD).content.decode()
    assert shown(html)["takeovers.before.owner_self"] == "1"
    assert "takeovers.before.professional" not in shown(html)  # none: no row


def test_the_dashboard_reads_a_constant_number_of_queries(cast: Cast) -> None:
    """The same number of queries with one compound billed as with three, each with an outline:
    figures come from aggregates, never a query per row."""

    def count(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def outline_and_bill(compound: Compound, house: Any) -> None:
        Compound.objects.filter(pk=compound.pk).update(boundary=SQUARE)
        posted_scheme(compound, rate="0.50")
        bill(house, JAN)

    outline_and_bill(cast.a.compound, cast.a.house)
    taken(cast, cast.a.house, "10.00", "Q-1")
    district = as_user(cast.users[Role.DISTRICT])
    urls = [DASHBOARD, f"{DASHBOARD}?street={cast.a.street.pk}", reverse("dashboard:map")]
    before = [count(district, url) for url in urls]
    outline_and_bill(cast.b.compound, cast.b.house)
    Compound.objects.filter(pk=cast.a.other_compound.pk).update(boundary=SQUARE)
    assert [count(district, url) for url in urls] == before


def test_a_compound_page_has_its_own_panel_as_the_map_shows_it(cast: Cast) -> None:
    Compound.objects.filter(pk=cast.a.compound.pk).update(boundary=SQUARE)
    posted_scheme(cast.a.compound, rate="0.50")
    bill(cast.a.house, JAN)
    bill(cast.a.neighbour_house, JAN)
    taken(cast, cast.a.house, "43.20", "PANEL-1")
    url = f"/places/compounds/{cast.a.compound.pk}/"
    mapped = next(
        f["properties"]
        for f in as_user(cast.users[Role.DISTRICT]).get(reverse("dashboard:map")).json()["features"]
        if f["properties"]["name"] == cast.a.compound.code
    )
    for role in (Role.DISTRICT, Role.STREET, Role.COMPANY):
        html = as_user(cast.users[role]).get(url).content.decode()
        assert 'data-panel="compound"' in html, role
        assert shown(html) == {
            "mode": "public",
            "stars": "null",
            "collection_rate": "0.5902",  # 43.20 of 73.20
            "open": "0",
            "overdue": "0",
        }, role
        assert mapped["collection_rate"] == "0.5902"
        assert ("district view" in html) == (role != Role.COMPANY), role
    # A resident sees the compound's public facts only, without the panel.
    html = as_user(cast.users[Role.RESIDENT]).get(url).content.decode()
    assert 'data-panel="compound"' not in html


def test_a_role_without_a_dashboard_does_not_open_its_streets(cast: Cast) -> None:
    """A grid worker of street B who is also an inspector in street A drills into B only."""
    from laoyuan.factories import grant

    user = cast.users["outsider"]
    grant(user, Role.INSPECTOR, cast.a.street)
    client = as_user(user)
    assert client.get(DASHBOARD, {"street": cast.a.street.pk}).status_code == 404
    assert client.get(reverse("dashboard:map"), {"street": cast.a.street.pk}).status_code == 404
    assert client.get(DASHBOARD, {"street": cast.b.street.pk}).status_code == 200


HREF = re.compile(r'href="(/[^"#]*)"')


def _outlined(cast: Cast) -> None:
    for compound in (cast.a.compound, cast.a.other_compound, cast.b.compound):
        Compound.objects.filter(pk=compound.pk).update(boundary=SQUARE)
    for grid in (cast.a.grid, cast.b.grid):
        grid.boundary = SQUARE
        grid.save(update_fields=["boundary"])
    posted_scheme(cast.a.compound, rate="0.50")
    bill(cast.a.house, JAN)


@pytest.mark.parametrize(
    ("role", "drills"),
    [
        (Role.DISTRICT, ["", "street=a", "community=a", "street=b"]),
        (Role.STREET, ["", "community=a"]),
        (Role.COMMUNITY, ["", "community=a"]),
        (Role.GRID, [""]),
    ],
)
def test_every_link_and_map_click_opens_for_each_office(
    cast: Cast, role: str, drills: list[str]
) -> None:
    """No dead ends: every link of the dashboard's header and panels and every place a map click
    leads opens (200) for the office reading it, at each level it can drill to."""
    _outlined(cast)
    _every_link_opens(cast, as_user(cast.users[role]), drills)


def _every_link_opens(cast: Cast, client: Any, drills: list[str]) -> set[str]:
    """Open every link and map click of the dashboard at each drill; all that were opened."""
    opened: set[str] = set()
    for drill in drills:
        params = {}
        if drill:
            name, side = drill.split("=")
            params = {name: getattr(getattr(cast, side), name).pk}
        html = client.get(DASHBOARD, params).content.decode()
        body = html[html.index("data-scope-name") :]
        links = {unescape(url) for url in HREF.findall(body) if not url.startswith("/static/")}
        found = client.get(reverse("dashboard:map"), params).json()
        clicks = {f["properties"]["url"] for f in found["features"]}
        assert clicks, drill
        for url in sorted(links | clicks):
            assert client.get(url).status_code == 200, (drill, url)
        opened |= links | clicks
    return opened


def test_every_link_opens_for_a_community_office_that_is_also_a_grid_worker_elsewhere(
    cast: Cast,
) -> None:
    """One person, two roles in two streets: community office of A's community and grid worker
    in B. Each link is narrowed to what the role that reaches the place may open: A's community
    reaches the collection page, B's grid only its list of compounds."""
    from laoyuan.factories import grant, user_with

    _outlined(cast)
    user = user_with(Role.COMMUNITY, cast.a.community)
    grant(user, Role.GRID, cast.b.grid)
    opened = _every_link_opens(cast, as_user(user), ["", "community=a"])
    assert f"/places/compounds/?grid={cast.b.grid.pk}" in opened
    assert f"{DASHBOARD}?community={cast.a.community.pk}" in opened
    assert f"/billing/collection/?community={cast.a.community.pk}" in opened
    assert not any(f"street={cast.a.street.pk}" in url for url in opened), sorted(opened)
    assert not any(f"community={cast.b.community.pk}" in url for url in opened), sorted(opened)


def test_a_community_office_drills_from_a_grid_to_its_community(cast: Cast) -> None:
    """A community office cannot open the street: a grid on its map opens its community, the
    street's crumb is text, and no panel links the street."""
    _outlined(cast)
    client = as_user(cast.users[Role.COMMUNITY])
    found = client.get(reverse("dashboard:map")).json()
    grid = next(f["properties"] for f in found["features"] if f["properties"]["kind"] == "grid")
    assert grid["url"] == f"{DASHBOARD}?community={cast.a.community.pk}"
    html = client.get(DASHBOARD, {"community": cast.a.community.pk}).content.decode()
    assert f"?street={cast.a.street.pk}" not in html
    assert f'<li class="breadcrumb-item">{cast.a.street.name}</li>' in html
    assert f'href="/billing/collection/?community={cast.a.community.pk}"' in html


def test_a_grid_worker_sees_no_collection_rates_or_orders(cast: Cast) -> None:
    """A grid worker reads no collection figures or work-order rates: no such panels or map
    layers (not a row of zeros), and a grid on the map opens the list of its compounds."""
    _outlined(cast)
    client = as_user(cast.users[Role.GRID])
    html = client.get(DASHBOARD, {"layer": "open"}).content.decode()
    assert panels(html) == [
        "map",
        "compounds",
        "public_companies",
        "takeovers",
        "stars",
        "subsidies",
        "organisations",
    ]
    assert re.findall(r'data-layer="(\w+)"', html) == ["mode", "stars"]
    assert 'data-layer-now="mode"' in html
    found = client.get(reverse("dashboard:map")).json()
    grid = next(f["properties"] for f in found["features"] if f["properties"]["kind"] == "grid")
    assert grid["url"] == f"/places/compounds/?grid={cast.a.grid.pk}"
    district = as_user(cast.users[Role.DISTRICT])
    html = district.get(reverse("dashboard:screen"), {"layer": "collection"}).content.decode()
    assert re.findall(r'data-layer="(\w+)"', html) == [
        "mode",
        "stars",
        "collection",
        "open",
        "overdue",
    ]
    assert 'data-layer-now="collection"' in html
