"""The pages of the time bank's money: offset pools (contributed, granted, left; opening a pool;
recording a contribution after a confirmation) and the published rates (versions, the one in force,
publishing a new one): each role in and out of scope, field errors, constant queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.billing.models import Receipt
from laoyuan.factories import anonymous, as_user
from laoyuan.timebank.models import Contribution, Pool, Rate
from laoyuan.timebank.services import claims, exchange
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
POOLS = reverse("timebank:pools")
RATES = reverse("timebank:rates")
MARCH = datetime.date(2026, 3, 10)
TODAY = datetime.date(2026, 11, 27)
MANAGERS = [Role.DISTRICT, Role.STREET, Role.COMMUNITY]
NOT_MANAGERS = [Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.COMPANY, Role.INSPECTOR]
BOARD_ROLES = [*MANAGERS, Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT]


def text(response):
    return response.content.decode()


def ids(response, attribute):
    return [int(x) for x in re.findall(rf'{attribute}="(\d+)"', text(response))]


def cell(response, name):
    """The text of the first element marked ``data-<name>``."""
    found = re.search(rf"data-{name}>([^<]*)<", text(response))
    assert found, name
    return found.group(1)


def redeemed(cast):
    """House A redeems 6 hours at 10.00 yuan/hour (60.00) from its community's 1000.00 pool."""
    h.bills(cast)
    h.rate(cast, "10.00")
    pool = h.pool(cast, "1000.00")
    h.volunteer(cast)
    for day, start, end in [(MARCH, 8, 11), (MARCH + datetime.timedelta(days=1), 14, 17)]:
        activity = h.activity(cast, day, start, end)
        claim = claims.create_claim(
            actor=cast.users[Role.RESIDENT],
            activity=activity,
            start=activity.start,
            end=activity.end,
        )
        claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=claim)
        if claim.needs_second:
            claims.verify_claim(actor=h.organiser(cast), claim=claim)
    redemption = exchange.redeem(
        actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=360, today=TODAY
    )
    return pool, redemption


def test_anonymous_is_sent_to_log_in(cast):
    pool = h.pool(cast)
    for url in (POOLS, reverse("timebank:pool_detail", args=[pool.pk]), RATES):
        response = anonymous().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# Pools -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_pool_list_shows_contributed_granted_and_left(cast, role):
    pool, _redemption = redeemed(cast)
    response = as_user(cast.users[role]).get(POOLS)
    assert response.status_code == 200
    assert ids(response, "data-pool") == [pool.pk]
    page = text(response)
    assert "甲社区公益金" in page and "Community: 甲社区" in page
    assert "Community welfare funds (社区公益金)" in page
    assert (cell(response, "contributed"), cell(response, "granted"), cell(response, "left")) == (
        "1000.00",
        "60.00",
        "940.00",
    )
    assert exchange.pool_left(pool) == D("940.00")
    assert "data-new-pool" in page


@pytest.mark.parametrize("who", NOT_MANAGERS)
def test_pool_pages_are_not_found_for_roles_that_do_not_manage(cast, who):
    pool = h.pool(cast)
    client = as_user(cast.users[who])
    assert client.get(POOLS).status_code == 404
    assert client.get(reverse("timebank:pool_detail", args=[pool.pk])).status_code == 404
    response = client.post(
        reverse("timebank:pool_detail", args=[pool.pk]),
        {"amount": "10.00", "reference": "X", "received_on": "2026-01-02", "confirm": "1"},
    )
    assert response.status_code == 404
    assert Contribution.objects.count() == 1


@pytest.mark.parametrize("who", ["outsider", "other_district"])
def test_pools_of_another_place_are_not_shown(cast, who):
    pool = h.pool(cast)
    client = as_user(cast.users[who])
    response = client.get(POOLS)
    assert response.status_code == 200
    assert ids(response, "data-pool") == [] and "data-empty" in text(response)
    url = reverse("timebank:pool_detail", args=[pool.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"amount": "10.00", "reference": "X", "received_on": "2026-01-02", "confirm": "1"}
    )
    assert response.status_code == 404
    assert Contribution.objects.count() == 1


