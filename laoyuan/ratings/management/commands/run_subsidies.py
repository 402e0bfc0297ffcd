"""``python manage.py run_subsidies --period YYYY-MM [--district CODE]``: compute a month's
star-rating subsidies for each district (or one). The district's office approves each run on the
subsidies page, which posts it to the ledger; a month already paid computes nothing new."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from laoyuan.places.models import District
from laoyuan.ratings.services import subsidies


class Command(BaseCommand):
    help = "Compute a month's star-rating subsidies (the district approves them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument("--district", help="a district's code (default: every district)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = subsidies.parse_month(options["period"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        districts = District.objects.order_by("code")
        if options["district"]:
            districts = districts.filter(code=options["district"])
            if not districts.exists():
                raise CommandError(f"No district has the code {options['district']}.")
        for district in districts:
            label = f"{district.name} {month:%Y-%m}"
            try:
                run = subsidies.compute(district=district, period=month, command=True)
            except ValidationError:
                self.stdout.write(f"{label}: a run waits for approval; approve or cancel it first.")
                continue
            if run is None:
                self.stdout.write(f"{label}: nothing new to pay.")
            else:
                self.stdout.write(
                    f"{label}: {run.compounds} compounds, {run.amount} yuan, waiting for "
                    f"approval (run {run.pk})."
                )
