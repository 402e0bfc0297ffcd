"""An evaluation's way: declared (by the company or the street) → scored (by the inspectors
assigned to it, item by item, and by the residents' survey) → reviewed by the street, then the
district → published for objections → final. Each step is one function here that locks, checks
the actor's role and scope, writes and records it in the audit trail; no other code changes a
state. The street or the district may send a scored evaluation back for scoring with a reason, and
an upheld objection does the same.
"""

import datetime
import hashlib
import random
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.core import audit
from laoyuan.places.enums import HouseStatus
from laoyuan.places.models import Compound, House
from laoyuan.ratings import scoring
from laoyuan.ratings.enums import (
    AnswerChannel,
    EvaluationState,
    ItemKind,
    ObjectionStatus,
    SectionKind,
)
from laoyuan.ratings.models import (
    Assignment,
    Evaluation,
    Evidence,
    Item,
    Objection,
    Score,
    SectionScore,
    Standard,
    Survey,
    SurveySample,
)
from laoyuan.ratings.queries import survey_questions
from laoyuan.ratings.services.parsing import parse_year
from laoyuan.ratings.services.standards import in_use
from laoyuan.workorders.scoping import place_covers

# Who may declare a compound for rating: its managing company, or the offices above it.
DECLARE_ROLES = frozenset({Role.COMPANY, Role.STREET, Role.DISTRICT})
# Who assigns inspectors and sends an evaluation back: the street and the district.
ASSIGN_ROLES = frozenset({Role.STREET, Role.DISTRICT})
# Staff who record a household's paper questionnaire.
SURVEY_STAFF_ROLES = frozenset({Role.COMMUNITY, Role.STREET, Role.DISTRICT})
# Who may object while a result is published: the compound's residents, its committee and
# party branch, and its company.
OBJECTION_ROLES = frozenset({Role.RESIDENT, Role.COMMITTEE, Role.BRANCH, Role.COMPANY})
MAX_TEXT = 1000


def covers(user: Any, roles: frozenset[str], compound: Compound) -> bool:
    """Whether the user holds one of ``roles`` with a scope covering the compound's place (or,
    for a company, managing it)."""
    scope = scope_for(user, roles)
    if place_covers(
        scope,
        district_id=compound.district_id,
        street_id=compound.street_id,
        community_id=compound.community_id,
        grid_id=compound.grid_id,
        compound_id=compound.pk,
    ):
        return True
    return compound.company_id is not None and compound.company_id in scope.company


def _place(compound: Compound) -> dict[str, int]:
    return {
        "compound_id": compound.pk,
        "district_id": compound.district_id,
        "street_id": compound.street_id,
        "community_id": compound.community_id,
    }


