"""Claims of hours (时长申报): made by the volunteer (or by staff on their behalf, logged as such),
verified by the activity's organiser or the community — by two different people when the
volunteer's claims of the day pass the daily threshold — or rejected with a reason. Only a
verified claim posts hours: the household's account debited, the district's issued account
credited. A claim still unverified 10 working days after it was made is flagged to the
verifiers' superiors (the community and the street office).

Every refusal raises ValidationError naming the field (or PermissionDenied) and writes nothing.
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.core import audit
from laoyuan.people.models import Residency
from laoyuan.timebank import notices
from laoyuan.timebank.enums import (
    LIVE_CLAIM_STATUSES,
    OPEN_CLAIM_STATUSES,
    ClaimStatus,
    HourAccountKind,
    HourEntryKind,
)
from laoyuan.timebank.models import Activity, Claim, HourEntry, Volunteer, minutes_label
from laoyuan.timebank.scoping import STAFF_ROLES, holds
from laoyuan.timebank.services import ledger
from laoyuan.timebank.services.orgs import may_organise
from laoyuan.timebank.workdays import add_workdays

MAX_REASON = 300


def second_verifier_minutes() -> int:
    """Above this many minutes of claims in one day, a volunteer's claim needs two verifiers."""
    return int(getattr(settings, "TIMEBANK_SECOND_VERIFIER_MINUTES", 240))


def verify_working_days() -> int:
    return int(getattr(settings, "TIMEBANK_VERIFY_WORKING_DAYS", 10))


def claim_window() -> datetime.timedelta:
    """How long after an activity ends its volunteers may claim it themselves."""
    return datetime.timedelta(days=int(getattr(settings, "TIMEBANK_CLAIM_WINDOW_DAYS", 30)))


