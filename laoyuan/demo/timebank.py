"""The demo's time bank (时间银行): volunteer organisations, volunteers, posts, a year of
activities and claims of hours, the hours ledger, the published rate, the offset pools and a few
hundred redemptions.

At scale 1 the seed's 1,475 volunteer organisations and 12,000 volunteers (low-income residents
first, as the design gives them priority), each in one or two organisations of their community.
Every compound holds activities through the year before ``--today`` (1-4 hours, 3-20 places,
organised by the community's staff user where the demo has one); volunteers of the community
claim them within days of the end, and most claims are verified within days, some rejected with
a reason, some still waiting (a few past their 10 working days, flagged as the daily task would
have), some needing a second verifier (a volunteer's claims of one day above
``TIMEBANK_SECOND_VERIFIER_MINUTES``). Verified claims post their hours as
``services.claims._post_hours`` would: the household debited, the district's issued account
credited, counting from the claim's day.

Claims, entries and postings are written set-based (``billing.services.ledger.insert_rows``);
pools, contributions and redemptions, a few hundred rows, go through the fee-ledger services
(``billing.services.discounts``) and the hours ledger's ``post``, writing exactly what
``services.exchange.redeem`` writes (the redemption taken by the community office on the
household's behalf). The demo resident is a volunteer with verified hours, open bills and room
under the cap, and an activity they can still claim; the demo community user has claims waiting.
"""

import datetime
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.models import User
from laoyuan.billing.enums import AccountKind
from laoyuan.billing.models import Posting
from laoyuan.billing.services import discounts
from laoyuan.billing.services.ledger import insert_rows
from laoyuan.demo.shape import apportion
from laoyuan.demo.workorders import demo_now
from laoyuan.people.models import Residency
from laoyuan.places.models import Compound, House
from laoyuan.timebank import summaries
from laoyuan.timebank.enums import (
    Category,
    ClaimStatus,
    HourAccountKind,
    HourEntryKind,
    MemberRole,
    PoolSource,
)
from laoyuan.timebank.models import (
    Activity,
    Claim,
    Contribution,
    HourAccount,
    HourEntry,
    HourPosting,
    Membership,
    Pool,
    Post,
    Rate,
    Redemption,
    Volunteer,
    VolunteerOrg,
    minutes_label,
)
from laoyuan.timebank.services import ledger
from laoyuan.timebank.services.exchange import discount_for
from laoyuan.timebank.workdays import add_workdays

ORGS = 1475
VOLUNTEERS = 12_000
REDEMPTIONS = 300
DAYS = 365
ACTIVITIES_PER_VOLUNTEER = 0.9
YUAN_PER_HOUR = Decimal("10.00")
YEARLY_CAP = Decimal("600.00")
ORG_SUFFIXES = (
    "志愿服务队",
    "平安巡逻队",
    "环境卫生志愿队",
    "关爱老人服务队",
    "垃圾分类督导队",
    "邻里调解队",
    "绿化养护队",
    "文明劝导队",
    "便民服务队",
)
POSTS = (
    (Category.CLEANING, "楼道及公共区域清洁岗"),
    (Category.GARBAGE, "垃圾分类桶边督导岗"),
    (Category.PATROL, "治安巡逻岗"),
    (Category.ELDER, "独居老人探访岗"),
    (Category.GREENING, "绿化养护岗"),
    (Category.MEDIATION, "邻里纠纷调解岗"),
)
CATEGORY_WEIGHT = {
    Category.CLEANING: 30,
    Category.GARBAGE: 20,
    Category.PATROL: 20,
    Category.ELDER: 15,
    Category.GREENING: 8,
    Category.MEDIATION: 4,
    Category.OTHER: 3,
}
TITLES = {
    Category.CLEANING: ("楼道卫生清扫", "环境卫生大扫除", "清理楼道堆物"),
    Category.GARBAGE: ("垃圾分类桶边督导", "垃圾分类宣传"),
    Category.PATROL: ("夜间治安巡逻", "平安巡逻", "电动车充电安全巡查"),
    Category.ELDER: ("探访独居老人", "为高龄老人送餐", "陪伴老人就医"),
    Category.GREENING: ("绿化带补植养护", "清理杂草落叶"),
    Category.MEDIATION: ("邻里纠纷调解值班",),
    Category.OTHER: ("便民服务日（理发、义诊）", "防诈骗宣传"),
}
PLACES = ("院内", "东门", "西门", "活动室", "1号楼", "2号楼", "3号楼", "院内广场")
START_HOURS = {Category.PATROL: (7, 19, 19, 20)}
DEFAULT_START_HOURS = (8, 8, 9, 9, 10, 14, 15, 16)
DURATIONS = (60, 90, 120, 120, 150, 180, 240)
REJECT_REASONS = (
    "签到时间与活动记录不符",
    "活动签到表上没有该志愿者",
    "同一时段已在其他活动登记",
    "申报时长超过实际服务时长",
)
SPONSORS = (
    ("惠民超市爱心抵扣基金", "郑州惠民连锁超市有限公司"),
    ("仁和大药房公益赞助基金", "郑州仁和大药房有限公司"),
)