def test_a_district_pool_is_seen_by_the_offices_below_it(cast):
    pool = exchange.create_pool(
        actor=cast.users[Role.DISTRICT],
        name="区慈善基金",
        source_kind="sponsor",
        sponsor="某超市",
        district_id=cast.district.pk,
    )
    for role in MANAGERS:
        response = as_user(cast.users[role]).get(POOLS)
        assert ids(response, "data-pool") == [pool.pk]
        assert "District: " in text(response) and "某超市" in text(response)
    assert ids(as_user(cast.users["outsider"]).get(POOLS), "data-pool") == [pool.pk]
    assert ids(as_user(cast.users["other_district"]).get(POOLS), "data-pool") == []


def test_pool_list_queries_do_not_grow_with_rows(cast):
    client = as_user(cast.users[Role.DISTRICT])

    def make(n):
        for _ in range(n):
            h.pool(cast, "100.00", name=f"池{Pool.objects.count()}")

    make(2)
    with CaptureQueriesContext(connection) as few:
        response = client.get(POOLS)
    assert len(ids(response, "data-pool")) == 2
    make(8)
    with CaptureQueriesContext(connection) as many:
        response = client.get(POOLS)
    assert len(ids(response, "data-pool")) == 10
    assert re.findall(r"data-left>([^<]*)<", text(response)) == ["100.00"] * 10
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("role", "coverage"),
    [(Role.COMMUNITY, "community"), (Role.STREET, "street"), (Role.DISTRICT, "district")],
)
def test_a_manager_opens_a_pool(cast, role, coverage):
    place = {
        "community": cast.a.community.pk,
        "street": cast.a.street.pk,
        "district": cast.district.pk,
    }[coverage]
    response = as_user(cast.users[role]).post(
        POOLS,
        {
            "name": " 新池 ",
            "coverage": f"{coverage}:{place}",
            "source_kind": "sponsor",
            "sponsor": "好邻居超市",
        },
    )
    pool = Pool.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("timebank:pool_detail", args=[pool.pk])
    assert (pool.name, pool.source_kind, pool.sponsor, pool.district_id) == (
        "新池",
        "sponsor",
        "好邻居超市",
        cast.district.pk,
    )
    assert (pool.street_id, pool.community_id) == {
        "community": (cast.a.street.pk, cast.a.community.pk),
        "street": (cast.a.street.pk, None),
        "district": (None, None),
    }[coverage]
    assert exchange.pool_left(pool) == D("0.00")


def test_opening_a_pool_shows_errors_on_the_fields(cast):
    h.pool(cast, "0")
    client = as_user(cast.users[Role.COMMUNITY])
    response = client.post(POOLS, {"name": "", "coverage": f"community:{cast.a.community.pk}"})
    assert response.status_code == 200
    page = text(response)
    assert 'data-error="name"' in page and "Name the pool." in page
    assert 'data-error="source_kind"' in page
    response = client.post(
        POOLS,
        {
            "name": "甲社区公益金",
            "coverage": f"community:{cast.a.community.pk}",
            "source_kind": "welfare",
        },
    )
    assert "A pool of this name exists already." in text(response)
    # A community office cannot open a district pool, nor one of another community.
    for coverage in (f"district:{cast.district.pk}", f"community:{cast.b.community.pk}"):
        response = client.post(
            POOLS, {"name": "别的池", "coverage": coverage, "source_kind": "welfare"}
        )
        assert 'data-error="coverage"' in text(response)
    assert Pool.objects.count() == 1


