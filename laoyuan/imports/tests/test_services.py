import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import forget_scope
from laoyuan.core.models import AuditEvent
from laoyuan.core.personal import decrypt_id_number, id_number_hash
from laoyuan.factories import Cast, GridFactory, grant, user_with
from laoyuan.imports.enums import BatchStatus
from laoyuan.imports.models import ImportBatch
from laoyuan.imports.services import import_registry
from laoyuan.imports.tests.workbooks import (
    BUILDING_HEADERS,
    COMPOUND_HEADERS,
    HOUSE_HEADERS,
    RESIDENT_HEADERS,
    bad_rows,
    good_sheets,
    id_number,
    rows_of,
    xlsx,
)
from laoyuan.imports.xlsx import WorkbookError
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import Building, Compound, House, ManagementPeriod

TODAY = datetime.date(2025, 3, 1)
TABLES = (Compound, Building, House, Person, Residency, ManagementPeriod, AuditEvent)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def run(cast: Cast, sheets, role: str = Role.STREET, name: str = "registry.xlsx"):
    return import_registry(file=xlsx(sheets), file_name=name, actor=cast.users[role], today=TODAY)


def report_rows(batch: ImportBatch) -> list[tuple]:
    with batch.report.open("rb") as f:
        return rows_of(f.read())


def test_import_good_workbook_writes_exact_counts(cast: Cast) -> None:
    before = counts()

    batch = run(cast, good_sheets(cast))

    assert batch.status == BatchStatus.OK
    after = counts()
    assert {name: after[name] - before[name] for name in after} == {
        "Compound": 2,
        "Building": 4,
        "House": 5,
        "Person": 4,
        "Residency": 4,
        "ManagementPeriod": 2,
        "AuditEvent": 1,
    }
    assert (batch.compounds, batch.buildings, batch.houses, batch.persons, batch.residencies) == (
        2,
        4,
        5,
        4,
        4,
    )
    assert batch.rows == 15
    assert batch.error_count == 0
    assert not batch.report


def test_import_good_workbook_derives_compound_totals(cast: Cast) -> None:
    run(cast, good_sheets(cast))

    n1 = Compound.objects.get(code="N1")
    n2 = Compound.objects.get(code="N2")
    existing = Compound.objects.get(pk=cast.a.compound.pk)
    assert (n1.area_m2, n1.households, n1.residents) == (Decimal("246.95"), 3, 2)
    assert (n2.area_m2, n2.households, n2.residents) == (Decimal("45.01"), 1, 1)
    assert (existing.area_m2, existing.households, existing.residents) == (
        Decimal("216.40"),
        3,
        3,
    )


def test_import_places_compounds_and_fields(cast: Cast) -> None:
    run(cast, good_sheets(cast))

    n1 = Compound.objects.get(code="N1")
    assert (n1.district_id, n1.street_id, n1.community_id, n1.grid_id) == (
        cast.district.pk,
        cast.a.street.pk,
        cast.a.community.pk,
        cast.a.grid.pk,
    )
    assert (n1.name, n1.address, n1.build_year, n1.renovated, n1.renovated_on) == (
        "新一号院",
        "城东路1号",
        1990,
        True,
        datetime.date(2021, 6, 30),
    )
    assert (n1.parking_motor, n1.parking_non_motor, n1.management_mode) == (10, 40, "unmanaged")
    n2 = Compound.objects.get(code="N2")
    assert n2.grid_id == cast.a.grid.pk
    assert (n2.renovated, n2.parking_motor) == (False, 0)
    statuses = dict(House.objects.filter(compound__code="N1").values_list("room", "status"))
    assert statuses == {"101": "occupied", "102": "vacant", "201": "unsold"}
    new_house = House.objects.get(compound=cast.a.compound, room="103")
    assert (new_house.building_id, new_house.street_id, new_house.area) == (
        cast.a.building.pk,
        cast.a.street.pk,
        Decimal("70.00"),
    )
    assert Building.objects.get(compound=cast.a.other_compound, number="9号楼").floors == 7


