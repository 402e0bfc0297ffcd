import datetime
import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.billing import exports, queries
from laoyuan.billing.queries import ArrearsRow, CollectionRow
from laoyuan.billing.tests.factories import bill, posted_scheme

D = Decimal
JAN = datetime.date(2026, 1, 1)


def read(content: bytes):
    return load_workbook(io.BytesIO(content))


def values(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_collection_workbook_has_translated_headers_money_and_percent():
    rows = [
        CollectionRow(1, "甲一号院", D("73.20"), D("43.20"), D("0.5902")),
        CollectionRow(2, "乙一号院", D("0.00"), D("0.00"), None),
    ]
    total = CollectionRow(JAN, "Total", D("73.20"), D("43.20"), D("0.5902"))
    with translation.override("en"):
        book = read(exports.collection_workbook(rows, by="compound", total=total))
    sheet = book["By compound"]
    assert values(sheet) == [
        ["Compound", "Billed (yuan)", "Paid (yuan)", "Collection rate"],
        ["甲一号院", 73.2, 43.2, 0.5902],
        ["乙一号院", 0, 0, None],
        ["Total", 73.2, 43.2, 0.5902],
    ]
    assert [sheet.cell(2, column).number_format for column in (2, 3, 4)] == [
        "0.00",
        "0.00",
        "0.00%",
    ]


@pytest.mark.django_db
def test_period_workbook_has_a_sheet_per_grouping_in_the_readers_scope(cast):
    posted_scheme(cast.a.compound)
    posted_scheme(cast.b.compound)
    bill(cast.a.house, JAN)
    bill(cast.b.house, JAN)
    with translation.override("en"):
        book = read(exports.period_collection_workbook(user=cast.users[Role.STREET], period=JAN))
    assert book.sheetnames == ["By street", "By company", "By compound", "By month"]
    assert values(book["By compound"]) == [
        ["Compound", "Billed (yuan)", "Paid (yuan)", "Collection rate"],
        ["甲一号院", 43.2, 0, 0],
        ["Total", 43.2, 0, 0],
    ]
    months = values(book["By month"])
    assert len(months) == 13
    assert months[-1] == ["2026-01", 43.2, 0, 0]
    # The outsider's workbook has none of street A's figures.
    with translation.override("en"):
        theirs = read(exports.period_collection_workbook(user=cast.users["outsider"], period=JAN))
    assert values(theirs["By compound"])[1:] == [["乙一号院", 43.2, 0, 0], ["Total", 43.2, 0, 0]]


def test_arrears_workbook_lists_each_household():
    house = ArrearsRow(
        7, "1号楼-1-101", 3, "甲一号院", datetime.date(2025, 1, 1), 15, 4, D("152.80"), False
    )
    neighbour = ArrearsRow(
        8, "1号楼-1-102", 3, "甲一号院", datetime.date(2025, 10, 1), 6, 3, D("90.00"), True
    )
    rows = [house, neighbour]
    with translation.override("en"):
        book = read(exports.arrears_workbook(rows, as_of=datetime.date(2026, 4, 15)))
    sheet = book["Arrears 2026-04-15"]
    assert values(sheet) == [
        [
            "House",
            "Compound",
            "Oldest month overdue",
            "Months overdue",
            "Bills overdue",
            "Outstanding (yuan)",
            "Settled account (party has left)",
        ],
        ["1号楼-1-101", "甲一号院", "2025-01", 15, 4, 152.8, "No"],
        ["1号楼-1-102", "甲一号院", "2025-10", 6, 3, 90, "Yes"],
    ]
    assert sheet.cell(2, 6).number_format == "0.00"


@pytest.mark.django_db
def test_arrears_workbook_from_the_query(cast):
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    rows = queries.arrears_list(user=cast.users[Role.COMPANY], as_of=datetime.date(2026, 3, 1))
    with translation.override("en"):
        book = read(exports.arrears_workbook(rows, as_of=datetime.date(2026, 3, 1)))
    assert values(book.worksheets[0])[1] == ["1号楼-1-101", "甲一号院", "2026-01", 2, 1, 43.2, "No"]


def test_arrears_by_age_workbook_ends_with_the_total():
    ages = {
        "1-3": {"households": 1, "amount": D("202.80")},
        "4-6": {"households": 1, "amount": D("60.00")},
        "7-12": {"households": 0, "amount": D("0.00")},
        "13+": {"households": 1, "amount": D("23.20")},
    }
    with translation.override("en"):
        book = read(exports.arrears_by_age_workbook(ages, as_of=datetime.date(2026, 4, 15)))
    sheet = book["Arrears by age 2026-04-15"]
    assert values(sheet) == [
        ["Months overdue", "Households", "Overdue (yuan)"],
        ["1 to 3 months", 1, 202.8],
        ["4 to 6 months", 1, 60],
        ["7 to 12 months", 0, 0],
        ["13 months or more", 1, 23.2],
        ["Total", 3, 286],
    ]
    assert sheet.cell(6, 3).number_format == "0.00"
