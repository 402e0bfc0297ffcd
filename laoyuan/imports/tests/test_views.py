import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import RoleAssignment
from laoyuan.accounts.services import revoke_role
from laoyuan.factories import PASSWORD, Cast, grant, user_with
from laoyuan.imports.columns import SHEETS
from laoyuan.imports.enums import BatchStatus
from laoyuan.imports.models import ImportBatch
from laoyuan.imports.queries import batches_for
from laoyuan.imports.services import import_registry
from laoyuan.imports.tests.workbooks import bad_rows, good_sheets, rows_of, xlsx
from laoyuan.imports.xlsx import NOTES_SHEET
from laoyuan.places.models import Building, Compound, House

IMPORTERS = [Role.DISTRICT, Role.STREET, Role.COMMUNITY]
OTHERS = [Role.GRID, Role.BRANCH, Role.COMPANY, Role.COMMITTEE, Role.RESIDENT, Role.INSPECTOR]


@pytest.fixture(autouse=True)
def _english(client: Client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def login(client: Client, cast: Cast, role: str) -> Client:
    client.cookies["django_language"] = "en"
    assert client.login(username=cast.users[role].username, password=PASSWORD)
    return client


def upload(client: Client, content: io.BytesIO, name: str = "registry.xlsx"):
    content.name = name
    return client.post(reverse("imports:upload"), {"file": content})


def street_batch(cast: Cast, sheets=None) -> ImportBatch:
    return import_registry(
        file=xlsx(sheets or bad_rows(cast)), file_name="a.xlsx", actor=cast.users[Role.STREET]
    )


@pytest.mark.parametrize("role", IMPORTERS)
def test_upload_page_opens_for_offices(client: Client, cast: Cast, role: str) -> None:
    response = login(client, cast, role).get(reverse("imports:upload"))
    assert response.status_code == 200
    assert reverse("imports:template") in response.content.decode()


@pytest.mark.parametrize("role", OTHERS)
@pytest.mark.parametrize("name", ["imports:upload", "imports:template"])
def test_import_pages_are_404_for_other_roles(
    client: Client, cast: Cast, role: str, name: str
) -> None:
    assert login(client, cast, role).get(reverse(name)).status_code == 404


@pytest.mark.parametrize("role", OTHERS)
def test_batch_and_report_are_404_for_other_roles(client: Client, cast: Cast, role: str) -> None:
    batch = street_batch(cast)
    login(client, cast, role)
    assert client.get(reverse("imports:batch", args=[batch.pk])).status_code == 404
    assert client.get(reverse("imports:report", args=[batch.pk])).status_code == 404


def test_import_pages_send_anonymous_to_login(client: Client, cast: Cast) -> None:
    batch = street_batch(cast)
    for url in (
        reverse("imports:upload"),
        reverse("imports:template"),
        reverse("imports:batch", args=[batch.pk]),
        reverse("imports:report", args=[batch.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_outsider_sees_none_of_another_streets_batches(client: Client, cast: Cast) -> None:
    batch = street_batch(cast)
    login(client, cast, "outsider")

    page = client.get(reverse("imports:upload"))
    assert page.status_code == 200
    assert list(page.context["batches"]) == []
    assert client.get(reverse("imports:batch", args=[batch.pk])).status_code == 404
    assert client.get(reverse("imports:report", args=[batch.pk])).status_code == 404


def test_district_and_uploader_see_a_street_batch(client: Client, cast: Cast) -> None:
    batch = street_batch(cast)
    for role in (Role.DISTRICT, Role.STREET):
        login(client, cast, role)
        assert list(client.get(reverse("imports:upload")).context["batches"]) == [batch]
        assert client.get(reverse("imports:batch", args=[batch.pk])).status_code == 200
        client.logout()


def test_uploader_who_left_the_street_no_longer_sees_its_batches(
    client: Client, cast: Cast
) -> None:
    officer = user_with(Role.STREET, cast.a.street, "mover")
    batch = import_registry(file=xlsx(bad_rows(cast)), file_name="a.xlsx", actor=officer)
    client.cookies["django_language"] = "en"
    assert client.login(username="mover", password=PASSWORD)
    assert list(client.get(reverse("imports:upload")).context["batches"]) == [batch]

    # The officer moves to street B: the street A role is revoked.
    grant(officer, Role.STREET, cast.b.street)
    revoke_role(
        actor=cast.users[Role.DISTRICT],
        assignment=RoleAssignment.objects.get(user=officer, street=cast.a.street),
    )

    assert list(client.get(reverse("imports:upload")).context["batches"]) == []
    assert client.get(reverse("imports:batch", args=[batch.pk])).status_code == 404
    assert client.get(reverse("imports:report", args=[batch.pk])).status_code == 404
    assert list(batches_for(type(officer).objects.get(pk=officer.pk))) == []
    # Street A's office still sees it.
    assert list(batches_for(cast.users[Role.STREET])) == [batch]


def test_uploader_over_two_streets_sees_their_batch_while_holding_both(
    client: Client, cast: Cast
) -> None:
    officer = user_with(Role.STREET, cast.a.street, "two-streets")
    grant(officer, Role.STREET, cast.b.street)
    batch = import_registry(file=xlsx(bad_rows(cast)), file_name="a.xlsx", actor=officer)
    assert (batch.district_id, batch.street_id) == (cast.district.pk, None)
    client.cookies["django_language"] = "en"
    assert client.login(username="two-streets", password=PASSWORD)
    assert client.get(reverse("imports:batch", args=[batch.pk])).status_code == 200
    assert list(batches_for(cast.users[Role.STREET])) == []  # not street A's alone
    assert list(batches_for(cast.users[Role.DISTRICT])) == [batch]

    revoke_role(
        actor=cast.users[Role.DISTRICT],
        assignment=RoleAssignment.objects.get(user=officer, street=cast.b.street),
    )

    assert client.get(reverse("imports:batch", args=[batch.pk])).status_code == 404
    assert list(client.get(reverse("imports:upload")).context["batches"]) == []


def test_upload_good_workbook_imports_and_shows_counts(client: Client, cast: Cast) -> None:
    login(client, cast, Role.STREET)

    response = upload(client, xlsx(good_sheets(cast)))

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:batch", args=[batch.pk])
    assert batch.status == BatchStatus.OK
    assert batch.created_by == cast.users[Role.STREET]
    assert Compound.objects.filter(code__in=["N1", "N2"]).count() == 2
    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'data-count="houses">5<' in html
    assert 'data-status="ok"' in html
    assert "The workbook was imported." in html


def test_upload_bad_workbook_shows_errors_and_links_the_report(client: Client, cast: Cast) -> None:
    login(client, cast, Role.STREET)
    before = (Compound.objects.count(), Building.objects.count(), House.objects.count())

    response = upload(client, xlsx(bad_rows(cast)))

    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.REJECTED
    assert (Compound.objects.count(), Building.objects.count(), House.objects.count()) == before
    page = client.get(response["Location"]).content.decode()
    report_url = reverse("imports:report", args=[batch.pk])
    assert f'href="{report_url}"' in page
    assert "Write a number." in page
    assert "Same house as row 2." in page
    report = client.get(report_url)
    assert report.status_code == 200
    assert report["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f'filename="import-{batch.pk}-errors.xlsx"' in report["Content-Disposition"]
    rows = rows_of(b"".join(report.streaming_content))
    assert [row[:3] for row in rows[1:]] == [
        ("楼栋", 6, "小区编码"),
        ("房屋", 3, "建筑面积"),
        ("房屋", 7, "房号"),
        ("住户", 4, "手机"),
    ]


def test_report_of_an_ok_batch_is_404(client: Client, cast: Cast) -> None:
    batch = street_batch(cast, good_sheets(cast))
    login(client, cast, Role.STREET)
    assert client.get(reverse("imports:report", args=[batch.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("registry.csv", b"a,b\n", "Save the file as an Excel workbook (.xlsx)"),
        ("registry.xlsx", b"PK not really", "This file is not an Excel workbook (.xlsx)."),
        ("registry.txt", b"hello", "Upload an Excel workbook (.xlsx)."),
    ],
)
def test_upload_unusable_file_is_a_form_error(
    client: Client, cast: Cast, name: str, content: bytes, message: str
) -> None:
    login(client, cast, Role.STREET)

    response = upload(client, io.BytesIO(content), name)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_upload_missing_columns_is_a_form_error(client: Client, cast: Cast) -> None:
    login(client, cast, Role.STREET)

    response = upload(client, xlsx({"楼栋": [["小区编码"], ["N1"]]}))

    assert response.status_code == 400
    assert "lacks the required columns: 楼号 (building number)" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_template_has_the_four_sheets_headers_and_notes(client: Client, cast: Cast) -> None:
    response = login(client, cast, Role.STREET).get(reverse("imports:template"))

    assert response.status_code == 200
    assert "laoyuan-import-template.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["小区", "楼栋", "房屋", "住户", NOTES_SHEET]
    for spec in SHEETS:
        sheet = book[spec.title]
        assert [cell.value for cell in sheet[1]] == [column.header for column in spec.columns]
        assert sheet.max_row == 2
    notes = [row[1] for row in book[NOTES_SHEET].iter_rows(min_row=2, values_only=True)]
    assert all(column.header in notes for spec in SHEETS for column in spec.columns)


@pytest.mark.parametrize("role", IMPORTERS)
def test_template_example_rows_import_cleanly(client: Client, cast: Cast, role: str) -> None:
    login(client, cast, role)
    template = client.get(reverse("imports:template")).content

    response = upload(client, io.BytesIO(template), "template.xlsx")

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert batch.status == BatchStatus.OK, batch.first_errors
    assert (batch.compounds, batch.buildings, batch.houses, batch.persons) == (1, 1, 1, 1)
    example = Compound.objects.get(code="EX-0001")
    assert (example.households, example.residents, str(example.area_m2)) == (1, 1, "86.40")


def test_upload_page_recent_batches_query_count_is_constant(client: Client, cast: Cast) -> None:
    login(client, cast, Role.STREET)
    street_batch(cast)
    client.get(reverse("imports:upload"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("imports:upload"))
    for _ in range(2):
        street_batch(cast)
    with CaptureQueriesContext(connection) as three:
        response = client.get(reverse("imports:upload"))
    assert len(response.context["batches"]) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


@pytest.mark.parametrize(("role", "shown"), [(Role.STREET, True), (Role.GRID, False)])
def test_navigation_links_the_import_page_for_offices(
    client: Client, cast: Cast, role: str, shown: bool
) -> None:
    page = login(client, cast, role).get(reverse("dashboard:home")).content.decode()
    assert (f'href="{reverse("imports:upload")}"' in page) is shown
