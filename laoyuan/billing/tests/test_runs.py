import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import translation

from laoyuan import celery_app
from laoyuan.accounts.enums import Role
from laoyuan.billing import calc, checks, sql
from laoyuan.billing.enums import AccountKind, EntryKind, RunStatus, SchemeBasis
from laoyuan.billing.models import Account, Bill, BillingRun, JournalEntry, Posting
from laoyuan.billing.services import runs
from laoyuan.billing.services.bills import issue_bill
from laoyuan.billing.services.ledger import (
    Line,
    allocate_credit,
    balance,
    company_account,
    household_account,
    post_entry,
    unallocated_credit,
)
from laoyuan.billing.tests.factories import posted_scheme
from laoyuan.core.models import AuditEvent
from laoyuan.factories import BuildingFactory, CompoundFactory, HouseFactory
from laoyuan.places.enums import HouseStatus, ManagementMode
from laoyuan.places.models import Compound

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = (datetime.date(2026, m, 1) for m in (1, 2, 3))


@pytest.fixture(autouse=True)
def _tasks_in_process():
    """Tasks run in the test's process even when the suite has a broker (CI's second pass); the
    worker test in test_runs_concurrency sends one to a real worker."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


def run(period, **scope):
    """Create and execute a run as the command does (no permission check)."""
    compound = scope.get("compound")
    district = scope.pop("district", None) or (compound or scope.get("street")).district
    created = runs.create_run(
        period=period, scope=runs.RunScope(district=district, **scope), actor=None
    )
    return runs.execute_run(run_id=created.pk)


def serve(compound, company):
    Compound.objects.filter(pk=compound.pk).update(
        company=company, management_mode=ManagementMode.PUBLIC
    )
    compound.refresh_from_db()


def pay(house, amount):
    """A bare credit to the house's account, as a payment posts it."""
    account = household_account(house)
    cash = company_account(house.compound.company, AccountKind.CASH)
    amount = Decimal(amount)
    post_entry(
        kind=EntryKind.PAYMENT,
        lines=[Line(cash, amount), Line(account, -amount)],
        district_id=account.district_id,
        house_id=house.pk,
    )
    allocate_credit(account=account)


def ledger_totals():
    return {
        "accounts": Account.objects.count(),
        "bills": Bill.objects.aggregate(n=Count("pk"), amount=Sum("amount"), paid=Sum("paid")),
        "entries": JournalEntry.objects.values("kind").annotate(n=Count("pk")).order_by("kind"),
        "postings": Posting.objects.aggregate(n=Count("pk"), total=Sum("amount")),
    }


def as_list(totals):
    return {key: list(value) if key == "entries" else value for key, value in totals.items()}


def test_run_bills_86_40_m2_on_0_50_at_43_20(cast):
    posted_scheme(cast.a.compound, rate="0.50")
    done = run(JAN, compound=cast.a.compound, street=cast.a.street, company=cast.a.company)
    house = Bill.objects.get(house=cast.a.house, period=JAN)
    neighbour = Bill.objects.get(house=cast.a.neighbour_house, period=JAN)
    assert (house.list_amount, house.amount, house.paid, house.trial) == (
        Decimal("43.20"),
        Decimal("43.20"),
        Decimal("0.00"),
        False,
    )
    assert neighbour.amount == Decimal("30.00")
    assert (done.status, done.bills_created, done.amount_created) == (
        RunStatus.DONE,
        2,
        Decimal("73.20"),
    )
    assert balance(household_account(cast.a.house)) == Decimal("43.20")
    assert balance(company_account(cast.a.company, AccountKind.INCOME)) == Decimal("-73.20")
    entry = JournalEntry.objects.get(bill=house)
    assert (entry.kind, entry.run_id, entry.memo) == (EntryKind.CHARGE, done.pk, "2026-01")
    assert sorted(entry.postings.values_list("amount", "bill_id")) == [
        (Decimal("-43.20"), None),
        (Decimal("43.20"), house.pk),
    ]
    assert checks.first_discrepancy() is None


ANNUAL = ["150", "120", "60", "100.01", "0.11", "1234.57", "99999.99"]


