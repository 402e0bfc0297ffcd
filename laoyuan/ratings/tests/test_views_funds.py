"""The long-term fund pages: the district's rule, pay-ins and year-end returns, the company's
costs, the compound's fund with its rules shown; refusals on the page; every other role kept
out."""

import datetime
from decimal import Decimal

import pytest

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks as ledger_checks
from laoyuan.billing.models import JournalEntry
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.factories import anonymous, as_user
from laoyuan.ratings.models import CostStatement, FundRule, ProfitReturn
from laoyuan.ratings.services import funds

pytestmark = pytest.mark.django_db

D = Decimal
FUNDS = "/ratings/funds/"


def text(response):
    return response.content.decode()


def billed_2025(cast):
    """878.40 of fees on side A's compound in 2025 (see test_funds.ready)."""
    posted_scheme(cast.a.compound, rate="0.50")
    for month in range(1, 13):
        bill(cast.a.house, datetime.date(2025, month, 1))
        bill(cast.a.neighbour_house, datetime.date(2025, month, 1))


def test_the_fund_from_rule_to_year_end_return_through_the_pages(cast):
    billed_2025(cast)
    district = as_user(cast.users[Role.DISTRICT])
    compound_url = f"/ratings/funds/compounds/{cast.a.compound.pk}/"
    empty = text(district.get(FUNDS))
    assert "data-no-rule" in empty and "data-empty" in empty

    response = district.post(
        "/ratings/funds/rule/",
        {
            "effective_from": "2025-01-01",
            "profit_share": "0.50",
            "note": "年度盈余的50%返还楼院长效物业管理基金",
        },
    )
    assert response.status_code == 302
    page = text(district.get(FUNDS))
    assert "a share of 0.50 of the surplus is returned" in page
    assert "年度盈余的50%返还楼院长效物业管理基金" in page

    response = district.post(
        f"{compound_url}pay-in/", {"amount": "500.00", "reference": "GK-2025-001"}
    )
    assert response.status_code == 302
    # The same transfer again pays nothing more.
    district.post(f"{compound_url}pay-in/", {"amount": "500.00", "reference": "GK-2025-001"})
    assert funds.fund_balance(cast.a.compound) == D("500.00")

    company = as_user(cast.users[Role.COMPANY])
    company_page = text(company.get(compound_url))
    assert "data-costs-form" in company_page and "data-pay-in" not in company_page
    response = company.post(
        f"{compound_url}costs/", {"year": "2025", "amount": "400.00", "note": "保洁、门岗工资"}
    )
    assert response.status_code == 302
    assert CostStatement.objects.get().amount == D("400.00")

    response = district.post("/ratings/funds/returns/", {"year": "2025"}, follow=True)
    assert "1 profit return made, 239.20 yuan into the compounds&#x27; funds." in text(response)
    row = ProfitReturn.objects.get()
    assert (row.income, row.costs, row.surplus, row.amount) == (
        D("878.40"),
        D("400.00"),
        D("478.40"),
        D("239.20"),
    )
    # Nothing is due any more: a second batch returns nothing.
    response = district.post("/ratings/funds/returns/", {"year": "2025"}, follow=True)
    assert "0 profit returns made, 0.00 yuan" in text(response)
    assert ProfitReturn.objects.count() == 1

    page = text(district.get(compound_url))
    assert "data-balance>739.20 yuan<" in page
    assert '<td class="text-end fw-semibold">239.20</td>' in page
    assert "GK-2025-001" in page and "保洁、门岗工资" in page
    listing = text(district.get(FUNDS))
    assert f'data-fund="{cast.a.compound.code}"' in listing
    assert '<td class="text-end">739.20</td>' in listing
    # A code with a NUL in it is no code of the district's, not a server error.
    response = district.get(FUNDS, {"code": "41\x0001"}, follow=True)
    assert response.status_code == 200
    assert "No compound of the district has the code 4101." in text(response)
    assert ledger_checks.first_discrepancy() is None


