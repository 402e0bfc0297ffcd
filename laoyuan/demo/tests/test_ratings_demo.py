"""The demo's star rating at a small scale: one final round for every compound with figures the
services compute from its rows, the survey sample rule kept, monthly subsidy runs posted but the
last, the current round in the demo street with work for each demo user; the same seed gives the
same figures."""

import datetime
import io
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from laoyuan.accounts.models import User
from laoyuan.billing import checks as ledger_checks
from laoyuan.core.money import to_fen
from laoyuan.demo.ratings import FINAL_DAYS_AGO, RATES
from laoyuan.demo.tests.test_seed_demo import TODAY, seed
from laoyuan.factories import as_user
from laoyuan.places.models import Compound, House
from laoyuan.ratings import scoring
from laoyuan.ratings.enums import EvaluationState, SubsidyRunStatus, SubsidyState
from laoyuan.ratings.models import Evaluation, Subsidy, SubsidyRun, Survey, SurveySample
from laoyuan.ratings.services import evaluations, funds, subsidies

pytestmark = pytest.mark.django_db

D = Decimal
FINAL_ON = datetime.date.fromisoformat(TODAY) - datetime.timedelta(days=FINAL_DAYS_AGO)


def figures() -> dict[str, Any]:
    return {
        "evaluations": dict(
            Counter(
                f"{period} {state}"
                for period, state in Evaluation.objects.values_list("period", "state")
            )
        ),
        "stars": dict(
            Evaluation.objects.filter(period="2025")
            .values_list("stars")
            .annotate(n=Count("id"))
            .order_by("stars")
        ),
        "vetoed": Evaluation.objects.filter(vetoed=True).count(),
        "samples": SurveySample.objects.count(),
        "runs": list(
            SubsidyRun.objects.order_by("period").values_list("period", "status", "compounds")
        ),
        "posted": str(
            to_fen(
                Subsidy.objects.filter(state=SubsidyState.POSTED).aggregate(t=Sum("amount"))["t"]
            )
        ),
    }


MONTHS = [datetime.date(2026, month, 1) for month in range(4, 11)]
EXPECTED: dict[str, Any] = {
    "evaluations": {
        "2025 final": 12,
        "2026 declared": 1,
        "2026 scored": 1,
        "2026 street_reviewed": 1,
        "2026 published": 1,
    },
    "stars": {2: 2, 3: 3, 4: 1, 5: 6},
    "vetoed": 0,
    "samples": 800,
    "runs": [(month, "posted", 12) for month in MONTHS[:-1]] + [(MONTHS[-1], "computed", 12)],
    "posted": "168050.10",
}


def test_demo_ratings_figures_and_checks() -> None:
    _, err = seed()

    assert "ratings round: " in err and "subsidies: " in err
    assert figures() == EXPECTED
    call_command("ledger_check", stdout=io.StringIO())
    assert ledger_checks.first_discrepancy() is None


def test_demo_round_rows_give_the_figures_the_services_compute() -> None:
    seed()

    renovated = Compound.objects.filter(renovated=True)
    finals = Evaluation.objects.filter(period="2025", state=EvaluationState.FINAL)
    assert finals.count() == renovated.count() == 12
    assert set(finals.values_list("final_on", flat=True)) == {FINAL_ON}
    for evaluation in Evaluation.objects.exclude(state=EvaluationState.DECLARED):
        result, missing = evaluations.figures(evaluation)
        assert missing == [], evaluation.pk
        assert (result.total, result.vetoed, result.stars) == (
            evaluation.total_score,
            evaluation.vetoed,
            evaluation.stars,
        ), evaluation.pk
        assert [row.score for row in result.sections] == list(
            evaluation.section_scores.order_by("section__position").values_list("score", flat=True)
        )
        assert evaluation.assignments.count() == 1
    for survey in Survey.objects.select_related("evaluation"):
        households = House.objects.filter(
            compound_id=survey.evaluation.compound_id, status="occupied"
        ).count()
        assert survey.households == households
        assert survey.required == scoring.sample_size(households)
        assert survey.samples.count() == survey.required
        if survey.evaluation.state != EvaluationState.DECLARED:
            assert survey.samples.filter(answered_at__isnull=False).count() == survey.required


def test_demo_subsidies_follow_the_rates_and_the_fund_is_spent_exactly() -> None:
    seed()

    district = Compound.objects.first().district
    rates = subsidies.rates_on(district.pk, MONTHS[0])
    assert rates == {stars: D(rate) for stars, rate in RATES.items()}
    for line in Subsidy.objects.select_related("compound", "evaluation"):
        assert line.stars == line.evaluation.stars >= 1
        assert line.amount == to_fen(line.compound.area_m2 * rates[line.stars])
        assert line.month == MONTHS.index(line.period) + 1
    # Each month's run pays each compound once; a month computed again has nothing new.
    assert not Subsidy.objects.values("compound", "period").annotate(n=Count("id")).filter(n__gt=1)
    assert subsidies.compute(district=district, period=MONTHS[0], command=True) is None
    # The fund was paid what every run costs: it holds the waiting run's amount, exactly, and
    # the district can approve that run from the demo.
    waiting = SubsidyRun.objects.get(status=SubsidyRunStatus.COMPUTED)
    assert waiting.period == MONTHS[-1] and waiting.amount > 0
    assert subsidies.fund_left(district.pk) == waiting.amount
    office = User.objects.get(username="demo-district")
    subsidies.approve(actor=office, run=waiting)
    assert subsidies.fund_left(district.pk) == D("0.00")
    assert ledger_checks.first_discrepancy() is None
    demo = Compound.objects.get(pk=demo_compound_id())
    assert funds.fund_balance(demo) == D("20000.00")
    assert funds.rule_on(district.pk, datetime.date.fromisoformat(TODAY)).profit_share == D("0.50")


def demo_compound_id() -> int:
    """The demo compound: the demo resident's house's."""
    return User.objects.get(username="demo-resident").assignments.get().house.compound_id


def test_demo_users_each_have_a_rating_step_to_take() -> None:
    seed()

    compound_id = demo_compound_id()
    current = Evaluation.objects.get(compound_id=compound_id, period="2026")
    assert current.state == EvaluationState.DECLARED
    inspector = User.objects.get(username="demo-inspector")
    assert evaluations.may_score(inspector, current)
    resident = User.objects.get(username="demo-resident")
    open_sample = SurveySample.objects.get(
        survey__evaluation=current, house__residencies__person=resident.person
    )
    assert open_sample.answered_at is None
    page = as_user(resident).get(f"/ratings/survey/{open_sample.pk}/").content.decode()
    assert "data-questionnaire" in page
    street_page = as_user(User.objects.get(username="demo-street")).get(
        "/ratings/evaluations/?state=scored"
    )
    assert street_page.content.decode().count("data-evaluation=") == 1
    district_page = as_user(User.objects.get(username="demo-district")).get("/ratings/subsidies/")
    assert "Computed, waiting for approval" in district_page.content.decode()
