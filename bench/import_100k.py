"""Benchmark: import a generated registry workbook of 100,000 houses (and their residents).

    .venv/bin/python bench/import_100k.py [--houses 100000] [--residents-per-house 1]

Runs on a fresh SQLite database in a temporary directory (never the project's db.sqlite3, unless
DATABASE_URL says otherwise), as a district officer. Prints the seconds to generate the workbook
(not part of the import), to read and check it alone, and to import it (check + write + totals).
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000)
    parser.add_argument("--residents-per-house", type=int, default=1)
    parser.add_argument("--houses-per-building", type=int, default=24)
    parser.add_argument("--buildings-per-compound", type=int, default=5)
    parser.add_argument(
        "--id-share", type=float, default=0.3, help="share of residents with an ID number"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="laoyuan-bench-import-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laoyuan.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from laoyuan.accounts.enums import Role, ScopeLevel
    from laoyuan.accounts.models import RoleAssignment, User
    from laoyuan.imports.queries import import_scope_for
    from laoyuan.imports.services import import_registry
    from laoyuan.imports.validation import RegistryValidator
    from laoyuan.imports.xlsx import RegistryWorkbook
    from laoyuan.people.models import Person, Residency
    from laoyuan.places.models import Community, Compound, District, Grid, House, Street

    district = District.objects.create(code="BENCH", name="基准区")
    street = Street.objects.create(district=district, code="BS01", name="基准街道")
    community = Community.objects.create(
        district=district, street=street, code="BC01", name="基准社区"
    )
    grids = [
        Grid.objects.create(
            district=district,
            street=street,
            community=community,
            code=f"BG{i:02d}",
            name=f"网格{i}",
        )
        for i in range(10)
    ]
    user = User.objects.create(username="bench-district")
    RoleAssignment.objects.create(
        user=user, role=Role.DISTRICT, level=ScopeLevel.DISTRICT, district=district
    )

    started = time.perf_counter()
    content = build_workbook(args, [g.code for g in grids])
    generated = time.perf_counter() - started
    size_mb = len(content) / 1024 / 1024

    started, cpu = time.perf_counter(), time.process_time()
    book = RegistryWorkbook(io.BytesIO(content))
    scope = import_scope_for(user)
    assert scope is not None
    plan = RegistryValidator(book, scope=scope, today=django_today()).run()
    book.close()
    checked, checked_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert plan.error_count == 0, plan.sorted_errors[:5]

    started, cpu = time.perf_counter(), time.process_time()
    batch = import_registry(file=io.BytesIO(content), file_name="bench.xlsx", actor=user)
    imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert batch.is_ok, batch.first_errors

    print(f"database:          {connection.vendor} ({connection.settings_dict['NAME']})")
    print(
        f"workbook:          {batch.rows:,} rows, {size_mb:.1f} MB "
        f"(generated in {generated:.1f} s, not counted)"
    )
    print(
        f"written:           {batch.compounds:,} compounds, {batch.buildings:,} buildings, "
        f"{batch.houses:,} houses, {batch.persons:,} residents"
    )
    print(f"read + check only: {checked:.1f} s (CPU {checked_cpu:.1f} s)")
    print(f"import (total):    {imported:.1f} s (CPU {imported_cpu:.1f} s)")
    assert House.objects.count() == batch.houses
    assert Person.objects.count() == batch.persons
    assert Residency.objects.count() == batch.residencies == batch.persons
    assert Compound.objects.filter(households=0).count() == 0


def django_today() -> object:
    from django.utils import timezone

    return timezone.localdate()


def build_workbook(args: argparse.Namespace, grid_codes: list[str]) -> bytes:
    from openpyxl import Workbook

    from laoyuan.core.personal import id_number_check_char

    per_compound = args.houses_per_building * args.buildings_per_compound
    compounds = -(-args.houses // per_compound)
    book = Workbook(write_only=True)
    c = book.create_sheet("小区")
    c.append(["小区编码", "小区名称", "地址", "网格", "建成年份", "是否改造", "机动车位"])
    b = book.create_sheet("楼栋")
    b.append(["小区编码", "楼号", "层数", "单元数"])
    h = book.create_sheet("房屋")
    h.append(["小区编码", "楼号", "单元", "楼层", "房号", "建筑面积", "状态"])
    r = book.create_sheet("住户")
    r.append(["小区编码", "楼号", "单元", "房号", "姓名", "手机", "身份证号", "身份", "困难群众"])
    houses = residents = 0
    id_every = round(1 / args.id_share) if args.id_share else 0
    for ci in range(compounds):
        code = f"B{ci:05d}"
        c.append(
            [
                code,
                f"基准{ci}号院",
                f"基准路{ci}号",
                grid_codes[ci % len(grid_codes)],
                1990,
                "否",
                10,
            ]
        )
        for bi in range(1, args.buildings_per_compound + 1):
            if houses >= args.houses:
                break
            b.append([code, f"{bi}号楼", 6, 2])
            for hi in range(args.houses_per_building):
                if houses >= args.houses:
                    break
                unit = str(hi % 2 + 1)
                floor = hi // 4 + 1
                room = f"{floor}0{hi % 4 + 1}"
                area = f"{60 + (houses % 4000) / 100:.2f}"
                h.append([code, f"{bi}号楼", unit, floor, room, area, "已入住"])
                houses += 1
                for pi in range(args.residents_per_house):
                    residents += 1
                    id_number = ""
                    if id_every and residents % id_every == 0:
                        first17 = f"4101041980{residents:07d}"
                        id_number = first17 + id_number_check_char(first17)
                    r.append(
                        [
                            code,
                            f"{bi}号楼",
                            unit,
                            room,
                            f"居民{residents}",
                            f"139{residents:08d}",
                            id_number,
                            "业主" if pi == 0 else "家属",
                            "否",
                        ]
                    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


if __name__ == "__main__":
    main()
