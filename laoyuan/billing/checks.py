"""``ledger_check``: prove the books balance and every derived figure matches the postings.

Each check is one set-based query, so the whole check stays cheap on millions of postings. The
checks yield plain sentences naming the first offending row; an empty result means the books are
sound.
"""

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce

from laoyuan.billing.enums import AccountKind, EntryKind
from laoyuan.billing.models import (
    ZERO,
    Account,
    Bill,
    BillSummary,
    JournalEntry,
    OwingAccount,
    Payment,
    Posting,
    Receipt,
    ReceiptCounter,
)
from laoyuan.billing.services.ledger import OWING_KEY, SUMMARY_KEY, bill_figures
from laoyuan.core.money import to_fen

# Amounts are whole fen, so a true discrepancy is at least 0.01. SQLite sums decimals as binary
# floats (43.20 + -43.20 may come back as 1e-14), so "non-zero" means beyond half a fen.
HALF_FEN = Decimal("0.005")
NONZERO_TOTAL = Q(total__gt=HALF_FEN) | Q(total__lt=-HALF_FEN)


def entries_balance() -> Iterator[str]:
    unbalanced = (
        Posting.objects.values("entry_id")
        .annotate(total=Sum("amount"))
        .filter(NONZERO_TOTAL)
        .order_by("entry_id")
    )
    for row in unbalanced[:1]:
        yield f"journal entry {row['entry_id']}'s postings sum to {row['total']}, not 0"
    empty = JournalEntry.objects.filter(postings__isnull=True).order_by("pk")
    for entry in empty[:1]:
        yield f"journal entry {entry.pk} has no postings"


def bill_lines_on_bill_accounts() -> Iterator[str]:
    stray = Posting.objects.filter(bill__isnull=False).exclude(account_id=F("bill__account_id"))
    for posting in stray.order_by("pk")[:1]:
        yield f"posting {posting.pk} carries bill {posting.bill_id} but is not on its account"
    misplaced = Posting.objects.filter(bill__isnull=True, entry__kind=EntryKind.CHARGE).filter(
        account__kind=AccountKind.HOUSEHOLD
    )
    for posting in misplaced.order_by("pk")[:1]:
        yield f"charge posting {posting.pk} on a household account names no bill"


def bills_match_postings(batch: int = 20000) -> Iterator[str]:
    """Each bill's stored amount and paid equal what its postings say."""
    last = 0
    while True:
        rows = list(
            Bill.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "amount", "paid")[:batch]
        )
        if not rows:
            return
        figures = bill_figures(pk for pk, _, _ in rows)
        for pk, amount, paid in rows:
            if figures[pk] != (amount, paid):
                yield (
                    f"bill {pk} says amount {amount}, paid {paid}; its postings say "
                    f"amount {figures[pk][0]}, paid {figures[pk][1]}"
                )
                return
        last = rows[-1][0]


def reversals_mirror() -> Iterator[str]:
    """A reversal's postings are exactly the negation of its original's: per account and bill,
    an original and its reversal sum to zero."""
    pairs = (
        Posting.objects.filter(
            Q(entry__reverses__isnull=False) | Q(entry__reversed_by__isnull=False)
        )
        .annotate(original=Coalesce("entry__reverses_id", "entry_id"))
        .values("original", "account_id", "bill_id")
        .annotate(total=Sum("amount"))
        .filter(NONZERO_TOTAL)
        .order_by("original")
    )
    for row in pairs[:1]:
        yield f"the reversal of entry {row['original']} does not mirror it"


def payments_posted() -> Iterator[str]:
    """Every payment has its entry, crediting the household with exactly its amount."""
    credited = (
        Payment.objects.annotate(
            credited=Sum(
                "entries__postings__amount",
                filter=Q(
                    # A time-bank discount is a payment whose entry is a funded discount.
                    entries__kind__in=(EntryKind.PAYMENT, EntryKind.DISCOUNT),
                    entries__reverses__isnull=True,
                    entries__postings__account__kind=AccountKind.HOUSEHOLD,
                ),
                default=ZERO,
            )
        )
        .annotate(total=F("credited") + F("amount"))
        .filter(NONZERO_TOTAL)
        .order_by("pk")
    )
    for payment in credited[:1]:
        yield (
            f"payment {payment.reference} of {payment.amount} credits its household "
            f"{-payment.credited} in the ledger"
        )


