"""The collection views of the offices: exact figures per role, drill-down, exports, scope."""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.billing.calc import add_months, month_start
from laoyuan.billing.enums import Channel
from laoyuan.billing.services.payments import take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.factories import (
    BuildingFactory,
    Cast,
    CompoundFactory,
    HouseFactory,
    anonymous,
    as_user,
    user_with,
)
from laoyuan.places.services import refresh_compound_totals

pytestmark = pytest.mark.django_db

URL = "/billing/collection/"
EXPORT = "/billing/collection/export/"
# Last month: its bills are one month overdue today.
P = add_months(month_start(timezone.localdate()), -1)
PERIOD = f"{P:%Y-%m}"


def pay(cast: Cast, side: str, house, amount: str, reference: str) -> None:
    company_user = (
        cast.users[Role.COMPANY]
        if side == "a"
        else user_with(Role.COMPANY, getattr(cast, side).company)
    )
    take_payment(
        house=house,
        amount=Decimal(amount),
        channel=Channel.CASH,
        reference=reference,
        actor=company_user,
        received_on=timezone.localdate(),
    )


@pytest.fixture
def billed(cast: Cast) -> Cast:
    """Month P: house A 43.20 unpaid (its payment went to an older bill, of P-4), its neighbour
    30.00 paid, house B 43.20 with 20.00 paid; house C (another district) 43.20 unpaid."""
    for side in (cast.a, cast.b, cast.c):
        posted_scheme(side.compound, effective_from=add_months(P, -12))
    bill(cast.a.house, add_months(P, -4))
    for house in (cast.a.house, cast.a.neighbour_house, cast.b.house, cast.c.house):
        bill(house, P)
    pay(cast, "a", cast.a.house, "43.20", "A-1")
    pay(cast, "a", cast.a.neighbour_house, "30.00", "A-2")
    pay(cast, "b", cast.b.house, "20.00", "B-1")
    return cast


def page(cast: Cast, who: str, **params) -> str:
    response = as_user(cast.users[who]).get(URL, params)
    assert response.status_code == 200, who
    return response.content.decode()


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">([^<]+)<', html))


def table(html: str, name: str) -> list[tuple[str, str, str, str]]:
    """The rows of one table: label, billed, paid, rate."""
    start = html.find(f'data-table="{name}"')
    if start < 0:
        return []
    section = html[start : html.find("</section>", start)]
    return re.findall(
        r'<tr data-row="[^"]*">\s*<th scope="row" class="fw-normal">(?:<a href="[^"]*">)?([^<]+)'
        r'(?:</a>)?</th>\s*<td class="num" data-billed>([^<]+)</td>\s*'
        r'<td class="num" data-paid>([^<]+)</td>\s*<td class="num" data-rate>([^<]+)</td>',
        section,
    )


def arrears(html: str) -> dict[str, tuple[str, str]]:
    return {
        bucket: (households, amount)
        for bucket, households, amount in re.findall(
            r'<tr[^>]*data-bucket="([^"]+)">.*?data-households>(\d+)</td><td class="num" '
            r"data-amount>([^<]+)</td>",
            html,
        )
    }


# --- Figures per role --------------------------------------------------------------------------


def test_district_sees_every_street_of_its_district(billed: Cast) -> None:
    html = page(billed, Role.DISTRICT)

    assert f'value="{PERIOD}"' in html
    # 116.40 billed, 50.00 paid: 42.96 %.
    assert figures(html) == {"billed": "116.40", "paid": "50.00", "rate": "42.96%"}
    # Sorted by name (乙 comes before 甲 in code-point order).
    assert table(html, "street") == [
        ("乙街道", "43.20", "20.00", "46.30%"),
        ("甲街道", "73.20", "30.00", "40.98%"),
    ]
    assert table(html, "company") == [
        ("乙公办物业", "43.20", "20.00", "46.30%"),
        ("甲公办物业", "73.20", "30.00", "40.98%"),
    ]
    assert table(html, "compound") == [
        ("乙一号院", "43.20", "20.00", "46.30%"),
        ("甲一号院", "73.20", "30.00", "40.98%"),
    ]
    months = table(html, "month")
    assert [m[0] for m in months] == [f"{add_months(P, n):%Y-%m}" for n in range(-11, 1)]
    assert months[7] == (f"{add_months(P, -4):%Y-%m}", "43.20", "43.20", "100.00%")
    assert months[11] == (PERIOD, "116.40", "50.00", "42.96%")
    assert months[0] == (f"{add_months(P, -11):%Y-%m}", "0.00", "0.00", "—")
    # House A owes P (43.20) and house B the rest of P (23.20), both one month overdue.
    assert arrears(html) == {
        "1-3": ("2", "66.40"),
        "4-6": ("0", "0.00"),
        "7-12": ("0", "0.00"),
        "13+": ("0", "0.00"),
        "total": ("2", "66.40"),
    }
    for name in ("丙", "甲居民", "13812341234"):
        assert name not in html


