"""Escalate overdue work orders and close the verified ones nobody rated (for deployments
without Celery beat: run it from cron every 15 minutes)."""

import argparse
import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from laoyuan.workorders.services.transitions import auto_close_verified, escalate_overdue


def _moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {value!r}") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Raise each overdue work order one level (branch → community → street) and close the "
        "verified orders nobody rated within 7 days. Prints how many of each."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            type=_moment,
            default=None,
            help="act as if it were this ISO-8601 time (default: now; naive means local time)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = options["now"] or timezone.now()
        escalated = escalate_overdue(now=now)
        closed = auto_close_verified(now=now)
        self.stdout.write(f"escalated {escalated} overdue orders, closed {closed} unrated orders")
