"""Emergency repairs go at once to the emergency station (the managing company's, else the
street's) with the branch told; complaints to the street's mediation station, whose officers do
them; emergency work needs photos to be finished."""

import pytest
from django.core.exceptions import ValidationError

from laoyuan.accounts.enums import Role
from laoyuan.inbox.models import Notification
from laoyuan.workorders.enums import Action, Status
from laoyuan.workorders.models import Category, Photo, Team, WorkOrder
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import Forbidden, available_actions, transition
from laoyuan.workorders.tests.flow import jpeg, last_event, report, snapshot

pytestmark = pytest.mark.django_db(transaction=False)


def _team(cast, kind, company=None, street=None, name=None):
    return Team.objects.create(
        district=cast.district,
        street=street or cast.a.street,
        company=company,
        kind=kind,
        name=name or f"{kind} {company or 'street'}",
    )


def _events(order):
    return [
        (e.action, e.role, e.actor_id, e.from_status, e.to_status)
        for e in order.events.order_by("pk")
    ]


def test_emergency_goes_to_the_companys_station_and_the_branch_is_told(
    cast, leak, django_capture_on_commit_callbacks
):
    _team(cast, "emergency")  # the street's: the company's own comes first
    other = _team(cast, "emergency", company=cast.b.company, street=cast.b.street)
    own = _team(cast, "emergency", company=cast.a.company)
    resident = cast.users[Role.RESIDENT]
    with django_capture_on_commit_callbacks(execute=True):
        order = report(cast, leak, photos=[jpeg()])
    assert (order.status, order.team, order.company_id) == (
        Status.DISPATCHED,
        own,
        cast.a.company.pk,
    )
    assert order.team != other
    assert order.dispatched_at == order.created_at
    assert _events(order) == [
        ("create", "resident", resident.pk, "", "ordered"),
        ("dispatch", "system", None, "ordered", "dispatched"),
    ]
    assert last_event(order).data == {"company": cast.a.company.pk, "team": own.pk, "station": True}
    assert Photo.objects.filter(order=order).count() == 1
    branch, company = cast.users[Role.BRANCH], cast.users[Role.COMPANY]
    assert list(Notification.objects.filter(user=branch).values_list("event", flat=True)) == [
        "workorder.create"
    ]
    assert list(Notification.objects.filter(user=company).values_list("event", flat=True)) == [
        "workorder.dispatch"
    ]
    # The branch need not dispatch it; the company accepts.
    assert available_actions(order, branch) == ["transfer", "mark_duplicate", "not_ours"]
    assert available_actions(order, company) == ["accept", "return"]


def test_emergency_goes_to_the_streets_station_without_a_company_one(
    cast, leak, django_capture_on_commit_callbacks
):
    station = _team(cast, "emergency")
    _team(cast, "emergency", street=cast.b.street, name="乙街道应急站")
    cast.a.compound.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        order = create_order(
            actor=cast.users[Role.GRID],
            compound=cast.a.compound,
            house=cast.a.house,
            category=leak,
            description="顶楼漏雨",
        )
    assert (order.status, order.team, order.company, order.channel) == (
        Status.DISPATCHED,
        station,
        None,
        "grid",
    )
    street = cast.users[Role.STREET]
    assert Notification.objects.filter(user=street, event="workorder.dispatch").count() == 1
    assert Notification.objects.filter(user=cast.users["outsider"]).count() == 0
    before = snapshot(order)
    for who in (Role.COMPANY, "outsider", Role.BRANCH):
        with pytest.raises(Forbidden):
            transition(order_id=order.pk, actor=cast.users[who], action=Action.ACCEPT)
    assert snapshot(order) == before
    order = transition(order_id=order.pk, actor=street, action=Action.ACCEPT)
    assert (order.status, last_event(order).role) == (Status.ACCEPTED, "street")


def test_emergency_without_a_station_waits_for_the_branch(cast, leak):
    _team(cast, "emergency", street=cast.b.street)
    _team(cast, "mediation")
    Team.objects.create(
        district=cast.district,
        street=cast.a.street,
        company=cast.a.company,
        kind="emergency",
        name="停用的应急站",
        active=False,
    )
    order = report(cast, leak, photos=[jpeg()])
    assert (order.status, order.team, order.company) == (Status.ORDERED, None, None)
    order = transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action=Action.DISPATCH)
    assert (order.status, order.company) == (Status.DISPATCHED, cast.a.company)


def test_a_resident_reports_an_emergency_with_a_photo(cast, leak):
    with pytest.raises(ValidationError) as caught:
        report(cast, leak)
    assert caught.value.message_dict == {"photos": ["This category needs a photo of the problem."]}
    assert WorkOrder.objects.count() == 0


