"""The demo's work orders: service teams, the Open311 partner and a year of orders.

Teams: an emergency repair station (应急维修服务站) per public company, a mediation station
(矛盾投诉调解站) per street run by the street, and two volunteer teams per street run by their
communities. The Open311 partner's API key is ``demo-open311-key`` (only its SHA-256 is stored).

Orders: about 0.4 per household over the year before ``--today`` (29,934 at scale 1), more
in the rainy summer, at the hours people report problems, across the categories and channels.
Each order walks the state table from its creation until the demo's "now" (``--today`` at 09:00):
dispatch within hours, acceptance within hours, the work within hours or days, supervision by the
compound's committee (where one is in term), verification by the community, a rating (mostly 4-5)
or automatic closing after 7 days. Some are returned by the company, sent back by committees,
cancelled, marked duplicate or not ours, reopened after a poor rating, or stuck so that they are
overdue at "now"; overdue ones carry the escalations the periodic task would have made.

Rows are written set-based in chunks (orders with ``bulk_create``, their events as plain rows),
not through ``transition()`` (far too slow for a year), but every step is applied by
``Path.step`` following ``transitions.MOVES``, ``STAMPS`` and the service's side effects, so each
order's events reproduce its path (the tests replay them). The audit trail does not carry this
history, and no photos are attached (the emergency categories require them in the live service).
A consultation meeting's orders hang on its problem list. The demo compound also gets the demo
resident's live orders, one waiting at each hand. Every draw comes from a generator seeded from
the seed and the compound's code, so a seed and a date give the same orders on any database.
"""

import datetime
import hashlib
import math
import random
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import User
from laoyuan.demo import names
from laoyuan.imports.bulk import insert_rows
from laoyuan.orgs.enums import CompanyKind
from laoyuan.orgs.models import Committee
from laoyuan.places.models import Building, Compound, House
from laoyuan.workorders import summaries
from laoyuan.workorders.enums import AWAITING_RESPONSE, UNRESOLVED, Action, Channel, Status
from laoyuan.workorders.models import Category, Event, Partner, ProblemList, Team, WorkOrder
from laoyuan.workorders.services.transitions import (
    AUTO_CLOSE_DAYS,
    MOVES,
    REOPEN_MAX_RATING,
    STAMPS,
)

PARTNER_KEY = "demo-open311-key"
PARTNER_NAME = "郑州市12345政务服务便民热线"
ORDERS_PER_HOUSEHOLD = 0.4
DAYS = 365
NOW_HOUR = 9  # the demo's "now" is --today at 09:00
ESCALATION_TICK = 15  # minutes between runs of the periodic escalation task
CHUNK = 4000

# Rainy summer months bring leaks and blocked drains; the Spring Festival is quiet.
MONTH_WEIGHT = {
    1: 0.85,
    2: 0.7,
    3: 0.9,
    4: 1.0,
    5: 1.05,
    6: 1.2,
    7: 1.45,
    8: 1.4,
    9: 1.1,
    10: 0.95,
    11: 0.9,
    12: 0.9,
}
HOUR_WEIGHT = (0, 0, 0, 0, 0, 1, 3, 8, 12, 11, 9, 7, 5, 5, 7, 8, 8, 7, 8, 10, 9, 6, 3, 1)
CATEGORY_WEIGHT = {
    "env-cleaning": 21,
    "parking": 13,
    "security": 6,
    "repair": 27,
    "emergency-lift": 1,
    "emergency-fire": 1.5,
    "emergency-leak": 3,
    "emergency-facade": 1,
    "emergency-drain": 3,
    "emergency-railing": 1.5,
    "complaint": 10,
    "other": 7,
}
SUMMER_CATEGORIES = {"emergency-leak": 2.2, "emergency-drain": 1.8}
CHANNELS = (Channel.APP, Channel.PHONE, Channel.SERVICE_CENTRE, Channel.GRID, Channel.OPEN311)
CHANNEL_WEIGHT = (42, 26, 12, 16, 4)
# Median hours of the work itself, by category kind.
WORK_HOURS = {
    "environment": 5,
    "parking": 6,
    "security": 3,
    "repair": 28,
    "emergency": 6,
    "complaint": 50,
    "other": 30,
}
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHT = (58, 29, 7, 3, 3)
RATING_WEIGHT_LATE = (34, 32, 17, 9, 8)

