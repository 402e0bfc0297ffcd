"""``python manage.py overview [--json] [--as USERNAME] [--period YYYY-MM]``: the district
figures, as the pages and the API show them (``dashboard.queries.overview``), for the whole
district or one user's scope; collection and arrears for the month (default: the latest billed),
work orders and the time bank for the month (default: this month)."""

import json
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from laoyuan.accounts.models import User
from laoyuan.dashboard.queries import overview, parse_month
from laoyuan.timebank.models import minutes_label


def whole_district_viewer() -> User:
    """An unsaved superuser: ``accounts.scoping.scope_for`` gives a superuser everything."""
    return User(username="overview", is_superuser=True, is_active=True)


def _area(value: float) -> str:
    return f"{value:,.2f}"


def render_table(figures: dict[str, Any]) -> str:
    """The figures as plain-text tables, for people reading a terminal."""
    lines = [
        f"{'compounds':<18}{figures['compounds']:>16,}",
        f"{'area (m²)':<18}{_area(figures['area_m2']):>16}",
        f"{'households':<18}{figures['households']:>16,}",
        f"{'residents':<18}{figures['residents']:>16,}",
        f"{'committees':<18}{figures['committees']:>16,}",
        f"{'party branches':<18}{figures['party_branches']:>16,}",
        f"{'agency branches':<18}{figures['agency_branches']:>16,}",
        f"{'cadres':<18}{figures['cadres']:>16,}",
        "",
        f"{'mode':<18}{'compounds':>10}{'area (m²)':>16}{'households':>12}",
    ]
    for mode, row in figures["by_mode"].items():
        lines.append(
            f"{mode:<18}{row['compounds']:>10,}{_area(row['area_m2']):>16}{row['households']:>12,}"
        )
    public = figures["public_companies"]
    lines += [
        "",
        f"public companies: {public['count']} serving {public['compounds']:,} compounds, "
        f"{_area(public['area_m2'])} m², {public['households']:,} households",
        "",
        f"{'street':<24}{'code':<12}{'compounds':>10}{'area (m²)':>16}{'households':>12}",
    ]
    for row in figures["by_street"]:
        # Chinese characters take two columns in a terminal.
        name = row["name"] + " " * max(0, 24 - 2 * len(row["name"]))
        lines.append(
            f"{name}{row['code']:<12}{row['compounds']:>10,}"
            f"{_area(row['area_m2']):>16}{row['households']:>12,}"
        )
    collection = figures["collection"]
    if collection is not None:
        rate = collection["rate"]
        lines += [
            "",
            f"collection {collection['period'] or '(nothing billed)'}: "
            f"billed {collection['billed']}, paid {collection['paid']}, "
            f"rate {'-' if rate is None else f'{Decimal(rate) * 100:.2f}%'}",
            "",
            f"{'months overdue':<18}{'households':>12}{'amount':>16}",
        ]
        for bucket, row in figures["arrears_by_age"].items():
            lines.append(f"{bucket:<18}{row['households']:>12,}{row['amount']:>16}")
    orders = figures.get("work_orders")
    if orders is not None:
        lines += ["", *work_order_lines(orders)]
    timebank = figures.get("timebank")
    if timebank is not None:
        lines += ["", *timebank_lines(timebank)]
    stars = figures.get("stars")
    if stars is not None:
        lines += [
            "",
            "compounds by stars (latest final rating): "
            + ", ".join(f"{level}★ {stars[level]:,}" for level in sorted(stars, reverse=True)),
        ]
    subsidy = figures.get("subsidies")
    if subsidy is not None:
        lines.append(
            f"subsidies {subsidy['period']}: {subsidy['amount']} yuan to "
            f"{subsidy['compounds']:,} compounds"
        )
    return "\n".join(lines)


def _percent(rate: str | None) -> str:
    return "-" if rate is None else f"{Decimal(rate) * 100:.2f}%"


def work_order_lines(orders: dict[str, Any]) -> list[str]:
    hours = orders["avg_hours_to_verify"]
    lines = [
        f"work orders {orders['period']}: reported {orders['created']:,}, "
        f"open now {orders['open']:,}, overdue now {orders['overdue']:,}",
        f"{'response rate':<24}{_percent(orders['response_rate']):>10}",
        f"{'resolution rate':<24}{_percent(orders['resolution_rate']):>10}",
        f"{'satisfaction rate':<24}{_percent(orders['satisfaction_rate']):>10}",
        f"{'hours to verify (mean)':<24}{'-' if hours is None else hours:>10}",
    ]
    reported = [(status, n) for status, n in orders["by_status"].items() if n]
    if reported:
        lines.append("reported, by status now: " + ", ".join(f"{s} {n:,}" for s, n in reported))
    return lines


def timebank_lines(figures: dict[str, Any]) -> list[str]:
    return [
        f"time bank {figures['period']}: "
        f"{figures['volunteer_orgs']:,} volunteer organisations, "
        f"{figures['volunteers']:,} volunteers",
        f"{'hours verified':<24}{minutes_label(figures['minutes_verified']):>10}",
        f"{'offsets (yuan)':<24}{figures['offsets_yuan']:>10}",
        f"{'left in pools (yuan)':<24}{figures['pool_balance']:>10}",
    ]


class Command(BaseCommand):
    help = "Print the district figures (the overview), for the whole district or one user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument(
            "--as", dest="username", metavar="USERNAME", help="only what this user may see"
        )
        parser.add_argument(
            "--period",
            metavar="YYYY-MM",
            help=(
                "month of the collection and arrears figures (default: the latest billed) "
                "and of the work-order and time-bank figures (default: this month)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if username is None:
            viewer = whole_district_viewer()
        else:
            found = User.objects.filter(username=username).first()
            if found is None:
                raise CommandError(f"No user named {username!r}.")
            viewer = found
        period = None
        if options["period"] is not None:
            try:
                period = parse_month(options["period"])
            except ValueError as exc:
                raise CommandError(f"--period: {exc}.") from None
        figures = overview(user=viewer, period=period)
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_table(figures))
