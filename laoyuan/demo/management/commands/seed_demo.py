"""``python manage.py seed_demo``: build the demo district into an empty registry."""

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from laoyuan.demo.builder import (
    DEFAULT_PASSWORD,
    DEFAULT_SEED,
    EARLIEST_TODAY,
    build_demo,
    registry_is_empty,
)
from laoyuan.demo.shape import MIN_SCALE
from laoyuan.places.models import Compound


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Build the deterministic demo district (548 compounds at scale 1) and its demo users. "
        "Refuses unless the registry is empty."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (42)")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="size relative to Guancheng (1)"
        )
        parser.add_argument(
            "--today", type=str, default=None, help="the demo's today, YYYY-MM-DD (today)"
        )
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="password of the demo users"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the registry already has data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = _date(options["today"]) if options["today"] else timezone.localdate()
        scale: float = options["scale"]
        if scale < MIN_SCALE:
            raise CommandError(f"--scale must be at least {MIN_SCALE}.")
        if today < EARLIEST_TODAY:
            raise CommandError(
                f"--today must be {EARLIEST_TODAY.isoformat()} or later "
                "(the demo's takeovers run until 2023)."
            )
        if options["password"] == DEFAULT_PASSWORD and not (settings.DEBUG or settings.TESTING):
            # The default password is published in the README: never on a production database.
            raise CommandError("With DEBUG off, give the demo users a --password of your own.")
        if not registry_is_empty():
            if options["if_empty"]:
                self.stdout.write(
                    f"The registry already has data ({Compound.objects.count()} compounds); "
                    "the demo district is not built again."
                )
                return
            raise CommandError(
                "The registry is not empty: seed_demo builds only into an empty database "
                "(use --if-empty to skip quietly, or start from a fresh database)."
            )
        self.stderr.write(
            f"seed_demo: seed {options['seed']}, scale {scale:g}, today {today.isoformat()}"
        )
        result = build_demo(
            seed=options["seed"],
            scale=scale,
            today=today,
            password=options["password"],
            progress=lambda message: self.stderr.write(f"  {message}"),
        )
        counts = result.counts
        self.stdout.write(
            f"Demo district built in {result.seconds:.1f} s: {counts['compounds']} compounds, "
            f"{counts['houses']} houses, {counts['residencies']} residencies, "
            f"{counts['committees']} committees, {counts['cadres']} cadres; demo compound "
            f"{result.compound.code} {result.compound.name}."
        )
