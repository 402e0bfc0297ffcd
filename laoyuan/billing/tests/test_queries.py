import datetime
from decimal import Decimal

import pytest
from django.http import Http404

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.billing import queries
from laoyuan.billing.enums import Channel, SchemeBasis, SchemeStatus
from laoyuan.billing.models import Account, Receipt
from laoyuan.billing.queries import (
    BillLine,
    CollectionRow,
    CostLine,
    PaymentLine,
    StatementLine,
)
from laoyuan.billing.services.ledger import household_account
from laoyuan.billing.services.payments import reverse_payment, take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.factories import BuildingFactory, CompoundFactory, HouseFactory, user_with
from laoyuan.places.models import Compound

pytestmark = pytest.mark.django_db

D = Decimal
NOV, DEC = datetime.date(2025, 11, 1), datetime.date(2025, 12, 1)
JAN, FEB, MAR, APR = (datetime.date(2026, m, 1) for m in (1, 2, 3, 4))
COLLECTION_READERS = [
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY,
    Role.BRANCH,
    Role.COMPANY,
    Role.COMMITTEE,
]
NO_COLLECTION = [Role.GRID, Role.RESIDENT, Role.INSPECTOR, "other_district"]


def cashier(house):
    """A member of the staff of the company serving ``house``."""
    return user_with(Role.COMPANY, Compound.objects.get(pk=house.compound_id).company)


def pay(house, amount, *, reference, on=datetime.date(2026, 2, 10)):
    """A cash payment taken at the company's desk, with its receipt."""
    return take_payment(
        house=house,
        amount=D(amount),
        channel=Channel.CASH,
        reference=reference,
        actor=cashier(house),
        received_on=on,
    )


def unposted(compound, status, **kwargs):
    """A scheme that never went up (still proposed, or withdrawn)."""
    scheme = posted_scheme(compound, **kwargs)
    scheme.status = status
    scheme.save()
    return scheme


def fresh(user):
    """Load the user's scope now, so a query count measures the query alone."""
    scope_for(user)
    return user


# --- Schemes -----------------------------------------------------------------------------------


def test_scheme_in_force_is_the_newest_posted_one_started(cast):
    compound = cast.a.compound
    first = posted_scheme(compound, rate="0.50", effective_from=datetime.date(2025, 1, 1))
    second = posted_scheme(compound, rate="0.60", effective_from=MAR)
    unposted(compound, SchemeStatus.PROPOSED, rate="0.70", effective_from=FEB)
    unposted(compound, SchemeStatus.WITHDRAWN, rate="0.80", effective_from=FEB)
    assert queries.scheme_in_force(compound.pk, datetime.date(2024, 12, 31)) is None
    assert queries.scheme_in_force(compound.pk, datetime.date(2026, 2, 28)) == first
    assert queries.scheme_in_force(compound.pk, datetime.date(2026, 3, 15)) == second
    # Reposted for the same start: the one posted last stands.
    again = posted_scheme(compound, rate="0.55", effective_from=MAR)
    again.posted_on = second.posted_on + datetime.timedelta(days=1)
    again.save()
    assert queries.scheme_in_force(compound.pk, MAR) == again


@pytest.mark.parametrize(
    ("who", "compounds"),
    [
        (Role.DISTRICT, {"a", "b"}),
        (Role.STREET, {"a"}),
        (Role.COMMITTEE, {"a"}),
        (Role.RESIDENT, {"a"}),
        ("outsider", {"b"}),
        ("other_district", set()),
    ],
)
def test_schemes_for_follow_the_compound_scope(cast, who, compounds):
    schemes = {"a": posted_scheme(cast.a.compound), "b": posted_scheme(cast.b.compound)}
    seen = set(queries.schemes_for(user=cast.users[who]))
    assert seen == {schemes[side] for side in compounds}
    assert list(queries.schemes_for(user=cast.users[Role.DISTRICT], compound=cast.b.compound)) == [
        schemes["b"]
    ]


# --- The public notice -------------------------------------------------------------------------

COSTS = [
    {"item": "Guards' wages", "monthly": "3600.00"},
    {"item": "Cleaning", "monthly": "1200.50"},
]


