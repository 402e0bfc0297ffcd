"""The public satisfaction list of a compound: no login, verified orders rated 4 or 5, no
personal data, no complaints."""

import re

import pytest

from laoyuan.accounts.enums import Role
from laoyuan.factories import anonymous, as_user
from laoyuan.workorders.enums import Status, TeamKind
from laoyuan.workorders.models import Category, Team, WorkOrder
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.tests.report_orders import at, build_report_set, through
from laoyuan.workorders.views.public import public_text

pytestmark = pytest.mark.django_db


def url(code: str) -> str:
    return f"/workorders/public/{code}/"


def listed(html: str) -> list[tuple[str, str, str, str]]:
    """(category, text, done on, rating) of each row."""
    rows = []
    for item in re.findall(r"<li [^>]*data-order>(.*?)</li>", html, re.S):
        category = re.search(r"data-category>([^<]*)<", item)
        rating = re.search(r'data-rating="(\d)"', item)
        text = re.search(r"data-text>([^<]*)<", item)
        done = re.search(r"data-done>([^<]*)<", item)
        assert category and rating and text and done
        rows.append((category[1], text[1], done[1], rating[1]))
    return rows


def _rated(cast, category, text, rating, when, **fields):
    """An order of side A taken by phone (with a contact), verified and rated."""
    order = create_order(
        actor=cast.users[Role.COMMUNITY],
        compound=cast.a.compound,
        house=cast.a.house,
        category=category,
        description=text,
        contact_name="王秀英",
        contact_phone="13755556666",
        now=when,
    )
    WorkOrder.objects.filter(pk=order.pk).update(
        status=Status.CLOSED,
        accepted_at=when,
        done_at=when,
        verified_at=when,
        rated_at=when,
        rating=rating,
        **fields,
    )
    return order


def test_lists_verified_well_rated_orders_without_personal_data(cast, repair):
    orders = build_report_set(cast, repair)
    complaint = Category.objects.get(code="complaint")
    _rated(cast, complaint, "邻居噪音扰民", 5, at(4, 1, 10))
    mediation = Team.objects.create(
        district=cast.district, street=cast.a.street, kind=TeamKind.MEDIATION, name="调解站"
    )
    _rated(cast, repair, "楼上漏水纠纷", 5, at(4, 2, 10), team=mediation)
    _rated(cast, repair, "2单元301室门口 电话138-1234-1234 灯坏了", 4, at(4, 3, 10))

    response = anonymous().get(url(cast.a.compound.code))

    assert response.status_code == 200
    html = response.content.decode()
    assert listed(html) == [
        ("Repair", "2单元***室门口 电话*** 灯坏了", "2026-04-03", "4"),
        ("Repair", "楼道灯不亮", "2026-03-07", "5"),  # O1
        ("Repair", "水管漏水", "2026-03-01", "4"),  # O5
    ]
    # O2 (rated 2) and O3 (in progress) are not listed; nor are the complaint and mediation.
    assert "下水道堵了" not in html and "单元门坏了" not in html
    assert "噪音" not in html and "纠纷" not in html
    for personal in (
        "甲居民",
        "13812341234",
        "王秀英",
        "13755556666",
        "1234",
        cast.a.house.label,
        "1号楼2单元",
    ):
        assert personal not in html, personal
    assert response["Cache-Control"] == "public, max-age=300"
    assert orders.o1.place == "1号楼2单元"


def test_other_compounds_and_unknown_codes(cast, repair):
    build_report_set(cast, repair)
    assert "data-empty" in anonymous().get(url(cast.b.compound.code)).content.decode()
    assert anonymous().get(url("NO-SUCH")).status_code == 404


def test_a_reopened_order_leaves_the_list(cast, repair):
    order = through(
        cast,
        create_order(
            actor=cast.users[Role.RESIDENT],
            compound=cast.a.compound,
            house=cast.a.house,
            category=repair,
            description="电梯异响",
        ),
        accepted=at(11, 1, 9),
        verified=at(11, 2, 9),
    )
    WorkOrder.objects.filter(pk=order.pk).update(status=Status.DISPATCHED, rating=5)
    assert listed(anonymous().get(url(cast.a.compound.code)).content.decode()) == []


def test_signed_in_reader_gets_a_private_copy(cast, repair):
    response = as_user(cast.users[Role.RESIDENT]).get(url(cast.a.compound.code))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert anonymous().post(url(cast.a.compound.code)).status_code == 405


def test_public_text():
    assert public_text("  3号楼\n楼道灯  不亮 ") == "3号楼 楼道灯 不亮"
    assert public_text("1-301 call 13812341234") == "*** call ***"
    assert public_text("一" * 40) == "一" * 29 + "…"


def test_two_queries_whatever_the_number_of_orders(cast, repair, django_assert_num_queries):
    for day in range(1, 4):
        _rated(cast, repair, "灯不亮", 5, at(4, day, 10))
    client = anonymous()
    with django_assert_num_queries(2):  # the compound, the orders with their categories
        assert len(listed(client.get(url(cast.a.compound.code)).content.decode())) == 3
    for day in range(4, 24):
        _rated(cast, repair, "灯不亮", 5, at(4, day, 10))
    with django_assert_num_queries(2):
        assert len(listed(client.get(url(cast.a.compound.code)).content.decode())) == 23