DESCRIPTIONS = {
    "env-cleaning": [
        "{place}楼道堆放杂物，影响通行",
        "{place}门口垃圾桶满溢，有异味",
        "{place}楼前绿化带有建筑垃圾未清理",
        "{place}楼道小广告较多，请清理",
        "院内化粪池冒溢，{place}附近有污水",
    ],
    "parking": [
        "{place}楼下车辆乱停，堵住消防通道",
        "院门口电动车乱放，老人出入不便",
        "{place}附近有僵尸车长期占用车位",
        "外来车辆占用院内车位，请加强管理",
    ],
    "security": [
        "院门门禁损坏，陌生人随意进出",
        "{place}楼道监控不亮",
        "夜间院内照明不足，{place}附近存在安全隐患",
        "{place}楼道电动车充电飞线",
    ],
    "repair": [
        "{place}楼道灯不亮",
        "{place}单元门闭门器损坏",
        "{place}楼前路面破损积水",
        "{place}雨水管断裂",
        "院内健身器材损坏，{place}附近",
        "{place}信报箱损坏",
    ],
    "emergency-lift": ["{place}电梯停运，困人已解救，需检修", "{place}电梯运行异响"],
    "emergency-fire": ["{place}消火栓无水", "{place}灭火器过期、箱门损坏"],
    "emergency-leak": ["{place}顶楼屋面漏水", "{place}外墙渗水，室内墙皮脱落"],
    "emergency-facade": ["{place}外墙瓷砖松动，有坠落危险", "{place}阳台外沿水泥块脱落"],
    "emergency-drain": ["{place}下水道堵塞返水", "{place}污水井堵塞外溢"],
    "emergency-railing": ["{place}楼梯扶手松动", "{place}屋顶护栏锈断"],
    "complaint": [
        "{place}楼上住户噪音扰民，多次沟通无果",
        "{place}邻里因漏水赔偿发生纠纷，请求调解",
        "{place}有住户占用公共空间搭建",
        "{place}住户养犬扰民，请求协调",
    ],
    "other": [
        "咨询加装电梯政策，{place}住户有意愿",
        "建议院内增设休息座椅",
        "{place}附近自来水压力不足",
        "请求在院内增设快递柜",
    ],
}
FINISH_NOTES = {
    "environment": ["已清理完毕", "已清运并消杀", "已安排保洁人员清理"],
    "parking": ["已联系车主挪车，并张贴停车提示", "已施划停车线，加强巡查"],
    "security": ["已修复并测试正常", "已更换设备，夜间加强巡逻"],
    "repair": ["已维修完毕，使用正常", "已更换损坏部件", "已修补完成"],
    "emergency": ["已抢修完毕，现场安全", "已排除故障并复查", "已处置险情，后续跟踪"],
    "complaint": ["经调解双方达成一致", "已约谈当事人，问题已解决", "已协调处理，双方签字确认"],
    "other": ["已答复居民并落实", "已协调相关部门办理"],
}
RETURN_NOTES = [
    "位置描述不清，请核实具体楼栋",
    "需先确认是否属于公共部位",
    "涉及专项维修资金，请支部协调",
]
SEND_BACK_NOTES = [
    "现场查看问题仍未解决",
    "维修后仍有渗漏",
    "清理不彻底，请重新处理",
    "居民反映仍不满意",
]
NOT_OURS_NOTES = [
    "供电公司（95598）",
    "自来水公司",
    "燃气公司",
    "城市管理部门",
    "市政道路养护部门",
    "通信运营商",
]
DUPLICATE_NOTE = "同一问题已有工单在办"
COMMENTS = {
    5: ["处理及时，非常满意", "师傅很负责", "点赞"],
    4: ["问题已解决", "基本满意"],
    3: ["解决得有点慢"],
    2: ["拖了很久才来"],
    1: ["问题没有真正解决"],
}


@dataclass
class Place:
    """What the path needs to know about a compound."""

    compound: Compound
    company_id: int | None
    station: dict[str, Team | None]  # route_to kind -> the station orders go to at once
    fallback: Team | None  # the team a compound without a company is dispatched to
    emergency_fallback: Team | None
    committee_terms: list[tuple[datetime.date, datetime.date]]
    places: list[str]
    houses: list[int]
    lifts: bool

    def has_committee(self, day: datetime.date) -> bool:
        return any(start <= day <= end for start, end in self.committee_terms)


