import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks
from laoyuan.billing.enums import AccountKind, EntryKind
from laoyuan.billing.models import Bill, JournalEntry, Payment, Receipt
from laoyuan.billing.payment_import import import_opening_balances, import_payments
from laoyuan.billing.services.ledger import balance, company_account, household_account
from laoyuan.billing.services.payments import take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PAYMENT_HEADER = ["小区编码", "房号", "金额", "方式", "流水号", "日期", "备注"]
OPENING_HEADER = ["小区编码", "房号", "欠费金额", "备注"]


def workbook(header, *rows, title=None, name="ledger.xlsx"):
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def billed(cast):
    """Houses A (43.20 a month) and its neighbour (30.00) billed January to March."""
    posted_scheme(cast.a.compound)
    for month in (1, 2, 3):
        bill(cast.a.house, datetime.date(2026, month, 1))
        bill(cast.a.neighbour_house, datetime.date(2026, month, 1))
    return cast


def good_sheet(cast):
    code = cast.a.compound.code
    return workbook(
        PAYMENT_HEADER,
        (code, "1号楼-1-101", "86.40", "现金", "XJ-0001", "2026-03-02", "two months"),
        (code, "1号楼-1-102", 30, "银行转账", "YH-778899", datetime.date(2026, 3, 3), None),
    )


def test_a_good_sheet_is_recorded_and_a_reimport_pays_nothing_twice(billed):
    cast = billed
    company_user = cast.users[Role.COMPANY]
    result = import_payments(company=cast.a.company, upload=good_sheet(cast), actor=company_user)
    assert (result.ok, result.rows, result.created, result.already_recorded) == (True, 2, 2, 0)
    assert [r.number for r in result.receipts] == [
        f"{cast.a.company.code}-00000001",
        f"{cast.a.company.code}-00000002",
    ]
    payments = {p.reference: p for p in Payment.objects.all()}
    assert (
        payments["XJ-0001"].amount,
        payments["XJ-0001"].channel,
        payments["XJ-0001"].received_on,
        payments["XJ-0001"].note,
    ) == (Decimal("86.40"), "cash", datetime.date(2026, 3, 2), "two months")
    assert (payments["YH-778899"].channel, payments["YH-778899"].amount) == (
        "bank",
        Decimal("30.00"),
    )
    assert balance(household_account(cast.a.house)) == Decimal("43.20")
    assert balance(household_account(cast.a.neighbour_house)) == Decimal("60.00")
    entries = JournalEntry.objects.count()

    again = import_payments(company=cast.a.company, upload=good_sheet(cast), actor=company_user)
    assert (again.ok, again.created, again.already_recorded, again.receipts) == (True, 0, 2, [])
    assert (Payment.objects.count(), Receipt.objects.count()) == (2, 2)
    assert JournalEntry.objects.count() == entries
    assert balance(household_account(cast.a.house)) == Decimal("43.20")
    assert AuditEvent.objects.filter(action="payments.imported").count() == 1
    assert checks.first_discrepancy() is None


def test_english_headers_a_title_line_and_a_payment_already_taken(billed):
    cast = billed
    take_payment(
        house=cast.a.house,
        amount=Decimal("43.20"),
        channel="pos",
        reference="POS-1",
        actor=cast.users[Role.COMPANY],
    )
    upload = workbook(
        ["Compound code", "House", "Amount", "Channel", "Reference", "Date"],
        (cast.a.compound.code, "1号楼-1-101", "43.20", "POS", "POS-1", "2026-03-01"),
        (cast.a.compound.code, " 1号楼－1－101 ", "43.20", "online", "WX-1", "2026/3/1"),
        title="三月银行流水",
    )
    result = import_payments(company=cast.a.company, upload=upload, actor=cast.users["company"])
    assert (result.ok, result.created, result.already_recorded) == (True, 1, 1)
    assert Payment.objects.get(reference="WX-1").channel == "online"
    assert balance(household_account(cast.a.house)) == Decimal("43.20")


