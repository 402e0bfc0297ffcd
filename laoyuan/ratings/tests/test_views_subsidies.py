"""The district's subsidy pages: the fund, the rates, computing a month, approving and
cancelling a run, its Excel export; refusals on the page; every other role kept out."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.factories import as_user
from laoyuan.places.models import Compound
from laoyuan.ratings.enums import SubsidyRunStatus, SubsidyState
from laoyuan.ratings.models import SubsidyRate, SubsidyRun
from laoyuan.ratings.services import subsidies
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
PAGE = "/ratings/subsidies/"
RATES = {
    "effective_from": "2026-01",
    "stars_1": "0.10",
    "stars_2": "0.15",
    "stars_3": "0.20",
    "stars_4": "0.25",
    "stars_5": "0.30",
}


def district(cast):
    client = as_user(cast.users[Role.DISTRICT])
    client.cookies["django_language"] = "en"
    return client


def text(response):
    return response.content.decode()


def final_four_stars(cast):
    Compound.objects.filter(pk=cast.a.compound.pk).update(area_m2="10000.00")
    h.final(
        cast,
        h.scored_88_5(cast),
        published_on=datetime.date(2026, 1, 10),
        final_on=datetime.date(2026, 1, 20),
    )


def test_the_district_sets_rates_funds_computes_and_approves_from_the_pages(cast):
    final_four_stars(cast)
    client = district(cast)
    empty = text(client.get(PAGE))
    assert "data-no-rates" in empty and "No run yet." in empty

    assert client.post("/ratings/subsidies/rates/", RATES).status_code == 302
    assert SubsidyRate.objects.count() == 5
    assert (
        client.post(
            "/ratings/subsidies/fund/", {"amount": "5000.00", "reference": "拨款1"}
        ).status_code
        == 302
    )
    computed = client.post("/ratings/subsidies/compute/", {"period": "2026-02"})
    run = SubsidyRun.objects.get()
    assert computed["Location"] == f"/ratings/subsidies/runs/{run.pk}/"
    page = text(client.get(computed["Location"]))
    assert "1 compounds, 2500.00 yuan." in page and "data-amount>2500.00<" in page

    approved = client.post(f"/ratings/subsidies/runs/{run.pk}/decide/", {"decision": "approve"})

    assert approved.status_code == 302
    run.refresh_from_db()
    assert run.status == SubsidyRunStatus.POSTED
    assert subsidies.fund_left(cast.district.pk) == D("2500.00")
    nothing = client.post("/ratings/subsidies/compute/", {"period": "2026-02"}, follow=True)
    assert "Nothing new to pay for that month." in text(nothing)
    assert SubsidyRun.objects.count() == 1


def test_refusals_stay_on_the_page_and_write_nothing(cast):
    final_four_stars(cast)
    client = district(cast)

    bad_rates = client.post("/ratings/subsidies/rates/", {**RATES, "stars_5": "0.35"})
    assert bad_rates.status_code == 400
    assert "Enter a rate from 0.00 to 0.30 yuan." in text(bad_rates)
    assert SubsidyRate.objects.count() == 0
    bad_month = client.post("/ratings/subsidies/compute/", {"period": "2026/02"})
    assert bad_month.status_code == 400
    assert "Enter a month as YYYY-MM, such as 2026-11." in text(bad_month)
    client.post("/ratings/subsidies/rates/", RATES)
    run = subsidies.compute(
        district=cast.district, period="2026-02", actor=cast.users[Role.DISTRICT]
    )
    short = client.post(f"/ratings/subsidies/runs/{run.pk}/decide/", {"decision": "approve"})
    assert short.status_code == 400
    assert "The subsidy fund holds 0.00 yuan, less than the run&#x27;s 2500.00." in text(short)
    no_reason = client.post(f"/ratings/subsidies/runs/{run.pk}/decide/", {"decision": "cancel"})
    assert no_reason.status_code == 400
    run.refresh_from_db()
    assert run.status == SubsidyRunStatus.COMPUTED
    cancelled = client.post(
        f"/ratings/subsidies/runs/{run.pk}/decide/", {"decision": "cancel", "reason": "面积待核"}
    )
    assert cancelled.status_code == 302
    assert run.subsidies.get().state == SubsidyState.CANCELLED


def test_the_run_exports_to_excel(cast):
    final_four_stars(cast)
    client = district(cast)
    client.post("/ratings/subsidies/rates/", RATES)
    run = subsidies.compute(
        district=cast.district, period="2026-02", actor=cast.users[Role.DISTRICT]
    )

    response = client.get(f"/ratings/subsidies/runs/{run.pk}/export.xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="subsidies-2026-02.xlsx"'
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1] == (
        cast.a.compound.code,
        cast.a.compound.name,
        2,
        10000,
        4,
        0.25,
        2500,
        cast.a.company.name,
        "Computed",
    )
    assert rows[-1][0] == "Total" and rows[-1][6] == 2500


@pytest.mark.parametrize(
    "role",
    [
        Role.STREET,
        Role.COMMUNITY,
        Role.COMPANY,
        Role.INSPECTOR,
        Role.RESIDENT,
        "outsider",
        "other_district",
    ],
)
def test_only_the_district_office(cast, role):
    final_four_stars(cast)
    subsidies.set_rates(
        actor=cast.users[Role.DISTRICT],
        district=cast.district,
        effective_from="2026-01",
        rates={1: "0.10", 2: "0.15", 3: "0.20", 4: "0.25", 5: "0.30"},
    )
    run = subsidies.compute(
        district=cast.district, period="2026-02", actor=cast.users[Role.DISTRICT]
    )
    client = as_user(cast.users[role])

    overview = client.get(PAGE)
    if role == "other_district":
        # Its own district's page, without this district's run.
        assert overview.status_code == 200 and "data-run=" not in text(overview)
    else:
        assert overview.status_code == 404
        assert client.post("/ratings/subsidies/compute/", {"period": "2026-03"}).status_code == 404
    assert client.get(f"/ratings/subsidies/runs/{run.pk}/").status_code == 404
    assert (
        client.post(
            f"/ratings/subsidies/runs/{run.pk}/decide/", {"decision": "approve"}
        ).status_code
        == 404
    )
    run.refresh_from_db()
    assert run.status == SubsidyRunStatus.COMPUTED