def _text(value: Any, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(limit)s characters.") % {"limit": limit}})
    return text


def _lock(evaluation: Evaluation, *states: str) -> Evaluation:
    locked = (
        Evaluation.objects.select_for_update()
        .select_related("compound", "standard")
        .get(pk=evaluation.pk)
    )
    if states and locked.state not in states:
        raise ValidationError(
            {
                "state": _("This evaluation is %(state)s; this step is not open to it.")
                % {"state": locked.get_state_display()}
            }
        )
    return locked


def _record(actor: Any, evaluation: Evaluation, action: str, summary: str, **changes: Any) -> None:
    audit.record(
        actor=actor,
        action=f"ratings.{action}",
        target=evaluation,
        summary=f"{evaluation.compound.name} {evaluation.period}: {summary}",
        changes={"state": evaluation.state, **changes},
        district_id=evaluation.district_id,
        street_id=evaluation.street_id,
    )


# --- Declaration and the survey sample ---------------------------------------------------------


def check_period(value: Any) -> str:
    return str(parse_year(value, "period", message=_("Enter the rating year, such as 2026.")))


def draw_sample(evaluation: Evaluation, *, actor: Any, seed: str | None = None) -> Survey:
    """Draw the households to survey: ``scoring.sample_size`` of the compound's occupied
    houses, at random from a recorded seed (so the draw can be repeated and checked)."""
    houses = list(
        House.objects.filter(compound_id=evaluation.compound_id, status=HouseStatus.OCCUPIED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    seed = (
        seed
        or hashlib.sha256(
            f"{evaluation.pk}-{evaluation.period}-{timezone.now().isoformat()}".encode()
        ).hexdigest()[:32]
    )
    required = scoring.sample_size(len(houses))
    chosen = random.Random(seed).sample(houses, required)
    survey = Survey.objects.create(
        evaluation=evaluation,
        households=len(houses),
        required=required,
        seed=seed,
        drawn_by=actor if getattr(actor, "pk", None) else None,
    )
    SurveySample.objects.bulk_create(
        SurveySample(survey=survey, house_id=house_id, position=index + 1)
        for index, house_id in enumerate(chosen)
    )
    return survey


@transaction.atomic
def declare(
    *,
    actor: Any,
    compound: Compound,
    period: Any,
    standard: Standard | None = None,
    seed: str | None = None,
    now: datetime.datetime | None = None,
) -> Evaluation:
    """Declare ``compound`` for rating in ``period`` (a year) under the standard in use, and draw
    its survey sample. Renovated compounds only (改造达标), once a period."""
    # As it is now (its company may have changed since the caller read it), locked so one
    # declaration per compound and period is written at a time.
    compound = Compound.objects.select_for_update().get(pk=compound.pk)
    if not covers(actor, DECLARE_ROLES, compound):
        raise PermissionDenied
    period = check_period(period)
    errors: dict[str, str] = {}
    standard = standard or in_use(compound.district_id)
    if standard is None:
        errors["standard"] = _("The district has not published a star standard yet.")
    if not compound.renovated:
        errors["compound"] = _("Only renovated compounds are rated.")
    elif Evaluation.objects.filter(compound=compound, period=period).exists():
        errors["period"] = _("This compound was already declared for %(period)s.") % {
            "period": period
        }
    if errors:
        raise ValidationError(errors)
    assert standard is not None
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                **_place(compound),
                standard=standard,
                period=period,
                management_mode=compound.management_mode,
                company_id=compound.company_id,
                declared_by=actor,
                declared_at=now or timezone.now(),
            )
    except IntegrityError:
        raise ValidationError(
            {"period": _("This compound was already declared for %(period)s.") % {"period": period}}
        ) from None
    evaluation.compound = compound
    survey = draw_sample(evaluation, actor=actor, seed=seed)
    _record(
        actor,
        evaluation,
        "declared",
        f"declared under {standard}; {survey.required} of {survey.households} households to survey",
        standard=standard.pk,
        sample=survey.required,
    )
    return evaluation


# --- Inspectors ----------------------------------------------------------------------------------


def conflict(user: Any, evaluation: Evaluation) -> str | None:
    """Why the user may not score this evaluation, if they may not: staff of the company being
    rated, or living in the compound."""
    if evaluation.company_id is not None and evaluation.company_id in (
        scope_for(user, {Role.COMPANY}).company
    ):
        return _("Staff of the company being rated may not score it.")
    if evaluation.compound_id in scope_for(user, {Role.RESIDENT}).house_compounds:
        return _("A resident of the compound may not score it.")
    return None


def is_inspector_for(user: Any, evaluation: Evaluation) -> bool:
    scope = scope_for(user, {Role.INSPECTOR})
    return scope.everything or bool(
        evaluation.district_id in scope.district or evaluation.street_id in scope.street
    )


@transaction.atomic
def assign(*, actor: Any, evaluation: Evaluation, inspector: Any) -> Assignment:
    """Assign an inspector (one whose inspector role covers the compound and who has no conflict)
    to score the evaluation."""
    evaluation = _lock(evaluation, EvaluationState.DECLARED)
    if not covers(actor, ASSIGN_ROLES, evaluation.compound):
        raise PermissionDenied
    if inspector is None or not is_inspector_for(inspector, evaluation):
        raise ValidationError({"inspector": _("Choose an inspector of this street or district.")})
    reason = conflict(inspector, evaluation)
    if reason:
        raise ValidationError({"inspector": reason})
    assignment, created = Assignment.objects.get_or_create(
        evaluation=evaluation, inspector=inspector, defaults={"assigned_by": actor}
    )
    if not created:
        raise ValidationError({"inspector": _("This inspector is already assigned.")})
    _record(actor, evaluation, "assigned", f"inspector {inspector.username} assigned")
    return assignment


def may_score(user: Any, evaluation: Evaluation) -> bool:
    """An assigned inspector, still an inspector here, with no conflict."""
    return (
        Assignment.objects.filter(
            evaluation=evaluation, inspector_id=getattr(user, "pk", None)
        ).exists()
        and is_inspector_for(user, evaluation)
        and conflict(user, evaluation) is None
    )


def _points(value: Any, item: Item) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"points": _("Enter the points.")}) from None
    if not number.is_finite() or number != number.quantize(Decimal("0.01")):
        raise ValidationError({"points": _("Enter points with at most two decimal places.")})
    if not Decimal(0) <= number <= item.points:
        raise ValidationError(
            {"points": _("Enter from 0 to %(points)s points.") % {"points": item.points}}
        )
    return number


