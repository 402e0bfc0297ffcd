"""Import a registry workbook from the shell, as a user, with the same checks as the page.

Exit status: 0 imported; 1 rejected (the first errors are printed, the report path too);
2 the file, the user or their rights are unusable.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from laoyuan.accounts.models import User
from laoyuan.imports.services import import_registry
from laoyuan.imports.xlsx import WorkbookError


class Command(BaseCommand):
    help = (
        "Import compounds, buildings, houses and residents from an .xlsx workbook (all or nothing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx workbook")
        parser.add_argument(
            "--as", dest="username", required=True, help="the importing user (their scope applies)"
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the error messages",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user {options['username']!r}.", returncode=2) from None
        if not path.is_file():
            raise CommandError(f"No file {path}.", returncode=2)
        with translation.override(options["language"]), path.open("rb") as file:
            try:
                batch = import_registry(file=file, file_name=path.name, actor=user)
            except PermissionDenied:
                raise CommandError(
                    f"{user.username} may not import: only district, street and community "
                    "offices import the registry.",
                    returncode=2,
                ) from None
            except WorkbookError as exc:
                raise CommandError("\n".join(exc.messages), returncode=2) from None
        if batch.is_ok:
            self.stdout.write(
                f"Import #{batch.pk}: {batch.compounds} compounds, {batch.buildings} buildings, "
                f"{batch.houses} houses, {batch.persons} residents ({batch.seconds} s)."
            )
            for note in batch.notes:
                self.stdout.write(note)
            return
        for error in batch.first_errors:
            self.stderr.write(
                f"{error['sheet']} row {error['row']}, {error['column']} "
                f"[{error['value']}]: {error['message']}"
            )
        more = batch.error_count - len(batch.first_errors)
        if more > 0:
            self.stderr.write(f"... and {more} more.")
        raise CommandError(
            f"Import #{batch.pk} rejected with {batch.error_count} errors; nothing was written. "
            f"Report: {batch.report.path}",
            returncode=1,
        )