@dataclass
class Path:
    """One order walked through the state table, step by step, as ``transition`` would."""

    category: Category
    created_at: datetime.datetime
    now: datetime.datetime
    status: str = Status.ORDERED
    company_id: int | None = None
    team_id: int | None = None
    stamps: dict[str, datetime.datetime | None] = field(default_factory=dict)
    escalation: int = 0
    escalated_at: datetime.datetime | None = None
    reopened: int = 0
    rating: int | None = None
    rating_comment: str = ""
    responsible: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    last: datetime.datetime | None = None

    def __post_init__(self) -> None:
        self.set_targets(self.created_at)

    def set_targets(self, at: datetime.datetime) -> None:
        self.response_due = at + datetime.timedelta(hours=self.category.response_hours)
        self.resolution_due = at + datetime.timedelta(hours=self.category.resolution_hours)

    def _event(
        self, action: str, from_status: str, at: datetime.datetime, role: str, **extra: Any
    ) -> None:
        self.events.append(
            {
                "action": action,
                "from_status": from_status,
                "to_status": self.status,
                "role": role,
                "at": at,
                "on_behalf": extra.get("on_behalf", False),
                "note": extra.get("note", ""),
                "data": extra.get("data", {}),
            }
        )
        self.last = at

    def create(self, at: datetime.datetime, role: str, on_behalf: bool, channel: str) -> None:
        self._event(Action.CREATE, "", at, role, on_behalf=on_behalf, data={"channel": channel})

    def _level(self, at: datetime.datetime) -> int:
        """``transitions._due_level``: 1 past the running target, 2 past it by as long again."""
        if self.status in AWAITING_RESPONSE:
            due, hours = self.response_due, self.category.response_hours
        elif self.status in UNRESOLVED:
            due, hours = self.resolution_due, self.category.resolution_hours
        else:
            return 0
        if at <= due:
            return 0
        return 2 if at > due + datetime.timedelta(hours=hours) else 1

    def escalate_until(self, until: datetime.datetime, inclusive: bool = False) -> None:
        """The escalations the periodic task makes while the order waits in its status."""
        if self.status not in UNRESOLVED or self.last is None:
            return
        hours = (
            self.category.response_hours
            if self.status in AWAITING_RESPONSE
            else self.category.resolution_hours
        )
        due = self.response_due if self.status in AWAITING_RESPONSE else self.resolution_due
        for crossing in (due, due + datetime.timedelta(hours=hours)):
            tick = _next_tick(max(crossing, self.last))
            if tick > until or (tick == until and not inclusive):
                return
            level = self._level(tick)
            if level > self.escalation:
                self.escalation, self.escalated_at = level, tick
                self._event(Action.ESCALATE, self.status, tick, "system", data={"level": level})

    def step(self, action: str, at: datetime.datetime, role: str, **extra: Any) -> bool:
        """Apply ``action`` at ``at`` if that is before now; False (and nothing) otherwise."""
        if at > self.now:
            return False
        assert self.last is not None and at >= self.last, (action, at, self.last)
        move = MOVES[action]
        assert self.status in move.sources, (action, self.status)
        self.escalate_until(at)
        from_status = self.status
        data = dict(extra.pop("data", {}))
        match action:
            case Action.DISPATCH:
                self.stamps["accepted_at"] = None
                self.company_id, self.team_id = data["company"], data["team"]
            case Action.SEND_BACK:
                self.stamps["done_at"] = self.stamps["supervised_at"] = None
            case Action.RATE:
                self.rating = data["rating"]
                self.rating_comment = extra.get("note", "")[:500]
            case Action.NOT_OURS:
                self.responsible = extra["note"][:200]
                data = {"responsible": self.responsible}
            case Action.REOPEN:
                # As the service does: the low rating and the first round's times stay until
                # the new round replaces them.
                data = {"rating": self.rating}
                self.stamps["closed_at"] = None
                self.reopened += 1
                self.escalation, self.escalated_at = 0, None
                self.set_targets(at)
        self.status = move.target
        stamp = STAMPS.get(move.target, "")
        if stamp and move.target != from_status:
            self.stamps[stamp] = at
        self._event(action, from_status, at, role, data=data, **extra)
        return True

    def finish(self) -> None:
        """The escalations due by now for an order still open."""
        self.escalate_until(self.now, inclusive=True)


def _next_tick(at: datetime.datetime) -> datetime.datetime:
    """The first run of the escalation task strictly after ``at``."""
    base = at.replace(second=0, microsecond=0)
    minutes = ESCALATION_TICK - base.minute % ESCALATION_TICK
    return base + datetime.timedelta(minutes=minutes)


def _hours(rng: random.Random, median: float, sigma: float = 0.8) -> datetime.timedelta:
    return datetime.timedelta(seconds=int(3600 * rng.lognormvariate(math.log(median), sigma)))