def volunteer_of(user: Any) -> Volunteer | None:
    """The user's own volunteer record (through their person), if any."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return None
    return Volunteer.objects.filter(person_id=person_id, active=True).first()


def is_organiser(user: Any, activity: Activity) -> bool:
    """The activity's organiser, while they may still organise it (``may_organise``: their
    role at its place or their lead of its organisation has not ended)."""
    return (
        activity.organiser_id is not None
        and activity.organiser_id == getattr(user, "pk", None)
        and may_organise(user, activity)
    )


def of_household(user: Any, house_id: int) -> bool:
    """Whether the user belongs to the household: bound to it as a resident, or living there
    (an officer who lives in the house is of it too)."""
    if house_id in scope_for(user, {Role.RESIDENT}).house:
        return True
    person_id = getattr(user, "person_id", None)
    return person_id is not None and (
        Residency.objects.filter(person_id=person_id, house_id=house_id).exists()
    )


def in_household(user: Any, volunteer: Volunteer) -> bool:
    """The volunteer themself or someone of their household: they may not verify the claim."""
    return getattr(user, "person_id", None) == volunteer.person_id or of_household(
        user, volunteer.house_id
    )


def may_claim_for(user: Any, volunteer: Volunteer, activity: Activity) -> bool:
    """Staff who may claim on a volunteer's behalf: the community, or the activity's organiser."""
    return holds(user, STAFF_ROLES, volunteer) or is_organiser(user, activity)


def may_verify(user: Any, claim: Claim) -> bool:
    """The activity's organiser or the community; the street office once the claim was flagged
    to it. Never the volunteer or their household, nor whoever filed it on their behalf."""
    if in_household(user, claim.volunteer):
        return False
    if claim.on_behalf and claim.claimed_by_id == getattr(user, "pk", None):
        # Whoever filed a claim for a volunteer does not also verify it.
        return False
    if is_organiser(user, claim.activity) or holds(user, STAFF_ROLES, claim):
        return True
    return claim.flagged_at is not None and holds(user, frozenset({Role.STREET}), claim)


def _minutes(start: datetime.datetime, end: datetime.datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _stamp(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _check_times(
    volunteer: Volunteer,
    activity: Activity,
    start: Any,
    end: Any,
    now: datetime.datetime,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(start, datetime.datetime):
        errors["start"] = _("Enter the check-in time.")
    if not isinstance(end, datetime.datetime):
        errors["end"] = _("Enter the check-out time.")
    if errors:
        return errors
    if end <= start:
        errors["end"] = _("Check-out must be after check-in.")
    elif _minutes(start, end) < 1:
        errors["end"] = _("A claim is at least one minute.")
    elif start < activity.start or end > activity.end:
        errors["end" if start >= activity.start else "start"] = _(
            "The claim must lie within the activity, %(start)s to %(end)s (%(hours)s hours)."
        ) % {
            "start": _stamp(activity.start),
            "end": _stamp(activity.end),
            "hours": minutes_label(activity.minutes),
        }
    elif end > now:
        errors["end"] = _("Check-out cannot be in the future.")
    if errors:
        return errors
    overlap = (
        Claim.objects.filter(
            volunteer=volunteer, status__in=LIVE_CLAIM_STATUSES, start__lt=end, end__gt=start
        )
        .select_related("activity")
        .first()
    )
    if overlap is not None:
        errors["start"] = _(
            "These times overlap your claim for “%(activity)s”, %(start)s to %(end)s."
        ) % {
            "activity": overlap.activity.title,
            "start": _stamp(overlap.start),
            "end": _stamp(overlap.end),
        }
    return errors


@transaction.atomic
def create_claim(
    *,
    actor: Any,
    activity: Activity,
    start: Any,
    end: Any,
    volunteer: Volunteer | None = None,
    note: str = "",
    photo: UploadedFile | None = None,
    now: datetime.datetime | None = None,
) -> Claim:
    """A claim of hours for ``activity``: by the volunteer themself (``volunteer`` omitted or
    their own), or by the community or the organiser on their behalf."""
    from laoyuan.workorders.services.photos import clean_photo

    now = now or timezone.now()
    own = volunteer_of(actor)
    volunteer = volunteer or own
    if volunteer is None:
        raise ValidationError({"volunteer": _("Register as a volunteer first.")})
    on_behalf = own is None or own.pk != volunteer.pk
    if on_behalf and not may_claim_for(actor, volunteer, activity):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if not volunteer.active:
        errors["volunteer"] = _("This volunteer is no longer active.")
    if activity.community_id != volunteer.community_id:
        errors["activity"] = _("This activity is not in the volunteer's community.")
    elif timezone.localtime(activity.end).date() < volunteer.registered_on:
        errors["activity"] = _("This activity ended before the volunteer registered.")
    elif not on_behalf and activity.end < now - claim_window():
        # Staff may still enter a late claim from a paper sign-in sheet, logged as on behalf.
        errors["activity"] = _(
            "Claims are made within %(days)s days of the activity's end; ask the community."
        ) % {"days": claim_window().days}
    note = (note or "").strip()
    if len(note) > 300:
        errors["note"] = _("At most 300 characters.")
    if errors:
        raise ValidationError(errors)
    # One claim at a time per volunteer and per activity: lock the activity (its places) and the
    # volunteer (their times) before checking.
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    errors = _check_times(volunteer, activity, start, end, now)
    if not errors:
        if Claim.objects.filter(
            activity=activity, volunteer=volunteer, status__in=LIVE_CLAIM_STATUSES
        ).exists():
            errors["activity"] = _("You have already claimed this activity.")
        elif (
            Claim.objects.filter(activity=activity, status__in=LIVE_CLAIM_STATUSES).count()
            >= activity.capacity
        ):
            errors["activity"] = ngettext(
                "This activity's one place is claimed.",
                "This activity's %(places)s places are all claimed.",
                activity.capacity,
            ) % {"places": activity.capacity}
    if errors:
        raise ValidationError(errors)
    cleaned = clean_photo(photo, field="photo") if photo else None
    minutes = _minutes(start, end)
    day = timezone.localtime(start).date()
    day_start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    same_day = (
        Claim.objects.filter(
            volunteer=volunteer,
            status__in=LIVE_CLAIM_STATUSES,
            start__gte=day_start,
            start__lt=day_start + datetime.timedelta(days=1),
        ).aggregate(total=Sum("minutes"))["total"]
        or 0
    )
    claim = Claim(
        activity=activity,
        volunteer=volunteer,
        house_id=volunteer.house_id,
        district_id=activity.district_id,
        street_id=activity.street_id,
        community_id=activity.community_id,
        compound_id=activity.compound_id,
        category=activity.category,
        start=start,
        end=end,
        minutes=minutes,
        note=note,
        needs_second=same_day + minutes > second_verifier_minutes(),
        claimed_by=actor,
        on_behalf=on_behalf,
        due_on=add_workdays(timezone.localtime(now).date(), verify_working_days()),
    )
    if cleaned is not None:
        claim.photo.save(
            f"claim-{activity.pk}.{cleaned.content_type.split('/')[-1]}",
            cleaned.content,
            save=False,
        )
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as error:
        raise ValidationError({"activity": _("You have already claimed this activity.")}) from error
    audit.record(
        actor=actor,
        action="timebank.claim",
        target=claim,
        summary=f"claim of {minutes} min for activity {activity.pk}"
        + (" on the volunteer's behalf" if on_behalf else ""),
        changes={
            "activity": activity.pk,
            "volunteer": volunteer.pk,
            "start": start,
            "end": end,
            "minutes": minutes,
            "on_behalf": on_behalf,
        },
        district_id=claim.district_id,
        street_id=claim.street_id,
    )
    notices.tell(
        "timebank.claim",
        notices.verifiers(claim),
        f"{activity.title}: {minutes_label(minutes)}",
        url=notices.queue_url(),
    )
    return claim


def _lock_open(claim: Claim) -> Claim:
    locked = (
        Claim.objects.select_for_update().select_related("activity", "volunteer").get(pk=claim.pk)
    )
    if locked.status not in OPEN_CLAIM_STATUSES:
        raise ValidationError(
            {
                "claim": _("This claim is already %(status)s.")
                % {"status": locked.get_status_display()}
            }
        )
    return locked


def _post_hours(claim: Claim, actor: Any) -> HourEntry:
    household = ledger.lock(ledger.household_account(claim.house))
    issued = ledger.system_account(claim.district_id, HourAccountKind.ISSUED)
    return ledger.post(
        kind=HourEntryKind.EARN,
        lines=[ledger.HourLine(household, claim.minutes), ledger.HourLine(issued, -claim.minutes)],
        district_id=claim.district_id,
        street_id=claim.street_id,
        house_id=claim.house_id,
        category=claim.category,
        claim=claim,
        on=timezone.localtime(claim.start).date(),
        memo=claim.activity.title,
        actor=actor,
    )


@transaction.atomic
def verify_claim(*, actor: Any, claim: Claim, now: datetime.datetime | None = None) -> Claim:
    """Verify a claim; its hours post at once, or after a second person verifies when the claim
    needs two."""
    if not may_verify(actor, claim):
        raise PermissionDenied
    claim = _lock_open(claim)
    now = now or timezone.now()
    if claim.status == ClaimStatus.SECOND:
        if claim.verified_by_id == actor.pk:
            raise ValidationError(
                {"claim": _("A second verifier must be someone else than the first.")}
            )
        claim.second_by, claim.second_at = actor, now
    else:
        claim.verified_by, claim.verified_at = actor, now
    done = claim.status == ClaimStatus.SECOND or not claim.needs_second
    claim.status = ClaimStatus.VERIFIED if done else ClaimStatus.SECOND
    claim.save(update_fields=["status", "verified_by", "verified_at", "second_by", "second_at"])
    if done:
        _post_hours(claim, actor)
    audit.record(
        actor=actor,
        action="timebank.verify" if done else "timebank.verify_first",
        target=claim,
        summary=f"claim {claim.pk}: {claim.minutes} min "
        + ("verified, hours posted" if done else "verified once, waiting for a second verifier"),
        changes={"status": claim.status, "minutes": claim.minutes},
        district_id=claim.district_id,
        street_id=claim.street_id,
    )
    subject = f"{claim.activity.title}: {minutes_label(claim.minutes)}"
    if done:
        notices.tell(
            "timebank.verified",
            notices.household_users(claim.house_id),
            subject,
            url=notices.mine_url(),
            sms=True,
        )
    else:
        others = [user for user in notices.verifiers(claim) if user.pk != actor.pk]
        notices.tell("timebank.second", others, subject, url=notices.queue_url())
    return claim


def _reason(reason: Any) -> str:
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("At most 300 characters.")})
    return reason


@transaction.atomic
def reject_claim(
    *, actor: Any, claim: Claim, reason: Any, now: datetime.datetime | None = None
) -> Claim:
    """Reject a claim with a reason; nothing posts, and the volunteer may claim again."""
    if not may_verify(actor, claim):
        raise PermissionDenied
    reason = _reason(reason)
    claim = _lock_open(claim)
    claim.status = ClaimStatus.REJECTED
    claim.rejected_by, claim.rejected_at, claim.reason = actor, now or timezone.now(), reason
    claim.save(update_fields=["status", "rejected_by", "rejected_at", "reason"])
    audit.record(
        actor=actor,
        action="timebank.reject",
        target=claim,
        summary=f"claim {claim.pk} rejected: {reason}",
        changes={"status": claim.status, "reason": reason},
        district_id=claim.district_id,
        street_id=claim.street_id,
    )
    notices.tell(
        "timebank.rejected",
        notices.household_users(claim.house_id),
        f"{claim.activity.title}: {reason}",
        url=notices.mine_url(),
        sms=True,
    )
    return claim


@transaction.atomic
def reverse_claim(*, actor: Any, claim: Claim, reason: Any) -> Claim:
    """Take back a verified claim found wrong: a reversing entry of its hours. Refused when the
    household no longer holds the claim's own minutes (they were redeemed, given away or expired:
    other, newer minutes are never taken in their place)."""
    if not holds(actor, frozenset({Role.COMMUNITY, Role.STREET}), claim) or in_household(
        actor, claim.volunteer
    ):
        raise PermissionDenied
    reason = _reason(reason)
    claim = Claim.objects.select_for_update().select_related("activity").get(pk=claim.pk)
    if claim.status != ClaimStatus.VERIFIED:
        raise ValidationError({"claim": _("Only a verified claim can be reversed.")})
    household = ledger.lock(ledger.household_account(claim.house))
    ledger.post_expiry(household, today=timezone.localdate(), actor=actor)
    entry = HourEntry.objects.get(claim=claim, kind=HourEntryKind.EARN, reverses__isnull=True)
    # The claim's own minutes, not the household's others: what is left of the day they count
    # from (the oldest minutes leave first, by redemption, gift or expiry).
    left = dict(ledger.lots(household)).get(entry.on, 0)
    if left < claim.minutes:
        raise ValidationError(
            {
                "claim": _(
                    "Only %(left)s of the claim's %(minutes)s hours are still held; the rest "
                    "were redeemed, given away or expired."
                )
                % {"left": minutes_label(left), "minutes": minutes_label(claim.minutes)}
            }
        )
    ledger.reverse(entry=entry, actor=actor, memo=reason)
    claim.status, claim.reason = ClaimStatus.REVERSED, reason
    claim.save(update_fields=["status", "reason"])
    notices.tell(
        "timebank.reversed",
        notices.household_users(claim.house_id),
        f"{claim.activity.title}: {reason}",
        url=notices.mine_url(),
        sms=True,
    )
    audit.record(
        actor=actor,
        action="timebank.reverse",
        target=claim,
        summary=f"claim {claim.pk} reversed: {reason}",
        changes={"status": claim.status, "minutes": -claim.minutes, "reason": reason},
        district_id=claim.district_id,
        street_id=claim.street_id,
    )
    return claim


def flag_overdue(*, today: datetime.date | None = None) -> int:
    """Flag claims still unverified after their 10 working days to the community and the street
    office (once each); returns how many were flagged."""
    today = today or timezone.localdate()
    flagged = 0
    late = (
        Claim.objects.filter(
            status__in=OPEN_CLAIM_STATUSES, due_on__lt=today, flagged_at__isnull=True
        )
        .select_related("activity")
        .order_by("id")
    )
    for claim in late.iterator(chunk_size=500):
        with transaction.atomic():
            updated = Claim.objects.filter(pk=claim.pk, flagged_at__isnull=True).update(
                flagged_at=timezone.now()
            )
            if not updated:
                continue
            flagged += 1
            users = {
                user.pk: user
                for role in (Role.COMMUNITY, Role.STREET)
                for user in notices.office_users(role, claim)
            }
            notices.tell(
                "timebank.overdue",
                users.values(),
                f"{claim.activity.title}: {minutes_label(claim.minutes)} "
                f"({claim.due_on.isoformat()})",
                url=notices.queue_url(),
            )
    return flagged
