from typing import Any

from django.core.management.base import BaseCommand, CommandError

from laoyuan.timebank.checks import CHECKS


class Command(BaseCommand):
    help = "Prove the hours ledger is whole (entries balance, no household below zero, ...)."

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for name, check in CHECKS:
            problems = list(check())
            self.stdout.write(f"{'FAIL' if problems else 'ok  '} {name}")
            for problem in problems:
                self.stdout.write(f"     {problem}")
            failed = failed or bool(problems)
        if failed:
            raise CommandError("the hours ledger has discrepancies")