def walk(
    rng: random.Random,
    path: Path,
    place: Place,
    doer_role: str,
    dispatch_data: dict[str, Any],
    at_once: bool,
    household: bool = True,
) -> None:
    """Walk one order from its creation until now (an order of a station's category was
    dispatched at once when it was created). Only an order with a ``household`` behind it can
    be cancelled or rated (an Open311 or consultation order has nobody to do it: once verified,
    it closes itself after 7 days)."""
    kind = path.category.kind
    emergency = kind == "emergency"
    t = path.created_at
    stuck = rng.random() < 0.02
    stuck_step = rng.randrange(5)

    def later(median: float, sigma: float = 0.8, step: int = -1) -> datetime.datetime:
        nonlocal t
        t = t + _hours(rng, median, sigma)
        if stuck and step == stuck_step:
            t += datetime.timedelta(hours=rng.uniform(3 * 24, 40 * 24))
        return t

    if not at_once:
        fate = rng.random()
        if fate < 0.02 and household:
            path.step(Action.CANCEL, later(3), Role.RESIDENT)
            return
        at = later(1.5, 0.9, step=0)
        if rng.random() < 0.06:
            at = t = t + datetime.timedelta(hours=rng.uniform(20, 60))
        if fate < 0.045:
            path.step(Action.MARK_DUPLICATE, at, Role.BRANCH, note=DUPLICATE_NOTE)
            return
        if fate < 0.075:
            path.step(Action.NOT_OURS, at, Role.BRANCH, note=rng.choice(NOT_OURS_NOTES))
            return
        if not path.step(Action.DISPATCH, at, Role.BRANCH, data=dispatch_data):
            return
        if rng.random() < 0.05:
            if not path.step(Action.RETURN, later(2), doer_role, note=rng.choice(RETURN_NOTES)):
                return
            if not path.step(Action.DISPATCH, later(3), Role.BRANCH, data=dispatch_data):
                return
    rounds = 0
    while True:
        rounds += 1
        if not path.step(Action.ACCEPT, later(0.3 if emergency else 2, 0.9, step=1), doer_role):
            return
        if not path.step(Action.START, later(0.25 if emergency else 3, step=2), doer_role):
            return
        finish_note = rng.choice(FINISH_NOTES[kind])
        if not path.step(
            Action.FINISH, later(WORK_HOURS[kind], 0.7, step=3), doer_role, note=finish_note
        ):
            return
        while True:
            at = later(3 if emergency else 8, 0.8, step=4)
            committee = place.has_committee(timezone.localdate(at))
            if committee:
                if rng.random() < 0.07:
                    if not path.step(
                        Action.SEND_BACK, at, Role.COMMITTEE, note=rng.choice(SEND_BACK_NOTES)
                    ):
                        return
                    if not path.step(
                        Action.FINISH, later(WORK_HOURS[kind] / 2), doer_role, note=finish_note
                    ):
                        return
                    continue
                if not path.step(Action.SUPERVISE, at, Role.COMMITTEE):
                    return
                at = later(4 if emergency else 12)
            if rng.random() < 0.02:
                if not path.step(
                    Action.SEND_BACK, at, Role.COMMUNITY, note=rng.choice(SEND_BACK_NOTES)
                ):
                    return
                if not path.step(
                    Action.FINISH, later(WORK_HOURS[kind] / 2), doer_role, note=finish_note
                ):
                    return
                continue
            data = {} if committee else {"no_committee": True}
            if not path.step(Action.VERIFY, at, Role.COMMUNITY, data=data):
                return
            break
        verified_at = t
        if rng.random() < 0.22 or not household:
            closes = _next_tick(verified_at + datetime.timedelta(days=AUTO_CLOSE_DAYS))
            path.step(Action.AUTO_CLOSE, closes, "system")
            return
        wait = datetime.timedelta(seconds=int(86400 * min(6.9, rng.expovariate(1.2))))
        late = verified_at > path.resolution_due
        rating = rng.choices(RATINGS, weights=RATING_WEIGHT_LATE if late else RATING_WEIGHT)[0]
        if rounds > 1:
            rating = max(rating, 3)
        t = verified_at + wait
        if not path.step(
            Action.RATE,
            t,
            Role.RESIDENT,
            note=rng.choice(COMMENTS[rating]),
            data={"rating": rating},
        ):
            return
        rated_at = t
        close_at = later(10)
        if rating <= REOPEN_MAX_RATING and rng.random() < 0.5:
            # Within the 7 days, from rated or (once the community closed it) from closed.
            reopen_at = rated_at + datetime.timedelta(seconds=rng.randint(3600, 6 * 86400))
            if reopen_at >= close_at and not path.step(Action.CLOSE, close_at, Role.COMMUNITY):
                return
            if not path.step(Action.REOPEN, reopen_at, Role.RESIDENT):
                return
            t = reopen_at
            continue
        path.step(Action.CLOSE, close_at, Role.COMMUNITY)
        return


