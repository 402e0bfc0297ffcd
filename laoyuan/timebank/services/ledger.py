"""The hours ledger: the only writer of hours entries and postings, the balances and the lots
(what is left of each day's minutes, oldest first) the expiry term runs on.

Minutes go out oldest first: a redemption, a donation or an expiry takes the oldest minutes the
household holds. So what is left of the minutes that counted from day D or before is the minutes
that came in up to D less everything that went out, never below zero.
"""

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from laoyuan.billing import calc
from laoyuan.places.models import House
from laoyuan.timebank import summaries
from laoyuan.timebank.enums import HourAccountKind, HourEntryKind
from laoyuan.timebank.models import HourAccount, HourEntry, HourPosting


class HoursError(Exception):
    """An hours-ledger rule would be broken; nothing has been written."""


def expiry_months() -> int:
    return int(getattr(settings, "TIMEBANK_EXPIRY_MONTHS", 24))


def system_account(district_id: int, kind: str) -> HourAccount:
    if kind == HourAccountKind.HOUSEHOLD:
        raise ValueError("a household account belongs to a house")
    account, _ = HourAccount.objects.get_or_create(
        kind=kind, district_id=district_id, defaults={"opened_on": timezone.localdate()}
    )
    return account


def household_account(house: House) -> HourAccount:
    account = HourAccount.objects.filter(kind=HourAccountKind.HOUSEHOLD, house=house).first()
    if account is not None:
        return account
    account, _ = HourAccount.objects.get_or_create(
        kind=HourAccountKind.HOUSEHOLD,
        house=house,
        defaults={
            "district_id": house.compound.district_id,
            "street_id": house.street_id,
            "opened_on": timezone.localdate(),
        },
    )
    return account


def lock(account: HourAccount) -> HourAccount:
    return HourAccount.objects.select_for_update().get(pk=account.pk)


@dataclass(frozen=True)
class HourLine:
    account: HourAccount
    minutes: int


def post(
    *,
    kind: str,
    lines: Sequence[HourLine],
    district_id: int,
    on: datetime.date,
    street_id: int | None = None,
    house_id: int | None = None,
    category: str = "",
    claim: Any = None,
    reverses: HourEntry | None = None,
    memo: str = "",
    actor: Any = None,
) -> HourEntry:
    """Write one balanced entry (its lines sum to zero, in whole minutes, moving something).
    Call inside the caller's transaction."""
    if not lines or all(line.minutes == 0 for line in lines):
        raise HoursError("an entry must move some minutes")
    if any(not isinstance(line.minutes, int) for line in lines):
        raise HoursError("minutes are whole numbers")
    if sum(line.minutes for line in lines) != 0:
        raise HoursError("an entry's lines must sum to zero")
    entry = HourEntry.objects.create(
        kind=kind,
        category=category,
        district_id=district_id,
        street_id=street_id,
        house_id=house_id,
        claim=claim,
        reverses=reverses,
        on=on,
        memo=memo[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    HourPosting.objects.bulk_create(
        [HourPosting(entry=entry, account=line.account, minutes=line.minutes) for line in lines]
    )
    if kind == HourEntryKind.EARN and claim is not None:
        earned = sum(
            line.minutes for line in lines if line.account.kind == HourAccountKind.HOUSEHOLD
        )
        if earned:
            summaries.add_earned(claim, on, earned)
    return entry


def reverse(*, entry: HourEntry, actor: Any, memo: str) -> HourEntry:
    """Cancel ``entry`` with a mirror entry of the same kind pointing at it (once). The mirror
    carries its original's day, so it takes back the very minutes the original gave (``lots``):
    reversing a newer claim never leaves older minutes living longer."""
    if entry.reverses_id is not None:
        raise HoursError("a reversal cannot be reversed")
    if HourEntry.objects.filter(reverses=entry).exists():
        raise HoursError("this entry has already been reversed")
    return post(
        kind=entry.kind,
        lines=[HourLine(p.account, -p.minutes) for p in entry.postings.select_related("account")],
        district_id=entry.district_id,
        street_id=entry.street_id,
        house_id=entry.house_id,
        category=entry.category,
        claim=entry.claim,
        reverses=entry,
        on=entry.on,
        memo=memo,
        actor=actor,
    )


def balance(account: HourAccount | int) -> int:
    """Minutes in the account (a household's: minutes held)."""
    account_id = account if isinstance(account, int) else account.pk
    total = HourPosting.objects.filter(account_id=account_id).aggregate(total=Sum("minutes"))
    return int(total["total"] or 0)


def lots(account: HourAccount | int) -> list[tuple[datetime.date, int]]:
    """What is left of the minutes the account received, by the day they count from, oldest
    first (days with nothing left are left out). A reversal takes back from its original's own
    day; every other outflow takes the oldest minutes first."""
    account_id = account if isinstance(account, int) else account.pk
    inflows: dict[datetime.date, int] = {}
    out = 0
    for day, minutes, reversal in HourPosting.objects.filter(account_id=account_id).values_list(
        "entry__on", "minutes", "entry__reverses_id"
    ):
        if minutes > 0 or reversal is not None:
            # Inflows, and reversals (of an inflow: taken back from its day; of an outflow:
            # given back on the day the outflow counted from, never later).
            inflows[day] = inflows.get(day, 0) + minutes
        else:
            out -= minutes
    left: list[tuple[datetime.date, int]] = []
    carry = 0  # a day netted below zero by a reversal takes from the next oldest days
    for day in sorted(inflows):
        minutes = inflows[day] - carry
        carry = max(0, -minutes)
        minutes = max(0, minutes)
        take = min(out, minutes)
        out -= take
        if minutes - take > 0:
            left.append((day, minutes - take))
    return left


def expiry_cutoff(today: datetime.date) -> datetime.date:
    """Minutes that count from this day or earlier have expired by ``today``: the same day of
    the month ``expiry_months`` earlier (the month's last day when it is shorter)."""
    first = calc.add_months(today, -expiry_months())
    last_day = calendar.monthrange(first.year, first.month)[1]
    return first.replace(day=min(today.day, last_day))


def expiring(account: HourAccount | int, today: datetime.date) -> int:
    """Minutes in the account whose term has run out by ``today`` (not yet posted)."""
    cutoff = expiry_cutoff(today)
    return sum(minutes for day, minutes in lots(account) if day <= cutoff)


def post_expiry(
    account: HourAccount, *, today: datetime.date, actor: Any = None
) -> HourEntry | None:
    """Post the expiry of the household's minutes whose term ran out; the caller holds the
    account's lock. None when nothing expired."""
    minutes = expiring(account, today)
    if minutes == 0:
        return None
    expired = system_account(account.district_id, HourAccountKind.EXPIRED)
    return post(
        kind=HourEntryKind.EXPIRE,
        lines=[HourLine(account, -minutes), HourLine(expired, minutes)],
        district_id=account.district_id,
        street_id=account.street_id,
        house_id=account.house_id,
        on=today,
        memo=f"expired: earned on or before {expiry_cutoff(today).isoformat()}",
        actor=actor,
    )


def oldest_day(account: HourAccount | int, minutes: int) -> datetime.date | None:
    """The day the oldest of the next ``minutes`` to leave the account counts from."""
    remaining = lots(account)
    return remaining[0][0] if remaining and minutes > 0 else None
