"""The overview figures narrowed to a street or community never leave the user's scope."""

from laoyuan.accounts.enums import Role
from laoyuan.dashboard.queries import overview
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