def test_import_stores_residents_with_encrypted_id_numbers(cast: Cast) -> None:
    run(cast, good_sheets(cast))

    owner = Person.objects.get(name="王芳")
    assert (owner.phone, owner.low_income, owner.street_id) == (
        "13912345678",
        True,
        cast.a.street.pk,
    )
    assert id_number(1) not in owner.id_number_encrypted
    assert decrypt_id_number(owner.id_number_encrypted) == id_number(1)
    assert owner.id_number_hash == id_number_hash(id_number(1))
    assert owner.id_number_tail == id_number(1)[-4:]
    family = Person.objects.get(name="李强")
    assert (family.phone, family.id_number_hash, family.id_number_tail) == ("", "", "")
    roles = dict(
        Residency.objects.filter(compound__code__in=["N1", "N2"]).values_list(
            "person__name", "role"
        )
    )
    assert roles == {"王芳": "owner", "李强": "family", "赵敏": "tenant"}
    tenant = Residency.objects.get(person__name="孙丽")
    assert (tenant.house_id, tenant.compound_id, tenant.role) == (
        cast.a.house.pk,
        cast.a.compound.pk,
        "tenant",
    )


def test_import_starts_mode_history_and_audits_the_batch(cast: Cast) -> None:
    sheets = good_sheets(cast)
    sheets["小区"][0].append("管理模式起始日")
    sheets["小区"][1].append(datetime.date(2020, 1, 1))

    batch = run(cast, sheets)

    periods = ManagementPeriod.objects.filter(compound__code__in=["N1", "N2"]).order_by(
        "compound__code"
    )
    assert [
        (p.compound.code, p.mode, p.started_on, p.ended_on, p.recorded_by) for p in periods
    ] == [
        ("N1", "unmanaged", datetime.date(2020, 1, 1), None, cast.users[Role.STREET]),
        ("N2", "unmanaged", TODAY, None, cast.users[Role.STREET]),
    ]
    event = AuditEvent.objects.get(action="registry.imported")
    assert (
        event.actor,
        event.target_type,
        event.target_id,
        event.district_id,
        event.street_id,
    ) == (
        cast.users[Role.STREET],
        "imports.importbatch",
        batch.pk,
        cast.district.pk,
        cast.a.street.pk,
    )
    assert event.changes["counts"] == {
        "rows": 15,
        "compounds": 2,
        "buildings": 4,
        "houses": 5,
        "persons": 4,
        "residencies": 4,
        "registered_persons": 0,
    }
    assert event.changes["new_compounds"] == ["N1", "N2"]
    assert event.changes["mode_history"] == {
        "mode": "unmanaged",
        "periods": 2,
        "started_on": {"2020-01-01": 1, "2025-03-01": 1},
    }


def test_import_audit_event_belongs_to_the_district_written_to(cast: Cast) -> None:
    """An importer over two districts (or a superuser) has no district of their own: the event
    belongs to the one district the file wrote to, so that district's office reads it."""
    both = user_with(Role.DISTRICT, cast.district)
    grant(both, Role.DISTRICT, cast.c.street.district)
    sheets = {"小区": [list(COMPOUND_HEADERS), ["W1", "院", "", "", "", cast.a.grid.code]]}

    batch = import_registry(file=xlsx(sheets), file_name="w.xlsx", actor=both, today=TODAY)

    assert (batch.status, batch.district_id) == (BatchStatus.OK, None)
    event = AuditEvent.objects.get(action="registry.imported")
    assert (event.district_id, event.street_id) == (cast.district.pk, None)


def test_import_bad_rows_write_nothing(cast: Cast) -> None:
    before = counts()

    batch = run(cast, bad_rows(cast))

    assert batch.status == BatchStatus.REJECTED
    assert counts() == before
    assert (batch.compounds, batch.houses, batch.persons, batch.error_count) == (0, 0, 0, 4)


