import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from laoyuan.timebank.services import claims, exchange


class Command(BaseCommand):
    help = (
        "Flag hours claims unverified after 10 working days to the community and the street, "
        "and post the expiry of minutes whose term ran out. Run daily (cron) without a broker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"]
        flagged = claims.flag_overdue(today=today)
        expired = exchange.expire_all(today=today)
        self.stdout.write(f"flagged {flagged} claims; expired minutes of {expired} households")