# -- writing ---------------------------------------------------------------------------------


def demo_now(today: datetime.date) -> datetime.datetime:
    """The moment the demo's orders run until: ``today`` at 09:00 (or the real now, if that is
    earlier, so a seed run early in the morning has nothing in the future)."""
    at = timezone.make_aware(datetime.datetime.combine(today, datetime.time(NOW_HOUR)))
    return min(at, timezone.now()) if today >= timezone.localdate() else at


def partner_key_hash(key: str = PARTNER_KEY) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def write_teams(writer: Any) -> list[Team]:
    rng = writer.rng("teams")
    teams: list[Team] = []
    for company in sorted(writer.companies, key=lambda c: c.code):
        if company.kind == CompanyKind.PUBLIC and company.street_id is not None:
            teams.append(
                Team(
                    district=writer.district,
                    street_id=company.street_id,
                    company=company,
                    kind="emergency",
                    name=f"{company.name}应急维修服务站",
                    phone=company.phone,
                )
            )
    communities = defaultdict(list)
    for community in sorted(writer.communities.values(), key=lambda c: c.code):
        communities[community.street_id].append(community)
    for street in writer.streets:
        teams.append(
            Team(
                district=writer.district,
                street=street,
                kind="mediation",
                name=f"{street.name}矛盾投诉调解站",
                phone=f"0371-6{rng.randrange(10_000_000):07d}",
            )
        )
        for community in communities[street.pk][:2]:
            teams.append(
                Team(
                    district=writer.district,
                    street=street,
                    community=community,
                    kind="volunteer",
                    name=f"{community.name}志愿服务队",
                    phone=writer.phones.new(rng),
                )
            )
    return Team.objects.bulk_create(teams)


def _places(writer: Any, teams: list[Team]) -> list[Place]:
    """Every compound of the district with its stations, committees and places, by code."""
    public = {c.pk for c in writer.companies if c.kind == CompanyKind.PUBLIC}
    emergency = {t.company_id: t for t in teams if t.kind == "emergency"}
    street_station = {t.street_id: t for t in teams if t.kind == "emergency"}
    mediation = {t.street_id: t for t in teams if t.kind == "mediation"}
    volunteers: dict[int, list[Team]] = defaultdict(list)
    for team in teams:
        if team.kind == "volunteer":
            volunteers[team.street_id].append(team)
    terms: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    for compound_id, start, end in Committee.objects.filter(
        compound__district=writer.district
    ).values_list("compound_id", "term_start", "term_end"):
        terms[compound_id].append((start, end))
    buildings: dict[int, list[tuple[str, int]]] = defaultdict(list)
    lifts: set[int] = set()
    for compound_id, number, floors, units in Building.objects.filter(
        compound__district=writer.district
    ).values_list("compound_id", "number", "floors", "units"):
        buildings[compound_id].append((number, units or 1))
        if (floors or 0) >= 7:
            lifts.add(compound_id)
    houses: dict[int, list[tuple[str, str, str, int]]] = defaultdict(list)
    for pk, compound_id, number, unit, room in House.objects.filter(
        compound__district=writer.district
    ).values_list("pk", "compound_id", "building__number", "unit", "room"):
        houses[compound_id].append((number, unit, room, pk))
    result = []
    for compound in Compound.objects.filter(district=writer.district).order_by("code"):
        street_teams = volunteers[compound.street_id]
        mine = [t for t in street_teams if t.community_id == compound.community_id]
        fallback = (mine or street_teams or [None])[0]  # type: ignore[list-item]
        station: dict[str, Team | None] = {
            "emergency": emergency.get(compound.company_id),
            "mediation": mediation.get(compound.street_id),
            "volunteer": fallback,
        }
        own = street_station.get(compound.street_id)
        places = [
            f"{number}{unit}单元" if unit_count > 1 else number
            for number, unit_count in sorted(buildings[compound.pk])
            for unit in range(1, unit_count + 1)
        ] or ["院内"]
        result.append(
            Place(
                compound=compound,
                company_id=compound.company_id,
                station=station,
                fallback=fallback,
                emergency_fallback=own if own and own.company_id in public else fallback,
                committee_terms=sorted(terms[compound.pk]),
                places=places,
                houses=[pk for *_, pk in sorted(houses[compound.pk])],
                lifts=compound.pk in lifts,
            )
        )
    return result