def test_import_bad_rows_report_names_each_row_column_and_reason(cast: Cast) -> None:
    batch = run(cast, bad_rows(cast))

    assert report_rows(batch) == [
        ("Sheet", "Row", "Column", "Value", "Reason"),
        (
            "楼栋",
            6,
            "小区编码",
            "ZZ-404",
            "No compound with this code in this workbook or in your scope.",
        ),
        ("房屋", 3, "建筑面积", "abc", "Write a number."),
        ("房屋", 7, "房号", "101", "Same house as row 2."),
        ("住户", 4, "手机", "137****4567", "Write 11 digits starting with 13–19."),
    ]
    assert [(e["sheet"], e["row"], e["column"]) for e in batch.first_errors] == [
        ("楼栋", 6, "小区编码"),
        ("房屋", 3, "建筑面积"),
        ("房屋", 7, "房号"),
        ("住户", 4, "手机"),
    ]


def test_import_report_is_in_the_active_language(cast: Cast) -> None:
    with translation.override("zh-hans"):
        batch = run(cast, bad_rows(cast))
        expected = tuple(
            translation.gettext(text) for text in ("Sheet", "Row", "Column", "Value", "Reason")
        )
    assert report_rows(batch)[0] == expected


def test_reimport_of_same_workbook_is_rejected_as_duplicates(cast: Cast) -> None:
    run(cast, good_sheets(cast))
    before = counts()

    batch = run(cast, good_sheets(cast))

    assert batch.status == BatchStatus.REJECTED
    assert counts() == before
    assert [(row[0], row[1], row[2], row[4]) for row in report_rows(batch)[1:]] == [
        ("小区", 2, "小区编码", "This compound code is already registered."),
        ("小区", 3, "小区编码", "This compound code is already registered."),
        ("楼栋", 2, "楼号", "This building is already registered."),
        ("楼栋", 3, "楼号", "This building is already registered."),
        ("楼栋", 4, "楼号", "This building is already registered."),
        ("楼栋", 5, "楼号", "This building is already registered."),
        ("房屋", 2, "房号", "This house is already registered."),
        ("房屋", 3, "房号", "This house is already registered."),
        ("房屋", 4, "房号", "This house is already registered."),
        ("房屋", 5, "房号", "This house is already registered."),
        ("房屋", 6, "房号", "This house is already registered."),
        ("住户", 2, "姓名", "This resident is already registered at this house."),
        ("住户", 3, "姓名", "This resident is already registered at this house."),
        ("住户", 4, "姓名", "This resident is already registered at this house."),
        ("住户", 5, "姓名", "This resident is already registered at this house."),
    ]


def test_import_duplicates_within_file_name_the_other_row(cast: Cast) -> None:
    sheets = good_sheets(cast)
    sheets["小区"].append(["N1", "重复", "", "", "", cast.a.grid.code])
    sheets["楼栋"].append(["N1", "2号楼", 5, 1])
    sheets["住户"].append(["N2", "1号楼", "1", "101", "周杰", None, id_number(1), "租户", None])

    batch = run(cast, sheets)

    assert [(row[0], row[1], row[2], row[3], row[4]) for row in report_rows(batch)[1:]] == [
        ("小区", 4, "小区编码", "N1", "Compound code repeats row 2."),
        ("楼栋", 6, "楼号", "2号楼", "Same building as row 3."),
        (
            "住户",
            6,
            "姓名",
            "周*",
            "Row 2 has the same ID number with another name; correct one of the two rows.",
        ),
    ]


def test_import_out_of_scope_street_is_a_row_error(cast: Cast) -> None:
    b = cast.b
    sheets = {
        "小区": [
            list(COMPOUND_HEADERS),
            ["X1", "越界院", "", b.street.code, b.community.code, b.grid.code],
            ["X2", "越界院二", "", "", "", b.grid.code],
            ["X3", "本街道", "", cast.a.street.code, "", cast.a.grid.code],
        ],
    }
    before = counts()

    batch = run(cast, sheets)

    assert counts() == before
    assert [(r[1], r[2], r[3], r[4]) for r in report_rows(batch)[1:]] == [
        (2, "街道", b.street.code, "Not in your scope."),
        (3, "网格", b.grid.code, "Not in your scope."),
    ]


