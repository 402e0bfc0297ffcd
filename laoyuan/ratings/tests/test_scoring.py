"""The rating arithmetic on plain values: bands, vetoes, the survey's weighting, bonus points and
the sample rule."""

from decimal import Decimal

import pytest

from laoyuan.ratings import scoring

D = Decimal
BANDS = [(5, D("91")), (4, D("86")), (3, D("81")), (2, D("71")), (1, D("60"))]


@pytest.mark.parametrize(
    ("total", "stars"),
    [
        ("100", 5),
        ("91.00", 5),
        ("90.99", 4),
        ("88.50", 4),
        ("86.00", 4),
        ("85.99", 3),
        ("81.00", 3),
        ("80.99", 2),
        ("71.00", 2),
        ("70.99", 1),
        ("60.00", 1),
        ("59.99", 0),
        ("0", 0),
    ],
)
def test_the_default_bands(total, stars):
    assert scoring.stars_for(D(total), BANDS, vetoed=False) == stars


def test_a_veto_caps_any_total_at_no_star():
    assert scoring.stars_for(D("100"), BANDS, vetoed=True) == 0


def test_88_5_is_four_stars_and_with_a_veto_none():
    sections = [
        (1, D("30"), D("85"), D("100")),
        (2, D("40"), D("90"), D("100")),
        (3, D("30"), D("90"), D("100")),
    ]

    plain = scoring.result(sections, bonus=D("0"), vetoed=False, bands=BANDS)
    vetoed = scoring.result(sections, bonus=D("0"), vetoed=True, bands=BANDS)

    assert [row.weighted for row in plain.sections] == [D("25.50"), D("36.00"), D("27.00")]
    assert (plain.total, plain.stars) == (D("88.50"), 4)
    assert (vetoed.total, vetoed.vetoed, vetoed.stars) == (D("88.50"), True, 0)


def test_bonus_points_add_to_the_total_up_to_100():
    sections = [(1, D("100"), D("89"), D("100"))]
    assert scoring.result(sections, bonus=D("2"), vetoed=False, bands=BANDS).total == D("91.00")
    assert scoring.result(sections, bonus=D("2"), vetoed=False, bands=BANDS).stars == 5
    full = [(1, D("100"), D("99"), D("100"))]
    assert scoring.result(full, bonus=D("5"), vetoed=False, bands=BANDS).total == D("100.00")


def test_a_section_score_is_of_100_to_two_places():
    assert scoring.section_score(D("2"), D("3")) == D("66.67")
    assert scoring.section_score(D("0"), D("0")) == D("0.00")


def test_survey_answers_weigh_the_question_points():
    questions = {"S1": D("10"), "S2": D("10")}
    # 5 → all the points, 4 → three quarters, 3 → half, 2 → a quarter, 1 → none.
    earned, possible = scoring.survey_figures(questions, [{"S1": 5, "S2": 4}, {"S1": 3, "S2": 1}])
    assert (earned, possible) == (D("22.50"), D("40.00"))
    assert scoring.section_score(earned, possible) == D("56.25")


@pytest.mark.parametrize(
    ("households", "sample"),
    [
        (0, 0),
        (1, 1),
        (30, 30),
        (50, 50),
        (51, 50),
        (499, 50),
        (500, 50),
        (501, 51),
        (509, 51),
        (510, 51),
        (511, 52),
        (1000, 100),
        (2345, 235),
    ],
)
def test_the_sample_is_ten_percent_and_at_least_fifty(households, sample):
    assert scoring.sample_size(households) == sample
