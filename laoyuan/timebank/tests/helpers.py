"""Time-bank test helpers: a volunteer in the cast's house A, activities, a rate and a pool."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.factories import Cast
from laoyuan.timebank.enums import Category
from laoyuan.timebank.models import Activity, Pool, Rate, Volunteer, VolunteerOrg
from laoyuan.timebank.services import exchange, orgs

D = Decimal
TZ = datetime.timezone(datetime.timedelta(hours=8))


# The tests' activities lie on fixed days in 2026 (March, mostly), older than the 30-day window in
# which volunteers claim for themselves; the window has its own tests (test_claims.py, "window"),
# which set it back to the default.
TEST_CLAIM_WINDOW_DAYS = 3650


@pytest.fixture(autouse=True)
def wide_claim_window(settings: Any) -> None:
    settings.TIMEBANK_CLAIM_WINDOW_DAYS = TEST_CLAIM_WINDOW_DAYS


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """A Beijing time (the project's zone) on ``day``."""
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def volunteer(cast: Cast, side: str = "a") -> Volunteer:
    place = getattr(cast, side)
    return orgs.register_volunteer(
        actor=cast.users[Role.COMMUNITY] if side == "a" else community_user(cast, side),
        person=place.resident_person,
        house=place.house,
        on=datetime.date(2026, 1, 5),
    )


def community_user(cast: Cast, side: str) -> Any:
    from laoyuan.factories import user_with

    return user_with(Role.COMMUNITY, getattr(cast, side).community, f"community_{side}")


def organiser(cast: Cast) -> Any:
    """A second community officer of side A (a second verifier)."""
    from laoyuan.accounts.models import User
    from laoyuan.factories import user_with

    found = User.objects.filter(username="community2").first()
    return found or user_with(Role.COMMUNITY, cast.a.community, "community2")


def colleague(claim: Any) -> Any:
    """Another officer of the claim's community: whoever filed a claim on a volunteer's behalf
    does not verify it."""
    from laoyuan.accounts.models import User
    from laoyuan.factories import user_with

    name = f"colleague{claim.community_id}"
    return User.objects.filter(username=name).first() or user_with(
        Role.COMMUNITY, claim.community, name
    )


def org(cast: Cast) -> VolunteerOrg:
    return orgs.create_org(
        actor=cast.users[Role.COMMUNITY], community=cast.a.community, name="红马甲志愿服务队"
    )


def activity(
    cast: Cast,
    day: datetime.date,
    start_hour: int = 9,
    end_hour: int = 12,
    *,
    capacity: int = 10,
    category: str = Category.CLEANING,
    organiser: Any = None,
    title: str = "楼道清扫",
    org: VolunteerOrg | None = None,
) -> Activity:
    return orgs.create_activity(
        actor=cast.users[Role.COMMUNITY],
        compound=cast.a.compound,
        title=title,
        category=category,
        start=at(day, start_hour),
        end=at(day, end_hour),
        capacity=capacity,
        organiser=organiser,
        org=org,
    )


def rate(cast: Cast, yuan: str = "10.00", cap: str = "600.00", since=datetime.date(2026, 1, 1)):
    return Rate.objects.create(
        district=cast.district,
        yuan_per_hour=D(yuan),
        yearly_cap=D(cap),
        effective_from=since,
        published_by=cast.users[Role.DISTRICT],
    )


def pool(cast: Cast, amount: str = "1000.00", name: str = "甲社区公益金") -> Pool:
    made = exchange.create_pool(
        actor=cast.users[Role.COMMUNITY],
        name=name,
        source_kind="welfare",
        district_id=cast.district.pk,
        community_id=cast.a.community.pk,
    )
    if D(amount) > 0:
        exchange.contribute(
            actor=cast.users[Role.COMMUNITY],
            pool=made,
            amount=D(amount),
            reference=f"{name}-1",
            received_on=datetime.date(2026, 1, 2),
        )
    return made


def bills(cast: Cast, months: int = 2) -> list[Any]:
    """House A's bills from January 2026: 86.40 m² × 0.50 = 43.20 a month."""
    posted_scheme(cast.a.compound, rate="0.50")
    return [bill(cast.a.house, datetime.date(2026, m, 1)) for m in range(1, months + 1)]


def now_after(day: datetime.date) -> datetime.datetime:
    return at(day, 20)


def local_today() -> datetime.date:
    return timezone.localdate()