def test_import_cannot_attach_to_another_streets_compound(cast: Cast) -> None:
    sheets = {
        "房屋": [list(HOUSE_HEADERS), [cast.b.compound.code, "1号楼", "1", 1, "909", 50, None]],
    }

    batch = run(cast, sheets)

    assert [(r[1], r[2], r[4]) for r in report_rows(batch)[1:]] == [
        (2, "小区编码", "No compound with this code in this workbook or in your scope.")
    ]
    assert not House.objects.filter(room="909").exists()


def test_import_district_imports_anywhere_community_only_its_own(cast: Cast) -> None:
    b = cast.b
    sheets = {"小区": [list(COMPOUND_HEADERS), ["X1", "乙新院", "", "", "", b.grid.code]]}

    assert run(cast, sheets, role=Role.DISTRICT).status == BatchStatus.OK
    assert Compound.objects.get(code="X1").street_id == b.street.pk

    own = {
        "小区": [
            list(COMPOUND_HEADERS),
            ["Y1", "社区新院", "", cast.a.street.name, cast.a.community.code, cast.a.grid.code],
        ]
    }
    assert run(cast, own, role=Role.COMMUNITY).status == BatchStatus.OK
    other = {"小区": [list(COMPOUND_HEADERS), ["Y2", "别处", "", "", "", b.grid.code]]}
    rejected = run(cast, other, role=Role.COMMUNITY)
    assert rejected.first_errors[0]["message"] == "Not in your scope."


@pytest.mark.parametrize(
    "role", [Role.GRID, Role.BRANCH, Role.COMPANY, Role.COMMITTEE, Role.RESIDENT, Role.INSPECTOR]
)
def test_import_other_roles_are_refused(cast: Cast, role: str) -> None:
    before = counts()
    with pytest.raises(PermissionDenied):
        run(cast, good_sheets(cast), role=role)
    assert counts() == before
    assert ImportBatch.objects.count() == 0


def test_import_cell_checks(cast: Cast) -> None:
    sheets = {
        "小区": [
            [*COMPOUND_HEADERS, "纬度"],
            [
                "",
                "无编码",
                "",
                "",
                "",
                cast.a.grid.code,
                1850,
                "也许",
                "2099-01-01",
                -1,
                "many",
                95,
            ],
            ["C2", "改造矛盾", "", "", "", "没有这个网格", None, "否", "2020-01-01"],
        ],
        "房屋": [
            list(HOUSE_HEADERS),
            ["C2", "1号楼", "1", "x", "101", 0, "出售"],
            ["C2", "1号楼", "1", 1, "102", "12.345", None],
        ],
        "住户": [
            list(RESIDENT_HEADERS),
            ["C2", "1号楼", "1", "101", "", "13800138000", "410104198001010011", "房东", "?"],
            ["C2", "1号楼", "1", "101", "某人", None, 410104198001010011, None, None],
        ],
    }

    batch = run(cast, sheets)

    assert [(r[0], r[1], r[2], r[4]) for r in report_rows(batch)[1:]] == [
        ("小区", 2, "小区编码", "Required."),
        ("小区", 2, "建成年份", "Must be between 1900 and 2025."),
        ("小区", 2, "是否改造", "Write 是 or 否."),
        ("小区", 2, "改造日期", "The date cannot be in the future."),
        ("小区", 2, "机动车位", "Must be between 0 and 100000."),
        ("小区", 2, "非机动车位", "Write a whole number."),
        ("小区", 2, "纬度", "Must be between -90 and 90."),
        ("小区", 3, "网格", "No grid with this code or name."),
        ("小区", 3, "改造日期", "A renovation date needs 是否改造 = 是."),
        ("房屋", 2, "楼号", "No building 1号楼 in compound C2."),
        ("房屋", 2, "楼层", "Write a whole number."),
        ("房屋", 2, "建筑面积", "Must be greater than 0."),
        ("房屋", 2, "状态", "Write one of: 已入住、入住、自住、出租、空置、未售."),
        ("房屋", 3, "楼号", "No building 1号楼 in compound C2."),
        ("房屋", 3, "建筑面积", "At most 2 decimals."),
        ("住户", 2, "楼号", "No building 1号楼 in compound C2."),
        ("住户", 2, "姓名", "Required."),
        ("住户", 2, "身份证号", "Not a valid ID number."),
        ("住户", 2, "身份", "Write one of: 业主、户主、租户、家属、家庭成员."),
        ("住户", 2, "困难群众", "Write 是 or 否."),
        ("住户", 3, "楼号", "No building 1号楼 in compound C2."),
        (
            "住户",
            3,
            "身份证号",
            "Format the ID number column as text: Excel has rounded this number.",
        ),
    ]