def _doer_role(team: Team | None) -> str:
    if team is None or team.company_id is not None:
        return Role.COMPANY
    return Role.STREET if team.community_id is None else Role.COMMUNITY


CREATE_ROLES: dict[str, tuple[str, bool]] = {
    Channel.APP: (Role.RESIDENT, False),
    Channel.PHONE: (Role.COMMUNITY, True),
    Channel.SERVICE_CENTRE: (Role.COMMUNITY, True),
    Channel.GRID: (Role.GRID, True),
    Channel.CONSULTATION: (Role.BRANCH, True),
    Channel.OPEN311: ("partner", False),
}


def _days(now: datetime.datetime) -> tuple[list[datetime.date], list[float]]:
    first = timezone.localdate(now) - datetime.timedelta(days=DAYS)
    days = [first + datetime.timedelta(days=n) for n in range(DAYS + 1)]
    return days, [MONTH_WEIGHT[d.month] * (0.8 if d.weekday() >= 5 else 1.0) for d in days]


def plan_orders(
    *,
    seed: int,
    place: Place,
    categories: dict[str, Category],
    now: datetime.datetime,
    partner: Partner,
    phones: names.PhoneBook,
    demo_house_id: int | None,
    demo_requester_id: int | None,
) -> tuple[list[tuple[dict[str, Any], Path]], list[ProblemList]]:
    """A compound's year of orders (field values and path), and its meetings' problem lists."""
    compound = place.compound
    rng = random.Random(f"laoyuan-demo:{seed}:workorders:{compound.code}")
    days, weights = _days(now)
    households = max(1, len(place.houses))
    count = round(households * ORDERS_PER_HOUSEHOLD * rng.uniform(0.6, 1.4))
    codes = [code for code in CATEGORY_WEIGHT if code in categories]
    if not place.lifts:
        codes = [code for code in codes if code != "emergency-lift"]
    moments: list[tuple[datetime.datetime, str, str]] = []
    for _ in range(count):
        day = rng.choices(days, weights=weights)[0]
        code = rng.choices(
            codes,
            weights=[
                CATEGORY_WEIGHT[c] * (SUMMER_CATEGORIES.get(c, 1) if day.month in (6, 7, 8) else 1)
                for c in codes
            ],
        )[0]
        drawn: str = rng.choices(CHANNELS, weights=CHANNEL_WEIGHT)[0]
        at = timezone.make_aware(
            datetime.datetime.combine(day, datetime.time(rng.choices(range(24), HOUR_WEIGHT)[0]))
        ) + datetime.timedelta(seconds=rng.randrange(3600))
        moments.append((at, code, drawn))
    # Consultation meetings (议事协商会): each problem list becomes a few orders at once.
    lists: list[ProblemList] = []
    for meeting in range(rng.choice((0, 0, 1, 1, 2))):
        day = rng.choice(days[:-1])
        held = timezone.make_aware(datetime.datetime.combine(day, datetime.time(15)))
        lists.append(
            ProblemList(
                compound=compound,
                district_id=compound.district_id,
                street_id=compound.street_id,
                title=f"{compound.name}{day:%Y年%m月}议事协商会问题清单",
                held_on=day,
            )
        )
        for n in range(rng.randint(2, 5)):
            code = rng.choice(("env-cleaning", "parking", "repair", "other", "security"))
            if code in categories:
                moments.append(
                    (
                        held + datetime.timedelta(hours=2, minutes=n),
                        code,
                        f"{Channel.CONSULTATION}:{meeting}",
                    )
                )
    result = []
    for at, code, channel_key in sorted(moments):
        if at > now:
            continue
        channel, _, meeting_key = channel_key.partition(":")
        category = categories[code]
        house_id = rng.choice(place.houses) if place.houses else None
        where = rng.choice(place.places)
        description = rng.choice(DESCRIPTIONS[code]).format(place=where)
        fields: dict[str, Any] = {
            "compound": compound,
            "district_id": compound.district_id,
            "street_id": compound.street_id,
            "community_id": compound.community_id,
            "grid_id": compound.grid_id,
            "house_id": house_id,
            "place": where,
            "category": category,
            "description": description,
            "channel": channel,
            "token": uuid.UUID(bytes=rng.randbytes(16), version=4),
        }
        if channel == Channel.OPEN311:
            fields.update(
                house_id=None,
                partner=partner,
                contact_name=names.person_name(rng),
                contact_phone=phones.new(rng),
                latitude=compound.latitude,
                longitude=compound.longitude,
            )
        elif channel == Channel.CONSULTATION:
            fields.update(house_id=None, problem_list_index=int(meeting_key))
        elif channel == Channel.APP and house_id == demo_house_id:
            fields["requester_id"] = demo_requester_id
        household = fields["house_id"] is not None
        path = Path(category=category, created_at=at, now=now)
        role, on_behalf = CREATE_ROLES[channel]
        path.create(at, role, on_behalf, channel)
        station = place.station.get(category.route_to) if category.route_to else None
        if station is not None:
            data = {"company": station.company_id, "team": station.pk}
            path.step(Action.DISPATCH, at, "system", data={**data, "station": True})
            walk(rng, path, place, _doer_role(station), data, True, household)
        elif place.company_id is not None:
            data = {"company": place.company_id, "team": None}
            walk(rng, path, place, Role.COMPANY, data, False, household)
        else:
            team = place.emergency_fallback if category.kind == "emergency" else place.fallback
            assert team is not None, compound.code
            data = {"company": team.company_id, "team": team.pk}
            walk(rng, path, place, _doer_role(team), data, False, household)
        path.finish()
        result.append((fields, path))
    return result, lists