def test_per_household_months_sum_exactly_to_the_year(cast):
    compounds = []
    for rate in ANNUAL:
        compound = CompoundFactory(grid=cast.a.grid)
        serve(compound, cast.a.company)
        HouseFactory(building=BuildingFactory(compound=compound), area=Decimal("55.55"))
        posted_scheme(compound, basis=SchemeBasis.PER_HOUSEHOLD, rate=rate)
        compounds.append(compound)
    for month in range(1, 13):
        run(datetime.date(2026, month, 1), street=cast.a.street, company=cast.a.company)
    for rate, compound in zip(ANNUAL, compounds, strict=True):
        amounts = list(
            Bill.objects.filter(compound=compound)
            .order_by("period")
            .values_list("amount", flat=True)
        )
        assert amounts == [calc.annual_share(Decimal(rate), month) for month in range(1, 13)]
        assert sum(amounts) == Decimal(rate)
    yearly = list(
        Bill.objects.filter(house__compound=compounds[0]).values_list("amount", flat=True)
    )
    assert yearly == [Decimal("12.50")] * 12
    assert sum(yearly) == Decimal("150.00")
    assert checks.first_discrepancy() is None


def test_trial_months_are_zero_with_their_list_amount_and_no_entry(cast):
    posted_scheme(cast.a.compound, effective_from=JAN, trial_months=2)
    for period in (JAN, FEB, MAR):
        run(period, compound=cast.a.compound)
    bills = list(Bill.objects.filter(house=cast.a.house).order_by("period"))
    assert [(b.amount, b.list_amount, b.trial) for b in bills] == [
        (Decimal("0.00"), Decimal("43.20"), True),
        (Decimal("0.00"), Decimal("43.20"), True),
        (Decimal("43.20"), Decimal("43.20"), False),
    ]
    assert [b.entries.count() for b in bills] == [0, 0, 1]
    assert checks.first_discrepancy() is None


def make_mixed_compound(cast):
    """Houses whose arithmetic is easy to get wrong: half fen, vacant and unsold shares."""
    compound = cast.a.compound
    building = BuildingFactory(compound=compound)
    for area, status in [
        ("60.05", HouseStatus.OCCUPIED),  # 30.025 → 30.03
        ("33.33", HouseStatus.VACANT),  # 16.665 → 16.67, at 50% 8.335 → 8.34
        ("86.43", HouseStatus.UNSOLD),  # 43.215 → 43.22, at 30% 12.966 → 12.97
        ("0.01", HouseStatus.OCCUPIED),  # 0.005 → 0.01
        ("99.99", HouseStatus.VACANT),
    ]:
        HouseFactory(building=building, area=Decimal(area), status=status)
    return compound


def snapshot(compound, period):
    rows = []
    for bill in Bill.objects.filter(compound=compound, period=period).order_by("house_id"):
        rows.append(
            (
                bill.house_id,
                bill.list_amount,
                bill.amount,
                bill.paid,
                bill.trial,
                bill.house_status,
                bill.company_id,
                bill.district_id,
                bill.street_id,
                bill.scheme_id,
                balance(bill.account),
                unallocated_credit(bill.account),
                sorted(
                    (p.amount, p.account.kind, p.bill_id is not None, p.entry.kind)
                    for p in Posting.objects.filter(entry__house_id=bill.house_id).select_related(
                        "account", "entry"
                    )
                ),
            )
        )
    return rows


