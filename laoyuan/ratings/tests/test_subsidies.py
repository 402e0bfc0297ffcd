"""Subsidies: rate by star × floor area for 36 months from the first qualifying rating, computed
by a run, approved by the district and posted from the subsidy fund to the compound's manager;
reruns post nothing new and the ledger still balances."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks as ledger_checks
from laoyuan.billing.enums import AccountKind, EntryKind
from laoyuan.billing.models import JournalEntry
from laoyuan.billing.services.ledger import balance, company_account, compound_account
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound
from laoyuan.ratings.enums import SubsidyRunStatus, SubsidyState
from laoyuan.ratings.models import Subsidy, SubsidyRun
from laoyuan.ratings.services import subsidies
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
RATES = {1: "0.10", 2: "0.15", 3: "0.20", 4: "0.25", 5: "0.30"}


def four_stars(cast, *, area="10000.00", final_on=datetime.date(2026, 1, 20)):
    """Compound A: 10,000 m², rated four stars, final on ``final_on``; the rate table from
    2026-01 and a funded subsidy fund."""
    Compound.objects.filter(pk=cast.a.compound.pk).update(area_m2=D(area))
    evaluation = h.scored_88_5(cast)
    h.final(
        cast,
        evaluation,
        published_on=final_on - datetime.timedelta(days=10),
        final_on=final_on,
    )
    district = cast.users[Role.DISTRICT]
    subsidies.set_rates(
        actor=district, district=cast.district, effective_from="2026-01", rates=RATES
    )
    subsidies.pay_into_fund(
        actor=district, district=cast.district, amount="100000.00", reference="拨款-2026-1"
    )
    return evaluation


def run(cast, period):
    return subsidies.compute(district=cast.district, period=period, actor=cast.users[Role.DISTRICT])


def test_a_four_star_10000_m2_compound_earns_2500_a_month(cast):
    four_stars(cast)

    computed = run(cast, "2026-02")

    line = Subsidy.objects.get()
    assert (line.month, line.stars, line.area_m2, line.rate, line.amount, line.state) == (
        2,
        4,
        D("10000.00"),
        D("0.25"),
        D("2500.00"),
        SubsidyState.COMPUTED,
    )
    assert (computed.compounds, computed.amount, computed.status) == (
        1,
        D("2500.00"),
        SubsidyRunStatus.COMPUTED,
    )
    assert line.payee == company_account(cast.a.company, AccountKind.SUBSIDY_INCOME)


def test_approval_posts_from_the_fund_to_the_company_and_the_ledger_balances(cast):
    four_stars(cast)
    computed = run(cast, "2026-02")

    subsidies.approve(actor=cast.users[Role.DISTRICT], run=computed)

    line = Subsidy.objects.get()
    assert line.state == SubsidyState.POSTED
    entry = JournalEntry.objects.get(kind=EntryKind.SUBSIDY)
    assert line.entry == entry
    assert subsidies.fund_left(cast.district.pk) == D("97500.00")
    assert balance(company_account(cast.a.company, AccountKind.SUBSIDY_INCOME)) == D("-2500.00")
    assert ledger_checks.first_discrepancy() is None


def test_the_first_month_is_the_month_of_the_first_qualifying_rating_and_37_earns_nothing(cast):
    four_stars(cast, final_on=datetime.date(2026, 1, 20))

    assert Subsidy.objects.count() == 0
    assert run(cast, "2025-12") is None  # before the rating
    assert run(cast, "2026-01").subsidies.get().month == 1
    assert run(cast, "2028-12").subsidies.get().month == 36
    assert run(cast, "2029-01") is None  # month 37


def test_an_unrenovated_compound_earns_nothing(cast):
    four_stars(cast)
    Compound.objects.filter(pk=cast.a.compound.pk).update(renovated=False)

    assert run(cast, "2026-02") is None
    assert SubsidyRun.objects.count() == 0


def test_a_vetoed_rating_earns_nothing(cast):
    Compound.objects.filter(pk=cast.a.compound.pk).update(area_m2=D("10000.00"))
    evaluation = h.scored_88_5(cast, veto="V2")
    h.final(
        cast,
        evaluation,
        published_on=datetime.date(2026, 1, 1),
        final_on=datetime.date(2026, 1, 20),
    )
    subsidies.set_rates(
        actor=cast.users[Role.DISTRICT],
        district=cast.district,
        effective_from="2026-01",
        rates=RATES,
    )

    assert run(cast, "2026-02") is None


def test_a_rerun_of_a_period_posts_nothing_new(cast):
    four_stars(cast)
    first = run(cast, "2026-02")
    assert (err := _refused(run, cast, "2026-02")) == {
        "period": ["A run of 2026-02 waits for approval: approve or cancel it first."]
    }, err
    subsidies.approve(actor=cast.users[Role.DISTRICT], run=first)
    entries = JournalEntry.objects.count()

    assert run(cast, "2026-02") is None

    assert (SubsidyRun.objects.count(), Subsidy.objects.count()) == (1, 1)
    assert JournalEntry.objects.count() == entries
    assert subsidies.fund_left(cast.district.pk) == D("97500.00")


def _refused(call, *args):
    with pytest.raises(ValidationError) as error:
        call(*args)
    return error.value.message_dict


def test_a_cancelled_run_may_be_computed_again(cast):
    four_stars(cast)
    first = run(cast, "2026-02")

    subsidies.cancel(actor=cast.users[Role.DISTRICT], run=first, reason="面积待核")
    second = run(cast, "2026-02")
    first.refresh_from_db()

    assert (first.status, second.status) == (SubsidyRunStatus.CANCELLED, SubsidyRunStatus.COMPUTED)
    assert list(Subsidy.objects.order_by("id").values_list("state", flat=True)) == [
        SubsidyState.CANCELLED,
        SubsidyState.COMPUTED,
    ]


def test_approval_is_refused_when_the_fund_is_short(cast):
    four_stars(cast, area="500000.00")  # 125,000.00 a month; the fund holds 100,000.00
    computed = run(cast, "2026-02")

    with pytest.raises(ValidationError) as error:
        subsidies.approve(actor=cast.users[Role.DISTRICT], run=computed)

    assert error.value.message_dict == {
        "run": ["The subsidy fund holds 100000.00 yuan, less than the run's 125000.00."]
    }
    assert JournalEntry.objects.filter(kind=EntryKind.SUBSIDY).count() == 0


def test_a_fund_transfer_is_paid_in_once_by_its_reference(cast):
    district = cast.users[Role.DISTRICT]
    first = subsidies.pay_into_fund(
        actor=district, district=cast.district, amount="800.00", reference="拨款-1"
    )
    again = subsidies.pay_into_fund(
        actor=district, district=cast.district, amount="800.00", reference="拨款-1"
    )
    assert again == first
    with pytest.raises(ValidationError) as error:
        subsidies.pay_into_fund(
            actor=district, district=cast.district, amount="900.00", reference="拨款-1"
        )
    assert error.value.message_dict == {
        "reference": ["Reference 拨款-1 was already used for another pay-in."]
    }
    with pytest.raises(ValidationError) as error:
        subsidies.pay_into_fund(
            actor=district, district=cast.district, amount="900.00", reference="x" * 61
        )
    assert error.value.message_dict == {
        "reference": ["Enter the transfer's reference (at most 60)."]
    }
    assert subsidies.fund_left(cast.district.pk) == D("800.00")
    assert JournalEntry.objects.filter(kind=EntryKind.FUNDING).count() == 1


def test_an_owner_managed_compound_is_paid_to_its_committees_account(cast):
    four_stars(cast)
    Compound.objects.filter(pk=cast.a.compound.pk).update(
        management_mode=ManagementMode.OWNER_SELF, company=None
    )

    computed = run(cast, "2026-02")
    subsidies.approve(actor=cast.users[Role.DISTRICT], run=computed)

    committee = compound_account(cast.a.compound, AccountKind.COMMITTEE)
    assert Subsidy.objects.get().payee == committee
    assert balance(committee) == D("-2500.00")


@pytest.mark.parametrize("role", [Role.STREET, Role.COMPANY, Role.INSPECTOR, "other_district"])
def test_only_the_district_computes_approves_and_sets_rates(cast, role):
    four_stars(cast)
    computed = run(cast, "2026-02")
    actor = cast.users[role]

    with pytest.raises(PermissionDenied):
        subsidies.approve(actor=actor, run=computed)
    with pytest.raises(PermissionDenied):
        subsidies.compute(district=cast.district, period="2026-03", actor=actor)
    with pytest.raises(PermissionDenied):
        subsidies.set_rates(
            actor=actor, district=cast.district, effective_from="2026-03", rates=RATES
        )
    assert Subsidy.objects.filter(state=SubsidyState.POSTED).count() == 0


def test_rates_are_capped_at_0_30_and_rise_with_the_stars(cast):
    with pytest.raises(ValidationError) as error:
        subsidies.set_rates(
            actor=cast.users[Role.DISTRICT],
            district=cast.district,
            effective_from="2026-01",
            rates={1: "0.10", 2: "0.05", 3: "0.2", 4: "abc", 5: "0.31"},
        )
    assert error.value.message_dict == {
        "stars_2": ["More stars may not earn less than fewer stars."],
        "stars_4": ["Enter a rate in yuan per m² per month."],
        "stars_5": ["Enter a rate from 0.00 to 0.30 yuan."],
    }


def test_the_command_computes_a_period(cast):
    four_stars(cast)
    out = io.StringIO()

    call_command("run_subsidies", "--period", "2026-02", stdout=out)

    assert out.getvalue().splitlines() == [
        "中原区 2026-02: nothing new to pay.",  # the other district: nothing rated
        f"{cast.district.name} 2026-02: 1 compounds, 2500.00 yuan, waiting for approval "
        f"(run {SubsidyRun.objects.get().pk}).",
    ]
    again = io.StringIO()
    call_command(
        "run_subsidies", "--period", "2026-02", "--district", cast.district.code, stdout=again
    )
    assert again.getvalue().splitlines() == [
        f"{cast.district.name} 2026-02: a run waits for approval; approve or cancel it first."
    ]
    with pytest.raises(CommandError, match="No district has the code 999"):
        call_command("run_subsidies", "--period", "2026-02", "--district", "999")
    with pytest.raises(CommandError, match="Enter a month as YYYY-MM"):
        call_command("run_subsidies", "--period", "2026/02")