@transaction.atomic
def score_item(
    *,
    actor: Any,
    evaluation: Evaluation,
    item: Item,
    points: Any = None,
    vetoed: bool = False,
    note: Any = "",
    photos: list[UploadedFile] | None = None,
) -> Score:
    """An assigned inspector scores one item (points for a scored or bonus item; for a veto item,
    whether it applies), with a note and evidence photos. Scoring again replaces the points and
    the note and adds the photos."""
    from laoyuan.workorders.services.photos import clean_photo

    evaluation = _lock(evaluation, EvaluationState.DECLARED)
    if not may_score(actor, evaluation):
        raise PermissionDenied
    if item.section.standard_id != evaluation.standard_id or item.section.kind != SectionKind.ITEMS:
        raise ValidationError({"item": _("This item is not scored by inspectors here.")})
    note = _text(note, "note", required=False, limit=500)
    if item.kind == ItemKind.VETO:
        value, applies = Decimal("0.00"), bool(vetoed)
        if applies and not note:
            raise ValidationError({"note": _("Say why the veto applies.")})
    else:
        value, applies = _points(points, item), False
    cleaned = [clean_photo(photo, field="photos") for photo in photos or []]
    score = Score.objects.filter(evaluation=evaluation, item=item).first()
    has_evidence = score is not None and score.evidence.exists()
    if item.evidence_required and not cleaned and not has_evidence:
        raise ValidationError({"photos": _("This item needs an evidence photo.")})
    if score is None:
        score = Score(evaluation=evaluation, item=item)
    score.points, score.vetoed, score.note, score.scored_by = value, applies, note, actor
    score.save()
    for index, photo in enumerate(cleaned):
        evidence = Evidence(score=score, uploaded_by=actor)
        extension = photo.content_type.split("/")[-1]
        evidence.photo.save(f"{item.code}-{index + 1}.{extension}", photo.content, save=False)
        evidence.save()
    _record(
        actor,
        evaluation,
        "scored_item",
        f"{item.code}: {'veto applies' if applies else value}",
        item=item.code,
        points=value,
        vetoed=applies,
        photos=len(cleaned),
    )
    return score


# --- The survey ----------------------------------------------------------------------------------


def questions(standard: Standard) -> dict[str, Decimal]:
    """The questionnaire: the survey section's questions (code → points)."""
    return dict(survey_questions(standard).values_list("code", "points"))


