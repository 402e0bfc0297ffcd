"""A cashier's day close (日结): what the books say came in per channel against what was counted.

What a cashier should hold for a day, per channel (``day_totals``):

- every payment the cashier received with ``received_on`` that day, by its channel;
- less what the cashier handed back that day (by the clock, local time): reversals of payments
  and refunds the cashier posted that day, through the channel's clearing account, whichever day
  the reversed payment was received.

A reversal posted on a later day belongs to that later day's close, so a closed day's figures
never change. ``close_day`` stores expected, counted and difference per channel, and posts a
non-zero cash difference between the cash clearing account and the company's over-and-short
account (recorded, never hidden). Differences on bank, POS and online are kept on the close and
in the audit trail but not posted: they mean a transfer recorded wrongly or not at all, which is
put right by recording (or reversing) that payment — posting it as well would count it twice.
"""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.billing.enums import CHANNEL_ACCOUNT, AccountKind, Channel, EntryKind
from laoyuan.billing.models import ZERO, DayClose, Payment, Posting
from laoyuan.billing.services.accounts import acts_for_company
from laoyuan.billing.services.ledger import Line, company_account, lock_account, post_entry
from laoyuan.core import audit
from laoyuan.core.money import to_fen
from laoyuan.orgs.models import PropertyCompany

CHANNEL_OF_ACCOUNT: dict[str, str] = {kind: channel for channel, kind in CHANNEL_ACCOUNT.items()}


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


def day_totals(*, company: PropertyCompany, cashier: Any, day: datetime.date) -> dict[str, Decimal]:
    """``{channel: amount}`` the cashier should hold for ``day``, every channel present (see the
    module's docstring for what counts)."""
    totals = {channel: ZERO for channel in Channel.values}
    received = (
        Payment.objects.filter(company=company, received_by=cashier, received_on=day)
        .values("channel")
        .annotate(total=Sum("amount"))
    )
    for row in received:
        totals[row["channel"]] += row["total"]
    start, end = _day_bounds(day)
    handed_back = (
        Posting.objects.filter(
            account__company=company,
            account__house__isnull=True,
            account__kind__in=list(CHANNEL_OF_ACCOUNT),
            entry__created_by=cashier,
            entry__created_at__gte=start,
            entry__created_at__lt=end,
        )
        .filter(
            Q(entry__kind=EntryKind.REFUND)
            | Q(entry__kind=EntryKind.PAYMENT, entry__reverses__isnull=False)
        )
        .values("account__kind")
        .annotate(total=Sum("amount"))
    )
    for back in handed_back:
        totals[CHANNEL_OF_ACCOUNT[back["account__kind"]]] += back["total"]
    return {channel: to_fen(amount) for channel, amount in totals.items()}


def _counted(counted: dict[str, Decimal], expected: dict[str, Decimal]) -> dict[str, Decimal]:
    """The counts as fen amounts for every channel; a channel not counted counts as 0.00 only
    when nothing was expected in it."""
    errors: list[str] = []
    result: dict[str, Decimal] = {}
    labels = dict(Channel.choices)
    for channel in counted:
        if channel not in labels:
            errors.append(_("%(channel)s is not a payment channel.") % {"channel": channel})
    for channel in Channel.values:
        if channel not in counted:
            if expected[channel] != ZERO:
                errors.append(
                    _("Count the %(channel)s takings: the books expect %(amount)s.")
                    % {"channel": labels[channel], "amount": expected[channel]}
                )
            result[channel] = ZERO
            continue
        value = counted[channel]
        try:
            if isinstance(value, float):
                raise InvalidOperation
            amount = Decimal(value)
            if not amount.is_finite() or to_fen(amount) != amount or amount < ZERO:
                raise InvalidOperation
        except (InvalidOperation, TypeError, ValueError):
            errors.append(
                _("The %(channel)s count must be an amount of 0.00 or more, in yuan and fen.")
                % {"channel": labels[channel]}
            )
            continue
        result[channel] = to_fen(amount)
    if errors:
        raise ValidationError({"counted": errors})
    return result


@transaction.atomic
def close_day(
    *,
    company: PropertyCompany,
    cashier: Any,
    day: datetime.date,
    counted: dict[str, Decimal],
    note: str,
    actor: Any,
) -> DayClose:
    """Close ``cashier``'s ``day``: store expected, counted and difference per channel (strings
    with two places) and post a cash difference. A day is closed once per cashier."""
    if not acts_for_company(actor, company.pk):
        raise PermissionDenied
    if not acts_for_company(cashier, company.pk):
        raise ValidationError(
            {
                "cashier": _("%(user)s is not on %(company)s's staff.")
                % {"user": cashier, "company": company}
            }
        )
    if day > timezone.localdate():
        raise ValidationError({"day": _("A day in the future cannot be closed.")})
    note = note.strip()
    if len(note) > 300:
        raise ValidationError({"note": _("At most %(n)d characters.") % {"n": 300}})
    # One close at a time per company: the cash clearing account is the lock.
    cash = lock_account(company_account(company, AccountKind.CASH).pk)
    earlier = DayClose.objects.filter(company=company, cashier=cashier, day=day).first()
    if earlier is not None:
        raise ValidationError(
            {
                "day": _("%(day)s is already closed for %(cashier)s (at %(at)s).")
                % {
                    "day": day.isoformat(),
                    "cashier": cashier,
                    "at": timezone.localtime(earlier.closed_at).strftime("%Y-%m-%d %H:%M"),
                }
            }
        )
    expected = day_totals(company=company, cashier=cashier, day=day)
    counts = _counted(counted, expected)
    difference = {channel: counts[channel] - expected[channel] for channel in Channel.values}
    close = DayClose.objects.create(
        company=company,
        cashier=cashier,
        day=day,
        expected={channel: str(amount) for channel, amount in expected.items()},
        counted={channel: str(amount) for channel, amount in counts.items()},
        difference={channel: str(amount) for channel, amount in difference.items()},
        note=note,
    )
    entry = None
    over = difference[Channel.CASH]
    if over != ZERO:
        entry = post_entry(
            kind=EntryKind.DIFFERENCE,
            lines=[Line(cash, over), Line(company_account(company, AccountKind.OVER_SHORT), -over)],
            district_id=company.district_id,
            street_id=company.street_id,
            company_id=company.pk,
            reference=f"DAYCLOSE-{close.pk}",
            memo=f"cash count {day.isoformat()} {cashier}: {over:+}",
            actor=actor,
        )
    audit.record(
        actor=actor,
        action="day.closed",
        target=close,
        summary=_("Day %(day)s closed for %(cashier)s")
        % {"day": day.isoformat(), "cashier": cashier},
        changes={
            "expected": close.expected,
            "counted": close.counted,
            "difference": close.difference,
            "entry": entry.pk if entry else None,
        },
        district_id=company.district_id,
        street_id=company.street_id,
    )
    return close