@dataclass
class Plan:
    """One activity and its claims, in memory."""

    index: int
    compound: Compound
    title: str
    category: str
    post_id: int | None
    org_id: int
    place: str
    start: datetime.datetime
    end: datetime.datetime
    capacity: int
    organiser_id: int | None
    created_at: datetime.datetime
    claims: list["ClaimPlan"] = field(default_factory=list)


@dataclass
class ClaimPlan:
    activity: Plan
    volunteer: int  # index into the volunteer list
    start: datetime.datetime
    end: datetime.datetime
    created_at: datetime.datetime
    on_behalf: bool
    claimed_by: int | None
    forced_open: bool = False
    status: str = ClaimStatus.PENDING
    needs_second: bool = False
    due_on: datetime.date | None = None
    flagged_at: datetime.datetime | None = None
    verified_by: int | None = None
    verified_at: datetime.datetime | None = None
    second_by: int | None = None
    second_at: datetime.datetime | None = None
    rejected_by: int | None = None
    rejected_at: datetime.datetime | None = None
    reason: str = ""

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Vol:
    person_id: int
    house_id: int
    compound: Compound
    registered_on: datetime.date


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _scaled(writer: Any, base: int, least: int) -> int:
    factor = writer.plan.shape.households / 71_000
    return max(least, round(base * factor))


def _choose_volunteers(writer: Any, rng: random.Random, count: int) -> list[Vol]:
    """Residents (one house each: their first residency), low-income first, the demo resident
    always; in person order."""
    first: dict[int, tuple[int, int, bool]] = {}
    for person_id, house_id, compound_id, is_low in (
        Residency.objects.filter(compound__district=writer.district)
        .order_by("person_id", "house_id")
        .values_list("person_id", "house_id", "compound_id", "person__low_income")
    ):
        first.setdefault(person_id, (house_id, compound_id, is_low))
    demo_id = writer.demo_person.pk
    first[demo_id] = (writer.demo_house.pk, writer.demo_compound.pk, False)
    low = [p for p, row in first.items() if row[2] and p != demo_id]
    others = [p for p, row in first.items() if not row[2] and p != demo_id]
    rng.shuffle(low)
    rng.shuffle(others)
    chosen = sorted(([demo_id, *low, *others])[:count])
    by_pk = Compound.objects.filter(district=writer.district).in_bulk()
    start = writer.today - datetime.timedelta(days=DAYS)
    vols = []
    for person_id in chosen:
        house_id, compound_id, _low = first[person_id]
        registered = start - datetime.timedelta(days=rng.randint(1, 3 * 365))
        vols.append(Vol(person_id, house_id, by_pk[compound_id], registered))
    return vols


