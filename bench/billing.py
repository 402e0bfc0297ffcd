"""Benchmark: one monthly billing run for 1,000,000 households on PostgreSQL, against its floor.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/billing.py [--households 1000000] [--rounds 1] [--regenerate] [--prepare]

It uses (and keeps, for the next time) a database ``laoyuan_bench_billing`` on the server named by
DATABASE_URL: migrated, then filled set-based in SQL with one district of 10 streets, 10 public
companies, compounds of 125 houses (5 buildings of 25; 1% of compounds have no company and are
skipped), floor areas 40.00-119.99 m², 5% of houses vacant and 2% unsold, and one posted scheme
per compound: per area at 0.50 / 0.35 / 0.75 a m² a month, or per household at 150 / 120 / 60 a
year; vacant houses pay 50%, unsold 30%; a tenth of the compounds are in their first trial month.

Then, in this process, on the same data (the ledger tables emptied with TRUNCATE between
contenders, so each starts with no accounts, bills, entries or postings), it times:

(a) ``run``: one district-wide monthly run through our code (``runs.create_run`` +
    ``runs.execute_run``: plan, chunks of whole compounds, account locks, progress), then the
    same run again (a rerun: nothing to add), then the next month (the accounts exist by then);
(b) ``floor``: the same rows (the run row, 1,000,000 household accounts and the companies'
    income accounts, the bills, one charge entry per non-zero bill and two postings each) written
    by plain set-based SQL in one transaction: one statement for the accounts, one chained
    ``INSERT ... RETURNING`` statement for bills, entries and postings; the same rerun and next
    month;
(c) ``bills only``: a single ``INSERT ... SELECT`` of the bill rows alone (the accounts kept),
    and, to show what the foreign-key checks cost, the same with the session's triggers off.

It checks that (a) and (b) wrote the same rows (counts and sums) and prints wall-clock seconds,
this process's CPU seconds and the PostgreSQL backend's CPU seconds (read from /proc, so the
server must be local), and the ratios. It runs at nice 10, its PostgreSQL backend too (when
allowed). Record the results in bench/README.md by hand.
"""

import argparse
import datetime
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NAME = "laoyuan_bench_billing"
HOUSES_PER_COMPOUND = 125
PERIOD = datetime.date(2026, 6, 1)
NEXT = datetime.date(2026, 7, 1)
LEDGER = "billing_posting, billing_journalentry, billing_bill, billing_account, billing_billingrun"


def bench_database(url: str) -> str:
    """The bench database's URL on DATABASE_URL's server, created when missing."""
    import psycopg

    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/billing.py needs DATABASE_URL=postgres://... (PostgreSQL)")
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [NAME]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{NAME}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{NAME}"))


def execute(sql: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, () if params is None else params)  # () so that %% means %
        return cursor.rowcount


def scalar(sql: str, params: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, () if params is None else params)
        return cursor.fetchone()[0]