def test_street_sees_only_its_street(billed: Cast) -> None:
    html = page(billed, Role.STREET)

    assert figures(html) == {"billed": "73.20", "paid": "30.00", "rate": "40.98%"}
    assert table(html, "street") == []
    assert table(html, "company") == [("甲公办物业", "73.20", "30.00", "40.98%")]
    assert table(html, "compound") == [("甲一号院", "73.20", "30.00", "40.98%")]
    assert arrears(html)["1-3"] == ("1", "43.20")
    assert "乙" not in html


def test_outsider_street_sees_only_street_b(billed: Cast) -> None:
    html = page(billed, "outsider")

    assert figures(html) == {"billed": "43.20", "paid": "20.00", "rate": "46.30%"}
    assert table(html, "compound") == [("乙一号院", "43.20", "20.00", "46.30%")]
    assert arrears(html)["1-3"] == ("1", "23.20")
    assert "甲" not in html


def test_another_district_sees_nothing_of_ours(billed: Cast) -> None:
    html = page(billed, "other_district")

    assert figures(html) == {"billed": "43.20", "paid": "0.00", "rate": "0.00%"}
    assert table(html, "compound") == [("丙一号院", "43.20", "0.00", "0.00%")]
    for name in ("甲", "乙"):
        assert name not in html


@pytest.mark.parametrize("role", [Role.COMMUNITY, Role.COMPANY, Role.BRANCH, Role.COMMITTEE])
def test_community_company_branch_and_committee_see_their_compound(billed: Cast, role) -> None:
    html = page(billed, role)

    assert figures(html) == {"billed": "73.20", "paid": "30.00", "rate": "40.98%"}
    assert table(html, "compound") == [("甲一号院", "73.20", "30.00", "40.98%")]
    assert "乙" not in html
    # Figures only: no house, name or phone.
    for text in ("1号楼-1-101", "甲居民", "13812341234"):
        assert text not in html


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.INSPECTOR, Role.GRID])
def test_collection_is_404_to_residents_inspectors_and_grid_workers(billed: Cast, role) -> None:
    client = as_user(billed.users[role])
    assert client.get(URL).status_code == 404
    assert client.get(EXPORT, {"period": PERIOD, "table": "compound"}).status_code == 404


def test_collection_asks_anonymous_to_sign_in(billed: Cast) -> None:
    for url in (URL, EXPORT):
        response = anonymous().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_collection_without_bills_says_so(cast: Cast) -> None:
    html = page(cast, Role.STREET)
    assert "No bills have been issued in your area yet." in html
    assert as_user(cast.users[Role.STREET]).get(EXPORT).status_code == 404


def test_collection_of_another_month(billed: Cast) -> None:
    html = page(billed, Role.DISTRICT, period=f"{add_months(P, -4):%Y-%m}")
    assert figures(html) == {"billed": "43.20", "paid": "43.20", "rate": "100.00%"}
    html = page(billed, Role.DISTRICT, period=f"{add_months(P, -1):%Y-%m}")
    assert figures(html) == {"billed": "0.00", "paid": "0.00", "rate": "—"}
    assert "Nothing was billed here in this month." in html
    # A period that is not a month falls back to the latest billed.
    assert f'value="{PERIOD}"' in page(billed, Role.DISTRICT, period="March")


# --- Drill-down --------------------------------------------------------------------------------


