"""The full demo district (scale 1) reports the seed document's figures through `overview`."""

import datetime
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from laoyuan.demo.tests.test_timebank_demo import figures as time_bank_figures
from laoyuan.demo.workorders import demo_now
from laoyuan.places.models import ManagementPeriod
from laoyuan.ratings.models import Evaluation, SubsidyRun, SurveySample
from laoyuan.workorders.models import Event, WorkOrder
from laoyuan.workorders.queries import overdue_q


def overview_json(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("overview", "--json", *args, stdout=out)
    figures: dict[str, Any] = json.loads(out.getvalue())
    return figures


def within(value: float, target: float, fraction: float) -> bool:
    return abs(value - target) <= target * fraction


@pytest.mark.slow
@pytest.mark.django_db
def test_seed_demo_full_scale_reports_the_seed_figures() -> None:
    call_command(
        "seed_demo",
        "--seed",
        "42",
        "--today",
        "2026-11-27",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    figures = overview_json()

    assert figures["compounds"] == 548
    assert figures["households"] == 71_000
    assert {mode: row["compounds"] for mode, row in figures["by_mode"].items()} == {
        "professional": 150,
        "owner_self": 52,
        "public": 346,
        "owner_unit": 0,
        "unmanaged": 0,
    }
    public = figures["public_companies"]
    assert (public["count"], public["compounds"], public["households"]) == (8, 346, 38_585)
    assert figures["by_mode"]["public"]["households"] == 38_585
    assert figures["committees"] == 570
    assert figures["party_branches"] == 548
    assert figures["agency_branches"] == 162
    assert figures["cadres"] == 570
    assert within(figures["area_m2"], 5_460_000, 0.01)
    assert within(public["area_m2"], 2_845_000, 0.01)
    assert within(figures["residents"], 220_000, 0.02)
    assert len(figures["by_street"]) == 12
    assert sum(row["compounds"] for row in figures["by_street"]) == 548
    assert sum(row["households"] for row in figures["by_street"]) == 71_000

    first: dict[int, str] = {}
    for compound_id, mode in ManagementPeriod.objects.order_by(
        "compound_id", "started_on", "id"
    ).values_list("compound_id", "mode"):
        first.setdefault(compound_id, mode)
    before = {mode: list(first.values()).count(mode) for mode in set(first.values())}
    assert before == {"professional": 134, "owner_self": 106, "unmanaged": 308}

    street = overview_json("--as", "demo-street")
    assert len(street["by_street"]) == 1
    row = street["by_street"][0]
    assert row["name"] == "北下街街道"
    assert street["compounds"] == row["compounds"] < 548
    assert street["households"] == row["households"]
    assert street["area_m2"] == row["area_m2"]
    whole_row = next(r for r in figures["by_street"] if r["code"] == row["code"])
    assert whole_row == row
    assert street["public_companies"]["count"] == 1

    with pytest.raises(CommandError, match="no-such-user"):
        overview_json("--as", "no-such-user")

    # A year of bills and payments: the latest month billed, its collection and the ageing
    # (time-bank discounts pay the oldest open bills like payments, so they count here too; they
    # round down to the fen).
    assert figures["collection"] == {
        "period": "2026-11",
        "billed": "2766395.74",
        "paid": "1094687.57",
        "rate": "0.3957",
    }
    assert figures["arrears_by_age"] == {
        "1-3": {"households": 1289, "amount": "1662057.64"},
        "4-6": {"households": 1980, "amount": "1406038.34"},
        "7-12": {"households": 8089, "amount": "1731990.19"},
        "13+": {"households": 0, "amount": "0.00"},
    }
    october = overview_json("--period", "2026-10")["collection"]
    assert october["period"] == "2026-10"
    assert october["rate"] == "0.7960"

    # A final star rating of 2025 for every compound (demo.ratings), and the monthly subsidies
    # since April 2026: posted until September, October waiting for approval, none yet for the
    # month of the overview.
    assert figures["stars"] == {"0": 10, "1": 16, "2": 122, "3": 149, "4": 139, "5": 112}
    assert Evaluation.objects.filter(vetoed=True).count() == 9
    assert figures["subsidies"] == {"period": "2026-11", "amount": "0.00", "compounds": 0}
    assert overview_json("--period", "2026-09")["subsidies"] == {
        "period": "2026-09",
        "amount": "1175249.20",
        "compounds": 538,
    }
    assert overview_json("--period", "2026-10")["subsidies"]["amount"] == "0.00"
    assert list(SubsidyRun.objects.order_by("period").values_list("status", flat=True)) == [
        *["posted"] * 6,
        "computed",
    ]
    assert SurveySample.objects.count() == 26_537
    call_command("ledger_check", stdout=io.StringIO())

    # A year of work orders until 2026-11-27 09:00 (demo.workorders), the same on any database.
    orders = WorkOrder.objects.all()
    assert orders.count() == 29_934
    assert Event.objects.count() == 264_511
    assert dict(orders.values_list("status").annotate(n=Count("id")).order_by()) == {
        "ordered": 17,
        "dispatched": 15,
        "accepted": 13,
        "in_progress": 84,
        "done": 39,
        "supervised": 46,
        "verified": 205,
        "rated": 29,
        "closed": 27_647,
        "cancelled": 440,
        "duplicate": 656,
        "not_ours": 743,
    }
    assert orders.filter(overdue_q(demo_now(datetime.date(2026, 11, 27)))).count() == 42

    # The time bank (demo.timebank): the seed's organisations and volunteers, a year of claims.
    assert time_bank_figures() == {
        "orgs": 1475,
        "volunteers": 12_000,
        "memberships": 15_611,
        "posts": 360,
        "activities": 11_955,
        "claims": {"pending": 958, "rejected": 3061, "second": 51, "verified": 67_869},
        "needs_second": 1620,
        "flagged": 403,
        "entries": 68_169,
        "pools": 14,
        "contributions": 26,
        "redemptions": 300,
        "redeemed": "10439.89",
    }
    call_command("timebank_check", stdout=io.StringIO())