def write_timebank(writer: Any) -> None:
    """The time-bank stages of the demo."""
    rng = writer.rng("timebank")
    now = demo_now(writer.today)
    year_start = writer.today - datetime.timedelta(days=DAYS)
    district = writer.district
    staff = dict(
        User.objects.filter(username__in=("demo-community", "demo-district", "demo-resident"))
        .values_list("username", "pk")
        .order_by()
    )
    demo_community_id = writer.demo_compound.community_id
    organiser_of = {demo_community_id: staff.get("demo-community")}
    resident_user = staff.get("demo-resident")

    # -- volunteers, organisations, memberships, posts -------------------------------------
    vols = _choose_volunteers(writer, rng, _scaled(writer, VOLUNTEERS, 20))
    ids = insert_rows(
        Volunteer,
        [
            "district_id",
            "street_id",
            "community_id",
            "person_id",
            "house_id",
            "compound_id",
            "registered_on",
            "active",
        ],
        [
            (
                v.compound.district_id,
                v.compound.street_id,
                v.compound.community_id,
                v.person_id,
                v.house_id,
                v.compound.pk,
                v.registered_on,
                True,
            )
            for v in vols
        ],
        returning=True,
    )
    vol_id = dict(enumerate(ids))
    demo_vol = next(i for i, v in enumerate(vols) if v.person_id == writer.demo_person.pk)

    compounds = list(Compound.objects.filter(district=district).order_by("code"))
    communities = sorted(writer.communities.values(), key=lambda c: c.code)
    local: dict[int, list[int]] = defaultdict(list)
    wider: dict[int, list[int]] = defaultdict(list)
    for i, v in enumerate(vols):
        local[v.compound.pk].append(i)
        wider[v.compound.community_id].append(i)

    org_total = max(_scaled(writer, ORGS, 3), len(communities))
    shares = apportion(org_total - len(communities), [len(local[c.pk]) + 1 for c in compounds])
    orgs: list[VolunteerOrg] = []
    for community in communities:
        orgs.append(
            VolunteerOrg(
                district_id=community.district_id,
                street_id=community.street_id,
                community=community,
                name=f"{community.name}志愿服务总队",
                founded_on=year_start - datetime.timedelta(days=rng.randint(400, 3000)),
            )
        )
    names_used = {(o.community_id, o.name) for o in orgs}
    for compound, share in zip(compounds, shares, strict=True):
        for n in range(share):
            suffix = ORG_SUFFIXES[n] if n < len(ORG_SUFFIXES) else f"志愿服务{n + 1}队"
            name = f"{compound.name}{suffix}"
            if (compound.community_id, name) in names_used:
                name = f"{compound.name}（{compound.code}）{suffix}"
            names_used.add((compound.community_id, name))
            orgs.append(
                VolunteerOrg(
                    district_id=compound.district_id,
                    street_id=compound.street_id,
                    community_id=compound.community_id,
                    compound=compound,
                    name=name[:100],
                    founded_on=year_start - datetime.timedelta(days=rng.randint(30, 2000)),
                )
            )
    VolunteerOrg.objects.bulk_create(orgs, batch_size=1000)
    community_org = {o.community_id: o.pk for o in orgs if o.compound_id is None}
    compound_orgs: dict[int, list[int]] = defaultdict(list)
    for o in orgs:
        if o.compound_id is not None:
            compound_orgs[o.compound_id].append(o.pk)

    memberships = []
    leaders: set[int] = set()
    for i, v in enumerate(vols):
        choices = compound_orgs[v.compound.pk] + [community_org[v.compound.community_id]]
        picked = rng.sample(choices, min(len(choices), 2 if rng.random() < 0.3 else 1))
        for org_id in picked:
            role = MemberRole.MEMBER
            if org_id not in leaders:
                leaders.add(org_id)
                role = MemberRole.LEADER
            joined = v.registered_on + datetime.timedelta(days=rng.randint(0, 60))
            memberships.append((org_id, vol_id[i], role, min(joined, year_start)))
    insert_rows(Membership, ["org_id", "volunteer_id", "role", "joined_on"], memberships)

    posts = []
    for community in communities:
        for category, name in POSTS:
            posts.append(
                Post(
                    district_id=community.district_id,
                    street_id=community.street_id,
                    community=community,
                    name=name,
                    category=category,
                    org_id=community_org[community.pk],
                )
            )
    Post.objects.bulk_create(posts, batch_size=1000)
    post_of = {(p.community_id, p.category): p.pk for p in posts}
    writer.count("volunteer_orgs", len(orgs))
    writer.count("volunteers", len(vols))
    writer.count("volunteer_memberships", len(memberships))
    writer.count("volunteer_posts", len(posts))
    writer.stage(
        "volunteers",
        f"{len(orgs)} volunteer organisations, {len(vols)} volunteers, "
        f"{len(memberships)} memberships, {len(posts)} posts",
    )

    # -- activities and claims (in memory) -------------------------------------------------
    categories = list(CATEGORY_WEIGHT)
    weights = list(CATEGORY_WEIGHT.values())
    busy: dict[int, list[tuple[datetime.datetime, datetime.datetime]]] = defaultdict(list)
    plans: list[Plan] = []

    def new_activity(compound: Compound, day: datetime.date, after: Plan | None) -> Plan:
        category = rng.choices(categories, weights=weights)[0]
        minutes = rng.choice(DURATIONS)
        if after is not None:
            start = _at(day, 14)
        else:
            start = _at(day, rng.choice(START_HOURS.get(category, DEFAULT_START_HOURS)))
        org_choices = compound_orgs[compound.pk] or [community_org[compound.community_id]]
        organiser = organiser_of.get(compound.community_id)
        plan = Plan(
            index=len(plans),
            compound=compound,
            title=f"{rng.choice(TITLES[category])}",
            category=category,
            post_id=post_of.get((compound.community_id, category)),
            org_id=rng.choice(org_choices),
            place=rng.choice(PLACES),
            start=start,
            end=start + datetime.timedelta(minutes=minutes),
            capacity=rng.choice((3, 4, 5, 6, 8, 8, 10, 10, 12, 15, 20)),
            organiser_id=organiser,
            created_at=start - datetime.timedelta(days=rng.randint(2, 10), hours=rng.randint(0, 8)),
        )
        plans.append(plan)
        return plan

    def free(i: int, start: datetime.datetime, end: datetime.datetime) -> bool:
        return all(end <= s or start >= e for s, e in busy[i])

    def claim(plan: Plan, i: int, *, created: datetime.datetime | None = None) -> bool:
        start = plan.start + datetime.timedelta(minutes=rng.choice((0, 0, 0, 5, 10, 15)))
        end = plan.end - datetime.timedelta(minutes=rng.choice((0, 0, 0, 0, 10, 15, 30)))
        if (end - start).total_seconds() < 30 * 60:
            start, end = plan.start, plan.end
        if created is None:
            hours = rng.uniform(0.2, 6) if rng.random() < 0.7 else rng.uniform(6, 72)
            created = end + datetime.timedelta(minutes=int(hours * 60))
        if created > now or created > plan.end + datetime.timedelta(days=29):
            return False
        if not free(i, start, end):
            return False
        busy[i].append((start, end))
        on_behalf = i != demo_vol and rng.random() < 0.15
        claimed_by = resident_user if i == demo_vol else None
        if on_behalf:
            claimed_by = plan.organiser_id
        plan.claims.append(ClaimPlan(plan, i, start, end, created, on_behalf, claimed_by))
        return True

    for compound in compounds:
        mine, community_vols = local[compound.pk], wider[compound.community_id]
        if not community_vols:
            continue
        count = max(2, round(len(mine) * ACTIVITIES_PER_VOLUNTEER))
        offsets = sorted(rng.randint(-DAYS + 1, 13) for _ in range(count))
        for offset in offsets:
            day = writer.today + datetime.timedelta(days=offset)
            first = new_activity(compound, day, None)
            todo = [first]
            if first.end.hour < 13 and rng.random() < 0.2:
                todo.append(new_activity(compound, day, first))
            taken: list[int] = []
            for plan in todo:
                if plan.end > now:
                    continue
                pool = mine if len(mine) >= 3 else community_vols
                want = rng.randint(max(1, math.ceil(plan.capacity * 0.3)), plan.capacity)
                candidates = rng.sample(pool, min(want, len(pool)))
                if rng.random() < 0.2:
                    candidates.append(rng.choice(community_vols))
                if plan is not first:
                    candidates = taken[: want // 2] + candidates
                if compound.pk == writer.demo_compound.pk and rng.random() < 0.35:
                    candidates.insert(0, demo_vol)
                seen: set[int] = set()
                for i in candidates:
                    if i in seen or len(plan.claims) >= plan.capacity:
                        continue
                    seen.add(i)
                    claim(plan, i)
                taken = [c.volunteer for c in first.claims]

    # The demo resident's compound: an activity that ended two days ago, with places left, that
    # the demo resident has not claimed yet; its claims wait in the community's queue.
    demo_day = writer.today - datetime.timedelta(days=2)
    demo_activity = Plan(
        index=len(plans),
        compound=writer.demo_compound,
        title="楼道卫生清扫",
        category=Category.CLEANING,
        post_id=post_of.get((demo_community_id, Category.CLEANING)),
        org_id=(compound_orgs[writer.demo_compound.pk] or [community_org[demo_community_id]])[0],
        place="院内",
        start=_at(demo_day, 9),
        end=_at(demo_day, 12),
        capacity=12,
        organiser_id=organiser_of.get(demo_community_id),
        created_at=_at(demo_day - datetime.timedelta(days=5), 10),
    )
    # The same morning's patrol: with it, some of the activity's claims pass the daily threshold
    # and wait for a second verifier.
    patrol = Plan(
        index=len(plans),
        compound=writer.demo_compound,
        title="清晨治安巡逻",
        category=Category.PATROL,
        post_id=post_of.get((demo_community_id, Category.PATROL)),
        org_id=demo_activity.org_id,
        place="东门",
        start=_at(demo_day, 6, 30),
        end=_at(demo_day, 8, 30),
        capacity=6,
        organiser_id=demo_activity.organiser_id,
        created_at=demo_activity.created_at,
    )
    plans.append(patrol)
    demo_activity.index = len(plans)
    plans.append(demo_activity)
    others = [i for i in local[writer.demo_compound.pk] if i != demo_vol]
    for n, i in enumerate(others[:8]):
        if len(demo_activity.claims) >= 4:
            break
        if len(patrol.claims) < 2:
            claim(patrol, i, created=_at(demo_day, 9, n * 7))
        if claim(demo_activity, i, created=_at(demo_day, 15, n * 7)):
            demo_activity.claims[-1].forced_open = True

    # -- outcomes, in the order the claims were made ---------------------------------------
    threshold = int(getattr(settings, "TIMEBANK_SECOND_VERIFIER_MINUTES", 240))
    working = int(getattr(settings, "TIMEBANK_VERIFY_WORKING_DAYS", 10))
    due_cache: dict[datetime.date, datetime.date] = {}
    claims = sorted(
        (c for p in plans for c in p.claims),
        key=lambda c: (c.created_at, c.activity.index, c.volunteer),
    )
    day_claims: dict[tuple[int, datetime.date], list[ClaimPlan]] = defaultdict(list)
    for c in claims:
        day = timezone.localtime(c.start).date()
        earlier = day_claims[(c.volunteer, day)]
        same_day = sum(
            o.minutes for o in earlier if o.rejected_at is None or o.rejected_at > c.created_at
        )
        earlier.append(c)
        c.needs_second = same_day + c.minutes > threshold
        made = timezone.localtime(c.created_at).date()
        if made not in due_cache:
            due_cache[made] = add_workdays(made, working)
        c.due_on = due_cache[made]
        verifier = c.activity.organiser_id
        draw = rng.random()
        delay = datetime.timedelta(
            hours=rng.uniform(1, 96) if rng.random() < 0.9 else rng.uniform(96, 300)
        )
        closed: datetime.datetime | None = None
        if c.forced_open and c.needs_second:
            c.status, c.verified_at = ClaimStatus.SECOND, c.created_at + datetime.timedelta(hours=2)
        elif c.forced_open or draw < 0.006:
            if c.needs_second and not c.forced_open and c.created_at + delay <= now:
                c.status, c.verified_at = ClaimStatus.SECOND, c.created_at + delay
        elif draw < 0.05:
            if c.created_at + delay <= now:
                c.status, c.rejected_at = ClaimStatus.REJECTED, c.created_at + delay
                c.rejected_by, c.reason = verifier, rng.choice(REJECT_REASONS)
                closed = c.rejected_at
        else:
            first_at = c.created_at + delay
            if first_at <= now:
                if not c.needs_second:
                    c.status, c.verified_at, c.verified_by = (
                        ClaimStatus.VERIFIED,
                        first_at,
                        verifier,
                    )
                    closed = first_at
                else:
                    c.status, c.verified_at = ClaimStatus.SECOND, first_at
                    second_at = first_at + datetime.timedelta(hours=rng.uniform(1, 120))
                    # The second verifier of the last week's claims has not come round yet.
                    if second_at <= now and first_at < now - datetime.timedelta(days=7):
                        c.status, c.second_at, c.second_by = (
                            ClaimStatus.VERIFIED,
                            second_at,
                            verifier,
                        )
                        closed = second_at
        flag_at = _at(c.due_on + datetime.timedelta(days=1), 2)
        if flag_at <= now and (closed is None or closed > flag_at):
            c.flagged_at = flag_at

    # -- writing activities, claims and the hours ledger -----------------------------------
    activity_ids = insert_rows(
        Activity,
        [
            "district_id",
            "street_id",
            "community_id",
            "title",
            "category",
            "post_id",
            "org_id",
            "compound_id",
            "place",
            "start",
            "end",
            "capacity",
            "organiser_id",
            "created_by_id",
            "created_at",
        ],
        [
            (
                p.compound.district_id,
                p.compound.street_id,
                p.compound.community_id,
                p.title,
                p.category,
                p.post_id,
                p.org_id,
                p.compound.pk,
                p.place,
                p.start,
                p.end,
                p.capacity,
                p.organiser_id,
                p.organiser_id,
                p.created_at,
            )
            for p in plans
        ],
        returning=True,
    )
    claim_ids = insert_rows(
        Claim,
        [
            "district_id",
            "street_id",
            "community_id",
            "activity_id",
            "volunteer_id",
            "house_id",
            "compound_id",
            "category",
            "start",
            "end",
            "minutes",
            "note",
            "photo",
            "status",
            "needs_second",
            "claimed_by_id",
            "on_behalf",
            "due_on",
            "flagged_at",
            "verified_by_id",
            "verified_at",
            "second_by_id",
            "second_at",
            "rejected_by_id",
            "rejected_at",
            "reason",
            "created_at",
        ],
        [
            (
                c.activity.compound.district_id,
                c.activity.compound.street_id,
                c.activity.compound.community_id,
                activity_ids[c.activity.index],
                vol_id[c.volunteer],
                vols[c.volunteer].house_id,
                c.activity.compound.pk,
                c.activity.category,
                c.start,
                c.end,
                c.minutes,
                "",
                "",
                c.status,
                c.needs_second,
                c.claimed_by,
                c.on_behalf,
                c.due_on,
                c.flagged_at,
                c.verified_by,
                c.verified_at,
                c.second_by,
                c.second_at,
                c.rejected_by,
                c.rejected_at,
                c.reason,
                c.created_at,
            )
            for c in claims
        ],
        returning=True,
    )

    houses = sorted({v.house_id for v in vols})
    house_compound = {v.house_id: v.compound for v in vols}
    opened: dict[int, datetime.date] = {}
    for v in vols:
        opened[v.house_id] = min(opened.get(v.house_id, v.registered_on), v.registered_on)
    HourAccount.objects.bulk_create(
        [
            HourAccount(
                kind=HourAccountKind.HOUSEHOLD,
                district_id=district.pk,
                street_id=house_compound[h].street_id,
                house_id=h,
                opened_on=opened[h],
            )
            for h in houses
        ],
        batch_size=2000,
    )
    for kind in (HourAccountKind.ISSUED, HourAccountKind.REDEEMED, HourAccountKind.EXPIRED):
        HourAccount.objects.create(kind=kind, district=district, opened_on=year_start)
    hour_account = dict(
        HourAccount.objects.filter(district=district, kind=HourAccountKind.HOUSEHOLD).values_list(
            "house_id", "pk"
        )
    )
    issued = HourAccount.objects.get(district=district, kind=HourAccountKind.ISSUED)

    verified = [(claim_ids[n], c) for n, c in enumerate(claims) if c.status == ClaimStatus.VERIFIED]
    verified.sort(key=lambda pair: (pair[1].second_at or pair[1].verified_at, pair[0]))
    entry_ids = insert_rows(
        HourEntry,
        [
            "kind",
            "category",
            "district_id",
            "street_id",
            "house_id",
            "claim_id",
            "reverses_id",
            "on",
            "memo",
            "created_by_id",
            "created_at",
        ],
        [
            (
                HourEntryKind.EARN,
                c.activity.category,
                district.pk,
                c.activity.compound.street_id,
                vols[c.volunteer].house_id,
                pk,
                None,
                timezone.localtime(c.start).date(),
                c.activity.title[:200],
                c.second_by if c.second_at else c.verified_by,
                c.second_at or c.verified_at,
            )
            for pk, c in verified
        ],
        returning=True,
    )
    postings = []
    earned: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    for entry_id, (_pk, c) in zip(entry_ids, verified, strict=True):
        house_id = vols[c.volunteer].house_id
        postings.append((entry_id, hour_account[house_id], c.minutes))
        postings.append((entry_id, issued.pk, -c.minutes))
        earned[house_id].append((timezone.localtime(c.start).date(), c.minutes))
    insert_rows(HourPosting, ["entry_id", "account_id", "minutes"], postings)
    summaries.rebuild()  # the entries were written in bulk, past the ledger service
    by_status: dict[str, int] = defaultdict(int)
    for c in claims:
        by_status[c.status] += 1
    writer.count("activities", len(plans))
    writer.count("claims", len(claims))
    writer.count("hour_entries", len(entry_ids))
    writer.stage(
        "time bank",
        f"{len(plans)} activities, {len(claims)} claims ("
        + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
        + f"), {sum(c.flagged_at is not None for c in claims)} flagged overdue, "
        f"{len(entry_ids)} hours entries",
    )

    # -- the rate, the pools and the redemptions -------------------------------------------
    rate = Rate.objects.create(
        district=district,
        yuan_per_hour=YUAN_PER_HOUR,
        yearly_cap=YEARLY_CAP,
        effective_from=year_start,
        note="时间银行积分抵扣物业费标准",
        published_by_id=staff.get("demo-district"),
    )
    street_pool: dict[int, Pool] = {}
    pools: list[Pool] = []
    left: dict[int, Decimal] = {}
    contributions = 0
    street_households = dict(
        House.objects.filter(compound__district=district)
        .values_list("street_id")
        .annotate(n=Count("id"))
        .order_by()
    )

    def open_pool(
        name: str, kind: str, sponsor: str, street_id: int | None, amounts: list[Decimal]
    ) -> Pool:
        nonlocal contributions
        fund, source = discounts.open_pool_accounts(
            name=name, district_id=district.pk, street_id=street_id, on=year_start
        )
        pool = Pool.objects.create(
            name=name,
            source_kind=kind,
            sponsor=sponsor,
            district=district,
            street_id=street_id,
            fund=fund,
            source=source,
        )
        for n, amount in enumerate(amounts):
            reference = f"GYJ-{writer.today.year - 1}-{pool.pk:03d}-{n + 1}"
            entry = discounts.post_contribution(
                fund=fund,
                source=source,
                amount=amount,
                reference=f"pool-{pool.pk}-{reference}"[:64],
                memo=f"{pool.name}: {reference}",
                actor=None,
            )
            Contribution.objects.create(
                pool=pool,
                amount=amount,
                received_on=year_start + datetime.timedelta(days=7 + 180 * n),
                reference=reference,
                entry=entry,
            )
            contributions += 1
        left[pool.pk] = sum(amounts, Decimal("0.00"))
        pools.append(pool)
        return pool

    for street in writer.streets:
        base = Decimal(max(10, street_households[street.pk] // 100) * 100)
        street_pool[street.pk] = open_pool(
            f"{street.name}社区公益金抵扣池",
            PoolSource.WELFARE,
            f"{street.name}社区公益金",
            street.pk,
            [base, (base / 2).quantize(Decimal("1"))],
        )
    sponsors = [
        open_pool(name, PoolSource.SPONSOR, sponsor, None, [Decimal("5000.00")])
        for name, sponsor in SPONSORS
    ]

    # What the households with enough hours owe now (read for those only: the whole district's
    # postings take seconds to sum).
    enough = [h for h in houses if sum(m for _, m in earned[h]) >= 120]
    owed: dict[int, Decimal] = {}
    for start in range(0, len(enough), 900):
        owed.update(
            Posting.objects.filter(
                account__kind=AccountKind.HOUSEHOLD,
                account__closed_on__isnull=True,
                account__house_id__in=enough[start : start + 900],
            )
            .values_list("account__house_id")
            .annotate(total=Sum("amount"))
            .order_by()
        )
    candidates = [
        h
        for h in houses
        if h != writer.demo_house.pk
        and house_compound[h].company_id is not None
        and sum(m for _, m in earned[h]) >= 120
        and (owed.get(h) or 0) >= Decimal("10.00")
    ]
    rng.shuffle(candidates)
    wanted = _scaled(writer, REDEMPTIONS, 3)
    planned: list[tuple[datetime.date, int, int, Decimal]] = []
    for h in candidates[:wanted]:
        day = writer.today - datetime.timedelta(days=rng.randint(0, 120))
        held = sum(m for on, m in earned[h] if on <= day)
        if held < 60:
            day, held = writer.today, sum(m for _, m in earned[h])
        minutes = min(held, rng.choice((60, 120, 180, 240, 300, 360, 480, 600)))
        debt = Decimal(owed[h])
        if discount_for(minutes, YUAN_PER_HOUR) > debt:
            minutes = int(debt * 60 / YUAN_PER_HOUR)
        amount = discount_for(minutes, YUAN_PER_HOUR)
        if minutes < 30 or amount > YEARLY_CAP:
            continue
        planned.append((day, h, minutes, amount))
    planned.sort()
    note = _("Time-bank discount: %(hours)s h at %(rate)s yuan/h")
    redeemed_account = HourAccount.objects.get(district=district, kind=HourAccountKind.REDEEMED)
    hour_accounts = HourAccount.objects.in_bulk(list(hour_account.values()))
    house_rows = House.objects.in_bulk([h for _, h, _, _ in planned])
    redemptions = 0
    for day, h, minutes, amount in planned:
        compound = house_compound[h]
        chosen = next(
            (p for p in [street_pool[compound.street_id], *sponsors] if left[p.pk] >= amount),
            None,
        )
        if chosen is None:
            continue
        left[chosen.pk] -= amount
        entry = ledger.post(
            kind=HourEntryKind.REDEEM,
            lines=[
                ledger.HourLine(hour_accounts[hour_account[h]], -minutes),
                ledger.HourLine(redeemed_account, minutes),
            ],
            district_id=district.pk,
            street_id=compound.street_id,
            house_id=h,
            on=day,
            memo=f"{amount} yuan at {rate.yuan_per_hour}/h",
            actor=None,
        )
        receipt = discounts.grant_discount(
            house=house_rows[h],
            amount=amount,
            fund=chosen.fund,
            reference=f"TB-{rng.getrandbits(64):016x}",
            actor=None,
            note=note % {"hours": minutes_label(minutes), "rate": rate.yuan_per_hour},
            on=day,
        )
        Redemption.objects.create(
            house_id=h,
            compound=compound,
            district_id=district.pk,
            street_id=compound.street_id,
            community_id=compound.community_id,
            minutes=minutes,
            rate=rate,
            yuan_per_hour=rate.yuan_per_hour,
            amount=amount,
            year=day.year,
            pool=chosen,
            hour_entry=entry,
            payment=receipt.payment,
            created_by=None,
            on_behalf=True,
        )
        redemptions += 1
    writer.count("offset_pools", len(pools))
    writer.count("pool_contributions", contributions)
    writer.count("redemptions", redemptions)
    writer.stage(
        "time-bank offsets",
        f"rate {YUAN_PER_HOUR} yuan/hour (cap {YEARLY_CAP} a year), {len(pools)} pools with "
        f"{contributions} contributions, {redemptions} redemptions",
    )