def generate(households: int) -> None:
    """The places, companies and schemes, written set-based (about a minute for a million)."""
    compounds = -(-households // HOUSES_PER_COMPOUND)
    started = time.monotonic()
    execute(
        "TRUNCATE places_district, places_street, places_community, places_grid, "
        "places_compound, places_building, places_house, orgs_propertycompany, "
        f"billing_feescheme, {LEDGER} RESTART IDENTITY CASCADE"
    )
    execute("INSERT INTO places_district (id, code, name) VALUES (1, 'B1', 'Bench district')")
    execute(
        "INSERT INTO places_street (id, code, name, district_id) "
        "SELECT s, 'BS' || s, 'Street ' || s, 1 FROM generate_series(1, 10) s"
    )
    execute(
        "INSERT INTO places_community (id, code, name, district_id, street_id) "
        "SELECT s, 'BC' || s, 'Community ' || s, 1, s FROM generate_series(1, 10) s"
    )
    execute(
        "INSERT INTO places_grid (id, code, name, community_id, district_id, street_id) "
        "SELECT s, 'BG' || s, 'Grid ' || s, s, 1, s FROM generate_series(1, 10) s"
    )
    execute(
        "INSERT INTO orgs_propertycompany (id, code, name, kind, phone, district_id, street_id) "
        "SELECT s, 'BP' || s, 'Public company ' || s, 'public', '', 1, s "
        "FROM generate_series(1, 10) s"
    )
    # Every hundredth compound has no company (skipped by both contenders).
    execute(
        "INSERT INTO places_compound (id, code, name, address, build_year, renovated, "
        "open_space, parking_motor, parking_non_motor, area_m2, households, residents, "
        "management_mode, community_id, company_id, district_id, grid_id, street_id) "
        "SELECT c, 'BK' || c, 'Compound ' || c, '', 1990, FALSE, 'small', 0, 0, 0, 0, 0, "
        "CASE WHEN c %% 100 = 0 THEN 'unmanaged' ELSE 'public' END, c %% 10 + 1, "
        "CASE WHEN c %% 100 = 0 THEN NULL ELSE c %% 10 + 1 END, 1, c %% 10 + 1, c %% 10 + 1 "
        "FROM generate_series(1, %s) c",
        [compounds],
    )
    execute(
        "INSERT INTO places_building (number, floors, units, compound_id) "
        "SELECT b || '号楼', 6, 2, c.id FROM places_compound c, generate_series(1, 5) b "
        "ORDER BY c.id, b"
    )
    execute(
        "INSERT INTO places_house (unit, floor, room, area, status, building_id, compound_id, "
        "street_id) "
        "SELECT '1', (r - 1) / 5 + 1, ((r - 1) / 5 + 1) * 100 + (r - 1) %% 5 + 1, "
        "40 + ((b.id * 25 + r) * 37 %% 8000) / 100.0, "
        "CASE WHEN (b.id * 25 + r) %% 20 = 0 THEN 'vacant' "
        "WHEN (b.id * 25 + r) %% 50 = 1 THEN 'unsold' ELSE 'occupied' END, "
        "b.id, b.compound_id, c.street_id "
        "FROM places_building b JOIN places_compound c ON c.id = b.compound_id, "
        "generate_series(1, 25) r ORDER BY b.id, r"
    )
    execute(
        "INSERT INTO billing_feescheme (basis, rate, effective_from, trial_months, "
        "vacant_percent, unsold_percent, package, costs, note, status, proposed_at, "
        "cosigned_at, posted_on, company_id, compound_id, district_id, street_id) "
        "SELECT CASE WHEN c.id %% 5 < 3 THEN 'per_area' ELSE 'per_household' END, "
        "(ARRAY[0.50, 0.35, 0.75, 150, 120])[c.id %% 5 + 1], "
        "CASE WHEN c.id %% 10 = 7 THEN %s::date ELSE DATE '2026-01-01' END, "
        "CASE WHEN c.id %% 10 = 7 THEN 3 ELSE 0 END, 50, 30, '[]', '[]', '', 'posted', now(), "
        "now(), DATE '2025-11-01', c.company_id, c.id, c.district_id, c.street_id "
        "FROM places_compound c WHERE c.company_id IS NOT NULL",
        [PERIOD],
    )
    # A few per-household compounds at 60 a year (the third tier).
    execute(
        "UPDATE billing_feescheme SET rate = 60 WHERE basis = 'per_household' "
        "AND compound_id %% 20 = 4"
    )
    execute("VACUUM ANALYZE")
    print(
        f"generated {compounds:,} compounds and {households:,} houses in "
        f"{time.monotonic() - started:.1f} s"
    )


def reset(*, keep_accounts: bool = False) -> None:
    from django.db import connection

    tables = LEDGER.replace(", billing_account", "") if keep_accounts else LEDGER
    execute(f"TRUNCATE {tables} CASCADE")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_bill")
        cursor.execute("ANALYZE billing_journalentry")
        cursor.execute("ANALYZE billing_posting")
        cursor.execute("ANALYZE billing_account")
        cursor.execute("CHECKPOINT")


# (b) the floor and (c) the bills alone: plain SQL, as short as it can be -------------------------

SCHEMES = """
    billable AS (
        SELECT s.* FROM (
            SELECT DISTINCT ON (s.compound_id) s.* FROM billing_feescheme s
            WHERE s.status = 'posted' AND s.effective_from <= %(period)s
            ORDER BY s.compound_id, s.effective_from DESC, s.posted_on DESC, s.id DESC
        ) s JOIN places_compound c ON c.id = s.compound_id AND c.company_id = s.company_id
    )"""

BILL_ROWS = """
    SELECT h.id AS house_id, a.id AS account_id, h.compound_id, s.district_id, h.street_id,
        s.company_id, s.id AS scheme_id, %(run)s::bigint AS run_id, %(period)s::date AS period,
        l.list_amount,
        CASE WHEN t.trial THEN 0 ELSE round(l.list_amount * CASE h.status
            WHEN 'vacant' THEN s.vacant_percent WHEN 'unsold' THEN s.unsold_percent ELSE 100 END
            / 100, 2) END AS amount,
        0 AS paid, t.trial, h.status AS house_status, now() AS created_at
    FROM billable s
    JOIN places_house h ON h.compound_id = s.compound_id
    JOIN billing_account a ON a.house_id = h.id AND a.kind = 'household' AND a.closed_on IS NULL
    CROSS JOIN LATERAL (SELECT CASE WHEN s.basis = 'per_area' THEN round(h.area * s.rate, 2)
        ELSE floor(s.rate * 100 / 12) / 100
            + CASE WHEN %(month)s <= (s.rate * 100)::bigint %% 12 THEN 0.01 ELSE 0 END
        END AS list_amount) l
    CROSS JOIN LATERAL (SELECT (%(index)s - (extract(year FROM s.effective_from) * 12
        + extract(month FROM s.effective_from))) < s.trial_months AS trial) t
    WHERE TRUE"""

BILL_COLUMNS = (
    "house_id, account_id, compound_id, district_id, street_id, company_id, scheme_id, run_id, "
    "period, list_amount, amount, paid, trial, house_status, created_at"
)


def floor_params(period: datetime.date, run_id: int) -> dict[str, Any]:
    return {
        "period": period,
        "month": period.month,
        "index": period.year * 12 + period.month,
        "run": run_id,
    }


def floor_run(period: datetime.date) -> None:
    """(b): the run's rows by plain SQL, in one transaction."""
    from django.db import transaction

    with transaction.atomic():
        run_id = scalar(
            "INSERT INTO billing_billingrun (period, district_id, status, compounds_total, "
            "compounds_done, bills_created, amount_created, error, created_at) "
            "VALUES (%s, 1, 'done', 0, 0, 0, 0, '', now()) RETURNING id",
            [period],
        )
        params = floor_params(period, run_id)
        execute(
            "INSERT INTO billing_account (kind, district_id, street_id, company_id, name, "
            "opened_on) SELECT 'income', c.district_id, c.street_id, c.id, '', %(period)s "
            "FROM orgs_propertycompany c ON CONFLICT DO NOTHING",
            params,
        )
        execute(
            f"WITH {SCHEMES} INSERT INTO billing_account (kind, district_id, street_id, "
            "house_id, name, opened_on) "
            "SELECT 'household', c.district_id, h.street_id, h.id, '', %(period)s "
            "FROM billable s JOIN places_house h ON h.compound_id = s.compound_id "
            "JOIN places_compound c ON c.id = h.compound_id ON CONFLICT DO NOTHING",
            params,
        )
        execute(
            f"WITH {SCHEMES}, "
            f"b AS (INSERT INTO billing_bill ({BILL_COLUMNS}) {BILL_ROWS} "
            "ON CONFLICT DO NOTHING "
            "RETURNING id, account_id, amount, district_id, street_id, company_id, house_id), "
            "e AS (INSERT INTO billing_journalentry (kind, district_id, street_id, company_id, "
            "house_id, bill_id, run_id, reference, memo, created_at) "
            "SELECT 'charge', b.district_id, b.street_id, b.company_id, b.house_id, b.id, "
            "%(run)s, '', to_char(%(period)s::date, 'YYYY-MM'), now() FROM b WHERE b.amount > 0 "
            "RETURNING id, bill_id, company_id) "
            "INSERT INTO billing_posting (entry_id, account_id, amount, bill_id) "
            "SELECT e.id, b.account_id, b.amount, b.id FROM e JOIN b ON b.id = e.bill_id "
            "UNION ALL SELECT e.id, i.id, -b.amount, NULL FROM e JOIN b ON b.id = e.bill_id "
            "JOIN billing_account i ON i.company_id = e.company_id AND i.kind = 'income' "
            "AND i.house_id IS NULL",
            params,
        )


def bills_only(period: datetime.date, *, foreign_keys: bool = True) -> None:
    """(c): one INSERT ... SELECT of the bill rows alone (accounts already open). Without
    ``foreign_keys`` the session skips the foreign-key triggers (``session_replication_role``),
    to show what the checks cost; never done outside this measurement."""
    from django.db import transaction

    with transaction.atomic():
        if not foreign_keys:
            execute("SET LOCAL session_replication_role = replica")
        execute(
            f"WITH {SCHEMES} INSERT INTO billing_bill ({BILL_COLUMNS}) {BILL_ROWS}",
            floor_params(period, None),  # type: ignore[arg-type]
        )


# (a) our code ------------------------------------------------------------------------------------


def our_run(period: datetime.date) -> None:
    from laoyuan.billing.enums import RunStatus
    from laoyuan.billing.services import runs
    from laoyuan.places.models import District

    run = runs.create_run(
        period=period, scope=runs.RunScope(district=District.objects.get(pk=1)), actor=None
    )
    done = runs.execute_run(run_id=run.pk)
    if done.status != RunStatus.DONE:
        raise SystemExit(f"run {done.pk} failed: {done.error}")


# Measuring ---------------------------------------------------------------------------------------


def backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server)."""
    pid = scalar("SELECT pg_backend_pid()")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, action: Callable[[], None]) -> float:
    execute("CHECKPOINT")
    db_before, cpu_before, wall_before = backend_cpu(), time.process_time(), time.perf_counter()
    action()
    wall = time.perf_counter() - wall_before
    cpu = time.process_time() - cpu_before
    db = backend_cpu() - db_before
    print(f"  {label:<34} {wall:8.2f} s wall {cpu:7.2f} s cpu (python) {db:7.2f} s cpu (db)")
    return wall


def ledger_figures() -> tuple[Any, ...]:
    return tuple(
        scalar(sql)
        for sql in (
            "SELECT count(*) FROM billing_account",
            "SELECT count(*) FROM billing_bill",
            "SELECT sum(amount) FROM billing_bill",
            "SELECT sum(list_amount) FROM billing_bill",
            "SELECT count(*) FROM billing_bill WHERE trial",
            "SELECT count(*) FROM billing_journalentry",
            "SELECT count(*) FROM billing_posting",
            "SELECT sum(abs(amount)) FROM billing_posting",
        )
    )


def contender(name: str, month: Callable[[datetime.date], None]) -> dict[str, Any]:
    print(f"{name}:")
    reset()
    result = {
        "first": timed(f"{PERIOD:%Y-%m} (opens the accounts)", lambda: month(PERIOD)),
        "rerun": timed(f"{PERIOD:%Y-%m} again (adds nothing)", lambda: month(PERIOD)),
    }
    first = ledger_figures()
    result["next"] = timed(f"{NEXT:%Y-%m} (accounts open)", lambda: month(NEXT))
    result["figures"] = (first, ledger_figures())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1, help="repeat the comparison")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--prepare", action="store_true", help="build the data, measure nothing")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = bench_database(os.environ.get("DATABASE_URL", ""))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laoyuan.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False  # no query log
    # Keep the machine usable: this process and its PostgreSQL backend at a low priority.
    os.nice(10)
    try:
        os.setpriority(os.PRIO_PROCESS, scalar("SELECT pg_backend_pid()"), 10)
    except PermissionError:
        print("(the PostgreSQL backend keeps its priority: not allowed to lower it)")
    call_command("migrate", verbosity=0)
    houses = scalar("SELECT count(*) FROM places_house")
    if args.regenerate or houses != args.households:
        generate(args.households)
    billable = scalar(
        "SELECT count(*) FROM places_house h JOIN places_compound c ON c.id = h.compound_id "
        "WHERE c.company_id IS NOT NULL"
    )
    print(
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}, "
        f"{scalar('SELECT count(*) FROM places_house'):,} houses, {billable:,} billable, "
        f"database {NAME}"
    )
    if args.prepare:
        return
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}")
        floor = contender("(b) floor: plain set-based SQL", floor_run)
        print("(c) bills only:")
        reset(keep_accounts=True)
        bills = timed(f"{PERIOD:%Y-%m} bill rows alone", lambda: bills_only(PERIOD))
        reset(keep_accounts=True)
        timed(
            "the same, foreign keys unchecked",
            lambda: bills_only(PERIOD, foreign_keys=False),
        )
        ours = contender("(a) run: runs.execute_run", our_run)
        same = ours["figures"] == floor["figures"]
        print(f"same rows written by (a) and (b): {'yes' if same else 'NO'}")
        if not same:
            print(f"  (a) {ours['figures']}\n  (b) {floor['figures']}")
        print(
            f"ratios: run / floor {ours['first'] / floor['first']:.2f} "
            f"(next month {ours['next'] / floor['next']:.2f}); "
            f"rerun / floor's rerun {ours['rerun'] / floor['rerun']:.2f}; "
            f"run / bills only {ours['first'] / bills:.2f}; "
            f"floor / bills only {floor['first'] / bills:.2f}"
        )


if __name__ == "__main__":
    main()