def test_refusals_name_the_field_and_write_nothing(cast):
    district = as_user(cast.users[Role.DISTRICT])
    compound_url = f"/ratings/funds/compounds/{cast.a.compound.pk}/"
    entries = JournalEntry.objects.count()

    response = district.post(
        "/ratings/funds/rule/", {"effective_from": "2025-01-01", "profit_share": "1.5"}
    )
    assert response.status_code == 400
    assert (
        'data-error="profit_share">Enter a share from 0 to 1, with at most two decimals.'
        in text(response)
    )
    response = district.post("/ratings/funds/returns/", {"year": "2025"})
    assert response.status_code == 400
    assert 'data-error="year">No fund rule is in force for 2025.' in text(response)

    response = district.post(f"{compound_url}pay-in/", {"amount": "abc", "reference": ""})
    page = text(response)
    assert response.status_code == 400
    assert 'data-error="amount">' in page
    response = district.post(f"{compound_url}pay-in/", {"amount": "10", "reference": ""})
    assert "Enter the transfer&#x27;s reference (at most 60)." in text(response)
    response = district.post(f"{compound_url}return/", {"year": "2025"})
    assert response.status_code == 400 and 'data-error="year">' in text(response)

    company = as_user(cast.users[Role.COMPANY])
    response = company.post(f"{compound_url}costs/", {"year": "20x6", "amount": "-4"})
    assert response.status_code == 400 and 'data-error="year">' in text(response)
    assert (
        FundRule.objects.count(),
        CostStatement.objects.count(),
        ProfitReturn.objects.count(),
        JournalEntry.objects.count(),
    ) == (0, 0, 0, entries)


def test_a_compound_is_opened_by_its_code(cast):
    district = as_user(cast.users[Role.DISTRICT])
    response = district.get(FUNDS, {"code": cast.a.compound.code})
    assert response.status_code == 302
    assert response["Location"] == f"/ratings/funds/compounds/{cast.a.compound.pk}/"
    # Another district's compound is not found by its code either.
    response = district.get(FUNDS, {"code": cast.c.compound.code})
    assert response.status_code == 200
    assert f"No compound of the district has the code {cast.c.compound.code}." in text(response)


READERS = [
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMPANY,
    Role.COMMITTEE,
]


@pytest.mark.parametrize("role", READERS)
def test_the_compounds_roles_read_its_fund(cast, role):
    page = text(as_user(cast.users[role]).get(f"/ratings/funds/compounds/{cast.a.compound.pk}/"))
    assert "The fund's rules" in page and "data-balance>0.00 yuan<" in page
    assert ("data-pay-in" in page) == (role == Role.DISTRICT)
    assert ("data-costs-form" in page) == (role == Role.COMPANY)


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.INSPECTOR, "outsider", "other_district"])
def test_others_do_not_find_the_compounds_fund(cast, role):
    client = as_user(cast.users[role])
    url = f"/ratings/funds/compounds/{cast.a.compound.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(f"{url}pay-in/", {"amount": "5", "reference": "X"}).status_code == 404
    assert client.post(f"{url}costs/", {"year": "2025", "amount": "5"}).status_code == 404
    assert JournalEntry.objects.count() == 0 and CostStatement.objects.count() == 0


@pytest.mark.parametrize("role", [r for r in READERS if r != Role.DISTRICT] + [Role.RESIDENT])
def test_only_the_district_pays_in_returns_and_sets_rules(cast, role):
    client = as_user(cast.users[role])
    url = f"/ratings/funds/compounds/{cast.a.compound.pk}/"
    assert client.get(FUNDS).status_code == 404
    assert client.post("/ratings/funds/rule/", {"effective_from": "2025-01-01"}).status_code == 404
    assert client.post("/ratings/funds/returns/", {"year": "2025"}).status_code == 404
    assert client.post(f"{url}pay-in/", {"amount": "5", "reference": "X"}).status_code == 404
    assert client.post(f"{url}return/", {"year": "2025"}).status_code == 404
    if role != Role.COMPANY:
        assert client.post(f"{url}costs/", {"year": "2025", "amount": "5"}).status_code == 404
    assert (FundRule.objects.count(), JournalEntry.objects.count()) == (0, 0)
    assert CostStatement.objects.count() == 0


def test_anonymous_users_are_sent_to_sign_in(cast):
    response = anonymous().get(FUNDS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
