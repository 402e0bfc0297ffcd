from django.db import models
from django.utils.translation import gettext_lazy as _


class StandardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("In use")
    RETIRED = "retired", _("Retired")


class SectionKind(models.TextChoices):
    """A survey section is scored by the residents' questionnaires, an items section by the
    inspectors, item by item."""

    SURVEY = "survey", _("Satisfaction survey (满意度测评)")
    ITEMS = "items", _("Scored by inspectors")


class ItemKind(models.TextChoices):
    SCORED = "scored", _("Scored item")
    VETO = "veto", _("Veto item (一票否决)")
    BONUS = "bonus", _("Bonus item (加分项)")


class EvaluationState(models.TextChoices):
    DECLARED = "declared", _("Declared (申报)")
    SCORED = "scored", _("Scored (评分完成)")
    STREET_REVIEWED = "street_reviewed", _("Reviewed by the street (街道审核)")
    REVIEWED = "reviewed", _("Reviewed by the district (区级审核)")
    PUBLISHED = "published", _("Published for objections (公示)")
    FINAL = "final", _("Final (认定)")


# States in which the scores may still change.
OPEN_STATES = frozenset({EvaluationState.DECLARED})


class AnswerChannel(models.TextChoices):
    APP = "app", _("In the resident app")
    STAFF = "staff", _("Recorded by staff from a paper questionnaire")


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed")
    UPHELD = "upheld", _("Upheld: the evaluation is scored again")


class SubsidyRunStatus(models.TextChoices):
    COMPUTED = "computed", _("Computed, waiting for approval")
    POSTED = "posted", _("Approved and posted")
    CANCELLED = "cancelled", _("Cancelled")


class SubsidyState(models.TextChoices):
    COMPUTED = "computed", _("Computed")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


# The default bands (from the published city standards): the least total for each star level.
DEFAULT_BANDS = {5: "91", 4: "86", 3: "81", 2: "71", 1: "60"}
# The district pays at most this many yuan per m² per month (管城区: 不超过0.3元/平/月).
SUBSIDY_CAP_PER_M2 = "0.30"
# For this many months from a compound's first qualifying rating (分3年).
SUBSIDY_MONTHS = 36
# The satisfaction sample: at least this share of households and at least this many.
SAMPLE_SHARE = "0.10"
SAMPLE_MINIMUM = 50
# The answers a questionnaire offers, 1 (very dissatisfied) to 5 (very satisfied).
ANSWER_CHOICES = [
    (5, _("Very satisfied")),
    (4, _("Satisfied")),
    (3, _("Neutral")),
    (2, _("Dissatisfied")),
    (1, _("Very dissatisfied")),
]
