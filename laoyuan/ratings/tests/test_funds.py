"""The long-term management fund: the district pays in, and at year end a public company returns
its rule's share of its surplus on a compound (fees charged and subsidies, less its declared
costs) into the compound's fund, once."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks as ledger_checks
from laoyuan.billing.enums import AccountKind, EntryKind
from laoyuan.billing.models import JournalEntry
from laoyuan.billing.services.ledger import balance, company_account
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.factories import user_with
from laoyuan.places.models import Compound
from laoyuan.ratings.models import CostStatement, ProfitReturn
from laoyuan.ratings.services import funds

pytestmark = pytest.mark.django_db

D = Decimal


def ready(cast, *, costs="400.00"):
    """House A billed 12 months of 2025 at 86.40 m² × 0.50 = 43.20 (518.40 in all), house B's
    neighbour too at 60 m² × 0.50 = 30.00 (360.00): 878.40 of fees; the rule returns half."""
    posted_scheme(cast.a.compound, rate="0.50")
    for month in range(1, 13):
        bill(cast.a.house, datetime.date(2025, month, 1))
        bill(cast.a.neighbour_house, datetime.date(2025, month, 1))
    funds.set_rule(
        actor=cast.users[Role.DISTRICT],
        district=cast.district,
        effective_from=datetime.date(2025, 1, 1),
        profit_share="0.50",
        note="年度盈余的50%返还楼院长效物业管理基金",
    )
    funds.declare_costs(
        actor=cast.users[Role.COMPANY], compound=cast.a.compound, year="2025", amount=costs
    )


def test_half_the_surplus_goes_back_to_the_compounds_fund(cast):
    ready(cast)

    row = funds.return_profit(actor=cast.users[Role.DISTRICT], compound=cast.a.compound, year=2025)

    assert (row.income, row.costs, row.surplus, row.share, row.amount) == (
        D("878.40"),
        D("400.00"),
        D("478.40"),
        D("0.50"),
        D("239.20"),
    )
    assert funds.fund_balance(cast.a.compound) == D("239.20")
    assert row.entry.kind == EntryKind.PROFIT_RETURN
    assert ledger_checks.first_discrepancy() is None


def test_a_loss_returns_nothing_and_a_second_return_is_refused(cast):
    ready(cast, costs="1000.00")
    income_before = balance(company_account(cast.a.company, AccountKind.INCOME))

    row = funds.return_profit(actor=cast.users[Role.DISTRICT], compound=cast.a.compound, year=2025)

    assert (row.surplus, row.amount, row.entry) == (D("-121.60"), D("0.00"), None)
    assert balance(company_account(cast.a.company, AccountKind.INCOME)) == income_before
    with pytest.raises(ValidationError) as error:
        funds.return_profit(actor=cast.users[Role.DISTRICT], compound=cast.a.compound, year=2025)
    assert error.value.message_dict == {"year": ["The profit return for 2025 is done."]}
    assert ProfitReturn.objects.count() == 1


def test_costs_must_be_declared_and_only_by_the_company(cast):
    posted_scheme(cast.a.compound, rate="0.50")
    funds.set_rule(
        actor=cast.users[Role.DISTRICT],
        district=cast.district,
        effective_from=datetime.date(2025, 1, 1),
        profit_share="0.50",
        note="",
    )
    with pytest.raises(ValidationError) as error:
        funds.return_profit(actor=cast.users[Role.DISTRICT], compound=cast.a.compound, year=2025)
    assert error.value.message_dict == {
        "year": ["The company has not declared its costs for 2025."]
    }
    for role in (Role.STREET, Role.DISTRICT, Role.COMMITTEE, "outsider"):
        with pytest.raises(PermissionDenied):
            funds.declare_costs(
                actor=cast.users[role], compound=cast.a.compound, year=2025, amount="1.00"
            )


def test_the_district_pays_into_a_fund_once_per_reference(cast):
    district = cast.users[Role.DISTRICT]

    first = funds.pay_in(actor=district, compound=cast.a.compound, amount="5000.00", reference="A1")
    again = funds.pay_in(actor=district, compound=cast.a.compound, amount="5000.00", reference="A1")

    assert first == again
    assert funds.fund_balance(cast.a.compound) == D("5000.00")
    assert JournalEntry.objects.filter(kind=EntryKind.FUNDING).count() == 1
    for role in (Role.STREET, Role.COMPANY, "other_district"):
        with pytest.raises(PermissionDenied):
            funds.pay_in(
                actor=cast.users[role], compound=cast.a.compound, amount="1.00", reference="X"
            )


def test_a_year_not_ended_has_no_costs_and_no_return(cast):
    ready(cast)
    this_year = timezone.localdate().year
    refusal = {"year": [f"{this_year} has not ended yet: choose a past year."]}

    with pytest.raises(ValidationError) as error:
        funds.declare_costs(
            actor=cast.users[Role.COMPANY], compound=cast.a.compound, year=this_year, amount="1"
        )
    assert error.value.message_dict == refusal
    for year in (this_year, this_year + 1):
        with pytest.raises(ValidationError) as error:
            funds.return_profit(
                actor=cast.users[Role.DISTRICT], compound=cast.a.compound, year=year
            )
        assert error.value.message_dict == {
            "year": [f"{year} has not ended yet: choose a past year."]
        }
    with pytest.raises(ValidationError) as error:
        funds.return_profits(
            actor=cast.users[Role.DISTRICT], district=cast.district, year=this_year
        )
    assert error.value.message_dict == refusal
    assert (CostStatement.objects.count(), ProfitReturn.objects.count()) == (1, 0)
    # The past year is still open to its one return.
    row = funds.return_profit(actor=cast.users[Role.DISTRICT], compound=cast.a.compound, year=2025)
    assert row.amount == D("239.20")


def test_a_reference_already_used_for_another_pay_in_is_refused(cast):
    district = cast.users[Role.DISTRICT]
    funds.pay_in(actor=district, compound=cast.a.compound, amount="5000.00", reference="GK-7")
    refusal = {"reference": ["Reference GK-7 was already used for another pay-in."]}

    with pytest.raises(ValidationError) as error:
        funds.pay_in(actor=district, compound=cast.a.compound, amount="500.00", reference="GK-7")
    assert error.value.message_dict == refusal
    with pytest.raises(ValidationError) as error:
        funds.pay_in(actor=district, compound=cast.b.compound, amount="5000.00", reference="GK-7")
    assert error.value.message_dict == refusal
    assert (funds.fund_balance(cast.a.compound), funds.fund_balance(cast.b.compound)) == (
        D("5000.00"),
        D("0.00"),
    )
    assert JournalEntry.objects.filter(kind=EntryKind.FUNDING).count() == 1


def test_a_batch_of_returns_is_all_or_nothing(cast, monkeypatch):
    """Two compounds due; the second is refused (a return made meanwhile, say): neither is
    posted and the refusal names the compound."""
    ready(cast)
    posted_scheme(cast.b.compound, rate="0.50")
    bill(cast.b.house, datetime.date(2025, 6, 1))
    funds.declare_costs(
        actor=user_with(Role.COMPANY, cast.b.company),
        compound=cast.b.compound,
        year=2025,
        amount="0",
    )
    assert [c.pk for c in funds.due_returns(cast.district.pk, 2025)] == sorted(
        [cast.a.compound.pk, cast.b.compound.pk],
        key=lambda pk: Compound.objects.get(pk=pk).code,
    )
    real = funds.return_profit
    refused_pk = funds.due_returns(cast.district.pk, 2025)[1].pk

    def second_refused(*, actor, compound, year):
        if compound.pk == refused_pk:
            raise ValidationError({"year": ["The profit return for 2025 is done."]})
        return real(actor=actor, compound=compound, year=year)

    monkeypatch.setattr(funds, "return_profit", second_refused)
    with pytest.raises(ValidationError) as error:
        funds.return_profits(actor=cast.users[Role.DISTRICT], district=cast.district, year=2025)
    name = Compound.objects.get(pk=refused_pk).name
    assert error.value.message_dict == {
        "year": [f"{name}: The profit return for 2025 is done. Nothing was returned."]
    }
    assert ProfitReturn.objects.count() == 0
    assert JournalEntry.objects.filter(kind=EntryKind.PROFIT_RETURN).count() == 0
    assert funds.fund_balance(cast.a.compound) == D("0.00")

    monkeypatch.setattr(funds, "return_profit", real)
    made = funds.return_profits(actor=cast.users[Role.DISTRICT], district=cast.district, year=2025)
    assert {row.compound_id: row.amount for row in made} == {
        cast.a.compound.pk: D("239.20"),
        # One month on side B's 86.40 m² at 0.50 (43.20), no costs, half returned.
        cast.b.compound.pk: D("21.60"),
    }
    assert ledger_checks.first_discrepancy() is None