def test_a_sheet_with_bad_rows_writes_nothing_and_names_each_row_and_column(billed):
    cast = billed
    code = cast.a.compound.code
    upload = workbook(
        PAYMENT_HEADER,
        (code, "1号楼-1-101", "43.20", "现金", "XJ-1", "2026-03-02", ""),  # 2: good
        (code, "9号楼-9-999", "43.20", "现金", "XJ-2", "2026-03-02", ""),  # 3
        (code, "1号楼-1-102", "abc", "现金", "XJ-3", "2026-03-02", ""),  # 4
        (code, "1号楼-1-102", "10.00", "支票", "XJ-4", "2026-03-02", ""),  # 5
        (code, "1号楼-1-102", "10.00", "现金", None, "2026-03-02", ""),  # 6
        (code, "1号楼-1-102", "10.00", "现金", "XJ-1", "2026-03-02", ""),  # 7
        (cast.b.compound.code, "1号楼-1-101", "10.00", "现金", "XJ-7", "2026-03-02", ""),  # 8
        (code, "1号楼-1-102", "1.001", "现金", "XJ-8", "2099-01-01", ""),  # 9
        # 3 × 43.20 owed + 12 × 43.20 ahead = 648.00 in all for house A; row 2 took 43.20.
        (code, "1号楼-1-101", "604.81", "现金", "XJ-9", "2026-03-02", ""),  # 10
    )
    with translation.override("en"):
        result = import_payments(company=cast.a.company, upload=upload, actor=cast.users["company"])
    assert not result.ok
    assert (result.created, result.receipts) == (0, [])
    assert result.errors == [
        (
            3,
            "房号",
            f"Compound {code} has no house 9号楼-9-999 (write the house number as "
            "building-unit-room, e.g. 1号楼-1-101).",
        ),
        (4, "金额", "Write a number."),
        (5, "方式", "Write one of: 现金、银行转账、转账、银行、刷卡、线上、在线、网上."),
        (6, "流水号", "Required."),
        (7, "流水号", "The same reference as row 2."),
        (8, "小区编码", "No compound with this code is served by 甲公办物业."),
        (9, "金额", "At most two decimal places (yuan and fen)."),
        (9, "日期", "The date cannot be in the future."),
        (
            10,
            "金额",
            "With this sheet's rows above for house 1号楼-1-101 this pays more than 12 months "
            "ahead: at most 648.00 can be paid for it now.",
        ),
    ]
    assert Payment.objects.count() == 0
    assert not JournalEntry.objects.filter(kind=EntryKind.PAYMENT).exists()
    with translation.override("en"):
        report = load_workbook(io.BytesIO(result.report()), read_only=True)
    rows = list(report.active.iter_rows(values_only=True))
    assert rows[0] == ("Sheet", "Row", "Column", "Value", "Reason")
    assert rows[1][1:4] == (3, "房号", "9号楼-9-999")
    assert len(rows) == 1 + 9
    assert not AuditEvent.objects.filter(action="payments.imported").exists()
    assert checks.first_discrepancy() is None


