"""Transfers from the district's budget (财政拨款) into a fund, each once by its reference."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from laoyuan.billing.enums import AccountKind, EntryKind
from laoyuan.billing.models import Account, JournalEntry
from laoyuan.billing.services.ledger import Line, district_account, lock_account, post_entry


def clean_reference(value: Any) -> str:
    """The bank transfer's reference, at most 60 characters."""
    reference = str(value or "").strip()
    if not reference or len(reference) > 60:
        raise ValidationError({"reference": _("Enter the transfer's reference (at most 60).")})
    return reference


def from_budget(
    *,
    actor: Any,
    fund: Account,
    amount: Decimal,
    reference: str,
    key: str,
    memo: str,
    district_id: int,
    street_id: int | None = None,
) -> tuple[JournalEntry, bool]:
    """Post ``amount`` from the district's budget into ``fund`` under ``key``; with the entry,
    whether it is new. The same transfer sent twice is one; another transfer under a reference
    already used is refused on ``reference``. Call inside a transaction."""
    lock_account(fund.pk)
    done = (
        JournalEntry.objects.filter(kind=EntryKind.FUNDING, district_id=district_id, reference=key)
        .prefetch_related("postings")
        .first()
    )
    if done is not None:
        if any(p.account_id == fund.pk and p.amount == -amount for p in done.postings.all()):
            return done, False
        raise ValidationError(
            {
                "reference": _("Reference %(reference)s was already used for another pay-in.")
                % {"reference": reference}
            }
        )
    budget = district_account(district_id, AccountKind.BUDGET)
    entry = post_entry(
        kind=EntryKind.FUNDING,
        lines=[Line(budget, amount), Line(fund, -amount)],
        district_id=district_id,
        street_id=street_id,
        reference=key,
        memo=memo,
        actor=actor,
    )
    return entry, True
