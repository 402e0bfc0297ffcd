"""The order page: who may read it, its photos, its timeline, and each step's form."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from laoyuan.accounts.enums import Role
from laoyuan.factories import anonymous, as_user, user_with
from laoyuan.inbox.models import Notification
from laoyuan.workorders.enums import Status
from laoyuan.workorders.models import Event, Photo, WorkOrder
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import transition

pytestmark = pytest.mark.django_db

READERS = [
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMPANY,
    Role.COMMITTEE,
    Role.RESIDENT,
]
STRANGERS = ["outsider", "other_district", Role.INSPECTOR]


def jpeg(name: str = "leak.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def order(cast, repair):
    cast.users[Role.BRANCH].first_name = "王支书"
    cast.users[Role.BRANCH].save(update_fields=["first_name"])
    return create_order(
        actor=cast.users[Role.RESIDENT],
        compound=cast.a.compound,
        house=cast.a.house,
        category=repair,
        description="屋顶漏水",
        place="1号楼 顶层",
        photos=[jpeg()],
    )


def act(user, order, **data):
    return as_user(user).post(reverse("workorders:act", args=[order.pk]), data)


@pytest.mark.parametrize("role", READERS)
def test_every_order_role_reads_the_page(cast, order, role):
    response = as_user(cast.users[role]).get(reverse("workorders:detail", args=[order.pk]))
    assert response.status_code == 200
    assert "屋顶漏水" in response.content.decode()


@pytest.mark.parametrize("who", STRANGERS)
def test_strangers_get_404_everywhere(cast, order, who):
    client = as_user(cast.users[who])
    photo = Photo.objects.get(order=order)
    assert client.get(reverse("workorders:detail", args=[order.pk])).status_code == 404
    assert client.get(reverse("workorders:photo", args=[photo.pk])).status_code == 404
    response = client.post(reverse("workorders:act", args=[order.pk]), {"action": "dispatch"})
    assert response.status_code == 404
    assert WorkOrder.objects.get(pk=order.pk).status == Status.ORDERED


def test_the_neighbour_sees_nothing_of_the_order(cast, order):
    neighbour = as_user(user_with(Role.RESIDENT, cast.a.neighbour_house, "neighbour"))
    photo = Photo.objects.get(order=order)
    assert neighbour.get(reverse("workorders:detail", args=[order.pk])).status_code == 404
    assert neighbour.get(reverse("workorders:photo", args=[photo.pk])).status_code == 404


def test_anonymous_is_sent_to_sign_in(order):
    photo = Photo.objects.get(order=order)
    for url in (
        reverse("workorders:detail", args=[order.pk]),
        reverse("workorders:photo", args=[photo.pk]),
    ):
        response = anonymous().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_photo_is_streamed_to_readers_only_through_its_view(cast, order):
    photo = Photo.objects.get(order=order)
    response = as_user(cast.users[Role.RESIDENT]).get(reverse("workorders:photo", args=[photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    body = b"".join(response.streaming_content)
    assert body[:3] == b"\xff\xd8\xff"
    assert len(body) == photo.size
    page = as_user(cast.users[Role.RESIDENT]).get(reverse("workorders:detail", args=[order.pk]))
    html = page.content.decode()
    assert f'src="{reverse("workorders:photo", args=[photo.pk])}"' in html
    assert "/media/" not in html


def test_facts_and_forms_of_the_branch(cast, order):
    html = (
        as_user(cast.users[Role.BRANCH])
        .get(reverse("workorders:detail", args=[order.pk]))
        .content.decode()
    )
    assert 'data-status="ordered"' in html
    assert "1号楼 顶层" in html
    assert "Resident app" in html
    assert "data-overdue" not in html
    # The branch dispatches, marks a duplicate or not ours; the company default is the compound's.
    assert re.findall(r'name="action" value="(\w+)"', html) == [
        "dispatch",
        "mark_duplicate",
        "not_ours",
    ]
    selected = re.search(r'<option value="(\d+)" selected>([^<]+)</option>', html)
    assert selected is not None
    assert (int(selected.group(1)), selected.group(2)) == (cast.a.company.pk, cast.a.company.name)
    assert cast.b.company.name in html  # the district's companies
    assert cast.c.company.name not in html  # another district's are not offered


def test_resident_reads_roles_staff_read_names(cast, order):
    transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action="dispatch")
    url = reverse("workorders:detail", args=[order.pk])
    staff_html = as_user(cast.users[Role.COMPANY]).get(url).content.decode()
    resident_html = as_user(cast.users[Role.RESIDENT]).get(url).content.decode()
    assert "<span data-actor>王支书</span>" in staff_html
    assert "王支书" not in resident_html
    assert 'data-role="branch"' in resident_html
    assert re.findall(r'<li class="wo-step" data-action="(\w+)"', resident_html) == [
        "create",
        "dispatch",
    ]
    # The resident may cancel before the company accepts; nothing else.
    assert re.findall(r'name="action" value="(\w+)"', resident_html) == ["cancel"]


def test_overdue_orders_are_highlighted(cast, order):
    WorkOrder.objects.filter(pk=order.pk).update(
        response_due=order.created_at.replace(year=2000), escalation=1
    )
    html = (
        as_user(cast.users[Role.COMMUNITY])
        .get(reverse("workorders:detail", args=[order.pk]))
        .content.decode()
    )
    assert "data-overdue" in html
    assert 'data-escalation="1"' in html
    assert "Escalated to the Community" in html


def test_the_five_steps_through_the_forms(cast, order):
    users = cast.users
    steps = [
        (Role.BRANCH, {"action": "dispatch", "company": cast.a.company.pk}, Status.DISPATCHED),
        (Role.COMPANY, {"action": "accept"}, Status.ACCEPTED),
        (Role.COMPANY, {"action": "start"}, Status.IN_PROGRESS),
        (Role.COMPANY, {"action": "finish", "note": "补了防水层"}, Status.DONE),
        (Role.COMMITTEE, {"action": "supervise"}, Status.SUPERVISED),
        (Role.COMMUNITY, {"action": "verify"}, Status.VERIFIED),
        (Role.RESIDENT, {"action": "rate", "rating": "5", "note": "很快"}, Status.RATED),
        (Role.COMMUNITY, {"action": "close"}, Status.CLOSED),
    ]
    for role, data, status in steps:
        if data["action"] == "finish":
            data = {**data, "photos": [jpeg("done1.jpg"), jpeg("done2.jpg")]}
        response = act(users[role], order, **data)
        assert response.status_code == 302, (role, data, response.content[:500])
        assert response["Location"] == reverse("workorders:detail", args=[order.pk])
        assert WorkOrder.objects.get(pk=order.pk).status == status
    finished = Event.objects.get(order=order, action="finish")
    assert finished.photos.count() == 2
    html = (
        as_user(users[Role.RESIDENT])
        .get(reverse("workorders:detail", args=[order.pk]))
        .content.decode()
    )
    assert 'data-rating="5"' in html
    assert re.findall(r'<li class="wo-step" data-action="(\w+)"', html) == [
        "create",
        "dispatch",
        "accept",
        "start",
        "finish",
        "supervise",
        "verify",
        "rate",
        "close",
    ]
    assert "补了防水层" in html
    assert html.count('<img class="wo-thumb"') == 3


@pytest.mark.parametrize(
    "setup,role,data,error_id,message",
    [
        (
            [],
            Role.BRANCH,
            {"action": "dispatch", "company": "999999"},
            "company-dispatch",
            "No such company in this district.",
        ),
        ([], Role.BRANCH, {"action": "not_ours"}, "note-not_ours", "Name who is responsible."),
        (
            [],
            Role.BRANCH,
            {"action": "mark_duplicate", "duplicate_of": "999999"},
            "duplicate-of",
            "No such order in this compound.",
        ),
        (
            [("branch", "dispatch"), ("company", "accept"), ("company", "start")],
            Role.COMPANY,
            {"action": "finish", "note": ""},
            "note-finish",
            "Describe the work done.",
        ),
        (
            [("branch", "dispatch"), ("company", "accept"), ("company", "start")],
            Role.COMPANY,
            {"action": "finish", "note": "好了", "photos": SimpleUploadedFile("x.jpg", b"not")},
            "photos-finish",
            "x.jpg is not a photo (JPEG, PNG or WebP).",
        ),
        (
            [
                ("branch", "dispatch"),
                ("company", "accept"),
                ("company", "start"),
                ("company", "finish"),
            ],
            Role.COMMITTEE,
            {"action": "send_back"},
            "note-send_back",
            "Say what is still wrong.",
        ),
        (
            [
                ("branch", "dispatch"),
                ("company", "accept"),
                ("company", "start"),
                ("company", "finish"),
                ("committee", "supervise"),
                ("community", "verify"),
            ],
            Role.RESIDENT,
            {"action": "rate", "rating": "9"},
            "rating",
            "Give a rating from 1 to 5.",
        ),
    ],
)
def test_errors_are_shown_on_the_form(cast, order, setup, role, data, error_id, message):
    for who, action in setup:
        transition(order_id=order.pk, actor=cast.users[who], action=action, note="ok")
    before = WorkOrder.objects.get(pk=order.pk).status
    events = Event.objects.filter(order=order).count()
    response = act(cast.users[role], order, **data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="{error_id}-error">{message}</div>' in html
    assert WorkOrder.objects.get(pk=order.pk).status == before
    assert Event.objects.filter(order=order).count() == events


def test_a_step_no_longer_allowed_is_a_message(cast, order):
    transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action="dispatch")
    response = act(cast.users[Role.BRANCH], order, action="dispatch")
    assert response.status_code == 302
    page = as_user(cast.users[Role.BRANCH]).get(response["Location"])
    # The message was consumed by that page; post again and follow the redirect.
    response = as_user(cast.users[Role.BRANCH]).post(
        reverse("workorders:act", args=[order.pk]), {"action": "dispatch"}, follow=True
    )
    assert page.status_code == 200
    assert (
        "“dispatch” is not allowed while the order is Dispatched (支部派单). Allowed: accept, "
        "return, transfer, mark_duplicate, not_ours, cancel." in response.content.decode()
    )


def test_the_wrong_hand_is_403(cast, order):
    response = act(cast.users[Role.RESIDENT], order, action="dispatch")
    assert response.status_code == 403
    response = act(cast.users[Role.COMPANY], order, action="dispatch")
    assert response.status_code == 403
    assert WorkOrder.objects.get(pk=order.pk).status == Status.ORDERED


def test_an_unknown_action_is_an_error_on_the_page(cast, order):
    response = act(cast.users[Role.BRANCH], order, action="explode")
    assert response.status_code == 400
    assert "Unknown action “explode”." in response.content.decode()


def test_on_behalf_steps_are_marked(cast, repair):
    order = create_order(
        actor=cast.users[Role.COMMUNITY],
        compound=cast.a.compound,
        category=repair,
        description="楼道灯坏了",
        contact_name="李阿姨",
        contact_phone="13812345678",
    )
    html = (
        as_user(cast.users[Role.BRANCH])
        .get(reverse("workorders:detail", args=[order.pk]))
        .content.decode()
    )
    assert "data-on-behalf" in html
    assert "李阿姨 · 138****5678" in html
    assert "13812345678" not in html


def test_bell_counts_unread_notifications_exactly(cast, order, django_capture_on_commit_callbacks):
    resident = cast.users[Role.RESIDENT]
    with django_capture_on_commit_callbacks(execute=True):
        transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action="dispatch")
        transition(order_id=order.pk, actor=cast.users[Role.COMPANY], action="accept")
    assert Notification.objects.filter(user=resident, read_at__isnull=True).count() == 2
    Notification.objects.create(user=cast.users[Role.BRANCH], event="workorder.rate", subject="x")
    client = as_user(resident)
    html = client.get(reverse("workorders:mine")).content.decode()
    assert 'data-bell="2"' in html
    assert "Notifications: 2 unread" in html
    # Opening one marks it read and goes to its order.
    first = Notification.objects.filter(user=resident).order_by("id").first()
    response = client.post(reverse("inbox:read"), {"id": first.pk, "next": first.url})
    assert response["Location"] == reverse("workorders:detail", args=[order.pk])
    assert 'data-bell="1"' in client.get(reverse("inbox:list")).content.decode()
    # Marking all read empties the count; a foreign next is ignored.
    response = client.post(reverse("inbox:read"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("inbox:list")
    html = client.get(reverse("inbox:list")).content.decode()
    assert 'data-bell="0"' in html
    assert "data-mark-all" not in html
    assert Notification.objects.filter(user=cast.users[Role.BRANCH], read_at=None).count() == 1


def test_inbox_empty_state(cast):
    html = as_user(cast.users[Role.GRID]).get(reverse("inbox:list")).content.decode()
    assert "data-empty" in html
    assert 'data-bell="0"' in html


def test_bell_is_one_query(cast, django_assert_num_queries):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = cast.users[Role.RESIDENT]
    template = Template("{% load inbox_tags %}{% unread_notifications as n %}{{ n }}")
    Notification.objects.create(user=request.user, event="workorder.verify", subject="#1")
    with django_assert_num_queries(1):
        assert template.render(Context({"request": request})) == "1"


def test_company_staff_read_names_before_dispatch(cast, order):
    html = (
        as_user(cast.users[Role.COMPANY])
        .get(reverse("workorders:detail", args=[order.pk]))
        .content.decode()
    )
    assert "<span data-actor>resident</span>" in html
    # The company sees the compound's order, but no step is theirs yet.
    assert re.findall(r'name="action" value="(\w+)"', html) == []


def test_transfer_to_a_street_team(cast, order):
    from laoyuan.workorders.models import Team

    team = Team.objects.create(
        district=cast.district,
        street=cast.a.street,
        kind="works",
        name="街道维修队",
    )
    Team.objects.create(
        district=cast.district, street=cast.b.street, kind="works", name="乙街道维修队"
    )
    transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action="dispatch")
    html = (
        as_user(cast.users[Role.BRANCH])
        .get(reverse("workorders:detail", args=[order.pk]))
        .content.decode()
    )
    assert f'<option value="{team.pk}">街道维修队 (Works team)</option>' in html
    assert "乙街道维修队" not in html
    response = act(cast.users[Role.BRANCH], order, action="transfer", team=team.pk, company="")
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.company, order.team) == (Status.DISPATCHED, None, team)
    transfer = Event.objects.get(order=order, action="transfer")
    assert transfer.data == {
        "company": None,
        "team": team.pk,
        "from_company": cast.a.company.pk,
        "from_team": None,
    }


def test_order_page_queries_do_not_grow_with_the_timeline(cast, order):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(cast.users[Role.COMMUNITY])
    url = reverse("workorders:detail", args=[order.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    company = cast.users[Role.COMPANY]
    transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action="dispatch")
    transition(order_id=order.pk, actor=company, action="accept")
    transition(order_id=order.pk, actor=company, action="start")
    transition(order_id=order.pk, actor=company, action="finish", note="好了")
    short = count()  # done: 5 steps, 1 photo
    for _ in range(3):
        transition(
            order_id=order.pk, actor=cast.users[Role.COMMITTEE], action="send_back", note="还漏"
        )
        transition(
            order_id=order.pk,
            actor=company,
            action="finish",
            note="再修",
            photos=[jpeg("c.jpg"), jpeg("d.jpg")],
        )
    html = client.get(url).content.decode()
    assert html.count('<li class="wo-step"') == 11
    assert html.count('<img class="wo-thumb"') == 7
    assert count() == short  # done again: 11 steps, 7 photos
