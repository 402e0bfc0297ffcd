"""`manage.py overview`: the overview figures, whole or scoped, as JSON or a table."""

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from laoyuan.accounts.enums import Role
from laoyuan.dashboard.management.commands.overview import whole_district_viewer
from laoyuan.dashboard.queries import overview
from laoyuan.dashboard.tests.billing import JAN, two_billed_months
from laoyuan.factories import Cast


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("overview", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict[str, Any]:
    figures: dict[str, Any] = json.loads(run("--json", *args))
    return figures


def test_overview_command_without_as_shows_the_whole_district(cast: Cast) -> None:
    figures = run_json()

    assert figures == json.loads(json.dumps(overview(user=whole_district_viewer())))
    # Without --as: the whole installation (the cast's two districts).
    assert figures["compounds"] == 6
    assert [row["name"] for row in figures["by_street"]] == ["甲街道", "乙街道", "丙街道"]
    assert figures["households"] == 9
    assert figures["area_m2"] == 698.4  # per street: 86.40 + 60.00 + 86.40
    assert figures["public_companies"] == {
        "count": 3,
        "compounds": 3,
        "area_m2": 439.2,
        "households": 6,
    }


def test_overview_command_as_street_user_shows_only_that_street(cast: Cast) -> None:
    figures = run_json("--as", cast.users[Role.STREET].username)

    assert figures["compounds"] == 2
    assert [row["name"] for row in figures["by_street"]] == ["甲街道"]
    assert figures["by_street"][0]["compounds"] == 2
    assert figures["households"] == 3
    assert figures["cadres"] == 1


def test_overview_command_as_outsider_shows_none_of_street_a(cast: Cast) -> None:
    figures = run_json("--as", cast.users["outsider"].username)

    assert [row["name"] for row in figures["by_street"]] == ["乙街道"]
    assert figures["compounds"] == 2


def test_overview_command_as_user_without_roles_shows_nothing(cast: Cast) -> None:
    from laoyuan.factories import UserFactory

    nobody = UserFactory(username="nobody-here")

    figures = run_json("--as", nobody.username)

    assert figures["compounds"] == 0
    assert figures["by_street"] == []
    assert figures["cadres"] == 0


def test_overview_command_unknown_user_is_an_error(cast: Cast) -> None:
    with pytest.raises(CommandError, match="'ghost'"):
        run("--json", "--as", "ghost")


def test_overview_command_prints_a_table_without_json(cast: Cast) -> None:
    text = run()

    assert "compounds" in text.splitlines()[0]
    assert text.splitlines()[0].split()[-1] == "6"
    assert "public companies: 3 serving 3 compounds" in text
    assert "甲街道" in text and "乙街道" in text


@pytest.mark.django_db
def test_overview_command_on_an_empty_registry_prints_zeros() -> None:
    figures = run_json()

    assert figures["compounds"] == 0
    assert figures["area_m2"] == 0.0
    assert figures["by_street"] == []


def test_overview_command_collection_defaults_to_the_latest_billed_month(cast: Cast) -> None:
    two_billed_months(cast)

    figures = run_json("--as", cast.users[Role.STREET].username)

    assert figures["collection"] == {
        "period": "2026-02",
        "billed": "73.20",
        "paid": "6.80",
        "rate": "0.0929",
    }
    assert figures["arrears_by_age"]["1-3"] == {"households": 1, "amount": "30.00"}


def test_overview_command_with_a_period(cast: Cast) -> None:
    two_billed_months(cast)

    figures = run_json("--period", "2026-01")

    assert figures == json.loads(json.dumps(overview(user=whole_district_viewer(), period=JAN)))
    assert figures["collection"] == {
        "period": "2026-01",
        "billed": "73.20",
        "paid": "43.20",
        "rate": "0.5902",
    }
    assert [row["households"] for row in figures["arrears_by_age"].values()] == [0, 0, 0, 0]


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "202601", "Jan 2026", ""])
def test_overview_command_bad_period_is_an_error(cast: Cast, period: str) -> None:
    with pytest.raises(CommandError, match=r"^--period: .* is not a month in the form YYYY-MM\.$"):
        run("--json", "--period", period)


def test_overview_command_table_shows_collection_and_arrears(cast: Cast) -> None:
    two_billed_months(cast)

    lines = run().splitlines()

    assert "collection 2026-02: billed 73.20, paid 6.80, rate 9.29%" in lines
    assert f"{'1-3':<18}{1:>12}{'30.00':>16}" in lines
    outsider = run("--as", cast.users["outsider"].username).splitlines()
    start = outsider.index("collection (nothing billed): billed 0.00, paid 0.00, rate -")
    assert outsider[start : start + 7] == [
        "collection (nothing billed): billed 0.00, paid 0.00, rate -",
        "",
        f"{'months overdue':<18}{'households':>12}{'amount':>16}",
        f"{'1-3':<18}{0:>12}{'0.00':>16}",
        f"{'4-6':<18}{0:>12}{'0.00':>16}",
        f"{'7-12':<18}{0:>12}{'0.00':>16}",
        f"{'13+':<18}{0:>12}{'0.00':>16}",
    ]