def test_import_accepts_english_headers_free_order_title_row_and_blank_rows(cast: Cast) -> None:
    sheets = {
        "Compounds": [
            ["Registry of new compounds"],
            [None],
            ["Grid", "Name", "Code"],
            [cast.a.grid.code, "英文院", "E1"],
            [None, None, None],
            ["  ", None, ""],
        ],
        "Houses": [
            ["Room", "Area (m²)", "Compound code", "Building number"],
            ["101", "80.5㎡", "E1", "1"],
        ],
        "Buildings": [["building number", "compound code"], ["1", "E1"]],
        "Notes": [["anything"]],
    }

    batch = run(cast, sheets)

    assert batch.status == BatchStatus.OK, batch.first_errors
    assert (batch.compounds, batch.buildings, batch.houses, batch.rows) == (1, 1, 1, 3)
    assert House.objects.get(compound__code="E1").area == Decimal("80.50")


def test_import_grid_name_that_repeats_needs_a_code(cast: Cast) -> None:
    GridFactory(community=cast.a.community, name=cast.a.grid.name, code="G-TWIN")
    sheets = {"小区": [list(COMPOUND_HEADERS), ["T1", "同名", "", "", "", cast.a.grid.name]]}

    batch = run(cast, sheets)

    assert batch.first_errors[0]["message"] == "Several places have this name; write the code."


def test_import_community_must_lie_in_the_street_given(cast: Cast) -> None:
    sheets = {
        "小区": [
            list(COMPOUND_HEADERS),
            ["T1", "错配", "", cast.a.street.code, cast.b.community.code, cast.a.grid.code],
        ]
    }

    batch = run(cast, sheets, role=Role.DISTRICT)

    assert [(e["column"], e["message"]) for e in batch.first_errors] == [
        ("社区", "This community is not in the street given.")
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "registry.xls",
            b"old",
            "Save the file as an Excel workbook (.xlsx) and upload that file.",
        ),
        ("registry.pdf", b"%PDF", "Upload an Excel workbook (.xlsx)."),
        ("registry.xlsx", b"not a zip at all", "This file is not an Excel workbook (.xlsx)."),
        ("registry.xlsx", b"", "The file is empty."),
    ],
)
def test_import_unusable_files_are_refused(
    cast: Cast, name: str, content: bytes, message: str
) -> None:
    with pytest.raises(WorkbookError) as caught:
        import_registry(
            file=io.BytesIO(content), file_name=name, actor=cast.users[Role.STREET], today=TODAY
        )
    assert caught.value.messages == [message]
    assert ImportBatch.objects.count() == 0


def test_import_missing_required_columns_is_a_file_error(cast: Cast) -> None:
    sheets = {"房屋": [["小区编码", "楼号", "单元"], ["N1", "1", "1"]]}
    with pytest.raises(WorkbookError) as caught:
        run(cast, sheets)
    assert caught.value.messages == [
        "Sheet “房屋” lacks the required columns: 房号 (room)、建筑面积 (area)."
    ]


def test_import_workbook_without_known_sheets_or_rows_is_a_file_error(cast: Cast) -> None:
    with pytest.raises(WorkbookError) as caught:
        run(cast, {"Sheet1": [["a", "b"], [1, 2]]})
    assert caught.value.messages[0].startswith("No sheet to import.")
    with pytest.raises(WorkbookError) as caught:
        run(cast, {"小区": [list(COMPOUND_HEADERS)]})
    assert caught.value.messages == ["The workbook has no rows to import."]
    assert ImportBatch.objects.count() == 0


