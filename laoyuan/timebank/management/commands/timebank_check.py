from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from laoyuan.timebank import summaries
from laoyuan.timebank.checks import CHECKS


class Command(BaseCommand):
    help = (
        "Prove the hours ledger is whole (entries balance, no household below zero, ...). "
        "--rebuild first rewrites the monthly verified hours from the postings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="rewrite the monthly verified hours from the postings before checking "
            "(after a restore or a bulk load; the summaries are locked against writers meanwhile)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            with transaction.atomic():
                written = summaries.rebuild()
            self.stdout.write(f"rebuilt {written} monthly verified-hours summaries")
        failed = False
        for name, check in CHECKS:
            problems = list(check())
            self.stdout.write(f"{'FAIL' if problems else 'ok  '} {name}")
            for problem in problems:
                self.stdout.write(f"     {problem}")
            failed = failed or bool(problems)
        if failed:
            raise CommandError("the hours ledger has discrepancies")