@transaction.atomic
def answer(
    *, actor: Any, sample: SurveySample, answers: dict[str, Any], channel: str = AnswerChannel.APP
) -> SurveySample:
    """A surveyed household's answers, each 1 (very dissatisfied) to 5 (very satisfied): given
    in the app by a resident of the house, or recorded by staff from the paper questionnaire.
    Once given, answers are kept as they are."""
    sample = (
        SurveySample.objects.select_for_update()
        .select_related("survey__evaluation")
        .get(pk=sample.pk)
    )
    evaluation = _lock(sample.survey.evaluation, EvaluationState.DECLARED)
    if channel == AnswerChannel.APP:
        if sample.house_id not in scope_for(actor, {Role.RESIDENT}).house:
            raise PermissionDenied
    elif channel == AnswerChannel.STAFF:
        if not covers(actor, SURVEY_STAFF_ROLES, evaluation.compound):
            raise PermissionDenied
    else:
        raise ValidationError({"channel": _("Choose how the answers were given.")})
    if sample.answered_at is not None:
        raise ValidationError({"answers": _("This household has already answered.")})
    wanted = questions(evaluation.standard)
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for code in wanted:
        raw = answers.get(code)
        try:
            value = int(str(raw))
        except ValueError:
            value = 0
        if value not in (1, 2, 3, 4, 5):
            errors[code] = _("Choose an answer.")
        else:
            clean[code] = value
    if errors:
        raise ValidationError(errors)
    sample.answers, sample.channel = clean, channel
    sample.answered_by, sample.answered_at = actor, timezone.now()
    sample.save(update_fields=["answers", "channel", "answered_by", "answered_at"])
    _record(
        actor,
        evaluation,
        "survey_answer",
        f"questionnaire {sample.position} answered ({channel})",
        position=sample.position,
        channel=channel,
    )
    return sample


# --- Completing the scoring ----------------------------------------------------------------------


def figures(evaluation: Evaluation) -> tuple[scoring.Result, list[str]]:
    """The evaluation's result from its scores and answers so far, and what is still missing."""
    standard = evaluation.standard
    sections = list(standard.sections.prefetch_related("items").order_by("position", "id"))
    scores = {score.item_id: score for score in Score.objects.filter(evaluation=evaluation)}
    missing: list[str] = []
    rows = []
    bonus = Decimal(0)
    vetoed = False
    for section in sections:
        items = list(section.items.all())
        if section.kind == SectionKind.SURVEY:
            survey = Survey.objects.filter(evaluation=evaluation).first()
            samples = (
                SurveySample.objects.filter(survey=survey, answered_at__isnull=False)
                if survey
                else SurveySample.objects.none()
            )
            answered: list[dict[str, int]] = [
                answers for answers in samples.values_list("answers", flat=True) if answers
            ]
            required = survey.required if survey else 0
            if len(answered) < required:
                missing.append(
                    _("%(answered)s of %(required)s questionnaires answered.")
                    % {"answered": len(answered), "required": required}
                )
            wanted = {item.code: item.points for item in items if item.kind == ItemKind.SCORED}
            earned, possible = scoring.survey_figures(wanted, answered)
        else:
            earned = possible = Decimal(0)
            for item in items:
                score = scores.get(item.pk)
                if score is None:
                    missing.append(_("Item %(code)s is not scored.") % {"code": item.code})
                    continue
                if item.kind == ItemKind.SCORED:
                    earned += score.points
                    possible += item.points
                elif item.kind == ItemKind.BONUS:
                    bonus += score.points
                elif score.vetoed:
                    vetoed = True
        rows.append((section.pk, section.weight, earned, possible))
    return scoring.result(rows, bonus=bonus, vetoed=vetoed, bands=standard.bands()), missing


