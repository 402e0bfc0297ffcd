"""Prove the monthly work-order summaries equal the orders; ``--rebuild`` rewrites them first."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from laoyuan.workorders import summaries


class Command(BaseCommand):
    help = (
        "Check that the monthly work-order summaries the dashboard's trend reads equal the "
        "orders; exits 1 with the first difference. --rebuild first rewrites them from the "
        "orders (after a restore or a bulk load; the summaries are locked against writers "
        "meanwhile)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="rewrite the summaries before checking"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            with transaction.atomic():
                written = summaries.rebuild()
            self.stdout.write(f"rebuilt {written} monthly work-order summaries")
        for problem in summaries.mismatches():
            raise CommandError(problem)
        self.stdout.write(self.style.SUCCESS("the monthly work-order summaries equal the orders"))
