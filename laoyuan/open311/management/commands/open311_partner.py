"""``python manage.py open311_partner NAME --district CODE [--key KEY]``: register an Open311
partner and print its API key, this once (only the key's SHA-256 is stored)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from laoyuan.open311.services import create_partner
from laoyuan.places.models import District


class Command(BaseCommand):
    help = "Register an Open311 partner and print its API key once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the partner's name, e.g. the city platform")
        parser.add_argument("--district", required=True, help="the district's code")
        parser.add_argument("--key", help="use this key instead of a random one")

    def handle(self, *args: Any, **options: Any) -> None:
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"No district has the code {options['district']!r}.")
        try:
            partner, key = create_partner(
                district=district, name=options["name"], key=options["key"]
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Open311 partner #{partner.pk} {partner.name} ({district.code})")
        self.stdout.write(f"API key (shown once, keep it safe): {key}")