def receipts_gapless() -> Iterator[str]:
    """Per company, receipts run 1, 2, 3 ... with no gap, up to the counter."""
    counters = dict(ReceiptCounter.objects.values_list("company_id", "last"))
    rows = Receipt.objects.values("company_id").annotate(count=Count("pk"), top=Max("sequence"))
    for row in rows.order_by("company_id"):
        if row["count"] != row["top"] or counters.get(row["company_id"]) != row["top"]:
            yield (
                f"company {row['company_id']}'s receipts are not numbered without gaps: "
                f"{row['count']} receipts, highest {row['top']}, counter "
                f"{counters.get(row['company_id'])}"
            )
            return


# Funds whose balance is a credit: what was put in less what they paid out.
FUND_KINDS = {
    AccountKind.TIMEBANK_FUND: "pool fund",
    AccountKind.SUBSIDY_FUND: "subsidy fund",
    AccountKind.LONGTERM_FUND: "long-term fund",
}


def pools_not_negative() -> Iterator[str]:
    """No time-bank pool, subsidy fund or compound's long-term fund has paid out more than was
    put into it (a fund's balance is a credit)."""
    overdrawn = (
        Account.objects.filter(kind__in=FUND_KINDS)
        .annotate(total=Sum("postings__amount", default=ZERO))
        .filter(total__gt=0)
        .order_by("pk")
    )
    for account in overdrawn[:1]:
        label = FUND_KINDS[AccountKind(account.kind)]
        yield f"{label} {account.name or account.pk} is overdrawn by {account.total}"


def summaries_match_bills() -> Iterator[str]:
    """Each monthly bill summary equals the sum of its bills, and every bill is summed. Two
    grouped reads: a summary row per compound, company and month."""
    keys = list(SUMMARY_KEY)
    bills = {
        tuple(row[k] for k in keys): (to_fen(row["billed"]), to_fen(row["settled"]))
        for row in Bill.objects.order_by()
        .values(*keys)
        .annotate(billed=Sum("amount"), settled=Sum("paid"))
    }
    summaries = {
        tuple(row[k] for k in keys): (to_fen(row["amount"]), to_fen(row["paid"]))
        for row in BillSummary.objects.values(*keys, "amount", "paid")
    }
    for key in sorted(set(bills) | set(summaries), key=str):
        summed, kept = bills.get(key, (ZERO, ZERO)), summaries.get(key, (ZERO, ZERO))
        if summed != kept:
            compound, company, _district, _street, period, trial = key
            yield (
                f"the bills of compound {compound} and company {company} for "
                f"{period:%Y-%m}{' (trial)' if trial else ''} sum to {summed[0]} billed, "
                f"{summed[1]} paid; their summary says {kept[0]} and {kept[1]}"
            )
            return


def owing_rows_match_bills() -> Iterator[str]:
    """Each household account owing on bills has its row with the month of its oldest bill
    still owing, and no other account has one."""
    keys = list(OWING_KEY)
    owing = Bill.objects.filter(amount__gt=F("paid")).order_by()
    expected = {
        tuple(row[k] for k in keys): row["since"]
        for row in owing.values(*keys).annotate(since=Min("period"))
    }
    kept = {
        tuple(row[k] for k in keys): row["oldest"]
        for row in OwingAccount.objects.values(*keys, "oldest")
    }
    for key in sorted(set(expected) | set(kept), key=str):
        if expected.get(key) != kept.get(key):
            account, compound, company = key[:3]
            yield (
                f"account {account} owes on bills of company {company} in compound {compound} "
                f"since {_month(expected.get(key))}; its owing row says {_month(kept.get(key))}"
            )
            return


def _month(day: Any) -> str:
    return "never" if day is None else f"{day:%Y-%m}"


CHECKS: list[tuple[str, Callable[[], Iterator[str]]]] = [
    ("every entry balances", entries_balance),
    ("bill lines sit on the bill's account", bill_lines_on_bill_accounts),
    ("bills match their postings", bills_match_postings),
    ("monthly bill summaries match the bills", summaries_match_bills),
    ("households in arrears match the bills", owing_rows_match_bills),
    ("reversals mirror their originals", reversals_mirror),
    ("payments are posted", payments_posted),
    ("receipts are numbered without gaps", receipts_gapless),
    ("pools and funds are not overdrawn", pools_not_negative),
]


def first_discrepancy() -> str | None:
    for _name, check in CHECKS:
        for problem in check():
            return problem
    return None