@transaction.atomic
def complete_scoring(
    *, actor: Any, evaluation: Evaluation, now: datetime.datetime | None = None
) -> Evaluation:
    """An assigned inspector closes the scoring once every item is scored and the survey has its
    questionnaires: the section scores, total and stars are written."""
    evaluation = _lock(evaluation, EvaluationState.DECLARED)
    if not may_score(actor, evaluation):
        raise PermissionDenied
    result, missing = figures(evaluation)
    if missing:
        raise ValidationError({"state": missing})
    SectionScore.objects.filter(evaluation=evaluation).delete()
    SectionScore.objects.bulk_create(
        SectionScore(
            evaluation=evaluation,
            section_id=row.section_id,
            earned=row.earned,
            possible=row.possible,
            score=row.score,
            weighted=row.weighted,
        )
        for row in result.sections
    )
    evaluation.total_score, evaluation.vetoed, evaluation.stars = (
        result.total,
        result.vetoed,
        result.stars,
    )
    evaluation.state, evaluation.scored_at = EvaluationState.SCORED, now or timezone.now()
    evaluation.save()
    _record(
        actor,
        evaluation,
        "scored",
        f"total {result.total}{' (vetoed)' if result.vetoed else ''}: {result.stars} stars",
        total=result.total,
        vetoed=result.vetoed,
        stars=result.stars,
    )
    return evaluation


def _reopen(evaluation: Evaluation, reason: str) -> None:
    """Back to scoring: the figures are cleared until the scoring completes again."""
    SectionScore.objects.filter(evaluation=evaluation).delete()
    evaluation.state = EvaluationState.DECLARED
    evaluation.total_score = evaluation.stars = None
    evaluation.vetoed = False
    evaluation.scored_at = evaluation.street_reviewed_at = evaluation.district_reviewed_at = None
    evaluation.street_reviewed_by = evaluation.district_reviewed_by = None
    evaluation.published_at = evaluation.objection_until = None
    evaluation.returned_reason = reason[:300]
    evaluation.save()


# --- Review, publication, objections, the final result -----------------------------------------


def _review(
    actor: Any,
    evaluation: Evaluation,
    *,
    level: str,
    approve: bool,
    reason: Any,
) -> Evaluation:
    """One review step: the street (of a scored evaluation) or the district (of one the street
    passed) passes it on, or sends it back for scoring with a reason."""
    waits_for, passed = REVIEW_STEPS[level]
    evaluation = _lock(evaluation, waits_for)
    if not covers(actor, frozenset({level}), evaluation.compound):
        raise PermissionDenied
    if approve:
        evaluation.state = passed
        setattr(evaluation, f"{level}_reviewed_by", actor)
        setattr(evaluation, f"{level}_reviewed_at", timezone.now())
        evaluation.save()
        _record(actor, evaluation, f"{level}_reviewed", f"passed by the {level}")
    else:
        text = _text(reason, "reason", limit=300)
        _reopen(evaluation, text)
        _record(actor, evaluation, "returned", f"sent back by the {level}: {text}", reason=text)
    return evaluation


# Who reviews, the state they review and the state they pass it on in.
REVIEW_STEPS: dict[str, tuple[str, str]] = {
    Role.STREET: (EvaluationState.SCORED, EvaluationState.STREET_REVIEWED),
    Role.DISTRICT: (EvaluationState.STREET_REVIEWED, EvaluationState.REVIEWED),
}


@transaction.atomic
def street_review(
    *, actor: Any, evaluation: Evaluation, approve: bool, reason: Any = ""
) -> Evaluation:
    """The street passes the scored evaluation to the district, or sends it back for scoring."""
    return _review(actor, evaluation, level=Role.STREET, approve=approve, reason=reason)


@transaction.atomic
def district_review(
    *, actor: Any, evaluation: Evaluation, approve: bool, reason: Any = ""
) -> Evaluation:
    """The district passes the evaluation (it may then be published), or sends it back."""
    return _review(actor, evaluation, level=Role.DISTRICT, approve=approve, reason=reason)


