"""The star rating of compounds (星级评定) and the subsidies it earns.

A ``Standard`` (《老旧小区物业管理星级标准及评分细则》) is versioned: once published it is never
edited, a change is a new version. Its sections carry weights that sum to 100; a survey section is
scored by the residents' questionnaires, an items section by inspectors item by item. Veto items
(一票否决) cap the result at no star; bonus items add points on top of the weighted total.

An ``Evaluation`` rates one compound for one period, through declared → scored → reviewed by the
street, then the district → published for objections → final. Its figures (section scores, total,
stars) are written when scoring completes and are kept with it, with the standard it used.

A ``SubsidyRun`` computes one month's subsidies (rate by star × floor area, for 36 months from the
compound's first qualifying rating); the district approves it and it posts to the fee ledger from
the district's subsidy fund to the compound's manager.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from laoyuan.ratings.enums import (
    AnswerChannel,
    EvaluationState,
    ItemKind,
    ObjectionStatus,
    SectionKind,
    StandardStatus,
    SubsidyRunStatus,
    SubsidyState,
)

ZERO = Decimal("0.00")


def score_field(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    """Points and scores: two decimal places, up to 999.99."""
    return models.DecimalField(verbose_name, max_digits=5, decimal_places=2, **kwargs)


class Placed(models.Model):
    """Rows of one compound carry its place ids, so each scope rule is an indexed filter."""

    compound = models.ForeignKey(
        "places.Compound", verbose_name=_("compound"), on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("places.Community", on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class Standard(models.Model):
    """One version of a district's star standard: its sections, items and star bands."""

    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=StandardStatus.choices, default=StandardStatus.DRAFT
    )
    # The least total for each star level (default: 91 / 86 / 81 / 71 / 60).
    five_stars = score_field(_("five stars from"))
    four_stars = score_field(_("four stars from"))
    three_stars = score_field(_("three stars from"))
    two_stars = score_field(_("two stars from"))
    one_star = score_field(_("one star from"))
    objection_days = models.PositiveSmallIntegerField(
        _("objection period (days)"), default=7, validators=[MinValueValidator(1)]
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("star standard (星级标准)")
        verbose_name_plural = _("star standards")
        ordering = ["district", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["district", "version"], name="standard_version_once"),
            models.UniqueConstraint(
                fields=["district"],
                condition=models.Q(status="published"),
                name="one_standard_in_use",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    five_stars__gt=models.F("four_stars"),
                    four_stars__gt=models.F("three_stars"),
                    three_stars__gt=models.F("two_stars"),
                    two_stars__gt=models.F("one_star"),
                    one_star__gt=0,
                    five_stars__lte=100,
                ),
                name="standard_bands_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def bands(self) -> list[tuple[int, Decimal]]:
        """(stars, least total), highest first."""
        return [
            (5, self.five_stars),
            (4, self.four_stars),
            (3, self.three_stars),
            (2, self.two_stars),
            (1, self.one_star),
        ]


class Section(models.Model):
    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.CASCADE, related_name="sections"
    )
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("scored by"), max_length=8, choices=SectionKind.choices)
    # Percent of the total; a standard's weights sum to 100.
    weight = score_field(
        _("weight (%)"), validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("standard section")
        verbose_name_plural = _("standard sections")
        ordering = ["standard", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="section_code_once"),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0, weight__lte=100), name="section_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Item(models.Model):
    """One line of the standard: points to earn (a scored item, or a survey question), points
    added on top (bonus), or a condition that caps the result at no star (veto)."""

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("code"), max_length=16)
    text = models.CharField(_("item"), max_length=300)
    kind = models.CharField(_("kind"), max_length=8, choices=ItemKind.choices)
    points = score_field(_("points"), default=ZERO)
    evidence_required = models.BooleanField(_("evidence photo required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")
        ordering = ["section", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["section", "code"], name="item_code_once"),
            models.CheckConstraint(
                condition=models.Q(kind="veto", points=0) | models.Q(points__gt=0, points__lte=100),
                name="item_points_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"


class Evaluation(Placed):
    """One compound's rating for one period, from declaration to the final result."""

    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.PROTECT, related_name="evaluations"
    )
    period = models.CharField(_("period"), max_length=7)  # a year, "2026"
    state = models.CharField(
        _("state"), max_length=16, choices=EvaluationState.choices, default=EvaluationState.DECLARED
    )
    # The manager at declaration: its staff may not score this evaluation.
    management_mode = models.CharField(_("management mode"), max_length=16)
    company = models.ForeignKey(
        "orgs.PropertyCompany",
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    total_score = score_field(_("total score"), null=True, blank=True)
    vetoed = models.BooleanField(_("vetoed (一票否决)"), default=False)
    stars = models.PositiveSmallIntegerField(
        _("stars"), null=True, blank=True, validators=[MaxValueValidator(5)]
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(_("declared at"))
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    street_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    street_reviewed_at = models.DateTimeField(null=True, blank=True)
    district_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district_reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    objection_until = models.DateField(_("objections until"), null=True, blank=True)
    final_on = models.DateField(_("final on"), null=True, blank=True)
    # Why it was sent back for scoring, the last time.
    returned_reason = models.CharField(_("returned because"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("star evaluation (星级评定)")
        verbose_name_plural = _("star evaluations")
        ordering = ["-period", "compound", "id"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "period"], name="evaluation_once"),
            models.CheckConstraint(
                condition=models.Q(stars__isnull=True) | models.Q(total_score__isnull=False),
                name="evaluation_stars_need_total",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="final") | models.Q(stars__isnull=False),
                name="evaluation_final_has_stars",
            ),
        ]
        indexes = [
            models.Index(fields=["street", "state"]),
            models.Index(fields=["compound", "state", "final_on"]),
            models.Index(fields=["period", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.period}"

    @property
    def bonus_counted(self) -> Decimal | None:
        """The bonus points the total counts: the total less the sections' weighted scores (the
        cap at 100 may count fewer than were scored). None until the scoring is complete."""
        if self.total_score is None:
            return None
        return self.total_score - sum((row.weighted for row in self.section_scores.all()), ZERO)


class SectionScore(models.Model):
    """An evaluation's result in one section, written when scoring completes."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="section_scores"
    )
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="+")
    earned = models.DecimalField(_("points earned"), max_digits=12, decimal_places=2)
    possible = models.DecimalField(_("points possible"), max_digits=12, decimal_places=2)
    score = score_field(_("score (of 100)"))
    weighted = score_field(_("weighted score"))

    class Meta:
        verbose_name = _("section score")
        verbose_name_plural = _("section scores")
        ordering = ["evaluation", "section__position", "section_id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "section"], name="section_score_once")
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.section_id} {self.score}"


class Assignment(models.Model):
    """An inspector assigned to score an evaluation."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="assignments")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inspector assignment")
        verbose_name_plural = _("inspector assignments")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "inspector"], name="assignment_once")
        ]
        indexes = [models.Index(fields=["inspector", "evaluation"])]

    def __str__(self) -> str:
        return f"{self.inspector_id} → {self.evaluation_id}"


