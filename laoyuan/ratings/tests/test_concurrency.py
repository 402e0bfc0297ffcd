"""Ratings under concurrent requests on PostgreSQL: real row locks, several connections at once.
A compound is declared once a year, a subsidy month is computed once, a run is approved (and
posted) once, a household's questionnaire is answered once, a year's profit is returned once.

SQLite serialises every write, so these run only on PostgreSQL
(``DATABASE_URL=postgres://... pytest laoyuan/ratings/tests/test_concurrency.py``).
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks as ledger_checks
from laoyuan.billing.enums import EntryKind
from laoyuan.billing.models import JournalEntry
from laoyuan.places.models import Compound
from laoyuan.ratings.enums import AnswerChannel, SubsidyRunStatus
from laoyuan.ratings.models import Evaluation, ProfitReturn, Subsidy, SubsidyRun, SurveySample
from laoyuan.ratings.services import evaluations, funds, subsidies
from laoyuan.ratings.tests import helpers as h
from laoyuan.ratings.tests.test_funds import ready
from laoyuan.timebank.tests.test_concurrency import race, split

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL to race"
    ),
]

D = Decimal
JANUARY = datetime.date(2026, 2, 1)


def four_stars_with_rates(cast):
    Compound.objects.filter(pk=cast.a.compound.pk).update(area_m2="10000.00")
    h.final(
        cast,
        h.scored_88_5(cast),
        published_on=datetime.date(2026, 1, 10),
        final_on=datetime.date(2026, 1, 20),
    )
    office = cast.users[Role.DISTRICT]
    subsidies.set_rates(
        actor=office,
        district=cast.district,
        effective_from="2026-01",
        rates={1: "0.10", 2: "0.15", 3: "0.20", 4: "0.25", 5: "0.30"},
    )
    subsidies.pay_into_fund(actor=office, district=cast.district, amount="10000", reference="F1")


def test_two_declarations_of_one_compound_and_year_make_one_evaluation(cast):
    h.standard(cast)

    def declare(actor):
        return lambda: evaluations.declare(
            actor=actor, compound=cast.a.compound, period="2026", seed="s"
        )

    results = race([declare(cast.users[Role.STREET]), declare(cast.users[Role.DISTRICT])])
    done, refused = split(results, Evaluation)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {"period": ["This compound was already declared for 2026."]}
    assert Evaluation.objects.count() == 1


def test_two_computations_of_one_month_make_one_run(cast):
    four_stars_with_rates(cast)
    compute = lambda: subsidies.compute(  # noqa: E731
        district=cast.district, period="2026-02", actor=cast.users[Role.DISTRICT]
    )
    results = race([compute, compute])
    done, refused = split(results, SubsidyRun)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {
        "period": ["A run of 2026-02 waits for approval: approve or cancel it first."]
    }
    assert SubsidyRun.objects.count() == 1
    assert Subsidy.objects.get().amount == D("2500.00")


def test_two_approvals_of_one_run_post_it_once(cast):
    four_stars_with_rates(cast)
    run = subsidies.compute(
        district=cast.district, period="2026-02", actor=cast.users[Role.DISTRICT]
    )
    approve = lambda: subsidies.approve(actor=cast.users[Role.DISTRICT], run=run)  # noqa: E731
    results = race([approve, approve])
    done, refused = split(results, SubsidyRun)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {"run": ["This run was already Approved and posted."]}
    assert SubsidyRun.objects.get().status == SubsidyRunStatus.POSTED
    assert JournalEntry.objects.filter(kind=EntryKind.SUBSIDY).count() == 1
    assert subsidies.fund_left(cast.district.pk) == D("7500.00")
    assert ledger_checks.first_discrepancy() is None


def test_a_questionnaire_is_answered_once(cast):
    evaluation = h.declared(cast)
    sample = SurveySample.objects.get(survey__evaluation=evaluation, house=cast.a.house)

    def answer(actor, channel):
        return lambda: evaluations.answer(
            actor=actor, sample=sample, answers=h.ANSWERS_85, channel=channel
        )

    results = race(
        [
            answer(cast.users[Role.RESIDENT], AnswerChannel.APP),
            answer(cast.users[Role.COMMUNITY], AnswerChannel.STAFF),
        ]
    )
    done, refused = split(results, SurveySample)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {"answers": ["This household has already answered."]}
    sample.refresh_from_db()
    assert sample.channel == done[0].channel


def test_two_profit_returns_of_one_year_return_once(cast):
    ready(cast)
    back = lambda: funds.return_profit(  # noqa: E731
        actor=cast.users[Role.DISTRICT], compound=cast.a.compound, year=2025
    )
    results = race([back, back])
    done, refused = split(results, ProfitReturn)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {"year": ["The profit return for 2025 is done."]}
    assert funds.fund_balance(cast.a.compound) == D("239.20")
    assert JournalEntry.objects.filter(kind=EntryKind.PROFIT_RETURN).count() == 1
    assert ledger_checks.first_discrepancy() is None