@transaction.atomic
def publish(
    *, actor: Any, evaluation: Evaluation, today: datetime.date | None = None
) -> Evaluation:
    """Publish the result for objections (公示) for the standard's objection period."""
    evaluation = _lock(evaluation, EvaluationState.REVIEWED)
    if not covers(actor, frozenset({Role.DISTRICT}), evaluation.compound):
        raise PermissionDenied
    today = today or timezone.localdate()
    evaluation.state = EvaluationState.PUBLISHED
    evaluation.published_at = timezone.now()
    evaluation.objection_until = today + datetime.timedelta(days=evaluation.standard.objection_days)
    evaluation.save()
    _record(
        actor,
        evaluation,
        "published",
        f"published; objections until {evaluation.objection_until}",
        objection_until=evaluation.objection_until,
    )
    return evaluation


@transaction.atomic
def object_to(
    *, actor: Any, evaluation: Evaluation, text: Any, today: datetime.date | None = None
) -> Objection:
    """An objection during the publication period, by the compound's residents, committee,
    branch or company."""
    evaluation = _lock(evaluation, EvaluationState.PUBLISHED)
    scope = scope_for(actor, OBJECTION_ROLES)
    if not (
        evaluation.compound_id in scope.house_compounds
        or evaluation.compound_id in scope.compound
        or (evaluation.company_id is not None and evaluation.company_id in scope.company)
    ):
        raise PermissionDenied
    today = today or timezone.localdate()
    assert evaluation.objection_until is not None
    if today > evaluation.objection_until:
        raise ValidationError(
            {
                "text": _("The objection period ended on %(day)s.")
                % {"day": evaluation.objection_until}
            }
        )
    text = _text(text, "text")
    objection = Objection.objects.create(evaluation=evaluation, text=text, filed_by=actor)
    _record(
        actor, evaluation, "objection", f"objection {objection.pk} filed", objection=objection.pk
    )
    return objection


@transaction.atomic
def answer_objection(
    *, actor: Any, objection: Objection, upheld: bool, answer_text: Any
) -> Objection:
    """The district answers an objection: dismissed (the result stands), or upheld (the
    evaluation goes back for scoring)."""
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    evaluation = _lock(objection.evaluation, EvaluationState.PUBLISHED)
    if not covers(actor, frozenset({Role.DISTRICT}), evaluation.compound):
        raise PermissionDenied
    if objection.status != ObjectionStatus.OPEN:
        raise ValidationError({"objection": _("This objection was already answered.")})
    text = _text(answer_text, "answer")
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.answer, objection.answered_by, objection.answered_at = text, actor, timezone.now()
    objection.save()
    if upheld:
        _reopen(evaluation, text)
    _record(
        actor,
        evaluation,
        "objection_answered",
        f"objection {objection.pk} {objection.status}: {text}",
        objection=objection.pk,
        upheld=upheld,
    )
    return objection


@transaction.atomic
def finalize(
    *, actor: Any, evaluation: Evaluation, today: datetime.date | None = None
) -> Evaluation:
    """The result becomes final once the objection period is over and every objection answered."""
    evaluation = _lock(evaluation, EvaluationState.PUBLISHED)
    if not covers(actor, frozenset({Role.DISTRICT}), evaluation.compound):
        raise PermissionDenied
    today = today or timezone.localdate()
    assert evaluation.objection_until is not None
    if today <= evaluation.objection_until:
        raise ValidationError(
            {
                "state": _("Objections may be raised until %(day)s; finalise after that.")
                % {"day": evaluation.objection_until}
            }
        )
    if evaluation.objections.filter(status=ObjectionStatus.OPEN).exists():
        raise ValidationError({"state": _("Answer the open objections first.")})
    evaluation.state, evaluation.final_on = EvaluationState.FINAL, today
    evaluation.save()
    _record(
        actor,
        evaluation,
        "final",
        f"final: {evaluation.stars} stars ({evaluation.total_score})",
        stars=evaluation.stars,
        total=evaluation.total_score,
    )
    return evaluation
