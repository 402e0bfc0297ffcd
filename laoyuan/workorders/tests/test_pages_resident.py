"""Reporting a problem from a phone, staff taking one on a resident's behalf, and my orders."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from laoyuan.accounts.enums import Role
from laoyuan.factories import anonymous, as_user, user_with
from laoyuan.workorders.enums import Status
from laoyuan.workorders.models import Category, Event, Photo, WorkOrder
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import transition

pytestmark = pytest.mark.django_db

REPORT = "/workorders/report/"
MINE = "/workorders/mine/"


def jpeg(name: str = "leak.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 90, 200)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_urls_are_the_agreed_ones():
    assert reverse("workorders:report") == REPORT
    assert reverse("workorders:mine") == MINE


def test_the_report_page_offers_every_active_category(cast):
    html = as_user(cast.users[Role.RESIDENT]).get(REPORT).content.decode()
    codes = re.findall(r'id="category-([\w-]+)"', html)
    assert codes == list(Category.objects.filter(active=True).values_list("code", flat=True))
    assert len(codes) == 12
    assert 'accept="image/*" capture="environment" multiple' in html
    assert cast.a.building.number in html
    # One house: it is the resident's, without asking.
    assert f'<input type="hidden" name="house" value="{cast.a.house.pk}">' in html


def test_resident_reports_with_a_photo(cast, repair):
    response = as_user(cast.users[Role.RESIDENT]).post(
        REPORT,
        {
            "category": repair.pk,
            "description": "屋顶漏水",
            "building": cast.a.building.pk,
            "place": "顶层楼道",
            "house": cast.a.house.pk,
            "photos": [jpeg()],
        },
    )
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:detail", args=[order.pk])
    assert (order.category, order.description, order.place, order.channel) == (
        repair,
        "屋顶漏水",
        f"{cast.a.building.number} 顶层楼道",
        "app",
    )
    assert (order.requester, order.reported_by, order.house) == (
        cast.users[Role.RESIDENT],
        None,
        cast.a.house,
    )
    assert order.status == Status.ORDERED
    assert Photo.objects.filter(order=order, event__action="create").count() == 1


def test_report_errors_are_on_their_fields_and_nothing_is_made(cast, leak):
    client = as_user(cast.users[Role.RESIDENT])
    response = client.post(REPORT, {"description": " ", "house": cast.a.house.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        '<div class="text-danger mt-1" id="category-error">Choose what kind of problem it is.</div>'
        in html
    )
    response = client.post(
        REPORT, {"category": leak.pk, "description": "", "house": cast.a.house.pk}
    )
    assert 'id="description-error">Describe the problem.</div>' in response.content.decode()
    response = client.post(
        REPORT, {"category": leak.pk, "description": "外墙掉皮", "house": cast.a.house.pk}
    )
    assert response.status_code == 400
    assert 'id="photos-error">This category needs a photo of the problem.</div>' in (
        response.content.decode()
    )
    # What was typed stays.
    assert "外墙掉皮</textarea>" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_a_resident_cannot_report_for_the_neighbours_house(cast, repair):
    response = as_user(cast.users[Role.RESIDENT]).post(
        REPORT,
        {"category": repair.pk, "description": "漏水", "house": cast.a.neighbour_house.pk},
    )
    assert response.status_code == 400
    assert "Choose your house." in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_a_resident_with_two_houses_chooses(cast, repair):
    resident = cast.users[Role.RESIDENT]
    from laoyuan.factories import grant

    grant(resident, Role.RESIDENT, cast.a.neighbour_house)
    from laoyuan.accounts.scoping import forget_scope

    forget_scope(resident)
    html = as_user(resident).get(REPORT).content.decode()
    assert "Which of your houses?" in html
    assert re.findall(r'<option value="(\d+)">', html)[-2:] == [
        str(cast.a.house.pk),
        str(cast.a.neighbour_house.pk),
    ]


@pytest.mark.parametrize("role", [Role.COMMUNITY, Role.BRANCH, Role.GRID, Role.COMPANY])
def test_staff_take_an_order_on_a_residents_behalf(cast, repair, role):
    staff = cast.users[role]
    url = f"{REPORT}?compound={cast.a.compound.pk}"
    html = as_user(staff).get(url).content.decode()
    assert "Take an order for" in html
    assert re.findall(
        r'<option value="(\w+)"(?: selected)?>(?:Phone|Service centre|Grid report)', html
    ) == [
        "phone",
        "service_centre",
        "grid",
    ]
    response = as_user(staff).post(
        url,
        {
            "category": repair.pk,
            "description": "电梯异响",
            "channel": "service_centre",
            "house": cast.a.house.pk,
            "contact_name": "张大爷",
            "contact_phone": "138 1234 5678",
        },
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert (order.reported_by, order.requester, order.channel, order.house) == (
        staff,
        None,
        "service_centre",
        cast.a.house,
    )
    assert (order.contact_name, order.contact_phone) == ("张大爷", "13812345678")
    created = Event.objects.get(order=order, action="create")
    assert (created.role, created.on_behalf, created.actor) == (role, True, staff)


def test_staff_errors_channel_and_phone(cast, repair):
    url = f"{REPORT}?compound={cast.a.compound.pk}"
    response = as_user(cast.users[Role.COMMUNITY]).post(
        url,
        {
            "category": repair.pk,
            "description": "x",
            "channel": "app",
            "contact_phone": "123",
            "house": cast.b.house.pk,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="channel-error">Choose how the problem was reported.</div>' in html
    assert 'id="contact_phone-error">Enter an 11-digit mobile number' in html
    assert 'id="house-error">Choose a house of this compound.</div>' in html
    assert WorkOrder.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider", "other_district", Role.INSPECTOR, Role.RESIDENT])
def test_others_cannot_take_orders_for_the_compound(cast, repair, who):
    url = f"{REPORT}?compound={cast.a.compound.pk}"
    client = as_user(cast.users[who])
    assert client.get(url).status_code == 404
    response = client.post(url, {"category": repair.pk, "description": "x", "channel": "phone"})
    assert response.status_code == 404
    assert WorkOrder.objects.count() == 0


def test_staff_without_a_compound_choose_one(cast):
    html = as_user(cast.users[Role.BRANCH]).get(REPORT).content.decode()
    assert re.findall(r'<option value="(\d+)">', html) == [str(cast.a.compound.pk)]
    assert as_user(cast.users[Role.INSPECTOR]).get(REPORT).status_code == 404


def test_anonymous_is_sent_to_sign_in():
    for url in (REPORT, MINE):
        response = anonymous().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def _order(cast, category, house=None, actor=None):
    return create_order(
        actor=actor or cast.users[Role.RESIDENT],
        compound=cast.a.compound,
        house=house or cast.a.house,
        category=category,
        description="楼道灯不亮",
    )


def test_my_orders_are_my_households_only(cast, repair):
    mine = _order(cast, repair)
    on_behalf = _order(cast, repair, actor=cast.users[Role.COMMUNITY])
    neighbour = user_with(Role.RESIDENT, cast.a.neighbour_house, "neighbour")
    theirs = _order(cast, repair, house=cast.a.neighbour_house, actor=neighbour)
    html = as_user(cast.users[Role.RESIDENT]).get(MINE).content.decode()
    assert re.findall(r'data-order="(\d+)"', html) == [str(on_behalf.pk), str(mine.pk)]
    assert "Waiting for the party branch to send it to someone." in html
    html = as_user(neighbour).get(MINE).content.decode()
    assert re.findall(r'data-order="(\d+)"', html) == [str(theirs.pk)]
    assert as_user(cast.users[Role.BRANCH]).get(MINE).status_code == 404


def test_my_orders_link_to_rating_once_verified(cast, repair):
    order = _order(cast, repair)
    users = cast.users
    for role, action in [
        (Role.BRANCH, "dispatch"),
        (Role.COMPANY, "accept"),
        (Role.COMPANY, "start"),
        (Role.COMPANY, "finish"),
        (Role.COMMITTEE, "supervise"),
        (Role.COMMUNITY, "verify"),
    ]:
        transition(order_id=order.pk, actor=users[role], action=action, note="好了")
    html = as_user(users[Role.RESIDENT]).get(MINE).content.decode()
    assert "Solved. Please tell us how satisfied you are." in html
    rate = reverse("workorders:detail", args=[order.pk]) + "#act-rate"
    assert f'href="{rate}" data-rate>Rate it</a>' in html
    detail = as_user(users[Role.RESIDENT]).get(reverse("workorders:detail", args=[order.pk]))
    assert 'id="act-rate"' in detail.content.decode()


def test_my_orders_queries_do_not_grow(cast, repair):
    client = as_user(cast.users[Role.RESIDENT])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(MINE).status_code == 200
        return len(queries)

    for _ in range(2):
        _order(cast, repair)
    two = count()
    for _ in range(18):
        _order(cast, repair)
    twenty = count()
    html = client.get(MINE).content.decode()
    assert len(re.findall(r'data-order="(\d+)"', html)) == 20
    assert two == twenty


def test_resident_navigation(cast):
    html = as_user(cast.users[Role.RESIDENT]).get(MINE).content.decode()
    assert f'href="{REPORT}"' in html and ">Report a problem</a>" in html
    assert 'aria-current="page">My orders</a>' in html
    branch_html = as_user(cast.users[Role.BRANCH]).get("/inbox/").content.decode()
    assert ">My orders</a>" not in branch_html
    assert ">Report a problem</a>" not in branch_html


def _menu(html: str) -> list[str]:
    start = html.index('<ul class="dropdown-menu">') if '<ul class="dropdown-menu">' in html else -1
    if start < 0:
        return []
    block = html[start : html.index("</ul>", start)]
    return re.findall(r'class="dropdown-item" href="([^"]+)">', block)


@pytest.mark.parametrize(
    "role,entries",
    [
        (
            Role.BRANCH,
            [
                "/workorders/queue/?role=branch",
                REPORT,
                "/workorders/problem-lists/",
                "/workorders/reports/",
            ],
        ),
        (
            Role.COMPANY,
            ["/workorders/queue/?role=company", REPORT, "/workorders/reports/"],
        ),
        (
            Role.COMMITTEE,
            [
                "/workorders/queue/?role=committee",
                REPORT,
                "/workorders/problem-lists/",
                "/workorders/reports/",
            ],
        ),
        (
            Role.COMMUNITY,
            [
                "/workorders/queue/?role=community",
                REPORT,
                "/workorders/problem-lists/",
                "/workorders/reports/",
            ],
        ),
        (
            Role.STREET,
            [
                "/workorders/queue/?role=street",
                REPORT,
                "/workorders/problem-lists/",
                "/workorders/reports/",
            ],
        ),
        (Role.DISTRICT, ["/workorders/reports/"]),
        (Role.GRID, [REPORT]),
        (Role.INSPECTOR, []),
        (Role.RESIDENT, []),
    ],
)
def test_staff_work_order_menu(cast, role, entries):
    html = as_user(cast.users[role]).get("/inbox/").content.decode()
    assert _menu(html) == entries
