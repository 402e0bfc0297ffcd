"""The overview figures: narrowed to a street or community they never leave the user's scope;
collection and arrears by age for a month."""

import datetime

from laoyuan.accounts.enums import Role
from laoyuan.dashboard.queries import overview
from laoyuan.dashboard.tests.billing import JAN, two_billed_months
from laoyuan.factories import Cast


def test_overview_street_narrows_district_figures(cast: Cast) -> None:
    figures = overview(user=cast.users[Role.DISTRICT], street_id=cast.a.street.pk)
    assert figures["compounds"] == 2
    assert figures["households"] == 3
    assert figures["residents"] == 2
    assert figures["area_m2"] == 232.8
    assert figures["by_mode"]["public"] == {"compounds": 1, "area_m2": 146.4, "households": 2}
    assert figures["by_mode"]["unmanaged"] == {"compounds": 1, "area_m2": 86.4, "households": 1}
    assert figures["public_companies"] == {
        "count": 1,
        "compounds": 1,
        "area_m2": 146.4,
        "households": 2,
    }
    assert figures["committees"] == 1
    assert figures["party_branches"] == 1
    assert figures["cadres"] == 1
    assert [row["code"] for row in figures["by_street"]] == [cast.a.street.code]


def test_overview_community_narrows_figures(cast: Cast) -> None:
    figures = overview(user=cast.users[Role.STREET], community_id=cast.a.community.pk)
    assert figures["compounds"] == 2
    figures = overview(user=cast.users[Role.STREET], community_id=cast.b.community.pk)
    assert figures["compounds"] == 0
    assert figures["by_street"] == []


def test_overview_narrowing_never_widens_scope(cast: Cast) -> None:
    outsider = cast.users["outsider"]
    figures = overview(user=outsider, street_id=cast.a.street.pk)
    assert figures["compounds"] == 0
    assert figures["households"] == 0
    assert figures["residents"] == 0
    assert figures["cadres"] == 0
    assert overview(user=outsider) == overview(user=outsider, street_id=cast.b.street.pk)


# --- Collection and arrears by age ------------------------------------------------------------

NOTHING_OVERDUE = {
    "1-3": {"households": 0, "amount": "0.00"},
    "4-6": {"households": 0, "amount": "0.00"},
    "7-12": {"households": 0, "amount": "0.00"},
    "13+": {"households": 0, "amount": "0.00"},
}


def test_overview_collection_defaults_to_the_latest_billed_month(cast: Cast) -> None:
    two_billed_months(cast)

    figures = overview(user=cast.users[Role.STREET])

    assert figures["collection"] == {
        "period": "2026-02",
        "billed": "73.20",
        "paid": "6.80",
        "rate": "0.0929",
    }
    # January's 30.00 of the neighbour is one month overdue; February is the month itself.
    assert figures["arrears_by_age"] == {
        **NOTHING_OVERDUE,
        "1-3": {"households": 1, "amount": "30.00"},
    }


def test_overview_collection_of_a_given_month(cast: Cast) -> None:
    two_billed_months(cast)
    user = cast.users[Role.COMPANY]

    january = overview(user=user, period=JAN)
    march = overview(user=user, period=datetime.date(2026, 3, 15))

    assert january["collection"] == {
        "period": "2026-01",
        "billed": "73.20",
        "paid": "43.20",
        "rate": "0.5902",
    }
    assert january["arrears_by_age"] == NOTHING_OVERDUE
    # Nothing billed for March yet; January and February are overdue by then.
    assert march["collection"] == {
        "period": "2026-03",
        "billed": "0.00",
        "paid": "0.00",
        "rate": None,
    }
    assert march["arrears_by_age"] == {
        **NOTHING_OVERDUE,
        "1-3": {"households": 2, "amount": "96.40"},
    }


def test_overview_collection_when_nothing_is_billed(cast: Cast) -> None:
    two_billed_months(cast)

    figures = overview(user=cast.users["outsider"])

    assert figures["collection"] == {"period": None, "billed": "0.00", "paid": "0.00", "rate": None}
    assert figures["arrears_by_age"] == NOTHING_OVERDUE


def test_overview_collection_narrowed_to_a_street(cast: Cast) -> None:
    two_billed_months(cast)
    district = cast.users[Role.DISTRICT]

    street_a = overview(user=district, street_id=cast.a.street.pk)
    street_b = overview(user=district, street_id=cast.b.street.pk)
    community = overview(user=district, community_id=cast.a.community.pk)

    assert street_a["collection"] == overview(user=district)["collection"]
    assert street_a["arrears_by_age"]["1-3"] == {"households": 1, "amount": "30.00"}
    assert street_b["collection"] == {
        "period": "2026-02",
        "billed": "0.00",
        "paid": "0.00",
        "rate": None,
    }
    assert street_b["arrears_by_age"] == NOTHING_OVERDUE
    # Narrowed to the community, the same bills (street A has one community) and the same
    # figures as the community office's own scope.
    assert community["collection"] == {
        "period": "2026-02",
        "billed": "73.20",
        "paid": "6.80",
        "rate": "0.0929",
    }
    assert community["arrears_by_age"] == {
        **NOTHING_OVERDUE,
        "1-3": {"households": 1, "amount": "30.00"},
    }
    assert community["trends"]["collection"] == street_a["trends"]["collection"]
    own = overview(user=cast.users[Role.COMMUNITY])
    assert (own["collection"], own["arrears_by_age"]) == (
        community["collection"],
        community["arrears_by_age"],
    )
    assert own["trends"]["collection"] == community["trends"]["collection"]
    community_b = overview(user=district, community_id=cast.b.community.pk)
    assert community_b["collection"] == street_b["collection"]
    assert community_b["arrears_by_age"] == NOTHING_OVERDUE


def test_overview_collection_is_none_for_a_grid_worker(cast: Cast) -> None:
    # A grid worker reads no collection figures: None, not a row of zeros.
    two_billed_months(cast)
    figures = overview(user=cast.users[Role.GRID])
    assert (figures["collection"], figures["arrears_by_age"]) == (None, None)
    assert figures["trends"]["collection"] is None