class Score(models.Model):
    """An inspector's score of one item: points (a scored or bonus item) or whether the veto
    applies (a veto item), with a note."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    points = score_field(_("points"), default=ZERO)
    vetoed = models.BooleanField(_("veto applies"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        ordering = ["evaluation", "item__section__position", "item__position", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "item"], name="score_once"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.item_id} {self.points}"


def evidence_path(instance: "Evidence", filename: str) -> str:
    return f"ratings/{instance.score.evaluation_id}/{filename}"


class Evidence(models.Model):
    """A photo an inspector took as evidence for a score."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="evidence")
    photo = models.ImageField(_("photo"), upload_to=evidence_path)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence photo")
        verbose_name_plural = _("evidence photos")
        ordering = ["score", "id"]

    def __str__(self) -> str:
        return f"evidence {self.pk} of score {self.score_id}"


class Survey(models.Model):
    """An evaluation's satisfaction survey: the households drawn and the answers, all kept."""

    evaluation = models.OneToOneField(Evaluation, on_delete=models.CASCADE, related_name="survey")
    households = models.PositiveIntegerField(_("households in the compound"))
    required = models.PositiveIntegerField(_("questionnaires required"))
    seed = models.CharField(_("random seed"), max_length=64)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction survey (满意度测评)")
        verbose_name_plural = _("satisfaction surveys")

    def __str__(self) -> str:
        return f"survey of {self.evaluation_id}: {self.required} of {self.households}"