@pytest.mark.parametrize(
    ("basis", "rate", "trial_months"),
    [
        (SchemeBasis.PER_AREA, "0.50", 0),
        (SchemeBasis.PER_AREA, "0.75", 0),
        (SchemeBasis.PER_HOUSEHOLD, "100.07", 0),
        (SchemeBasis.PER_AREA, "0.50", 3),
    ],
)
def test_set_based_run_equals_issue_bill(cast, basis, rate, trial_months):
    compound = make_mixed_compound(cast)
    scheme = posted_scheme(
        compound,
        basis=basis,
        rate=rate,
        effective_from=JAN,
        trial_months=trial_months,
        vacant_percent=50,
        unsold_percent=30,
    )
    pay(cast.a.house, "100.00")  # prepaid: the new bill is paid from the credit at once
    pay(cast.a.neighbour_house, "5.00")  # part of a bill
    houses = list(compound.houses.order_by("pk"))

    def reference():
        for house in houses:
            issue_bill(house=house, scheme=scheme, period=FEB)

    results = []
    for path in (reference, lambda: run(FEB, compound=compound)):
        with pytest.raises(RuntimeError), transaction.atomic():
            path()
            results.append(snapshot(compound, FEB))
            assert checks.first_discrepancy() is None
            raise RuntimeError("roll back to compare the other path on the same data")
    assert len(results[0]) == len(houses) == 7
    assert results[1] == results[0]
    by_house = {row[0]: row for row in results[1]}
    if trial_months == 0 and basis == SchemeBasis.PER_AREA and rate == "0.50":
        assert [by_house[h.pk][1:4] for h in houses] == [
            (Decimal("43.20"), Decimal("43.20"), Decimal("43.20")),  # paid from the 100.00
            (Decimal("30.00"), Decimal("30.00"), Decimal("5.00")),
            (Decimal("30.03"), Decimal("30.03"), Decimal("0.00")),
            (Decimal("16.67"), Decimal("8.34"), Decimal("0.00")),
            (Decimal("43.22"), Decimal("12.97"), Decimal("0.00")),
            (Decimal("0.01"), Decimal("0.01"), Decimal("0.00")),
            (Decimal("50.00"), Decimal("25.00"), Decimal("0.00")),
        ]


def test_rerun_changes_nothing(cast):
    posted_scheme(cast.a.compound)
    pay(cast.a.house, "50.00")
    first = run(JAN, street=cast.a.street)
    before = as_list(ledger_totals())
    again = run(JAN, street=cast.a.street)
    assert as_list(ledger_totals()) == before
    assert (first.bills_created, again.bills_created) == (2, 0)
    assert (again.status, again.amount_created, again.compounds_done) == (
        RunStatus.DONE,
        Decimal("0.00"),
        2,
    )
    # Executing a finished run again (a redelivered task) does nothing either.
    assert runs.execute_run(run_id=first.pk).bills_created == 2
    assert as_list(ledger_totals()) == before
    assert checks.first_discrepancy() is None


