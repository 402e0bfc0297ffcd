"""A problem list becomes orders in one step: all or nothing, errors naming row and column."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.factories import anonymous, as_user
from laoyuan.workorders.enums import Channel, Status
from laoyuan.workorders.models import ProblemList, WorkOrder
from laoyuan.workorders.services.problem_lists import (
    ProblemListInvalid,
    create_from_problem_list,
)
from laoyuan.workorders.services.transitions import Forbidden

pytestmark = pytest.mark.django_db

NEW = reverse("workorders:problem_list_new")
LISTS = reverse("workorders:problem_lists")
HELD = datetime.date(2026, 11, 20)
ITEMS = [
    {"category": "repair", "description": "3号楼楼道灯不亮", "place": "3号楼2单元"},
    {"category": "env-cleaning", "description": "垃圾站清运不及时", "place": "北门"},
    {"category": "parking", "description": "消防通道停车", "house": "1号楼-1-101"},
]


def workbook(rows, header=("类别编码", "问题描述", "位置", "房号"), title_line=True):
    book = Workbook()
    sheet = book.active
    if title_line:
        sheet.append(["甲一号院 11月议事会 问题清单"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("list.xlsx", buffer.getvalue())


def post(client, compound, **extra):
    data = {
        "compound": compound.pk,
        "title": "11月议事会",
        "held_on": HELD.isoformat(),
        "item-TOTAL_FORMS": "0",
        "item-INITIAL_FORMS": "0",
        **extra,
    }
    return client.post(NEW, data)


@pytest.mark.parametrize("role", [Role.BRANCH, Role.COMMUNITY, Role.STREET, Role.COMMITTEE])
def test_service_creates_one_consultation_order_per_item(cast, role):
    actor = cast.users[role]
    problem_list = create_from_problem_list(
        actor=actor, compound=cast.a.compound, title=" 11月 议事会 ", held_on=HELD, items=ITEMS
    )
    assert (problem_list.title, problem_list.held_on, problem_list.created_by) == (
        "11月 议事会",
        HELD,
        actor,
    )
    orders = list(problem_list.orders.order_by("id"))
    assert [(o.category.code, o.description, o.place, o.channel, o.status) for o in orders] == [
        ("repair", "3号楼楼道灯不亮", "3号楼2单元", Channel.CONSULTATION, Status.ORDERED),
        ("env-cleaning", "垃圾站清运不及时", "北门", Channel.CONSULTATION, Status.ORDERED),
        ("parking", "消防通道停车", "", Channel.CONSULTATION, Status.ORDERED),
    ]
    assert [o.house_id for o in orders] == [None, None, cast.a.house.pk]
    assert {o.reported_by_id for o in orders} == {actor.pk}


def test_a_bad_item_creates_nothing_and_names_row_and_column(cast):
    items = [*ITEMS[:2], {"category": "plumbing", "description": "", "house": "9号楼-999"}]
    with pytest.raises(ProblemListInvalid) as caught:
        create_from_problem_list(
            actor=cast.users[Role.BRANCH],
            compound=cast.a.compound,
            title="议事会",
            held_on=HELD,
            items=items,
        )
    assert [str(e) for e in caught.value.items] == [
        "row 3, category: unknown service code “plumbing”.",
        "row 3, description: Required.",
        "row 3, house: The compound has no house 9号楼-999 (write building-unit-room).",
    ]
    assert (ProblemList.objects.count(), WorkOrder.objects.count()) == (0, 0)


@pytest.mark.parametrize("who", ["outsider", Role.COMPANY, Role.GRID, Role.RESIDENT])
def test_service_refuses_other_roles_and_scopes(cast, who):
    with pytest.raises(Forbidden):
        create_from_problem_list(
            actor=cast.users[who], compound=cast.a.compound, title="x", held_on=HELD, items=ITEMS
        )
    assert (ProblemList.objects.count(), WorkOrder.objects.count()) == (0, 0)


def test_page_rows_create_orders_and_show_the_list(cast):
    client = as_user(cast.users[Role.COMMUNITY])
    page = client.get(NEW, {"compound": cast.a.compound.pk})
    assert page.status_code == 200
    assert page.content.decode().count('name="item-') >= 40  # 10 rows of 4 fields
    response = post(
        client,
        cast.a.compound,
        **{
            "item-TOTAL_FORMS": "3",
            "item-0-category": "repair",
            "item-0-description": "楼道灯不亮",
            "item-1-category": "",
            "item-1-description": "",
            "item-2-category": "security",
            "item-2-description": "单元门禁坏了",
            "item-2-place": "2号楼",
        },
    )
    problem_list = ProblemList.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:problem_list", args=[problem_list.pk])
    assert sorted(problem_list.orders.values_list("description", "channel")) == [
        ("单元门禁坏了", "consultation"),
        ("楼道灯不亮", "consultation"),
    ]
    body = client.get(LISTS).content.decode()
    assert f'<tr data-list="{problem_list.pk}">' in body
    assert '<td class="num" data-orders>2</td>' in body
    assert 'data-status="ordered">Ordered (业主点单): 2</span>' in body
    detail = client.get(response["Location"]).content.decode()
    for order in problem_list.orders.all():
        assert reverse("workorders:detail", args=[order.pk]) in detail


def test_page_row_errors_name_row_and_column_and_keep_nothing(cast):
    client = as_user(cast.users[Role.BRANCH])
    response = post(
        client,
        cast.a.compound,
        **{
            "item-TOTAL_FORMS": "2",
            "item-0-category": "repair",
            "item-0-description": "楼道灯不亮",
            "item-1-category": "",
            "item-1-description": "没有类别",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<li data-item-error>row 2, Category: Required.</li>" in body
    assert (ProblemList.objects.count(), WorkOrder.objects.count()) == (0, 0)


def test_excel_upload_with_a_bad_row_creates_nothing(cast):
    client = as_user(cast.users[Role.BRANCH])
    sheet = workbook(
        [
            ("repair", "楼道灯不亮", "3号楼", None),
            ("env-cleaning", "垃圾清运", None, None),
            ("nosuch", "第三条", None, None),
        ]
    )
    response = post(client, cast.a.compound, sheet=sheet)
    assert response.status_code == 200
    # The header is on row 2 (a title line above it): the bad item is on row 5.
    assert "<li data-item-error>row 5, 类别编码: unknown service code “nosuch”.</li>" in (
        response.content.decode()
    )
    assert (ProblemList.objects.count(), WorkOrder.objects.count()) == (0, 0)


def test_excel_upload_creates_n_orders_linked_to_the_list(cast):
    client = as_user(cast.users[Role.STREET])
    sheet = workbook(
        [
            ("repair", "楼道灯不亮", "3号楼", None),
            (None, None, None, None),
            ("env-cleaning", "垃圾清运", None, "101"),
            ("emergency-leak", "顶层漏水", "1号楼顶", None),
        ],
        header=("category", "description", "place", "house"),
        title_line=False,
    )
    response = post(client, cast.a.compound, sheet=sheet)
    assert response.status_code == 302
    problem_list = ProblemList.objects.get()
    orders = list(WorkOrder.objects.filter(problem_list=problem_list).order_by("id"))
    assert [(o.category.code, o.channel, o.house_id) for o in orders] == [
        ("repair", "consultation", None),
        ("env-cleaning", "consultation", cast.a.house.pk),
        ("emergency-leak", "consultation", None),
    ]
    assert WorkOrder.objects.count() == 3


def test_rows_and_a_sheet_together_are_refused(cast):
    response = post(
        as_user(cast.users[Role.BRANCH]),
        cast.a.compound,
        sheet=workbook([("repair", "灯", None, None)]),
        **{"item-TOTAL_FORMS": "1", "item-0-category": "repair", "item-0-description": "灯"},
    )
    assert "Either fill in the rows or upload a sheet, not both." in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_template_download_reads_back(cast):
    response = as_user(cast.users[Role.BRANCH]).get(reverse("workorders:problem_list_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["问题清单", "类别 Categories", "说明 Notes"]
    assert [c.value for c in book["问题清单"][1]] == ["类别编码", "问题描述", "位置", "房号"]
    assert "repair" in [row[0].value for row in book["类别 Categories"].iter_rows(min_row=2)]


def test_outsider_gets_404_and_sees_no_lists(cast):
    problem_list = create_from_problem_list(
        actor=cast.users[Role.BRANCH],
        compound=cast.a.compound,
        title="甲",
        held_on=HELD,
        items=ITEMS[:1],
    )
    outsider = as_user(cast.users["outsider"])
    assert outsider.get(NEW, {"compound": cast.a.compound.pk}).status_code == 404
    assert (
        post(
            outsider,
            cast.a.compound,
            **{"item-TOTAL_FORMS": "1", "item-0-category": "repair", "item-0-description": "x"},
        ).status_code
        == 404
    )
    assert (
        outsider.get(reverse("workorders:problem_list", args=[problem_list.pk])).status_code == 404
    )
    body = outsider.get(LISTS).content.decode()
    assert "甲一号院" not in body and 'data-total="0"' in body
    assert ProblemList.objects.count() == 1 and WorkOrder.objects.count() == 1
    # Roles that take no problem lists: no form; residents see no lists at all.
    assert as_user(cast.users[Role.COMPANY]).get(NEW).status_code == 404
    assert as_user(cast.users[Role.RESIDENT]).get(LISTS).status_code == 404
    assert anonymous().get(LISTS).status_code == 302


def test_lists_page_constant_queries(cast, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actor = cast.users[Role.BRANCH]
    for n in range(2):
        create_from_problem_list(
            actor=actor, compound=cast.a.compound, title=f"会{n}", held_on=HELD, items=ITEMS
        )
    client = as_user(cast.users[Role.COMMUNITY])
    with CaptureQueriesContext(connection) as few:
        assert 'data-total="2"' in client.get(LISTS).content.decode()
    for n in range(10):
        create_from_problem_list(
            actor=actor, compound=cast.a.compound, title=f"再{n}", held_on=HELD, items=ITEMS
        )
    client = as_user(cast.users[Role.COMMUNITY])
    with django_assert_num_queries(len(few.captured_queries)):
        assert 'data-total="12"' in client.get(LISTS).content.decode()
