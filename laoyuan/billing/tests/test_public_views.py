"""The public notices (公示): no login, no personal data, exact figures, a QR code to the page."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.billing.calc import add_months, month_start
from laoyuan.billing.enums import SchemeBasis
from laoyuan.billing.qr import qr_svg
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.factories import BuildingFactory, Cast, HouseFactory, anonymous, as_user
from laoyuan.places.services import refresh_compound_totals

pytestmark = pytest.mark.django_db

# What must never appear on a public page: the residents' names and phones (masked or not).
PERSONAL = ("甲居民", "甲邻居", "13812341234", "13900001111", "138****1234", "139****1111")


def notice_url(cast: Cast) -> str:
    return reverse("billing:public_notice", args=[cast.a.compound.code])


def arrears_url(cast: Cast) -> str:
    return reverse("billing:public_arrears", args=[cast.a.compound.code])


def qr_url(cast: Cast) -> str:
    return reverse("billing:public_qr", args=[cast.a.compound.code])


def this_month() -> datetime.date:
    return month_start(timezone.localdate())


def assert_public(response) -> str:
    html = response.content.decode()
    for text in PERSONAL:
        assert text not in html
    # The content security policy refuses inline styles and scripts.
    assert not re.search(r"<[^>]+\sstyle=", html)
    assert "<script>" not in html
    return html


def test_notice_shows_the_scheme_package_and_costs_to_anyone(cast: Cast) -> None:
    cast.a.company.phone = "0371-6666 8888"
    cast.a.company.save()
    start = add_months(this_month(), -2)
    scheme = posted_scheme(
        cast.a.compound,
        rate="0.50",
        effective_from=start,
        trial_months=3,
        vacant_percent=50,
        unsold_percent=30,
        package=[
            {"item": "Guard", "standard": "24 h at the gate"},
            {"item": "Cleaning", "standard": "Stairs swept daily"},
        ],
        costs=[
            {"item": "Guards' wages", "monthly": "3000.00"},
            {"item": "Cleaner", "monthly": "600.00"},
        ],
    )

    response = anonymous().get(notice_url(cast))

    assert response.status_code == 200
    html = assert_public(response)
    assert f'data-scheme="{scheme.pk}" data-state="in-force"' in html
    assert "<strong>0.50 yuan</strong> per m² of floor area per month" in html
    assert f'<dd class="col-sm-8 col-lg-9" data-effective>{start:%Y-%m-%d}</dd>' in html
    posted = start - datetime.timedelta(days=31)
    assert f"data-posted>{posted:%Y-%m-%d}</dd>" in html
    assert "The first 3 months are free." in html
    assert "pay 50% of the fee" in html
    assert "pay 30% of the fee" in html
    assert html.count("data-package-item") == 2
    assert "<td>Cleaning</td><td>Stairs swept daily</td>" in html
    assert '<td class="num">3,000.00</td>' in html
    # 3,600.00 a month over 2 households and 146.40 m².
    assert "data-cost-total>3,600.00</td>" in html
    assert "data-cost-per-household>1,800.00</td>" in html
    assert "data-cost-per-m2>24.59</td>" in html
    # The median home of 60.00 and 86.40 m² is 73.20 m²: 36.60 a month.
    assert "(73.20 m²) that is about 36.60 yuan a month, 439.20 yuan a year." in html
    assert cast.a.company.name in html
    assert "data-service-phone>0371-6666 8888</a>" in html
    assert f'src="{qr_url(cast)}"' in html
    assert f"http://testserver{notice_url(cast)}" in html
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]


def test_notice_shows_a_per_household_scheme_and_the_one_coming(cast: Cast) -> None:
    current = posted_scheme(
        cast.a.compound,
        basis=SchemeBasis.PER_HOUSEHOLD,
        rate="150",
        effective_from=add_months(this_month(), -12),
    )
    upcoming = posted_scheme(
        cast.a.compound,
        basis=SchemeBasis.PER_HOUSEHOLD,
        rate="120",
        effective_from=add_months(this_month(), 2),
    )

    html = assert_public(anonymous().get(notice_url(cast)))

    assert f'data-scheme="{current.pk}" data-state="in-force"' in html
    assert f'data-scheme="{upcoming.pk}" data-state="upcoming"' in html
    assert html.index(f'data-scheme="{current.pk}"') < html.index(f'data-scheme="{upcoming.pk}"')
    assert "<strong>150.00 yuan</strong> per household per year" in html
    assert "<strong>120.00 yuan</strong> per household per year" in html
    assert f"New fees from {add_months(this_month(), 2):%Y-%m-%d}" in html
    assert "that is about 12.50 yuan a month, 150.00 yuan a year." in html


def test_notice_without_a_posted_scheme_says_so(cast: Cast) -> None:
    html = assert_public(anonymous().get(notice_url(cast)))
    assert "No fee scheme has been posted for this compound yet." in html


def test_notice_is_the_same_for_a_signed_in_resident(cast: Cast) -> None:
    posted_scheme(cast.a.compound)
    response = as_user(cast.users[Role.RESIDENT]).get(notice_url(cast))
    assert response.status_code == 200
    assert_public(response)
    # Their copy shows who is signed in: no shared cache may keep it.
    assert response["Cache-Control"] == "private, max-age=0"


def test_unknown_compound_code_answers_404(cast: Cast) -> None:
    client = anonymous()
    for name in ("billing:public_notice", "billing:public_arrears", "billing:public_qr"):
        assert client.get(reverse(name, args=["NO-SUCH"])).status_code == 404, name


def test_public_pages_refuse_post(cast: Cast) -> None:
    client = anonymous()
    assert client.post(notice_url(cast)).status_code == 405
    assert client.post(arrears_url(cast)).status_code == 405


def test_qr_code_is_an_svg_of_the_notice_address(cast: Cast) -> None:
    response = anonymous().get(qr_url(cast))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    body = response.content
    assert body.startswith(b"<?xml")
    assert b"style" not in body
    title = f"QR code of the fee notice of {cast.a.compound.name}"
    assert body == qr_svg(f"http://testserver{notice_url(cast)}", title=title)


def overdue_bills(cast: Cast) -> None:
    """House 101 owes three months (its oldest three months back); house 102 paid nothing for
    last month only; the current month's bill is not overdue."""
    month = this_month()
    posted_scheme(cast.a.compound, effective_from=add_months(month, -3))
    for back in (3, 2, 1, 0):
        bill(cast.a.house, add_months(month, -back))
    for back in (1, 0):
        bill(cast.a.neighbour_house, add_months(month, -back))