def test_a_reference_reused_for_another_house_is_an_error(billed):
    cast = billed
    take_payment(
        house=cast.a.neighbour_house,
        amount=Decimal("30.00"),
        channel="cash",
        reference="XJ-0001",
        actor=cast.users[Role.COMPANY],
    )
    with translation.override("en"):
        result = import_payments(
            company=cast.a.company, upload=good_sheet(cast), actor=cast.users["company"]
        )
    assert result.errors == [
        (2, "流水号", "This reference is already recorded for another house or amount.")
    ]
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("ledger.xls", b"old"), "Save the file as an Excel workbook (.xlsx)"),
        (SimpleUploadedFile("ledger.xlsx", b"not a zip"), "This file is not an Excel workbook"),
        (workbook(["甲", "乙"], ("1", "2")), "No sheet has a header row with the columns"),
        (workbook(["小区编码", "房号", "金额"]), "lacks the required columns: 方式 (channel)"),
        (workbook(PAYMENT_HEADER), "The workbook has no rows to import."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(cast, upload, message):
    with translation.override("en"):
        result = import_payments(company=cast.a.company, upload=upload, actor=cast.users["company"])
    assert not result.ok
    [(row, column, reason)] = result.errors
    assert (row, column) == (0, "")
    assert message in reason


@pytest.mark.parametrize("who", ["outsider", Role.STREET, Role.RESIDENT, Role.DISTRICT])
def test_only_the_company_imports_its_payments(billed, who):
    cast = billed
    with pytest.raises(PermissionDenied):
        import_payments(company=cast.a.company, upload=good_sheet(cast), actor=cast.users[who])
    with pytest.raises(PermissionDenied):
        import_opening_balances(
            company=cast.a.company, upload=opening_sheet(cast), actor=cast.users[who]
        )
    assert Payment.objects.count() == 0
    assert not JournalEntry.objects.filter(kind=EntryKind.OPENING).exists()


# Opening balances ----------------------------------------------------------------------------


def opening_sheet(cast, first="1036.80", second="500.00"):
    code = cast.a.compound.code
    return workbook(
        OPENING_HEADER,
        (code, "1号楼-1-101", first, "24 months unpaid"),
        (code, "1号楼-1-102", second, None),
        name="arrears.xlsx",
    )


def test_opening_balances_import_once_as_the_oldest_bill(cast):
    posted_scheme(cast.a.compound)
    company = cast.a.company
    actor = cast.users[Role.COMPANY]
    result = import_opening_balances(company=company, upload=opening_sheet(cast), actor=actor)
    assert (result.ok, result.rows, result.created, result.already_recorded) == (True, 2, 2, 0)
    # The company took compound A over on 2021-03-01: the arrears sit in February 2021.
    opening = Bill.objects.get(house=cast.a.house)
    assert (opening.period, opening.list_amount, opening.amount, opening.paid, opening.trial) == (
        datetime.date(2021, 2, 1),
        Decimal("1036.80"),
        Decimal("1036.80"),
        Decimal("0.00"),
        False,
    )
    entry = JournalEntry.objects.get(bill=opening)
    assert (entry.kind, entry.reference) == (EntryKind.OPENING, f"OPENING-{cast.a.house.pk}")
    assert balance(household_account(cast.a.house)) == Decimal("1036.80")
    assert balance(household_account(cast.a.neighbour_house)) == Decimal("500.00")
    assert balance(company_account(company, AccountKind.OPENING)) == Decimal("-1536.80")
    assert checks.first_discrepancy() is None

    again = import_opening_balances(company=company, upload=opening_sheet(cast), actor=actor)
    assert (again.ok, again.created, again.already_recorded) == (True, 0, 2)
    assert JournalEntry.objects.filter(kind=EntryKind.OPENING).count() == 2
    assert balance(household_account(cast.a.house)) == Decimal("1036.80")
    assert AuditEvent.objects.filter(action="opening_balances.imported").count() == 1

    # A payment settles the inherited arrears first: they are the oldest bill.
    bill(cast.a.house, datetime.date(2026, 1, 1))
    take_payment(
        house=cast.a.house, amount=Decimal("100.00"), channel="cash", reference="C-1", actor=actor
    )
    opening.refresh_from_db()
    assert opening.paid == Decimal("100.00")
    assert Bill.objects.get(house=cast.a.house, period=datetime.date(2026, 1, 1)).paid == Decimal(
        "0.00"
    )
    assert checks.first_discrepancy() is None


def test_credit_already_held_settles_the_inherited_arrears(cast):
    posted_scheme(cast.a.compound)
    actor = cast.users[Role.COMPANY]
    take_payment(
        house=cast.a.house, amount=Decimal("200.00"), channel="cash", reference="C-1", actor=actor
    )
    import_opening_balances(company=cast.a.company, upload=opening_sheet(cast), actor=actor)
    opening = Bill.objects.get(house=cast.a.house)
    assert (opening.amount, opening.paid) == (Decimal("1036.80"), Decimal("200.00"))
    assert balance(household_account(cast.a.house)) == Decimal("836.80")
    assert checks.first_discrepancy() is None


def test_opening_balances_refused_write_nothing(cast):
    code = cast.a.compound.code
    actor = cast.users[Role.COMPANY]
    # No scheme posted yet: the opening bills would have none.
    with translation.override("en"):
        result = import_opening_balances(
            company=cast.a.company, upload=opening_sheet(cast), actor=actor
        )
    message = "Post the compound's fee scheme before importing its opening balances."
    assert result.errors == [(2, "小区编码", message), (3, "小区编码", message)]
    posted_scheme(cast.a.compound)
    import_opening_balances(company=cast.a.company, upload=opening_sheet(cast), actor=actor)
    upload = workbook(
        OPENING_HEADER,
        (code, "1号楼-1-101", "999.00", ""),  # 2: another amount than recorded
        (code, "1号楼-1-102", "500.00", ""),  # 3: already recorded
        (code, "1号楼-1-102", "1.00", ""),  # 4: the same house twice
        (code, "1号楼-1-103", "0", ""),  # 5
        (cast.b.compound.code, "1号楼-1-101", "5.00", ""),  # 6
        name="arrears.xlsx",
    )
    entries = JournalEntry.objects.count()
    with translation.override("en"):
        result = import_opening_balances(company=cast.a.company, upload=upload, actor=actor)
    assert result.errors == [
        (2, "欠费金额", "An opening balance of 1036.80 is already recorded for this house."),
        (4, "房号", "The same house as row 3."),
        (
            5,
            "房号",
            f"Compound {code} has no house 1号楼-1-103 (write the house number as "
            "building-unit-room, e.g. 1号楼-1-101).",
        ),
        (5, "欠费金额", "Write an amount above 0.00."),
        (6, "小区编码", "No compound with this code is served by 甲公办物业."),
    ]
    assert (result.created, result.already_recorded) == (0, 1)
    assert JournalEntry.objects.count() == entries
    assert checks.first_discrepancy() is None


def test_a_house_billed_in_the_opening_month_is_refused(cast):
    posted_scheme(cast.a.compound, effective_from=datetime.date(2021, 1, 1))
    bill(cast.a.house, datetime.date(2021, 2, 1))
    with translation.override("en"):
        result = import_opening_balances(
            company=cast.a.company, upload=opening_sheet(cast), actor=cast.users["company"]
        )
    assert result.errors == [
        (
            2,
            "房号",
            "This house already has a bill for 2021-02, the month before the takeover on "
            "2021-03-01: its arrears are in the books already.",
        )
    ]
    assert not JournalEntry.objects.filter(kind=EntryKind.OPENING).exists()
