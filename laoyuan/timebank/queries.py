"""Reusable reads of the time bank, narrowed by ``accounts.scoping``: a household's account, the
activities a user may see or claim, and each verifier's queue."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.billing import calc
from laoyuan.places.models import House
from laoyuan.timebank.enums import (
    LIVE_CLAIM_STATUSES,
    OPEN_CLAIM_STATUSES,
    ClaimStatus,
    HourAccountKind,
)
from laoyuan.timebank.models import Activity, Claim, HourAccount, HourPosting, Volunteer
from laoyuan.timebank.scoping import STAFF_ROLES, organiser_q
from laoyuan.timebank.services import ledger

# How long after an activity ends its volunteers may still claim it.
CLAIM_WINDOW = datetime.timedelta(days=30)


@dataclass(frozen=True)
class PostingRow:
    entry_id: int
    kind: str
    category: str
    on: datetime.date
    minutes: int
    memo: str
    created_at: datetime.datetime
    reversal: bool


@dataclass(frozen=True)
class Account:
    """A household's hours: what it holds, what will expire and when, and its postings (newest
    first)."""

    house: House
    balance_minutes: int
    lots: list[tuple[datetime.date, int]]  # (counts from, minutes left), oldest first
    expiry_months: int
    postings: list[PostingRow]

    @property
    def next_expiry(self) -> tuple[datetime.date, int] | None:
        """The day the oldest minutes run out and how many, if any are held."""
        if not self.lots:
            return None
        day, minutes = self.lots[0]
        return (expires_on(day), minutes)


def expires_on(day: datetime.date) -> datetime.date:
    """The first day minutes counting from ``day`` are expired, by the rule the ledger applies
    (``ledger.expiry_cutoff``): about ``expiry_months`` later, the day after when ``day`` is a
    month's end that the later month lacks (2024-02-29 → 2026-03-01)."""
    candidate = calc.add_months(day, ledger.expiry_months())
    one = datetime.timedelta(days=1)
    while ledger.expiry_cutoff(candidate) < day:
        candidate += one
    while ledger.expiry_cutoff(candidate - one) >= day:
        candidate -= one
    return candidate


def account(house: House, *, limit: int | None = 100) -> Account:
    """House ``house``'s hours account (the caller has checked the scope)."""
    hour_account = HourAccount.objects.filter(kind=HourAccountKind.HOUSEHOLD, house=house).first()
    if hour_account is None:
        return Account(house, 0, [], ledger.expiry_months(), [])
    rows = (
        HourPosting.objects.filter(account=hour_account)
        .select_related("entry")
        .order_by("-entry__on", "-entry_id")
    )
    if limit is not None:
        rows = rows[:limit]
    postings = [
        PostingRow(
            entry_id=row.entry_id,
            kind=row.entry.kind,
            category=row.entry.category,
            on=row.entry.on,
            minutes=row.minutes,
            memo=row.entry.memo,
            created_at=row.entry.created_at,
            reversal=row.entry.reverses_id is not None,
        )
        for row in rows
    ]
    # Minutes past their term are not held, though the expiry is posted only by the nightly
    # job or the household's next redemption or gift.
    cutoff = ledger.expiry_cutoff(timezone.localdate())
    lots = ledger.lots(hour_account)
    expired = sum(minutes for on, minutes in lots if on <= cutoff)
    return Account(
        house=house,
        balance_minutes=ledger.balance(hour_account) - expired,
        lots=[(on, minutes) for on, minutes in lots if on > cutoff],
        expiry_months=ledger.expiry_months(),
        postings=postings,
    )


def activities_for(user: Any) -> QuerySet[Activity]:
    """The activities the user may see, with ``taken`` (live claims) annotated."""
    return scoped(Activity.objects.all(), user).annotate(
        taken=Count("claims", filter=Q(claims__status__in=LIVE_CLAIM_STATUSES))
    )


def claimable(volunteer: Volunteer, *, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """Activities of the volunteer's community that have started, ended less than 30 days ago,
    still have places, and that the volunteer has not claimed; soonest ended first."""
    now = now or timezone.now()
    mine = Claim.objects.filter(
        activity=OuterRef("pk"), volunteer=volunteer, status__in=LIVE_CLAIM_STATUSES
    )
    return (
        Activity.objects.filter(
            community_id=volunteer.community_id, start__lte=now, end__gte=now - CLAIM_WINDOW
        )
        .annotate(taken=Count("claims", filter=Q(claims__status__in=LIVE_CLAIM_STATUSES)))
        .filter(taken__lt=F("capacity"))
        .exclude(Exists(mine))
        .select_related("compound", "org")
        .order_by("-end", "-id")
    )


def claims_for(user: Any) -> QuerySet[Claim]:
    """The claims the user may read: by the scope rule, or as the activity's organiser (while
    they may still organise it)."""
    return Claim.objects.filter(
        Q(pk__in=scoped(Claim.objects.all(), user).values("pk")) | organiser_q(user)
    )


def queue(user: Any) -> QuerySet[Claim]:
    """The claims waiting for the user: those of activities they organise, those in their
    community (as its office), and, for a street office, those flagged to it. Flagged first,
    then oldest first."""
    scope = scope_for(user, STAFF_ROLES)
    where = organiser_q(user)
    if scope.everything:
        where = Q()
    elif scope.community:
        where |= Q(community_id__in=scope.community)
    streets = scope_for(user, {Role.STREET}).street
    if streets:
        where |= Q(street_id__in=streets, flagged_at__isnull=False)
    return (
        Claim.objects.filter(where, status__in=OPEN_CLAIM_STATUSES)
        .exclude(house_id__in=scope_for(user, {Role.RESIDENT}).house)
        # The first verifier has done their part; the second is someone else.
        .exclude(status=ClaimStatus.SECOND, verified_by_id=user.pk)
        .select_related("activity", "volunteer__person", "house__building", "compound")
        .order_by(F("flagged_at").desc(nulls_last=True), "due_on", "id")
    )