class SurveySample(models.Model):
    """A household drawn for the survey, and its answers once given: ``{item code: 1–5}``."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="samples")
    house = models.ForeignKey("places.House", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("drawn as"))
    answers = models.JSONField(_("answers"), null=True, blank=True)
    channel = models.CharField(
        _("answered"), max_length=8, choices=AnswerChannel.choices, blank=True
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("surveyed household")
        verbose_name_plural = _("surveyed households")
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "house"], name="sample_house_once"),
            models.UniqueConstraint(fields=["survey", "position"], name="sample_position_once"),
        ]
        indexes = [models.Index(fields=["house", "survey"])]

    def __str__(self) -> str:
        return f"{self.survey_id} #{self.position} house {self.house_id}"


class Objection(models.Model):
    """An objection raised while an evaluation is published (公示期异议)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="objections")
    text = models.CharField(_("objection"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=12, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    answer = models.CharField(_("answer"), max_length=1000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("objection (异议)")
        verbose_name_plural = _("objections")
        ordering = ["evaluation", "filed_at", "id"]

    def __str__(self) -> str:
        return f"objection {self.pk} to {self.evaluation_id}"


class SubsidyRate(models.Model):
    """Yuan per m² per month for a star level, from a day on (versioned by ``effective_from``)."""

    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField(_("effective from"))
    stars = models.PositiveSmallIntegerField(
        _("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    yuan_per_m2 = models.DecimalField(
        _("yuan per m² per month"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00")), MaxValueValidator(Decimal("0.30"))],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subsidy rate")
        verbose_name_plural = _("subsidy rates")
        ordering = ["district", "-effective_from", "-stars"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "effective_from", "stars"], name="subsidy_rate_once"
            ),
            models.CheckConstraint(
                condition=models.Q(yuan_per_m2__gte=0, yuan_per_m2__lte=Decimal("0.30")),
                name="subsidy_rate_capped",
            ),
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="subsidy_rate_stars"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_from} {self.stars}★ {self.yuan_per_m2}"


class SubsidyRun(models.Model):
    """One month's subsidies for a district: computed, then approved (and posted) by the
    district, or cancelled."""

    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("month"))  # the first of the month
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SubsidyRunStatus.choices,
        default=SubsidyRunStatus.COMPUTED,
    )
    compounds = models.PositiveIntegerField(_("compounds"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=ZERO)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    computed_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("subsidy run")
        verbose_name_plural = _("subsidy runs")
        ordering = ["-period", "-id"]
        indexes = [models.Index(fields=["district", "period"])]

    def __str__(self) -> str:
        return f"subsidies {self.period:%Y-%m}"


class Subsidy(Placed):
    """One compound's subsidy for one month: area × the rate for its stars. At most one live
    (computed or posted) per compound and month, so a rerun writes nothing new."""

    run = models.ForeignKey(SubsidyRun, on_delete=models.PROTECT, related_name="subsidies")
    period = models.DateField(_("month"))
    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("rating"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.PositiveSmallIntegerField(_("month of the 36"))
    area_m2 = models.DecimalField(_("floor area (m²)"), max_digits=12, decimal_places=2)
    stars = models.PositiveSmallIntegerField(_("stars"))
    rate = models.DecimalField(_("yuan per m² per month"), max_digits=4, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    payee = models.ForeignKey(
        "billing.Account", verbose_name=_("paid to"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=SubsidyState.choices, default=SubsidyState.COMPUTED
    )
    entry = models.OneToOneField(
        "billing.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("subsidy (补贴)")
        verbose_name_plural = _("subsidies")
        ordering = ["-period", "compound", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "period"],
                condition=~models.Q(state="cancelled"),
                name="subsidy_once_a_month",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="subsidy_positive"),
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=36), name="subsidy_month_range"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "state"]),
            models.Index(fields=["street", "period"]),
        ]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.period:%Y-%m} {self.amount}"


class FundRule(models.Model):
    """The long-term management fund's rule (长效物业管理基金, 利润返还): at year end this share of
    a public company's surplus on a compound goes back to that compound's fund."""

    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField(_("effective from"))
    profit_share = models.DecimalField(
        _("share of the surplus returned"),
        max_digits=3,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00")), MaxValueValidator(Decimal("1.00"))],
    )
    note = models.TextField(_("the rules, as published"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fund rule")
        verbose_name_plural = _("fund rules")
        ordering = ["district", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["district", "effective_from"], name="fund_rule_once"),
            models.CheckConstraint(
                condition=models.Q(profit_share__gte=0, profit_share__lte=1),
                name="fund_rule_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_from} {self.profit_share}"


class CostStatement(Placed):
    """What a company spent on a compound in a year, as it declared it: the surplus on which the
    profit return is computed is the compound's income less these costs."""

    company = models.ForeignKey("orgs.PropertyCompany", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("costs"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cost statement")
        verbose_name_plural = _("cost statements")
        ordering = ["-year", "compound"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "company", "year"], name="cost_statement_once"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.year} {self.amount}"


class ProfitReturn(Placed):
    """A year's profit return (利润返还) of a public company on a compound into the compound's
    long-term fund: the figures it was computed from are kept with it."""

    company = models.ForeignKey("orgs.PropertyCompany", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    income = models.DecimalField(_("income"), max_digits=14, decimal_places=2)
    costs = models.DecimalField(_("costs"), max_digits=14, decimal_places=2)
    surplus = models.DecimalField(_("surplus"), max_digits=14, decimal_places=2)
    share = models.DecimalField(_("share returned"), max_digits=3, decimal_places=2)
    amount = models.DecimalField(_("returned"), max_digits=14, decimal_places=2)
    entry = models.OneToOneField(
        "billing.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("profit return (利润返还)")
        verbose_name_plural = _("profit returns")
        ordering = ["-year", "compound"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "company", "year"], name="profit_return_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.year} {self.amount}"
