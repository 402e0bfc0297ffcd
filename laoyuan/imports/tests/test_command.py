import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.core.personal import id_number_hash
from laoyuan.factories import Cast
from laoyuan.imports.models import ImportBatch
from laoyuan.imports.tests.workbooks import bad_rows, good_sheets, id_number, xlsx
from laoyuan.people.models import Residency
from laoyuan.places.models import Compound, House


def save(tmp_path, sheets, name: str = "registry.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx(sheets).getvalue())
    return path


def run(path, username: str):
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command(
            "import_registry",
            str(path),
            "--as",
            username,
            "--language",
            "en",
            stdout=out,
            stderr=err,
        )
    return out.getvalue(), err.getvalue()


def test_command_imports_and_exits_zero(cast: Cast, tmp_path) -> None:
    out, err = run(save(tmp_path, good_sheets(cast)), cast.users[Role.STREET].username)

    batch = ImportBatch.objects.get()
    assert out.startswith(f"Import #{batch.pk}: 2 compounds, 4 buildings, 5 houses, 4 residents (")
    assert err == ""
    assert Compound.objects.filter(code__in=["N1", "N2"]).count() == 2


def test_command_registered_id_number_under_another_name_is_rejected(cast: Cast, tmp_path) -> None:
    holder = cast.b.resident_person
    holder.id_number_hash = id_number_hash(id_number(7))
    holder.save()
    sheets = good_sheets(cast)
    sheets["住户"][4][6] = id_number(7)  # row 5, 孙丽: registered as 乙居民
    residencies = Residency.objects.count()

    with pytest.raises(CommandError) as caught:
        run(save(tmp_path, sheets), cast.users[Role.STREET].username)

    assert caught.value.returncode == 1
    batch = ImportBatch.objects.get()
    assert [(error["row"], error["message"]) for error in batch.first_errors] == [
        (
            5,
            "This ID number is registered under another name. Check the name and the number; "
            "a correction goes through the office that registered the resident.",
        )
    ]
    assert Residency.objects.count() == residencies
    assert not Compound.objects.filter(code="N1").exists()


def test_command_rejected_file_exits_one_with_first_errors(cast: Cast, tmp_path) -> None:
    houses = House.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError) as caught, translation.override("en"):
        call_command(
            "import_registry",
            str(save(tmp_path, bad_rows(cast))),
            "--as",
            cast.users[Role.STREET].username,
            "--language",
            "en",
            stdout=io.StringIO(),
            stderr=err,
        )

    assert caught.value.returncode == 1
    batch = ImportBatch.objects.get()
    assert str(caught.value).startswith(f"Import #{batch.pk} rejected with 4 errors")
    assert err.getvalue().splitlines() == [
        "楼栋 row 6, 小区编码 [ZZ-404]: "
        "No compound with this code in this workbook or in your scope.",
        "房屋 row 3, 建筑面积 [abc]: Write a number.",
        "房屋 row 7, 房号 [101]: Same house as row 2.",
        "住户 row 4, 手机 [137****4567]: Write 11 digits starting with 13–19.",
    ]
    assert House.objects.count() == houses
    assert not Compound.objects.filter(code="N1").exists()


@pytest.mark.parametrize(
    ("who", "content", "fragment"),
    [
        ("nobody", None, "No active user 'nobody'."),
        (Role.GRID, None, "may not import"),
        (Role.STREET, b"plain text", "This file is not an Excel workbook (.xlsx)."),
    ],
)
def test_command_unusable_input_exits_two(cast: Cast, tmp_path, who, content, fragment) -> None:
    path = save(tmp_path, good_sheets(cast))
    if content is not None:
        path.write_bytes(content)
    username = cast.users[who].username if who in cast.users else who

    with pytest.raises(CommandError) as caught:
        run(path, username)

    assert caught.value.returncode == 2
    assert fragment in str(caught.value)
    assert ImportBatch.objects.count() == 0


def test_command_missing_file_exits_two(cast: Cast, tmp_path) -> None:
    with pytest.raises(CommandError) as caught:
        run(tmp_path / "none.xlsx", cast.users[Role.STREET].username)
    assert caught.value.returncode == 2