# The demo compound's live orders, one waiting at each hand (and one overdue at the branch):
# (category code, description, hours before now it was reported, steps taken, hours between).
LIVE = (
    ("repair", "{place}楼道灯不亮，晚上看不清台阶", 3, ()),
    ("env-cleaning", "{place}楼下垃圾堆放三天未清运", 80, ()),
    ("parking", "{place}楼下车辆堵住消防通道", 5, (Action.DISPATCH,)),
    ("repair", "{place}单元门闭门器损坏", 20, (Action.DISPATCH, Action.ACCEPT, Action.START)),
    (
        "repair",
        "{place}雨水管断裂",
        30,
        (Action.DISPATCH, Action.ACCEPT, Action.START, Action.FINISH),
    ),
    (
        "env-cleaning",
        "{place}楼道堆放杂物，影响通行",
        40,
        (Action.DISPATCH, Action.ACCEPT, Action.START, Action.FINISH, Action.SUPERVISE),
    ),
    (
        "repair",
        "{place}信报箱损坏",
        60,
        (
            Action.DISPATCH,
            Action.ACCEPT,
            Action.START,
            Action.FINISH,
            Action.SUPERVISE,
            Action.VERIFY,
        ),
    ),
)
HANDS = {
    Action.DISPATCH: Role.BRANCH,
    Action.ACCEPT: Role.COMPANY,
    Action.START: Role.COMPANY,
    Action.FINISH: Role.COMPANY,
    Action.SUPERVISE: Role.COMMITTEE,
    Action.VERIFY: Role.COMMUNITY,
}


def live_orders(
    *,
    place: Place,
    categories: dict[str, Category],
    now: datetime.datetime,
    house_id: int,
    requester_id: int | None,
) -> list[tuple[dict[str, Any], Path]]:
    """The demo resident's open orders in the demo compound, so every demo user has one to act
    on (the compound has a managing company and a committee in term)."""
    result = []
    for n, (code, text, hours_ago, steps) in enumerate(LIVE):
        category = categories[code]
        created = now - datetime.timedelta(hours=hours_ago)
        path = Path(category=category, created_at=created, now=now)
        path.create(created, Role.RESIDENT, False, Channel.APP)
        at = created
        for action in steps:
            at += datetime.timedelta(hours=hours_ago / (len(steps) + 2))
            extra: dict[str, Any] = {}
            if action == Action.DISPATCH:
                extra["data"] = {"company": place.company_id, "team": None}
            if action == Action.FINISH:
                extra["note"] = FINISH_NOTES[category.kind][0]
            if action == Action.VERIFY and not place.has_committee(timezone.localdate(at)):
                extra["data"] = {"no_committee": True}
            path.step(action, at, HANDS[action], **extra)
        path.finish()
        where = place.places[n % len(place.places)]
        fields = {
            "compound": place.compound,
            "district_id": place.compound.district_id,
            "street_id": place.compound.street_id,
            "community_id": place.compound.community_id,
            "grid_id": place.compound.grid_id,
            "house_id": house_id,
            "requester_id": requester_id,
            "place": where,
            "category": category,
            "description": text.format(place=where),
            "channel": Channel.APP,
            "token": uuid.uuid5(uuid.NAMESPACE_URL, f"laoyuan-demo:live:{n}"),
        }
        result.append((fields, path))
    return result