def test_public_notice_does_the_sums_for_the_scheme_in_force_and_the_next(
    cast, django_assert_num_queries
):
    compound = cast.a.compound
    compound.address = "东大街 12 号"
    compound.save(update_fields=["address"])
    cast.a.company.phone = "0371-66001234"
    cast.a.company.save(update_fields=["phone"])
    posted_scheme(compound, rate="0.40", effective_from=datetime.date(2024, 1, 1))
    current = posted_scheme(
        compound, rate="0.50", effective_from=datetime.date(2025, 1, 1), costs=COSTS
    )
    upcoming = posted_scheme(
        compound,
        basis=SchemeBasis.PER_HOUSEHOLD,
        rate="150",
        effective_from=datetime.date(2027, 3, 1),
        trial_months=3,
        costs=[{"item": "Guard", "monthly": "100.00"}],
    )
    unposted(compound, SchemeStatus.PROPOSED, rate="0.90", effective_from=FEB)
    unposted(compound, SchemeStatus.WITHDRAWN, rate="0.90", effective_from=FEB)
    with django_assert_num_queries(3):
        notice = queries.public_notice(compound, on=datetime.date(2026, 11, 27))
    assert (notice.compound_name, notice.address) == ("甲一号院", "东大街 12 号")
    assert (notice.company_name, notice.company_phone) == ("甲公办物业", "0371-66001234")
    now, later = notice.schemes
    assert (now.scheme, now.in_force, later.scheme, later.in_force) == (
        current,
        True,
        upcoming,
        False,
    )
    # Two houses, 86.40 and 60.00 m²: 146.40 m², the median house 73.20 m².
    assert now.costs == (
        CostLine("Guards' wages", D("3600.00")),
        CostLine("Cleaning", D("1200.50")),
    )
    assert (now.costs_total, now.households, now.area_m2) == (D("4800.50"), 2, D("146.40"))
    assert (now.cost_per_household, now.cost_per_m2) == (D("2400.25"), D("32.79"))
    assert (now.typical_area, now.typical_monthly, now.typical_yearly) == (
        D("73.20"),
        D("36.60"),
        D("439.20"),
    )
    assert now.package == [{"item": "Guard", "standard": "24 h at the gate"}]
    assert (later.costs_total, later.cost_per_household, later.cost_per_m2) == (
        D("100.00"),
        D("50.00"),
        D("0.68"),
    )
    assert (later.typical_monthly, later.typical_yearly) == (D("12.50"), D("150.00"))
    # No personal data: not the residents' names nor their phones.
    text = repr(notice)
    for secret in ("甲居民", "甲邻居", "13812341234", "13900001111"):
        assert secret not in text


def test_public_notice_of_a_compound_without_schemes(cast):
    notice = queries.public_notice(cast.a.other_compound)
    assert (notice.current, notice.upcoming, notice.schemes) == (None, (), [])
    assert (notice.company_name, notice.company_phone) == ("", "")


# --- A house's account -------------------------------------------------------------------------


def test_house_account_lists_bills_statement_and_payments(cast, django_assert_num_queries):
    house = cast.a.house
    posted_scheme(cast.a.compound, effective_from=DEC, trial_months=1)
    for period in (DEC, JAN, FEB):
        bill(house, period)
    pay(house, "50.00", reference="CASH-1")
    with django_assert_num_queries(5):
        account = queries.house_account(house)
    assert (account.house_id, account.label) == (house.pk, "1号楼-1-101")
    assert (account.balance, account.credit) == (D("36.40"), D("0.00"))
    assert [(b.period, b.list_amount, b.amount, b.paid, b.trial) for b in account.bills] == [
        (FEB, D("43.20"), D("43.20"), D("6.80"), False),
        (JAN, D("43.20"), D("43.20"), D("43.20"), False),
        (DEC, D("43.20"), D("0.00"), D("0.00"), True),
    ]
    assert account.bills[0].outstanding == D("36.40")
    receipt = Receipt.objects.get()
    # The payment's allocation to the bills moves nothing in or out: it is not a line.
    assert [
        (line.date, line.kind, line.amount, line.balance, line.period, line.receipt_number)
        for line in account.postings
    ] == [
        (datetime.date(2026, 2, 10), "payment", D("-50.00"), D("36.40"), None, receipt.number),
        (account.postings[1].date, "charge", D("43.20"), D("86.40"), FEB, ""),
        (account.postings[2].date, "charge", D("43.20"), D("43.20"), JAN, ""),
    ]
    assert account.payments == [
        PaymentLine(
            payment_id=receipt.payment_id,
            received_on=datetime.date(2026, 2, 10),
            amount=D("50.00"),
            channel="cash",
            reference="CASH-1",
            receipt_number=receipt.number,
            reversed=False,
        )
    ]