def test_complaints_go_to_the_streets_mediation_station(cast, django_capture_on_commit_callbacks):
    complaint = Category.objects.get(code="complaint")
    _team(cast, "emergency", company=cast.a.company)
    station = _team(cast, "mediation", name="甲街道调解站")
    with django_capture_on_commit_callbacks(execute=True):
        order = report(cast, complaint, description="楼上噪音")
    assert (order.status, order.team, order.company) == (Status.DISPATCHED, station, None)
    street = cast.users[Role.STREET]
    assert list(Notification.objects.filter(user=street).values_list("event", flat=True)) == [
        "workorder.dispatch"
    ]
    assert Notification.objects.filter(user=cast.users[Role.COMPANY]).count() == 0
    assert available_actions(order, cast.users[Role.COMPANY]) == []
    assert available_actions(order, street) == ["accept", "return"]
    before = snapshot(order)
    for who in (Role.COMPANY, "outsider", "other_district", Role.RESIDENT):
        with pytest.raises(Forbidden):
            transition(order_id=order.pk, actor=cast.users[who], action=Action.ACCEPT)
    assert snapshot(order) == before
    for action, extra in [("accept", {}), ("start", {}), ("finish", {"note": "已调解"})]:
        order = transition(order_id=order.pk, actor=street, action=action, **extra)
    assert order.status == Status.DONE
    assert [e.role for e in order.events.order_by("pk")][2:] == ["street", "street", "street"]


def test_a_community_run_mediation_station(cast):
    complaint = Category.objects.get(code="complaint")
    street_station = _team(cast, "mediation", name="街道调解站")
    station = Team.objects.create(
        district=cast.district,
        street=cast.a.street,
        community=cast.a.community,
        kind="mediation",
        name="社区调解室",
    )
    order = report(cast, complaint, description="邻里纠纷")
    assert order.team == station != street_station
    community = cast.users[Role.COMMUNITY]
    order = transition(order_id=order.pk, actor=community, action=Action.ACCEPT)
    assert (order.status, last_event(order).role) == (Status.ACCEPTED, "community")


def _leak_in_progress(cast, leak):
    _team(cast, "emergency", company=cast.a.company)
    order = report(cast, leak, photos=[jpeg()])
    company = cast.users[Role.COMPANY]
    transition(order_id=order.pk, actor=company, action=Action.ACCEPT)
    return transition(order_id=order.pk, actor=company, action=Action.START)


def test_emergency_work_needs_photos_to_finish(cast, leak):
    order = _leak_in_progress(cast, leak)
    company = cast.users[Role.COMPANY]
    before = snapshot(order)
    with pytest.raises(ValidationError) as caught:
        transition(order_id=order.pk, actor=company, action=Action.FINISH, note="已修补")
    assert caught.value.message_dict == {
        "photos": ["This category needs photos of the finished work."]
    }
    assert snapshot(order) == before
    order = transition(
        order_id=order.pk,
        actor=company,
        action=Action.FINISH,
        note="已修补",
        photos=[jpeg("a.jpg"), jpeg("b.jpg", size=(30, 40))],
    )
    assert order.status == Status.DONE
    finish = last_event(order)
    assert sorted((p.width, p.height) for p in finish.photos.all()) == [(30, 40), (40, 30)]
    assert Photo.objects.filter(order=order).count() == 3


def test_ordinary_work_finishes_without_photos(cast, repair):
    order = report(cast, repair)
    for role, action in [(Role.BRANCH, "dispatch"), (Role.COMPANY, "accept")]:
        transition(order_id=order.pk, actor=cast.users[role], action=action)
    transition(order_id=order.pk, actor=cast.users[Role.COMPANY], action="start")
    order = transition(
        order_id=order.pk, actor=cast.users[Role.COMPANY], action="finish", note="修好"
    )
    assert (order.status, Photo.objects.filter(order=order).count()) == (Status.DONE, 0)


def test_a_bad_photo_at_finish_changes_nothing(cast, leak):
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = _leak_in_progress(cast, leak)
    before = snapshot(order)
    with pytest.raises(ValidationError) as caught:
        transition(
            order_id=order.pk,
            actor=cast.users[Role.COMPANY],
            action=Action.FINISH,
            note="已修补",
            photos=[jpeg(), SimpleUploadedFile("notes.txt", b"hello", "text/plain")],
        )
    assert caught.value.message_dict == {
        "photos": ["notes.txt is not a photo (JPEG, PNG or WebP)."]
    }
    assert snapshot(order) == before
    assert Photo.objects.filter(order=order).count() == 1