def _order(fields: dict[str, Any], path: Path, lists: list[ProblemList]) -> WorkOrder:
    index = fields.pop("problem_list_index", None)
    stamps = path.stamps
    return WorkOrder(
        **fields,
        problem_list=None if index is None else lists[index],
        status=path.status,
        company_id=path.company_id,
        team_id=path.team_id,
        responsible=path.responsible,
        rating=path.rating,
        rating_comment=path.rating_comment,
        created_at=path.created_at,
        response_due=path.response_due,
        resolution_due=path.resolution_due,
        dispatched_at=stamps.get("dispatched_at"),
        accepted_at=stamps.get("accepted_at"),
        done_at=stamps.get("done_at"),
        supervised_at=stamps.get("supervised_at"),
        verified_at=stamps.get("verified_at"),
        rated_at=stamps.get("rated_at"),
        closed_at=stamps.get("closed_at"),
        updated_at=path.last or path.created_at,
        escalation=path.escalation,
        escalated_at=path.escalated_at,
        reopened=path.reopened,
    )


EVENT_COLUMNS = (
    "order_id",
    "actor_id",
    "action",
    "from_status",
    "to_status",
    "role",
    "on_behalf",
    "at",
    "note",
    "data",
)


def _flush(batch: list[tuple[WorkOrder, Path]]) -> int:
    """Write a chunk of orders, then their events as plain rows (``bulk_create`` would compile
    every field of some 270,000 events in Python, most of this stage's time)."""
    orders = WorkOrder.objects.bulk_create([order for order, _ in batch], batch_size=1000)
    ops = connection.ops
    rows = []
    for order, (_, path) in zip(orders, batch, strict=True):
        for e in path.events:
            # Only the demo resident's own app orders name a user: their create and rate steps.
            actor = order.requester_id if e["role"] == Role.RESIDENT else None
            rows.append(
                (
                    order.pk,
                    actor,
                    e["action"],
                    e["from_status"],
                    e["to_status"],
                    e["role"],
                    e["on_behalf"],
                    ops.adapt_datetimefield_value(e["at"]),
                    e["note"],
                    ops.adapt_json_value(e["data"], None),
                )
            )
    insert_rows(Event, EVENT_COLUMNS, rows)
    return len(rows)


def write_workorders(writer: Any) -> None:
    """The work-order stages of the demo: teams, the Open311 partner, a year of orders."""
    now = demo_now(writer.today)
    teams = write_teams(writer)
    # The published key only where the published demo password is allowed too (DEBUG, tests);
    # elsewhere a fresh key, shown once.
    published = settings.DEBUG or settings.TESTING
    key = PARTNER_KEY if published else secrets.token_urlsafe(24)
    partner = Partner.objects.create(
        district=writer.district, name=PARTNER_NAME, key_hash=partner_key_hash(key)
    )
    writer.count("teams", len(teams))
    shown = "" if published else f" (API key, shown once: {key})"
    writer.stage("teams", f"{len(teams)} service teams, Open311 partner {PARTNER_NAME}{shown}")
    categories = {c.code: c for c in Category.objects.filter(active=True, code__in=CATEGORY_WEIGHT)}
    requester = User.objects.filter(username="demo-resident").values_list("pk", flat=True).first()
    places = _places(writer, teams)
    batch: list[tuple[WorkOrder, Path]] = []
    orders = events = lists_written = 0
    by_street: dict[int, int] = defaultdict(int)
    for place in places:
        planned, lists = plan_orders(
            seed=writer.seed,
            place=place,
            categories=categories,
            now=now,
            partner=partner,
            phones=writer.phones,
            demo_house_id=writer.demo_house.pk,
            demo_requester_id=requester,
        )
        if lists:
            ProblemList.objects.bulk_create(lists)
            lists_written += len(lists)
        if place.compound.pk == writer.demo_compound.pk:
            planned += live_orders(
                place=place,
                categories=categories,
                now=now,
                house_id=writer.demo_house.pk,
                requester_id=requester,
            )
        for fields, path in planned:
            batch.append((_order(fields, path, lists), path))
        by_street[place.compound.street_id] += len(planned)
        if len(batch) >= CHUNK:
            events += _flush(batch)
            orders += len(batch)
            writer.progress(f"  work orders: {orders} written")
            batch = []
    if batch:
        events += _flush(batch)
        orders += len(batch)
    months = summaries.rebuild()  # the orders were written in bulk, past the services
    writer.count("work_orders", orders)
    writer.count("work_order_events", events)
    writer.count("problem_lists", lists_written)
    writer.stage(
        "work orders",
        f"{orders} orders with {events} timeline events until "
        f"{timezone.localtime(now):%Y-%m-%d %H:%M}, {lists_written} problem lists, "
        f"{months} monthly summaries",
    )
