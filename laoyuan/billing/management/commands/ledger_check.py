"""Prove the books balance and every derived figure matches the postings."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from laoyuan.billing import checks
from laoyuan.billing.models import Account, Bill
from laoyuan.billing.services.ledger import rebuild_summaries, refresh_bills


@transaction.atomic
def rebuild_bills(ids: list[int]) -> None:
    """Rewrite these bills' figures under their accounts' locks (taken in id order, as payments
    take them), so a payment meanwhile neither reads half-written figures nor is overwritten."""
    accounts = Bill.objects.filter(pk__in=ids).values("account_id")
    list(Account.objects.select_for_update().filter(pk__in=accounts).order_by("pk").values("pk"))
    refresh_bills(ids)


class Command(BaseCommand):
    help = (
        "Check that every journal entry sums to zero, every bill's amount and paid match its "
        "postings, reversals mirror their originals, payments are posted and receipts have no "
        "gaps, and the monthly bill summaries add up. Exits 1 with the first discrepancy. "
        "--rebuild first rewrites the derived bill figures from the ledger and the summaries "
        "from the bills (after a restore)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="rewrite every bill's amount and paid from the postings, and the monthly "
            "summaries from the bills, before checking",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            ids = list(Bill.objects.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(ids), 5000):
                rebuild_bills(ids[start : start + 5000])
            self.stdout.write(f"rebuilt the figures of {len(ids)} bills")
            summaries = rebuild_summaries()
            self.stdout.write(f"rebuilt {summaries} monthly bill summaries")
        for name, check in checks.CHECKS:
            for problem in check():
                raise CommandError(f"{name}: {problem}")
            self.stdout.write(f"ok  {name}")
        self.stdout.write(self.style.SUCCESS("the books balance"))