def test_pool_detail_lists_contributions_and_the_discounts_paid(cast):
    pool, redemption = redeemed(cast)
    receipt = Receipt.objects.get(payment=redemption.payment)
    response = as_user(cast.users[Role.STREET]).get(reverse("timebank:pool_detail", args=[pool.pk]))
    assert response.status_code == 200
    page = text(response)
    assert ids(response, "data-contribution") == [Contribution.objects.get().pk]
    assert "2026-01-02" in page and "甲社区公益金-1" in page
    assert ids(response, "data-redemption") == [redemption.pk]
    row = page[page.index(f'data-redemption="{redemption.pk}"') :]
    row = row[: row.index("</tr>")]
    cells = [c.strip() for c in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
    assert cells == [
        f"{timezone.localdate(redemption.created_at):%Y-%m-%d}",
        "1号楼-1-101",
        "6:00",
        "10.00",
        "60.00",
        receipt.number,
    ]
    assert (cell(response, "contributed"), cell(response, "granted"), cell(response, "left")) == (
        "1000.00",
        "60.00",
        "940.00",
    )


def test_a_contribution_is_confirmed_then_recorded(cast):
    pool = h.pool(cast, "1000.00")
    url = reverse("timebank:pool_detail", args=[pool.pk])
    client = as_user(cast.users[Role.COMMUNITY])
    data = {"amount": "250.50", "reference": "转账-0415", "received_on": "2026-04-15"}
    response = client.post(url, data)
    assert response.status_code == 200
    page = text(response)
    assert "data-confirm" in page
    assert "Record 250.50 yuan into 甲社区公益金, reference 转账-0415, received on 2026-04-15?" in (
        page
    )
    assert Contribution.objects.count() == 1
    response = client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == url
    added = Contribution.objects.get(reference="转账-0415")
    assert (added.amount, added.received_on, added.created_by) == (
        D("250.50"),
        datetime.date(2026, 4, 15),
        cast.users[Role.COMMUNITY],
    )
    assert exchange.pool_left(pool) == D("1250.50")
    assert cell(client.get(url), "left") == "1250.50"


def test_a_contribution_shows_errors_on_the_fields(cast):
    pool = h.pool(cast, "1000.00")
    url = reverse("timebank:pool_detail", args=[pool.pk])
    client = as_user(cast.users[Role.DISTRICT])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        url,
        {"amount": "0", "reference": " ", "received_on": f"{tomorrow:%Y-%m-%d}", "confirm": "1"},
    )
    page = text(response)
    assert 'data-error="amount"' in page
    assert "Enter a positive amount in yuan with at most two decimal places." in page
    assert 'data-error="reference"' in page
    assert 'data-error="received_on"' in page
    response = client.post(
        url,
        {
            "amount": "5.00",
            "reference": "甲社区公益金-1",
            "received_on": "2026-01-02",
            "confirm": "1",
        },
    )
    assert "This reference was recorded with another amount." in text(response)
    response = client.post(url, {"amount": "1.234", "reference": "R", "received_on": "2026-01-02"})
    assert 'data-error="amount"' in text(response) and "data-confirm" not in text(response)
    assert Contribution.objects.count() == 1
    assert exchange.pool_left(pool) == D("1000.00")


# Rates -----------------------------------------------------------------------------------------


def versions(cast):
    today = timezone.localdate()
    old = h.rate(cast, "8.00", "500.00", since=datetime.date(2025, 1, 1))
    current = h.rate(cast, "10.00", "600.00", since=today - datetime.timedelta(days=30))
    upcoming = h.rate(cast, "12.00", "700.00", since=today + datetime.timedelta(days=30))
    elsewhere = Rate.objects.create(
        district=cast.c.street.district,
        yuan_per_hour=D("9.00"),
        yearly_cap=D("300.00"),
        effective_from=datetime.date(2025, 1, 1),
    )
    return old, current, upcoming, elsewhere


@pytest.mark.parametrize("role", BOARD_ROLES)
def test_rates_are_read_by_every_time_bank_role_of_the_district(cast, role):
    old, current, upcoming, _elsewhere = versions(cast)
    response = as_user(cast.users[role]).get(RATES)
    assert response.status_code == 200
    assert ids(response, "data-rate") == [upcoming.pk, current.pk, old.pk]
    page = text(response)
    assert re.findall(r'data-rate="(\d+)" class="table-success" data-in-force', page) == [
        str(current.pk)
    ]
    assert "12.00" in page and "700.00" in page and "In force today" in page
    assert "Upcoming" in page and "Replaced" in page
    assert ("data-publish" in page) is (role == Role.DISTRICT)