def test_interrupted_run_completes_when_run_again(cast, monkeypatch):
    second = CompoundFactory(grid=cast.a.grid)
    serve(second, cast.a.company)
    HouseFactory(building=BuildingFactory(compound=second), area=Decimal("70.00"))
    posted_scheme(cast.a.compound)
    posted_scheme(second)
    monkeypatch.setattr(runs, "CHUNK_HOUSES", 1)  # one compound a chunk
    real = sql.insert_postings
    calls = []

    def fail_on_second_chunk(cursor, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(cursor, **kwargs)

    monkeypatch.setattr(sql, "insert_postings", fail_on_second_chunk)
    started = run(JAN, street=cast.a.street)
    assert (started.status, started.error) == (RunStatus.FAILED, "RuntimeError: power cut")
    # The first chunk (compound a) committed; the second (rolled back) wrote nothing.
    assert (started.compounds_total, started.compounds_done, started.bills_created) == (3, 2, 2)
    assert set(Bill.objects.values_list("compound_id", flat=True)) == {cast.a.compound.pk}
    assert checks.first_discrepancy() is None
    monkeypatch.setattr(sql, "insert_postings", real)
    resumed = runs.execute_run(run_id=started.pk)
    assert (resumed.status, resumed.error, resumed.compounds_done) == (RunStatus.DONE, "", 3)
    assert (resumed.bills_created, resumed.amount_created) == (3, Decimal("108.20"))
    assert Bill.objects.filter(compound=second, amount=Decimal("35.00")).count() == 1
    assert Bill.objects.count() == 3
    assert checks.first_discrepancy() is None


def test_progress_counts_compounds_bills_and_amount(cast):
    posted_scheme(cast.a.compound)
    seen = []
    created = runs.create_run(
        period=JAN, scope=runs.RunScope(district=cast.district, street=cast.a.street), actor=None
    )
    assert runs.run_progress(created)["status"] == RunStatus.PENDING
    done = runs.execute_run(run_id=created.pk, on_progress=lambda r: seen.append(r.compounds_done))
    assert seen == [1, 2]  # the compound with no company at once, then a chunk
    assert runs.run_progress(done) == {
        "id": done.pk,
        "period": "2026-01",
        "status": RunStatus.DONE,
        "status_label": "Done",
        "compounds_total": 2,
        "compounds_done": 2,
        "percent": 100,
        "bills_created": 2,
        "amount_created": Decimal("73.20"),
        "error": "",
        "finished": True,
    }
    plan = runs.plan_run(done)
    assert [p.compound_id for p in plan.complete] == [cast.a.compound.pk]
    assert plan.to_bill == []
    assert [(p.compound_id, p.skipped) for p in plan.skipped] == [
        (cast.a.other_compound.pk, "no property company")
    ]
    assert AuditEvent.objects.filter(action="billing.run_done", target_id=done.pk).count() == 1


def test_scheme_of_another_company_or_none_is_skipped(cast):
    posted_scheme(cast.a.compound, company=cast.b.company)
    done = run(JAN, compound=cast.a.compound)
    assert (done.status, done.bills_created, done.compounds_total) == (RunStatus.DONE, 0, 1)
    assert runs.plan_run(done).skipped[0].skipped == "the scheme in force is another company's"
    assert not Bill.objects.exists()


def test_newest_posted_scheme_in_force_wins(cast):
    posted_scheme(cast.a.compound, rate="0.40", effective_from=datetime.date(2025, 1, 1))
    posted_scheme(cast.a.compound, rate="0.50", effective_from=FEB)
    run(JAN, compound=cast.a.compound)
    run(FEB, compound=cast.a.compound)
    assert list(
        Bill.objects.filter(house=cast.a.house).order_by("period").values_list("amount", flat=True)
    ) == [Decimal("34.56"), Decimal("43.20")]


# Requesting a run: who may bill what -----------------------------------------------------------


ALLOWED = [
    (Role.COMPANY, "company"),
    (Role.COMPANY, "compound"),
    (Role.COMPANY, None),
    (Role.STREET, "street"),
    (Role.STREET, "compound"),
    (Role.DISTRICT, "street"),
    (Role.DISTRICT, "compound"),
    (Role.DISTRICT, None),
]


@pytest.mark.parametrize(("role", "named"), ALLOWED)
def test_request_run_by_the_roles_that_bill(cast, role, named, django_capture_on_commit_callbacks):
    posted_scheme(cast.a.compound)
    scope = {
        "company": {"company": cast.a.company},
        "compound": {"compound": cast.a.compound},
        "street": {"street": cast.a.street},
        None: {},
    }[named]
    with django_capture_on_commit_callbacks(execute=True):
        requested = runs.request_run(period=JAN, actor=cast.users[role], **scope)
    assert requested.status == RunStatus.PENDING  # queued when the transaction commits
    requested.refresh_from_db()
    assert requested.status == RunStatus.DONE
    assert requested.requested_by == cast.users[role]
    assert requested.district_id == cast.district.pk
    assert Bill.objects.filter(house=cast.a.house, period=JAN, run=requested).count() == 1
    event = AuditEvent.objects.get(action="billing.run_requested", target_id=requested.pk)
    assert event.actor == cast.users[role]
    # The run is filed where the office that asked for it sees it (billing/scoping office_q).
    from laoyuan.accounts.scoping import scoped

    assert list(scoped(BillingRun.objects.all(), cast.users[role])) == [requested]


DENIED = [
    ("outsider", "street"),
    ("outsider", "compound"),
    ("other_district", "street"),
    (Role.COMMUNITY, "street"),
    (Role.GRID, "compound"),
    (Role.BRANCH, "compound"),
    (Role.COMMITTEE, "compound"),
    (Role.RESIDENT, "compound"),
    (Role.INSPECTOR, "street"),
    (Role.STREET, "company"),  # a street bills its own street, named as such
    (Role.COMPANY, "other_company"),
    (Role.COMPANY, "other_compound"),
]


@pytest.mark.parametrize(("who", "named"), DENIED)
def test_request_run_refused_out_of_scope_writes_nothing(
    cast, who, named, django_capture_on_commit_callbacks
):
    posted_scheme(cast.a.compound)
    posted_scheme(cast.b.compound)
    scope = {
        "company": {"company": cast.a.company},
        "compound": {"compound": cast.a.compound},
        "street": {"street": cast.a.street},
        "other_company": {"company": cast.b.company},
        "other_compound": {"compound": cast.b.compound},
    }[named]
    events = AuditEvent.objects.count()
    with (
        translation.override("en"),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as refused,
    ):
        runs.request_run(period=JAN, actor=cast.users[who], **scope)
    field = named.removeprefix("other_")
    assert refused.value.message_dict == {field: ["You may not run billing for this scope."]}
    assert not BillingRun.objects.exists()
    assert not Bill.objects.exists()
    assert AuditEvent.objects.count() == events


def test_request_run_refuses_mismatched_scope_and_far_months(cast):
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            runs.request_run(
                period=JAN,
                actor=cast.users[Role.DISTRICT],
                street=cast.b.street,
                compound=cast.a.compound,
            )
        assert refused.value.message_dict == {"compound": ["This compound is not in that street."]}
        with pytest.raises(ValidationError) as refused:
            runs.request_run(period=datetime.date(2099, 1, 1), actor=cast.users[Role.DISTRICT])
        assert list(refused.value.message_dict) == ["period"]
        with pytest.raises(ValidationError) as refused:
            runs.request_run(period=JAN, actor=cast.users[Role.RESIDENT])
        assert refused.value.message_dict == {
            "scope": ["Choose a street, company or compound to bill."]
        }
    assert not BillingRun.objects.exists()


# The command -----------------------------------------------------------------------------------


def test_run_billing_command_prints_progress_and_summary(cast):
    posted_scheme(cast.a.compound)
    out = io.StringIO()
    call_command("run_billing", "--period", "2026-01", "--street", cast.a.street.code, stdout=out)
    run_id = BillingRun.objects.get().pk
    assert out.getvalue().splitlines() == [
        f"run {run_id}: 2026-01 for {cast.a.street}",
        "  1/2 compounds, 0 bills, 0.00 yuan",
        "  2/2 compounds, 2 bills, 73.20 yuan",
        f"run {run_id} done: 2 bills, 73.20 yuan; 1 compounds billed, 1 skipped "
        "(no company or no posted scheme in force)",
    ]
    call_command(
        "run_billing", "--period", "2026-01", "--compound", cast.a.compound.code, stdout=out
    )
    assert Bill.objects.count() == 2
    assert checks.first_discrepancy() is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13"], "--period: '2026-13' is not a month in the form YYYY-MM"),
        (["--period", "January"], "--period: 'January' is not a month in the form YYYY-MM"),
        (["--period", "2026-01", "--street", "NOPE"], "--street: no street with the code 'NOPE'"),
        (
            ["--period", "2026-01", "--compound", "NOPE"],
            "--compound: no compound with the code 'NOPE'",
        ),
        (
            ["--period", "2026-01", "--company", "NOPE"],
            "--company: no company with the code 'NOPE'",
        ),
    ],
)
def test_run_billing_command_names_a_bad_argument(cast, args, message):
    with pytest.raises(CommandError) as error:
        call_command("run_billing", *args, stdout=io.StringIO())
    assert str(error.value) == message
    assert not BillingRun.objects.exists()


def test_run_billing_command_without_scope_bills_each_district(cast):
    posted_scheme(cast.a.compound)
    posted_scheme(cast.c.compound)
    call_command("run_billing", "--period", "2026-01", stdout=io.StringIO())
    assert BillingRun.objects.filter(status=RunStatus.DONE).count() == 2
    assert Bill.objects.count() == 4
