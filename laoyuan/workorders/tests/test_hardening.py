"""Rules found in review: a reopen keeps the bad rating in the figures, the hand that does the
work never rates or withdraws it, complaints stay away from the company they are about, a
resident reports through the app, the API offers only the steps the service allows."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.open311.queries import masked
from laoyuan.workorders.enums import Action, Status
from laoyuan.workorders.models import Category, WorkOrder
from laoyuan.workorders.queries import orders_for
from laoyuan.workorders.reports import rates
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import (
    Forbidden,
    available_actions,
    transition,
)
from laoyuan.workorders.tests.flow import keep_committee_in_term, report, walk

pytestmark = pytest.mark.django_db


def test_a_reopen_keeps_the_low_rating_in_the_rates(cast, repair):
    keep_committee_in_term(cast)
    order = walk(cast, report(cast, repair), Status.RATED, rate={"rating": 1})
    today = timezone.localdate()
    district = cast.users[Role.DISTRICT]
    before = rates(district, today, today).total
    transition(order_id=order.pk, actor=cast.users[Role.RESIDENT], action=Action.REOPEN)
    after = rates(district, today, today).total
    assert (before.rated, before.satisfied, before.responded) == (1, 0, 1)
    assert (after.rated, after.satisfied, after.responded) == (1, 0, 1)
    # A new round rated 5 replaces the rating.
    order = walk(cast, WorkOrder.objects.get(pk=order.pk), Status.RATED, rate={"rating": 5})
    final = rates(district, today, today).total
    assert (order.rating, final.rated, final.satisfied) == (5, 1, 1)


def test_the_company_never_rates_or_withdraws_an_order_it_took_and_does(cast, repair):
    keep_committee_in_term(cast)
    company = cast.users[Role.COMPANY]
    cast.a.compound.refresh_from_db()
    order = create_order(
        actor=company, compound=cast.a.compound, category=repair, description="电话报修"
    )
    assert (order.reported_by, order.requester) == (company, None)
    dispatched = transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action="dispatch")
    assert Action.CANCEL not in available_actions(dispatched, company)
    with pytest.raises(Forbidden):
        transition(order_id=order.pk, actor=company, action=Action.CANCEL)
    verified = walk(cast, WorkOrder.objects.get(pk=order.pk), Status.VERIFIED)
    assert Action.RATE not in available_actions(verified, company)
    with pytest.raises(Forbidden):
        transition(order_id=order.pk, actor=company, action=Action.RATE, rating=5)
    assert WorkOrder.objects.get(pk=order.pk).rating is None


def test_staff_who_took_an_order_rate_it_for_the_resident(cast, repair):
    keep_committee_in_term(cast)
    officer = cast.users[Role.GRID]
    order = create_order(
        actor=officer, compound=cast.a.compound, category=repair, description="上门：楼道灯坏"
    )
    walk(cast, order, Status.VERIFIED)
    rated = transition(order_id=order.pk, actor=officer, action=Action.RATE, rating=4)
    last = rated.events.last()
    assert (rated.rating, last.role, last.on_behalf) == (4, "staff", True)


def test_a_complaint_stays_away_from_the_managing_company(cast):
    complaint = Category.objects.get(code="complaint")
    order = report(cast, complaint, description="物业经理态度恶劣")
    company = cast.users[Role.COMPANY]
    assert list(orders_for(company)) == []
    client = APIClient()
    client.force_authenticate(company)
    assert client.get(f"/api/v1/work-orders/{order.pk}/").status_code == 404
    # The branch sees it and, once it is dispatched to the company, so does the company.
    assert [o.pk for o in orders_for(cast.users[Role.BRANCH])] == [order.pk]
    transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action="dispatch")
    assert [o.pk for o in orders_for(company)] == [order.pk]


def test_a_resident_reports_through_the_app(cast, leak):
    with pytest.raises(ValidationError) as caught:
        create_order(
            actor=cast.users[Role.RESIDENT],
            compound=cast.a.compound,
            house=cast.a.house,
            category=leak,
            description="屋顶漏水",
            channel="phone",
        )
    assert caught.value.message_dict == {"channel": ["Residents report through the app."]}
    assert WorkOrder.objects.count() == 0


def test_the_api_does_not_offer_supervising_an_order_one_took(cast, repair):
    keep_committee_in_term(cast)
    committee = cast.users[Role.COMMITTEE]
    order = create_order(
        actor=committee, compound=cast.a.compound, category=repair, description="x"
    )
    walk(cast, order, Status.DONE)
    client = APIClient()
    client.force_authenticate(committee)
    body = client.get(f"/api/v1/work-orders/{order.pk}/").json()
    assert body["allowed_actions"] == ["send_back"]
    listed = client.get("/api/v1/work-orders/").json()["results"]
    assert [row["allowed_actions"] for row in listed] == [["send_back"]]


@pytest.mark.parametrize(
    "text,shown",
    [
        ("请联系138-1234-5678", "请联系***"),
        ("+8613812345678 王", "*** 王"),
        ("座机0371-66661234", "座机***"),
        ("138 1234 5678", "***"),
        ("13812345678", "138****5678"),
        ("3号楼2单元漏水", "3号楼2单元漏水"),
    ],
)
def test_open311_masks_numbers_in_any_format(text, shown):
    assert masked(text) == shown