def test_arrears_lists_house_numbers_and_months_only(cast: Cast) -> None:
    overdue_bills(cast)

    response = anonymous().get(arrears_url(cast))

    assert response.status_code == 200
    html = assert_public(response)
    rows = re.findall(
        r'<tr data-house="([^"]+)"><td>[^<]+</td><td class="num" data-months>(\d+)', html
    )
    assert rows == [("1号楼-1-101", "3"), ("1号楼-1-102", "1")]
    # No amount owed: 43.20 (86.40 m² × 0.50) and 30.00 (60.00 m²) are nowhere.
    assert "43.20" not in html
    assert "30.00" not in html
    assert "A friendly reminder" in html
    assert "public" in response["Cache-Control"]


def test_arrears_list_empty_state_is_kind(cast: Cast) -> None:
    posted_scheme(cast.a.compound, effective_from=this_month())
    bill(cast.a.house, this_month())

    html = assert_public(anonymous().get(arrears_url(cast)))

    assert "data-house" not in html
    assert "Every household is up to date with its fees. Thank you all!" in html


def test_arrears_list_shows_only_its_own_compound(cast: Cast) -> None:
    overdue_bills(cast)
    html = anonymous().get(reverse("billing:public_arrears", args=[cast.b.compound.code]))
    assert "data-house" not in html.content.decode()


def test_public_pages_use_constant_queries(cast: Cast) -> None:
    overdue_bills(cast)
    client = anonymous()

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    notice_before, arrears_before = count(notice_url(cast)), count(arrears_url(cast))
    building = BuildingFactory(compound=cast.a.compound, number="2号楼")
    month = this_month()
    for room in ("201", "202", "203"):
        house = HouseFactory(building=building, room=room)
        for back in (2, 1):
            bill(house, add_months(month, -back))
    posted_scheme(cast.a.compound, effective_from=add_months(month, 3))
    refresh_compound_totals()

    assert count(notice_url(cast)) == notice_before
    assert count(arrears_url(cast)) == arrears_before