def test_import_too_many_rows_is_a_file_error(cast: Cast, monkeypatch) -> None:
    monkeypatch.setattr("laoyuan.imports.xlsx.MAX_ROWS_PER_SHEET", 2)
    with pytest.raises(WorkbookError) as caught:
        run(cast, good_sheets(cast))
    assert caught.value.messages == ["Sheet “楼栋” has more than 2 rows; split the file."]


def test_import_batch_records_the_importers_scope(cast: Cast) -> None:
    def one(code: str):
        return {"小区": [list(COMPOUND_HEADERS), [code, "院", "", "", "", cast.a.grid.code]]}

    street_batch = run(cast, one("S1"))
    community_batch = run(cast, one("S2"), role=Role.COMMUNITY)
    both = user_with(Role.STREET, cast.a.street)
    grant(both, Role.STREET, cast.b.street)
    wide = import_registry(file=xlsx(one("S3")), file_name="x.xlsx", actor=both, today=TODAY)

    assert (street_batch.district_id, street_batch.street_id, street_batch.community_id) == (
        cast.district.pk,
        cast.a.street.pk,
        None,
    )
    assert (community_batch.street_id, community_batch.community_id) == (
        cast.a.street.pk,
        cast.a.community.pk,
    )
    assert (wide.district_id, wide.street_id, wide.community_id) == (cast.district.pk, None, None)


def test_import_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    def sheets(n: int, p: str):
        return {
            "小区": [
                list(COMPOUND_HEADERS),
                *[[f"{p}{i}", f"院{i}", "", "", "", cast.a.grid.code] for i in range(n)],
            ],
            "楼栋": [list(BUILDING_HEADERS), *[[f"{p}{i}", "1", 6, 2] for i in range(n)]],
            "房屋": [
                list(HOUSE_HEADERS),
                *[[f"{p}{i}", "1", "1", 1, str(r), 50, None] for i in range(n) for r in range(3)],
                *[[cast.a.compound.code, "1号楼", "1", 1, f"{p}8{i}", 50, None] for i in range(n)],
            ],
            "住户": [
                list(RESIDENT_HEADERS),
                *[
                    [
                        f"{p}{i}",
                        "1",
                        "1",
                        "0",
                        f"人{i}",
                        None,
                        id_number(100 + i + (50 if p == "L" else 0)),
                        None,
                        None,
                    ]
                    for i in range(n)
                ],
            ],
        }

    forget_scope(cast.users[Role.STREET])
    with CaptureQueriesContext(connection) as small:
        assert run(cast, sheets(1, "S")).status == BatchStatus.OK
    forget_scope(cast.users[Role.STREET])
    with CaptureQueriesContext(connection) as large:
        assert run(cast, sheets(30, "L")).status == BatchStatus.OK
    assert len(large.captured_queries) == len(small.captured_queries)


def test_import_conflicting_write_between_check_and_write_writes_nothing(
    cast: Cast, monkeypatch
) -> None:
    """Another import registers N1 after our check: the write fails whole and says so."""
    from laoyuan.factories import CompoundFactory
    from laoyuan.imports import services

    class Racing(services.RegistryValidator):
        def run(self):
            plan = super().run()
            CompoundFactory(code="N1", grid=cast.a.grid)
            return plan

    monkeypatch.setattr(services, "RegistryValidator", Racing)
    before = counts()

    batch = run(cast, good_sheets(cast))

    assert batch.status == BatchStatus.REJECTED
    after = counts()
    assert {name: after[name] - before[name] for name in after if after[name] != before[name]} == {
        "Compound": 1  # the racing compound only
    }
    assert ImportBatch.objects.get() == batch
    assert [e["message"] for e in batch.first_errors] == [
        "The registry changed while this file was being checked; nothing was written. "
        "Upload the file again."
    ]