def test_rates_of_another_district_are_its_own(cast):
    *_ours, elsewhere = versions(cast)
    response = as_user(cast.users["other_district"]).get(RATES)
    assert ids(response, "data-rate") == [elsewhere.pk]
    assert ids(as_user(cast.users["outsider"]).get(RATES), "data-rate") == [
        r.pk for r in _ours[::-1]
    ]


@pytest.mark.parametrize("role", [Role.COMPANY, Role.INSPECTOR])
def test_rates_are_not_found_outside_the_time_bank(cast, role):
    versions(cast)
    assert as_user(cast.users[role]).get(RATES).status_code == 404


def test_rates_empty_state(cast):
    response = as_user(cast.users[Role.RESIDENT]).get(RATES)
    assert response.status_code == 200 and "data-empty" in text(response)


def test_the_district_office_publishes_a_version_after_confirming(cast):
    old = h.rate(cast, "10.00", "600.00", since=datetime.date(2026, 1, 1))
    client = as_user(cast.users[Role.DISTRICT])
    page = text(client.get(RATES))
    assert "Past redemptions keep the rate they used." in page
    day = timezone.localdate() + datetime.timedelta(days=5)
    data = {
        "district": cast.district.pk,
        "yuan_per_hour": "12.50",
        "yearly_cap": "800.00",
        "effective_from": f"{day:%Y-%m-%d}",
        "note": "2027年标准",
    }
    response = client.post(RATES, data)
    assert "data-confirm" in text(response)
    assert "Publish 12.50 yuan per hour, capped at 800.00 yuan per household per year" in text(
        response
    )
    assert Rate.objects.count() == 1
    response = client.post(RATES, {**data, "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == RATES
    rate = Rate.objects.exclude(pk=old.pk).get()
    assert (rate.yuan_per_hour, rate.yearly_cap, rate.effective_from, rate.note) == (
        D("12.50"),
        D("800.00"),
        day,
        "2027年标准",
    )
    assert rate.published_by == cast.users[Role.DISTRICT]
    response = client.get(RATES)
    assert ids(response, "data-rate") == [rate.pk, old.pk]
    assert re.findall(r'data-rate="(\d+)" class="table-success"', text(response)) == [str(old.pk)]


def test_publishing_shows_errors_on_the_fields(cast):
    client = as_user(cast.users[Role.DISTRICT])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        RATES,
        {
            "district": cast.district.pk,
            "yuan_per_hour": "0",
            "yearly_cap": "-5",
            "effective_from": f"{yesterday:%Y-%m-%d}",
            "confirm": "1",
        },
    )
    page = text(response)
    assert 'data-error="yuan_per_hour"' in page and 'data-error="yearly_cap"' in page
    assert 'data-error="effective_from"' in page
    assert "A rate cannot take effect in the past." in page
    # Another district is not a choice.
    response = client.post(
        RATES,
        {
            "district": cast.c.street.district.pk,
            "yuan_per_hour": "10.00",
            "yearly_cap": "600.00",
            "effective_from": f"{timezone.localdate():%Y-%m-%d}",
            "confirm": "1",
        },
    )
    assert 'data-error="district"' in text(response)
    assert Rate.objects.count() == 0


@pytest.mark.parametrize(
    "who", [Role.STREET, Role.COMMUNITY, Role.GRID, Role.RESIDENT, "outsider", Role.COMPANY]
)
def test_only_the_district_office_publishes(cast, who):
    day = timezone.localdate() + datetime.timedelta(days=5)
    response = as_user(cast.users[who]).post(
        RATES,
        {
            "district": cast.district.pk,
            "yuan_per_hour": "12.50",
            "yearly_cap": "800.00",
            "effective_from": f"{day:%Y-%m-%d}",
            "confirm": "1",
        },
    )
    assert response.status_code == 404
    assert Rate.objects.count() == 0
