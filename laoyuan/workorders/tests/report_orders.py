"""A hand-built set of orders with known times, for the rates (reports, overview, public list).

Repair orders (response target 24 h, resolution target 120 h) of side A's compound, driven
through the one transition service with ``now=`` at chosen moments (Asia/Shanghai):

- O1 created 03-02 09:00, accepted 03-03 09:00 (exactly at its response target), verified
  03-07 09:00 (exactly at its resolution target), rated 5 on 03-08;
- O2 created 03-04 10:00, accepted 03-05 12:00 (26 h: late), verified 03-10 10:00 (144 h:
  late), rated 2 on 03-11;
- O3 created 03-10 08:00, accepted 09:00 (1 h), still in progress (due 03-15 08:00);
- O4 created 03-20 10:00, cancelled by the resident before dispatch (due 03-25 10:00);
- O5 created 02-27 12:00, accepted 13:00 (1 h), verified 03-01 12:00 (48 h; due 03-04),
  rated 4 on 03-02;
- B1: side B's compound, created 03-05 10:00 by side B's street officer, never dispatched.

So in March 2026, for side A: created 4 (O1–O4), accepted in time 2 (O1, O3): response rate
0.5000; due 5 (O1–O5), verified in time 2 (O1, O5): resolution rate 0.4000; rated 3 (O1, O2,
O5), 4 or 5: 2, satisfaction rate 0.6667; accepted in March O1, O2, O3: (24 + 26 + 1) / 3 =
17.0 h; verified in March O1, O2, O5: (120 + 144 + 48) / 3 = 104.0 h.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from laoyuan.accounts.enums import Role
from laoyuan.factories import Cast
from laoyuan.workorders.enums import Action
from laoyuan.workorders.models import Category, WorkOrder
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import transition

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = datetime.date(2026, 3, 1)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class ReportSet:
    o1: WorkOrder
    o2: WorkOrder
    o3: WorkOrder
    o4: WorkOrder
    o5: WorkOrder
    b1: WorkOrder


def _order(cast: Cast, category: Category, when: datetime.datetime, text: str) -> WorkOrder:
    return create_order(
        actor=cast.users[Role.RESIDENT],
        compound=cast.a.compound,
        house=cast.a.house,
        category=category,
        description=text,
        place="1号楼2单元",
        now=when,
    )


def _step(cast: Cast, order: WorkOrder, role: str, action: str, when: datetime.datetime, **extra):
    return transition(order_id=order.pk, actor=cast.users[role], action=action, now=when, **extra)


def through(
    cast: Cast,
    order: WorkOrder,
    *,
    accepted: datetime.datetime,
    verified: datetime.datetime | None = None,
    rated: tuple[datetime.datetime, int] | None = None,
) -> WorkOrder:
    """Dispatch and accept at ``accepted``; then, with ``verified``, start, finish, supervise
    and verify at that moment; then rate."""
    _step(cast, order, Role.BRANCH, Action.DISPATCH, accepted)
    order = _step(cast, order, Role.COMPANY, Action.ACCEPT, accepted)
    if verified is None:
        return _step(cast, order, Role.COMPANY, Action.START, accepted)
    _step(cast, order, Role.COMPANY, Action.START, verified)
    _step(cast, order, Role.COMPANY, Action.FINISH, verified, note="修好了")
    _step(cast, order, Role.COMMITTEE, Action.SUPERVISE, verified)
    order = _step(cast, order, Role.COMMUNITY, Action.VERIFY, verified)
    if rated is not None:
        order = _step(cast, order, Role.RESIDENT, Action.RATE, rated[0], rating=rated[1])
    return order


def build_report_set(cast: Cast, repair: Category) -> ReportSet:
    o1 = through(
        cast,
        _order(cast, repair, at(3, 2, 9), "楼道灯不亮"),
        accepted=at(3, 3, 9),
        verified=at(3, 7, 9),
        rated=(at(3, 8, 10), 5),
    )
    o2 = through(
        cast,
        _order(cast, repair, at(3, 4, 10), "下水道堵了"),
        accepted=at(3, 5, 12),
        verified=at(3, 10, 10),
        rated=(at(3, 11, 10), 2),
    )
    o3 = through(cast, _order(cast, repair, at(3, 10, 8), "单元门坏了"), accepted=at(3, 10, 9))
    o4 = _order(cast, repair, at(3, 20, 10), "路灯不亮")
    o4 = _step(cast, o4, Role.RESIDENT, Action.CANCEL, at(3, 20, 11))
    o5 = through(
        cast,
        _order(cast, repair, at(2, 27, 12), "水管漏水"),
        accepted=at(2, 27, 13),
        verified=at(3, 1, 12),
        rated=(at(3, 2, 9), 4),
    )
    b1 = create_order(
        actor=cast.users["outsider"],
        compound=cast.b.compound,
        category=repair,
        description="乙院楼道灯不亮",
        now=at(3, 5, 10),
    )
    return ReportSet(o1, o2, o3, o4, o5, b1)
