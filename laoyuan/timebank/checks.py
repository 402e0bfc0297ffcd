"""Checks that the hours ledger is whole, behind ``manage.py timebank_check``: every entry sums
to zero, no household holds fewer than zero minutes, every verified claim posted its minutes once
every redemption took its minutes out, and the monthly verified hours equal the postings."""

from collections.abc import Callable, Iterator

from django.db.models import F, Q, Sum

from laoyuan.timebank.enums import ClaimStatus, HourAccountKind, HourEntryKind
from laoyuan.timebank.models import Claim, HourAccount, HourEntry, Redemption


def entries_balance() -> Iterator[str]:
    unbalanced = (
        HourEntry.objects.annotate(total=Sum("postings__minutes", default=0))
        .exclude(total=0)
        .order_by("pk")
    )
    for entry in unbalanced[:1]:
        yield f"hours entry {entry.pk} sums to {entry.total} minutes"


def households_not_negative() -> Iterator[str]:
    negative = (
        HourAccount.objects.filter(kind=HourAccountKind.HOUSEHOLD)
        .annotate(total=Sum("postings__minutes", default=0))
        .filter(total__lt=0)
        .order_by("pk")
    )
    for account in negative[:1]:
        yield f"household {account.house_id} holds {account.total} minutes"


def claims_posted() -> Iterator[str]:
    """A verified claim's minutes are on its household once; any other claim's net to zero."""
    earned = Sum(
        "entries__postings__minutes",
        filter=Q(
            entries__kind=HourEntryKind.EARN,
            entries__postings__account__kind=HourAccountKind.HOUSEHOLD,
        ),
        default=0,
    )
    wrong = (
        Claim.objects.annotate(earned=earned)
        .filter(
            Q(status=ClaimStatus.VERIFIED) & ~Q(earned=F("minutes"))
            | ~Q(status=ClaimStatus.VERIFIED) & ~Q(earned=0)
        )
        .order_by("pk")
    )
    for claim in wrong[:1]:
        yield f"claim {claim.pk} ({claim.status}, {claim.minutes} min) posted {claim.earned} min"


def redemptions_posted() -> Iterator[str]:
    wrong = (
        Redemption.objects.annotate(
            taken=Sum(
                "hour_entry__postings__minutes",
                filter=Q(hour_entry__postings__account__kind=HourAccountKind.HOUSEHOLD),
                default=0,
            )
        )
        .exclude(taken=-F("minutes"))
        .order_by("pk")
    )
    for redemption in wrong[:1]:
        yield f"redemption {redemption.pk} of {redemption.minutes} min took {-redemption.taken}"


def months_match_ledger() -> Iterator[str]:
    from laoyuan.timebank import summaries

    for problem in summaries.mismatches():
        yield problem
        return


CHECKS: list[tuple[str, Callable[[], Iterator[str]]]] = [
    ("every hours entry balances", entries_balance),
    ("no household holds fewer than zero minutes", households_not_negative),
    ("verified claims posted their minutes once", claims_posted),
    ("redemptions took their minutes", redemptions_posted),
    ("the monthly verified hours equal the ledger", months_match_ledger),
]


def first_discrepancy() -> str | None:
    for _name, check in CHECKS:
        for problem in check():
            return problem
    return None
