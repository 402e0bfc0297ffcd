"""Residents in the registry import: one person in several houses, people already registered,
duplicates, and the masking of personal data in the error report and on the batch page."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent, PersonalDataAccess
from laoyuan.core.personal import id_number_hash, mask_id_number
from laoyuan.factories import PASSWORD, Cast
from laoyuan.imports.enums import BatchStatus
from laoyuan.imports.models import ImportBatch
from laoyuan.imports.services import import_registry
from laoyuan.imports.tests.test_services import TODAY, counts, report_rows
from laoyuan.imports.tests.workbooks import RESIDENT_HEADERS, good_sheets, id_number, xlsx
from laoyuan.imports.validation import mask_name, shown_value
from laoyuan.people.models import Person, Residency


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(cast: Cast, sheets) -> ImportBatch:
    return import_registry(
        file=xlsx(sheets), file_name="registry.xlsx", actor=cast.users[Role.STREET], today=TODAY
    )


def residents(*rows: list) -> dict[str, list[list]]:
    return {"住户": [list(RESIDENT_HEADERS), *rows]}


def resident(house, name: str, phone=None, number=None, role=None, low_income=None) -> list:
    """A 住户 row for an existing house of the cast."""
    return [
        house.compound.code,
        house.building.number,
        house.unit,
        house.room,
        name,
        phone,
        number,
        role,
        low_income,
    ]


def registered(person: Person, serial: int) -> Person:
    person.id_number_hash = id_number_hash(id_number(serial))
    person.id_number_tail = id_number(serial)[-4:]
    person.save()
    return person


def homes(person: Person) -> set[int]:
    return set(Residency.objects.filter(person=person).values_list("house_id", flat=True))


# One owner, several houses ---------------------------------------------------------------------


def test_import_same_id_number_in_several_houses_is_one_person(cast: Cast) -> None:
    sheets = good_sheets(cast)
    # 王芳 (row 2, N1 1-101, with a phone, low-income) also owns N1 1-102 and N2 1-101.
    sheets["住户"].append(["N1", "1号楼", "1", "102", "王芳", None, id_number(1), "业主", "否"])
    sheets["住户"].append(["N2", "1号楼", "1", "101", "王 芳", None, id_number(1), None, None])
    # 陈静's first row has no phone; a later row gives it.
    sheets["住户"].append(["N1", "2号楼", "", "201", "陈静", None, id_number(3), None, None])
    sheets["住户"].append(["N1", "1号楼", "1", "102", "陈静", "13655556666", id_number(3), "租户"])
    before = counts()

    batch = run(cast, sheets)

    assert batch.status == BatchStatus.OK, batch.first_errors
    after = counts()
    assert (after["Person"] - before["Person"], after["Residency"] - before["Residency"]) == (5, 8)
    assert (batch.persons, batch.residencies, batch.notes) == (5, 8, [])
    owner = Person.objects.get(id_number_hash=id_number_hash(id_number(1)))
    assert (owner.name, owner.phone, owner.low_income) == ("王芳", "13912345678", True)
    assert sorted(
        Residency.objects.filter(person=owner).values_list(
            "house__compound__code", "house__room", "role"
        )
    ) == [("N1", "101", "owner"), ("N1", "102", "owner"), ("N2", "101", "owner")]
    second = Person.objects.get(id_number_hash=id_number_hash(id_number(3)))
    assert (second.name, second.phone) == ("陈静", "13655556666")
    assert sorted(Residency.objects.filter(person=second).values_list("house__room", "role")) == [
        ("102", "tenant"),
        ("201", "owner"),
    ]
    event = AuditEvent.objects.get(action="registry.imported")
    assert (event.changes["counts"]["persons"], event.changes["counts"]["residencies"]) == (5, 8)


def test_import_same_id_number_with_another_name_is_an_error_naming_both_rows(
    cast: Cast,
) -> None:
    sheets = good_sheets(cast)
    sheets["住户"].append(["N1", "1号楼", "1", "102", "王方", None, id_number(1), "业主", None])
    before = counts()

    batch = run(cast, sheets)

    assert batch.status == BatchStatus.REJECTED
    assert counts() == before
    assert report_rows(batch)[1:] == [
        (
            "住户",
            6,
            "姓名",
            "王*",
            "Row 2 has the same ID number with another name; correct one of the two rows.",
        )
    ]


# People already registered --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["乙居民", " 乙\u3000居 民"])
def test_import_registered_id_number_adds_the_house_to_that_person(cast: Cast, name: str) -> None:
    """Street B's resident (outside the importer's scope) also rents a house in street A; the
    name is compared without spaces, full-width ones included."""
    holder = registered(cast.b.resident_person, 7)
    street_before = holder.street_id
    sheets = residents(resident(cast.a.neighbour_house, name, None, id_number(7), "租户"))
    before = counts()

    batch = run(cast, sheets)

    assert batch.status == BatchStatus.OK, batch.first_errors
    after = counts()
    assert (after["Person"] - before["Person"], after["Residency"] - before["Residency"]) == (0, 1)
    assert (batch.persons, batch.residencies, batch.notes) == (0, 1, [])
    assert homes(holder) == {cast.b.house.pk, cast.a.neighbour_house.pk}
    holder.refresh_from_db()
    assert (holder.name, holder.phone, holder.street_id) == ("乙居民", "13812341234", street_before)
    event = AuditEvent.objects.get(action="registry.imported")
    assert event.changes["counts"]["registered_persons"] == 1
    assert list(
        PersonalDataAccess.objects.values_list("viewer_id", "person_id", "field", "purpose")
    ) == [(cast.users[Role.STREET].pk, holder.pk, "id_number_match", "import")]


REGISTERED_ELSEWHERE = (
    "This ID number is registered under another name. Check the name and the number; a "
    "correction goes through the office that registered the resident."
)


@pytest.mark.parametrize("houses", [["neighbour_house"], ["neighbour_house", "other"]])
def test_import_registered_id_number_with_another_name_is_refused(
    client: Client, cast: Cast, houses: list[str]
) -> None:
    holder = registered(cast.b.resident_person, 7)
    other_house = cast.a.other_compound.houses.get()
    rows = [
        resident(
            other_house if house == "other" else cast.a.neighbour_house,
            "孙丽",
            "15800002222",
            id_number(7),
        )
        for house in houses
    ]
    before = counts()

    batch = run(cast, residents(*rows))

    assert batch.status == BatchStatus.REJECTED
    assert counts() == before
    masked = mask_id_number(id_number(7))
    assert report_rows(batch)[1:] == [
        ("住户", number, "身份证号", masked, REGISTERED_ELSEWHERE)
        for number in range(2, 2 + len(houses))
    ]
    holder.refresh_from_db()
    assert (holder.name, holder.phone) == ("乙居民", "13812341234")
    assert homes(holder) == {cast.b.house.pk}
    assert not PersonalDataAccess.objects.exists()
    # The batch page tells nothing of the registered person: not their name, nor where.
    client.cookies["django_language"] = "en"
    assert client.login(username=cast.users[Role.STREET].username, password=PASSWORD)
    page = client.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert REGISTERED_ELSEWHERE in page
    for secret in ("乙居民", cast.b.compound.name, cast.b.street.name, "13812341234"):
        assert secret not in page


def test_import_registered_person_at_the_same_house_is_a_duplicate(cast: Cast) -> None:
    holder = registered(cast.a.resident_person, 7)
    sheets = residents(resident(cast.a.house, holder.name, None, id_number(7)))
    before = counts()

    batch = run(cast, sheets)

    assert counts() == before
    assert report_rows(batch)[1:] == [
        ("住户", 2, "姓名", "甲**", "This resident is already registered at this house.")
    ]
    assert homes(holder) == {cast.a.house.pk}


def test_import_same_person_twice_in_one_house_is_a_duplicate(cast: Cast) -> None:
    house = cast.a.neighbour_house
    sheets = residents(
        resident(house, "周杰", "13911112222", id_number(8)),
        resident(house, "周杰", "13933334444", id_number(8)),  # same ID, another phone
        resident(house, "吴磊", "13955556666"),
        resident(house, "吴磊", "13955556666", id_number(9)),  # same name and phone, one ID
    )

    batch = run(cast, sheets)

    assert [(r[1], r[2], r[3], r[4]) for r in report_rows(batch)[1:]] == [
        (3, "姓名", "周*", "Same resident as row 2."),
        (5, "姓名", "吴*", "Same resident as row 4."),
    ]


def test_import_one_name_and_phone_with_two_id_numbers_are_two_people(cast: Cast) -> None:
    """A father and son of one name sharing the family phone are told apart by ID number."""
    house = cast.a.neighbour_house
    holder = registered(cast.a.resident_person, 7)
    Residency.objects.create(person=holder, house=house, compound=house.compound, role="family")
    sheets = residents(
        resident(house, "甲居民", "13812341234", id_number(8), "家属"),
        resident(house, "甲居民", "13812341234", id_number(9), "家属"),
    )

    batch = run(cast, sheets)

    assert batch.status == BatchStatus.OK, batch.first_errors
    assert (batch.persons, batch.residencies) == (2, 2)
    assert Residency.objects.filter(house=house, person__name="甲居民").count() == 3


# Personal data in reports ---------------------------------------------------------------------


def test_mask_name_keeps_the_first_character() -> None:
    assert [mask_name(name) for name in ("张三", "欧阳娜娜", "张", "")] == [
        "张*",
        "欧***",
        "张*",
        "",
    ]


def test_shown_value_masks_only_residents_personal_cells() -> None:
    assert shown_value("residents", "phone", 13912345678) == "139****5678"
    assert shown_value("residents", "id_number", "410104198001010011") == "4*************0011"
    assert shown_value("residents", "name", "王芳") == "王*"
    assert shown_value("residents", "room", "101") == "101"
    assert shown_value("compounds", "name", "示例小区") == "示例小区"


def test_import_report_and_batch_page_mask_names_phones_and_id_numbers(
    client: Client, cast: Cast
) -> None:
    sheets = good_sheets(cast)
    sheets["小区"][2][1] = "院" * 101  # a compound's name is not personal data: shown as written
    sheets["住户"].append(["N1", "1号楼", "1", "101", "王芳", "13912345678", None, None, None])
    sheets["住户"].append(["N1", "1号楼", "1", "102", "李四", "13912345", None, None, None])
    sheets["住户"].append(["N1", "1号楼", "1", "102", "赵六", 1391234567, None, None, None])
    sheets["住户"].append(["N1", "1号楼", "1", "102", "钱七", None, "410104198001010011"])
    sheets["住户"].append(["N1", "1号楼", "1", "102", "孙八", None, 410104198001010011])

    batch = run(cast, sheets)

    expected = [
        ("小区", 3, "小区名称", "院" * 101, "At most 100 characters."),
        ("住户", 6, "姓名", "王*", "Same resident as row 2."),
        ("住户", 7, "手机", "139****2345", "Write 11 digits starting with 13–19."),
        ("住户", 8, "手机", "139****4567", "Write 11 digits starting with 13–19."),
        ("住户", 9, "身份证号", "4*************0011", "Not a valid ID number."),
        (
            "住户",
            10,
            "身份证号",
            "4*************9984",  # the number as Excel rounded it (410104198001009984)
            "Format the ID number column as text: Excel has rounded this number.",
        ),
    ]
    assert report_rows(batch)[1:] == expected
    assert [tuple(e.values()) for e in batch.first_errors] == expected
    client.cookies["django_language"] = "en"
    assert client.login(username=cast.users[Role.STREET].username, password=PASSWORD)
    page = client.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert "139****2345" in page
    assert "4*************0011" in page
    for raw in ("王芳", "13912345", "1391234567", "410104198001010011", "410104198001009984"):
        assert raw not in page