def test_district_drills_down_to_a_street_and_a_compound(billed: Cast) -> None:
    html = page(billed, Role.DISTRICT)
    street_link = f"{URL}?period={PERIOD}&amp;street={billed.a.street.pk}"
    assert f'<a href="{street_link}">甲街道</a>' in html

    html = page(billed, Role.DISTRICT, period=PERIOD, street=billed.a.street.pk)
    assert "Fee collection: 甲街道" in html
    assert figures(html) == {"billed": "73.20", "paid": "30.00", "rate": "40.98%"}
    assert table(html, "compound") == [("甲一号院", "73.20", "30.00", "40.98%")]
    assert table(html, "street") == table(html, "company") == []
    assert table(html, "month")[11] == (PERIOD, "73.20", "30.00", "40.98%")
    assert table(html, "month")[7] == (f"{add_months(P, -4):%Y-%m}", "43.20", "43.20", "100.00%")
    assert arrears(html)["1-3"] == ("1", "43.20")
    compound_link = f"{URL}?period={PERIOD}&amp;compound={billed.a.compound.pk}"
    assert f'<a href="{compound_link}">甲一号院</a>' in html

    html = page(billed, Role.DISTRICT, period=PERIOD, compound=billed.b.compound.pk)
    assert "Fee collection: 乙一号院" in html
    assert figures(html) == {"billed": "43.20", "paid": "20.00", "rate": "46.30%"}
    assert table(html, "compound") == []
    assert table(html, "month")[11] == (PERIOD, "43.20", "20.00", "46.30%")
    assert arrears(html)["1-3"] == ("1", "23.20")


def test_drilling_into_a_community(billed: Cast) -> None:
    """The district and the community office see the same figures of community A; only the
    district's breadcrumb links the street, which the community office cannot open."""
    community = billed.a.community
    street_link = f"{URL}?period={PERIOD}&amp;street={billed.a.street.pk}"
    for who in (Role.DISTRICT, Role.COMMUNITY):
        html = page(billed, who, period=PERIOD, community=community.pk)
        assert f"Fee collection: {community.name}" in html, who
        assert figures(html) == {"billed": "73.20", "paid": "30.00", "rate": "40.98%"}, who
        assert table(html, "compound") == [("甲一号院", "73.20", "30.00", "40.98%")], who
        assert table(html, "month")[11] == (PERIOD, "73.20", "30.00", "40.98%"), who
        assert arrears(html)["1-3"] == ("1", "43.20"), who
        assert (f'<a href="{street_link}">甲街道</a>' in html) == (who == Role.DISTRICT), who
    response = as_user(billed.users[Role.COMMUNITY]).get(
        EXPORT, {"period": PERIOD, "community": community.pk, "table": "compound"}
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="collection-{PERIOD}-community{community.pk}-compound.xlsx"'
    )
    [rows] = sheet_rows(response.content).values()
    assert [(r[0], Decimal(str(r[1])), Decimal(str(r[2]))) for r in rows[1:]] == [
        ("甲一号院", Decimal("73.2"), Decimal("30")),
        (community.name, Decimal("73.2"), Decimal("30")),
    ]
    # Another street's community is 404, and a community office cannot widen to its street.
    assert (
        as_user(billed.users[Role.STREET])
        .get(URL, {"community": billed.b.community.pk})
        .status_code
        == 404
    )
    assert (
        as_user(billed.users[Role.COMMUNITY]).get(URL, {"street": billed.a.street.pk}).status_code
        == 404
    )


def test_drilling_into_another_scope_is_404(billed: Cast) -> None:
    street = as_user(billed.users[Role.STREET])
    assert street.get(URL, {"street": billed.b.street.pk}).status_code == 404
    assert street.get(URL, {"compound": billed.b.compound.pk}).status_code == 404
    assert street.get(EXPORT, {"compound": billed.b.compound.pk}).status_code == 404
    other = as_user(billed.users["other_district"])
    assert other.get(URL, {"street": billed.a.street.pk}).status_code == 404
    assert other.get(URL, {"compound": billed.a.compound.pk}).status_code == 404
    company = as_user(billed.users[Role.COMPANY])
    assert company.get(URL, {"compound": billed.b.compound.pk}).status_code == 404


# --- Excel -------------------------------------------------------------------------------------


def sheet_rows(content: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(BytesIO(content))
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in workbook}


