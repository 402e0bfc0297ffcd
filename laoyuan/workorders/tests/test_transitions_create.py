"""Who may report for whom: a resident for their own household only, staff of the compound's
offices on a resident's behalf (always logged in the same role), nobody from outside."""

import pytest
from django.core.exceptions import ValidationError

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent
from laoyuan.factories import grant, user_with
from laoyuan.workorders.models import Event, WorkOrder
from laoyuan.workorders.services.orders import INTAKE_ORDER
from laoyuan.workorders.services.transitions import Forbidden
from laoyuan.workorders.tests.flow import report

pytestmark = pytest.mark.django_db(transaction=False)


def _nothing_written():
    assert WorkOrder.objects.count() == 0
    assert Event.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="workorder.").count() == 0


@pytest.mark.parametrize(
    "who", ["outsider", "other_district", Role.INSPECTOR, Role.DISTRICT, "neighbour", "b_company"]
)
def test_outsiders_may_not_report(cast, repair, who):
    if who == "neighbour":
        actor = user_with(Role.RESIDENT, cast.a.neighbour_house)
    elif who == "b_company":
        actor = user_with(Role.COMPANY, cast.b.company)
    else:
        actor = cast.users[who]
    with pytest.raises(Forbidden) as caught:
        report(cast, repair, actor=actor)
    assert str(caught.value) == "You may not report problems for this compound."
    _nothing_written()


@pytest.mark.parametrize(
    "who,channel",
    [
        (Role.GRID, "grid"),
        (Role.BRANCH, "phone"),
        (Role.COMMITTEE, "phone"),
        (Role.COMPANY, "phone"),
        (Role.COMMUNITY, "phone"),
        (Role.STREET, "phone"),
    ],
)
def test_staff_report_on_a_households_behalf(cast, repair, who, channel):
    staff = cast.users[who]
    order = report(cast, repair, actor=staff)
    assert (order.requester, order.reported_by, order.channel) == (None, staff, channel)
    event = order.events.get()
    assert (event.role, event.on_behalf, event.data) == (who, True, {"channel": channel})


def test_a_staff_member_with_several_roles_is_always_logged_in_the_nearest():
    assert INTAKE_ORDER[:2] == (Role.GRID, Role.BRANCH)


def test_several_intake_roles_pick_the_grid(cast, repair):
    staff = cast.users[Role.COMMUNITY]
    grant(staff, Role.GRID, cast.a.grid)
    order = report(cast, repair, actor=staff)
    assert (order.channel, order.events.get().role) == ("grid", "grid")


def test_a_house_of_another_compound_is_refused(cast, repair):
    with pytest.raises(ValidationError) as caught:
        report(cast, repair, house=cast.b.house)
    assert caught.value.message_dict == {"house": ["This house is not in the compound."]}
    _nothing_written()


@pytest.mark.parametrize(
    "text,message", [("  ", "Describe the problem."), ("长" * 2001, "At most 2000 characters.")]
)
def test_a_description_is_needed(cast, repair, text, message):
    with pytest.raises(ValidationError) as caught:
        report(cast, repair, description=text)
    assert caught.value.message_dict == {"description": [message]}
    _nothing_written()
