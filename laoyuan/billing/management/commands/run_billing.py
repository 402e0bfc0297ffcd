"""Bill one month for a scope from the command line, in this process, with progress."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from laoyuan.billing import calc
from laoyuan.billing.enums import RunStatus
from laoyuan.billing.models import BillingRun
from laoyuan.billing.services import runs
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import Compound, District, Street


class Command(BaseCommand):
    help = (
        "Issue one month's bills for every house of the compounds in scope that have a posted "
        "fee scheme in force. Rerunnable: houses already billed for the month are left alone, "
        "so a rerun adds nothing and an interrupted run completes. Without a scope, each "
        "district is billed in turn."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="the month to bill, YYYY-MM")
        parser.add_argument("--district", help="district code")
        parser.add_argument("--street", help="street code")
        parser.add_argument("--company", help="property company code")
        parser.add_argument("--compound", help="compound code")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = calc.parse_period(options["period"])
        except ValueError as error:
            raise CommandError(f"--period: {error}") from None
        district = find(District, "district", options["district"])
        street = find(Street, "street", options["street"])
        company = find(PropertyCompany, "company", options["company"])
        compound = find(Compound, "compound", options["compound"])
        if compound is not None:
            if street is not None and compound.street_id != street.pk:
                raise CommandError(f"--compound {compound.code} is not in street {street.code}")
            if company is not None and compound.company_id != company.pk:
                raise CommandError(
                    f"--compound {compound.code} is not served by company {company.code}"
                )
            scopes = [
                runs.RunScope(
                    district=compound.district,
                    street=compound.street,
                    company=compound.company,
                    compound=compound,
                )
            ]
        elif street is not None:
            scopes = [runs.RunScope(district=street.district, street=street, company=company)]
        elif company is not None:
            scopes = [runs.RunScope(district=district or company.district, company=company)]
        else:
            districts = [district] if district else list(District.objects.order_by("code"))
            scopes = [runs.RunScope(district=d) for d in districts]
        if district is not None and any(s.district.pk != district.pk for s in scopes):
            raise CommandError(f"--district {district.code} does not hold that scope")
        failed = False
        for scope in scopes:
            run = runs.create_run(period=period, scope=scope, actor=None)
            named = scope.compound or scope.company or scope.street or scope.district
            self.stdout.write(f"run {run.pk}: {period:%Y-%m} for {named}")
            run = runs.execute_run(run_id=run.pk, on_progress=self.progress)
            skipped = len(runs.plan_run(run).skipped)
            self.stdout.write(
                f"run {run.pk} {run.status}: {run.bills_created} bills, {run.amount_created} "
                f"yuan; {run.compounds_total - skipped} compounds billed, {skipped} skipped "
                "(no company or no posted scheme in force)"
            )
            if run.status != RunStatus.DONE:
                self.stderr.write(f"run {run.pk} failed: {run.error}")
                failed = True
        if failed:
            raise CommandError("a billing run failed; run the same command again to complete it")

    def progress(self, run: BillingRun) -> None:
        self.stdout.write(
            f"  {run.compounds_done}/{run.compounds_total} compounds, "
            f"{run.bills_created} bills, {run.amount_created} yuan"
        )


def find(model: Any, name: str, code: str | None) -> Any:
    if code is None:
        return None
    found = model.objects.filter(code=code).first()
    if found is None:
        raise CommandError(f"--{name}: no {name} with the code {code!r}")
    return found