def test_house_account_after_a_prepayment_and_a_reversal(cast):
    house = cast.a.house
    posted_scheme(cast.a.compound)
    bill(house, JAN)
    receipt = pay(house, "100.00", reference="CASH-1")
    account = queries.house_account(house)
    assert (account.balance, account.credit) == (D("-56.80"), D("56.80"))
    reverse_payment(payment=receipt.payment, actor=cashier(house), reason="cheque bounced")
    account = queries.house_account(house)
    assert (account.balance, account.credit) == (D("43.20"), D("0.00"))
    assert account.payments[0].reversed is True
    reversal = account.postings[0]
    assert isinstance(reversal, StatementLine)
    assert (reversal.kind, reversal.amount, reversal.balance, reversal.reversal) == (
        "payment",
        D("100.00"),
        D("43.20"),
        True,
    )
    assert account.bills == [
        BillLine(account.bills[0].bill_id, JAN, D("43.20"), D("43.20"), D("0.00"), False)
    ]


def test_house_never_billed_reads_zero_in_one_query(cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        account = queries.house_account(cast.a.neighbour_house)
    assert (account.account_id, account.balance, account.credit) == (None, D("0.00"), D("0.00"))
    assert (account.bills, account.postings, account.payments) == ([], [], [])


@pytest.mark.parametrize("who", [Role.DISTRICT, Role.STREET, Role.COMPANY, Role.RESIDENT])
def test_money_roles_open_the_house(cast, who):
    assert queries.money_house_or_404(cast.users[who], pk=cast.a.house.pk) == cast.a.house


@pytest.mark.parametrize(
    "who", [Role.COMMUNITY, Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.INSPECTOR, "outsider"]
)
def test_other_roles_get_404_for_the_house_money(cast, who):
    with pytest.raises(Http404):
        queries.money_house_or_404(cast.users[who], pk=cast.a.house.pk)


def test_resident_gets_404_for_the_neighbours_money(cast):
    with pytest.raises(Http404):
        queries.money_house_or_404(cast.users[Role.RESIDENT], pk=cast.a.neighbour_house.pk)


# --- Collection --------------------------------------------------------------------------------


def collection_books(cast):
    """January 2026: side A bills 43.20 + 30.00 (December was a trial month), side B 43.20;
    house A pays its 43.20, house B pays 20.00. Side B also has a February bill."""
    posted_scheme(cast.a.compound, effective_from=DEC, trial_months=1)
    posted_scheme(cast.b.compound)
    for house in (cast.a.house, cast.a.neighbour_house):
        bill(house, DEC)
        bill(house, JAN)
    bill(cast.b.house, JAN)
    bill(cast.b.house, FEB)
    pay(cast.a.house, "43.20", reference="A-1")
    pay(cast.b.house, "20.00", reference="B-1")


def figures(rows):
    return [(row.label, row.billed, row.paid, row.rate) for row in rows]


A_JAN = (D("73.20"), D("43.20"), D("0.5902"))
B_JAN = (D("43.20"), D("20.00"), D("0.4630"))


def test_collection_by_compound_company_and_street_for_the_district(cast):
    collection_books(cast)
    user = cast.users[Role.DISTRICT]
    assert figures(queries.collection(user=user, period=JAN, by="compound")) == [
        ("乙一号院", *B_JAN),
        ("甲一号院", *A_JAN),
    ]
    assert figures(queries.collection(user=user, period=JAN, by="company")) == [
        ("乙公办物业", *B_JAN),
        ("甲公办物业", *A_JAN),
    ]
    assert figures(queries.collection(user=user, period=JAN, by="street")) == [
        ("乙街道", *B_JAN),
        ("甲街道", *A_JAN),
    ]
    rows = queries.collection(user=user, period=JAN, by="compound")
    assert [row.key for row in rows] == [cast.b.compound.pk, cast.a.compound.pk]
    assert queries.collection_total(user=user, period=JAN) == CollectionRow(
        JAN, "Total", D("116.40"), D("63.20"), D("0.5430")
    )


def test_collection_by_month_is_twelve_months_without_trial_bills(cast):
    collection_books(cast)
    rows = queries.collection(user=cast.users[Role.STREET], period=JAN, by="month")
    assert [row.key for row in rows] == [datetime.date(2025, m, 1) for m in range(2, 13)] + [JAN]
    assert figures(rows)[-2:] == [
        ("2025-12", D("0.00"), D("0.00"), None),
        ("2026-01", *A_JAN),
    ]
    assert all(row.billed == 0 and row.rate is None for row in rows[:-1])


@pytest.mark.parametrize("who", [role for role in COLLECTION_READERS if role != Role.DISTRICT])
def test_each_collection_reader_sees_its_own_compound(cast, who):
    collection_books(cast)
    user = cast.users[who]
    assert figures(queries.collection(user=user, period=JAN, by="compound")) == [
        ("甲一号院", *A_JAN)
    ]
    total = queries.collection_total(user=user, period=JAN)
    assert (total.billed, total.paid, total.rate) == A_JAN


@pytest.mark.parametrize("who", NO_COLLECTION)
def test_other_roles_see_no_collection(cast, who):
    collection_books(cast)
    user = cast.users[who]
    for by in ("compound", "company", "street"):
        assert queries.collection(user=user, period=JAN, by=by) == []
    assert all(row.billed == 0 for row in queries.collection(user=user, period=JAN, by="month"))
    total = queries.collection_total(user=user, period=JAN)
    assert (total.billed, total.paid, total.rate) == (D("0.00"), D("0.00"), None)


def test_outsider_totals_exclude_our_street(cast):
    collection_books(cast)
    user = cast.users["outsider"]
    assert figures(queries.collection(user=user, period=JAN, by="compound")) == [
        ("乙一号院", *B_JAN)
    ]
    total = queries.collection_total(user=user, period=JAN)
    assert (total.billed, total.paid, total.rate) == B_JAN


def test_unknown_grouping_is_a_programming_error(cast):
    with pytest.raises(ValueError, match="collection by 'house'"):
        queries.collection(user=cast.users[Role.DISTRICT], period=JAN, by="house")


def more_compounds(cast, count):
    """``count`` more compounds of street A, each with a house billed for January."""
    for _ in range(count):
        compound = CompoundFactory(grid=cast.a.grid)
        house = HouseFactory(building=BuildingFactory(compound=compound))
        posted_scheme(compound, company=cast.a.company)
        bill(house, JAN)


@pytest.mark.parametrize("extra", [0, 2])
def test_collection_lists_take_one_query_whatever_their_length(
    cast, extra, django_assert_num_queries
):
    collection_books(cast)
    more_compounds(cast, extra)
    user = fresh(cast.users[Role.STREET])
    for by in ("compound", "company", "street", "month"):
        with django_assert_num_queries(1):
            rows = queries.collection(user=user, period=JAN, by=by)
    with django_assert_num_queries(1):
        rows = queries.collection(user=user, period=JAN, by="compound")
    assert len(rows) == 1 + extra
    with django_assert_num_queries(1):
        queries.collection_total(user=user, period=JAN)


@pytest.mark.parametrize(
    ("who", "latest"),
    [
        (Role.DISTRICT, FEB),
        (Role.STREET, JAN),
        (Role.COMMITTEE, JAN),
        (Role.RESIDENT, JAN),
        ("outsider", FEB),
        (Role.INSPECTOR, None),
        ("other_district", None),
    ],
)
def test_latest_billed_period_in_scope(cast, who, latest):
    collection_books(cast)
    assert queries.latest_billed_period(cast.users[who]) == latest


# --- Arrears -----------------------------------------------------------------------------------

AS_OF = datetime.date(2026, 4, 15)


def arrears_books(cast):
    """On 15 April 2026: house A owes 23.20 of January 2025 (15 months) and January to March
    2026 (3, 2 and 1 months); April is not overdue yet. Its neighbour owes October and November
    2025 (6 and 5 months) and March 2026. House B owes February 2026 (2 months)."""
    posted_scheme(cast.a.compound, effective_from=datetime.date(2025, 1, 1))
    posted_scheme(cast.b.compound, effective_from=datetime.date(2025, 1, 1))
    for period in (datetime.date(2025, 1, 1), JAN, FEB, MAR, APR):
        bill(cast.a.house, period)
    pay(cast.a.house, "20.00", reference="A-1")
    for period in (datetime.date(2025, 10, 1), NOV, MAR):
        bill(cast.a.neighbour_house, period)
    bill(cast.b.house, FEB)


def ages(result):
    return {bucket: (row["households"], row["amount"]) for bucket, row in result.items()}


def test_arrears_by_age_counts_bills_by_age_and_households_by_their_oldest(cast):
    arrears_books(cast)
    result = queries.arrears_by_age(user=cast.users[Role.DISTRICT], as_of=AS_OF)
    assert list(result) == ["1-3", "4-6", "7-12", "13+"]
    assert ages(result) == {
        "1-3": (1, D("202.80")),
        "4-6": (1, D("60.00")),
        "7-12": (0, D("0.00")),
        "13+": (1, D("23.20")),
    }


def test_arrears_by_age_narrowed_to_a_street_or_compound(cast):
    arrears_books(cast)
    user = cast.users[Role.DISTRICT]
    assert ages(queries.arrears_by_age(user=user, as_of=AS_OF, street_id=cast.b.street.pk)) == {
        "1-3": (1, D("43.20")),
        "4-6": (0, D("0.00")),
        "7-12": (0, D("0.00")),
        "13+": (0, D("0.00")),
    }
    assert ages(queries.arrears_by_age(user=user, as_of=AS_OF, compound_id=cast.a.compound.pk)) == {
        "1-3": (0, D("159.60")),
        "4-6": (1, D("60.00")),
        "7-12": (0, D("0.00")),
        "13+": (1, D("23.20")),
    }


def test_arrears_by_age_follows_the_collection_scope(cast):
    arrears_books(cast)
    for who in COLLECTION_READERS:
        assert ages(queries.arrears_by_age(user=cast.users[who], as_of=AS_OF))["4-6"] == (
            1,
            D("60.00"),
        )
    outsider = queries.arrears_by_age(user=cast.users["outsider"], as_of=AS_OF)
    assert ages(outsider)["1-3"] == (1, D("43.20"))
    assert ages(outsider)["13+"] == (0, D("0.00"))
    # Another street's filter never widens the scope.
    street = cast.users[Role.STREET]
    assert ages(queries.arrears_by_age(user=street, as_of=AS_OF, street_id=cast.b.street.pk))[
        "1-3"
    ] == (0, D("0.00"))
    for who in NO_COLLECTION:
        result = queries.arrears_by_age(user=cast.users[who], as_of=AS_OF)
        assert all(row == {"households": 0, "amount": D("0.00")} for row in result.values())


def test_the_current_month_is_not_overdue(cast):
    posted_scheme(cast.a.compound)
    bill(cast.a.house, APR)
    result = queries.arrears_by_age(user=cast.users[Role.DISTRICT], as_of=AS_OF)
    assert sum(row["households"] for row in result.values()) == 0
    assert queries.arrears_list(user=cast.users[Role.COMPANY], as_of=AS_OF) == []
    assert queries.public_arrears(cast.a.compound, AS_OF) == []


def arrears_rows(rows):
    return [
        (
            r.house_label,
            r.compound_name,
            r.oldest_period,
            r.months,
            r.bills,
            r.outstanding,
            r.settled,
        )
        for r in rows
    ]


def test_arrears_list_for_the_company_desk(cast, django_assert_num_queries):
    arrears_books(cast)
    user = fresh(cast.users[Role.COMPANY])
    with django_assert_num_queries(2):
        rows = queries.arrears_list(user=user, as_of=AS_OF)
    assert arrears_rows(rows) == [
        ("1号楼-1-101", "甲一号院", datetime.date(2025, 1, 1), 15, 4, D("152.80"), False),
        ("1号楼-1-102", "甲一号院", datetime.date(2025, 10, 1), 6, 3, D("90.00"), False),
    ]
    assert rows[0].house_id == cast.a.house.pk
    assert queries.arrears_list(user=user, as_of=AS_OF, compound_id=cast.b.compound.pk) == []


@pytest.mark.parametrize(
    ("who", "houses"),
    [
        (Role.DISTRICT, ["1号楼-1-101", "1号楼-1-102", "1号楼-101"]),
        (Role.STREET, ["1号楼-1-101", "1号楼-1-102"]),
        (Role.RESIDENT, ["1号楼-1-101"]),
        ("outsider", ["1号楼-101"]),
        (Role.COMMUNITY, []),
        (Role.BRANCH, []),
        (Role.COMMITTEE, []),
        (Role.GRID, []),
        (Role.INSPECTOR, []),
        ("other_district", []),
    ],
)
def test_arrears_list_is_for_money_roles_only(cast, who, houses):
    arrears_books(cast)
    cast.b.house.unit = ""
    cast.b.house.save()
    rows = queries.arrears_list(user=cast.users[who], as_of=AS_OF)
    assert [row.house_label for row in rows] == houses


@pytest.mark.parametrize("extra", [0, 2])
def test_arrears_list_takes_two_queries_whatever_its_length(cast, extra, django_assert_num_queries):
    arrears_books(cast)
    more_compounds(cast, extra)
    user = fresh(cast.users[Role.STREET])
    with django_assert_num_queries(2):
        rows = queries.arrears_list(user=user, as_of=AS_OF)
    assert len(rows) == 2 + extra


def settle(house, on):
    """Close the house's account and open a clean one, as a change of owner does."""
    Account.objects.filter(house=house, closed_on__isnull=True).update(closed_on=on)
    return household_account(house, on=on)


def test_public_arrears_shows_house_numbers_and_months_only(cast, django_assert_num_queries):
    arrears_books(cast)
    with django_assert_num_queries(2):
        rows = queries.public_arrears(cast.a.compound, AS_OF)
    assert rows == [("1号楼-1-101", 15), ("1号楼-1-102", 6)]


def test_a_settled_debt_stays_with_the_old_party(cast):
    arrears_books(cast)
    settle(cast.a.neighbour_house, datetime.date(2026, 4, 1))
    # The company still sees what the old party owes, marked as settled ...
    rows = queries.arrears_list(user=cast.users[Role.COMPANY], as_of=AS_OF)
    assert [(r.house_label, r.settled) for r in rows] == [
        ("1号楼-1-101", False),
        ("1号楼-1-102", True),
    ]
    # ... but the new occupant is neither on the public list nor refused membership.
    assert queries.public_arrears(cast.a.compound, AS_OF) == [("1号楼-1-101", 15)]
    assert queries.paying_member(cast.a.neighbour_house, AS_OF) is True


# --- Paying members ----------------------------------------------------------------------------


def member_books(cast):
    """January and February 2026 billed to both houses of side A; house A paid both."""
    posted_scheme(cast.a.compound)
    for house in (cast.a.house, cast.a.neighbour_house):
        bill(house, JAN)
        bill(house, FEB)
    pay(cast.a.house, "86.40", reference="A-1")


def test_paying_member_has_nothing_overdue(cast, django_assert_num_queries):
    member_books(cast)
    with django_assert_num_queries(1):
        assert queries.paying_member(cast.a.house, datetime.date(2026, 3, 10)) is True
    assert queries.paying_member(cast.a.neighbour_house, datetime.date(2026, 3, 10)) is False
    # In January nothing was overdue yet.
    assert queries.paying_member(cast.a.neighbour_house, datetime.date(2026, 1, 31)) is True
    # A house never billed has paid no fee.
    assert queries.paying_member(cast.b.house, datetime.date(2026, 3, 10)) is False


@pytest.mark.parametrize(
    ("who", "members"),
    [
        (Role.DISTRICT, {"house"}),
        (Role.STREET, {"house"}),
        (Role.COMPANY, {"house"}),
        (Role.RESIDENT, {"house"}),
        ("outsider", set()),
        (Role.COMMITTEE, set()),
        (Role.INSPECTOR, set()),
    ],
)
def test_paying_members_in_scope(cast, who, members, django_assert_max_num_queries):
    member_books(cast)
    user = fresh(cast.users[who])
    # An empty scope needs no query at all.
    with django_assert_max_num_queries(1):
        found = set(queries.paying_members(user=user, as_of=datetime.date(2026, 2, 10)))
    houses = {"house": cast.a.house, "neighbour": cast.a.neighbour_house}
    assert found == {houses[name] for name in members}