def test_each_table_exports_to_excel_with_the_page_figures(billed: Cast) -> None:
    client = as_user(billed.users[Role.DISTRICT])
    html = page(billed, Role.DISTRICT)
    for name in ("street", "company", "compound", "month", "arrears"):
        assert f'href="{EXPORT}?period={PERIOD}&amp;table={name}" data-export="{name}"' in html

    response = client.get(EXPORT, {"period": PERIOD, "table": "street"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="collection-{PERIOD}-street.xlsx"'
    )
    [rows] = sheet_rows(response.content).values()
    assert rows[0] == ("Street", "Billed (yuan)", "Paid (yuan)", "Collection rate")
    assert [(r[0], Decimal(str(r[1])), Decimal(str(r[2]))) for r in rows[1:]] == [
        ("乙街道", Decimal("43.2"), Decimal("20")),
        ("甲街道", Decimal("73.2"), Decimal("30")),
        ("Total", Decimal("116.4"), Decimal("50")),
    ]

    response = client.get(EXPORT, {"period": PERIOD, "table": "arrears"})
    [rows] = sheet_rows(response.content).values()
    assert rows[0] == ("Months overdue", "Households", "Overdue (yuan)")
    assert rows[1][:2] == ("1 to 3 months", 2)
    assert Decimal(str(rows[1][2])) == Decimal("66.4")
    assert [r[1] for r in rows[2:5]] == [0, 0, 0]
    assert rows[5][:2] == ("Total", 2)

    response = client.get(EXPORT, {"period": PERIOD})
    assert list(sheet_rows(response.content)) == [
        "By street",
        "By company",
        "By compound",
        "By month",
    ]


def test_drilled_export_has_only_the_drilled_rows(billed: Cast) -> None:
    client = as_user(billed.users[Role.DISTRICT])
    response = client.get(
        EXPORT, {"period": PERIOD, "street": billed.a.street.pk, "table": "compound"}
    )
    [rows] = sheet_rows(response.content).values()
    assert [r[0] for r in rows[1:]] == ["甲一号院", "甲街道"]
    assert (
        client.get(
            EXPORT, {"period": PERIOD, "street": billed.a.street.pk, "table": "company"}
        ).status_code
        == 404
    )
    assert client.get(EXPORT, {"period": PERIOD, "table": "nonsense"}).status_code == 404


def test_outsider_export_has_nothing_of_ours(billed: Cast) -> None:
    client = as_user(billed.users["outsider"])
    for name in ("street", "company", "compound", "month"):
        content = client.get(EXPORT, {"period": PERIOD, "table": name}).content
        text = repr(sheet_rows(content))
        assert "甲" not in text, name


# --- Queries -----------------------------------------------------------------------------------


def test_collection_page_queries_do_not_grow_with_compounds(billed: Cast) -> None:
    client = as_user(billed.users[Role.DISTRICT])

    def count(**params) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"period": PERIOD, **params}).status_code == 200
        return len(queries)

    top, street = count(), count(street=billed.a.street.pk)
    for n in range(3):
        compound = CompoundFactory(grid=billed.a.grid)
        house = HouseFactory(building=BuildingFactory(compound=compound), room=f"{n}01")
        posted_scheme(compound, effective_from=add_months(P, -12), company=billed.a.company)
        for back in (2, 1, 0):
            bill(house, add_months(P, -back))
    refresh_compound_totals()

    assert count() == top
    assert count(street=billed.a.street.pk) == street


def test_a_company_sees_the_bills_of_a_compound_it_handed_over_without_a_dead_link(
    billed: Cast,
) -> None:
    """Its bills stay the company's figures after another company takes the compound over,
    but the compound's own collection page is no longer the company's: its row has no link."""
    from laoyuan.places.models import Compound

    Compound.objects.filter(pk=billed.a.compound.pk).update(company=billed.b.company)
    html = page(billed, Role.COMPANY)
    assert table(html, "compound") == [("甲一号院", "73.20", "30.00", "40.98%")]
    assert f"compound={billed.a.compound.pk}" not in html
    district = page(billed, Role.DISTRICT, period=PERIOD, street=billed.a.street.pk)
    compound_link = f"{URL}?period={PERIOD}&amp;compound={billed.a.compound.pk}"
    assert f'<a href="{compound_link}">甲一号院</a>' in district
