"""The rating workflow's pages: the list of evaluations in scope, declaring a compound, and one
evaluation's page, where each hand takes its step (the inspector scores items and completes the
scoring, staff record paper questionnaires, the street and the district review, the district
publishes, answers objections and makes it final, the compound objects while it is published).

Who reads an evaluation: its scope rule (``ratings.scoping``). Who acts: the services decide; a
refusal on an evaluation the user may read is 403, one out of reach 404 for missing and
out-of-scope alike. A refused step re-renders the page with the reason, status 400, and writes
nothing.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.core.params import parse_id
from laoyuan.places.models import Compound
from laoyuan.ratings.enums import (
    ANSWER_CHOICES,
    AnswerChannel,
    EvaluationState,
    ItemKind,
    ObjectionStatus,
    SectionKind,
)
from laoyuan.ratings.models import Evaluation, Item, Score, SurveySample
from laoyuan.ratings.queries import SECTION_SCORES
from laoyuan.ratings.scoping import RATING_ROLES
from laoyuan.ratings.services import evaluations as steps

PAGE_SIZE = 50


def _readers_only(user: Any) -> None:
    if not scope_for(user, RATING_ROLES).has_role(*RATING_ROLES):
        raise Http404


def _evaluation_or_404(user: Any, pk: int) -> Evaluation:
    found = (
        scoped(Evaluation.objects.all(), user)
        .select_related("compound", "standard", "company")
        .prefetch_related(SECTION_SCORES)
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


# --- The list ------------------------------------------------------------------------------------


class FilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("Any")), *EvaluationState.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    period = forms.RegexField(
        label=gettext_lazy("Year"),
        regex=r"^[0-9]{4}$",
        required=False,
        max_length=4,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    mine = forms.BooleanField(
        label=gettext_lazy("Assigned to me"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


@login_required
@require_GET
def evaluation_list(request: HttpRequest) -> HttpResponse:
    """The evaluations in the user's scope, newest period first; filters by state and year, and
    an inspector's own assignments."""
    user = request.user
    _readers_only(user)
    rows = scoped(Evaluation.objects.all(), user).select_related("compound")
    form = FilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data.get("state"):
            rows = rows.filter(state=data["state"])
        if data.get("period"):
            rows = rows.filter(period=data["period"])
        if data.get("mine"):
            rows = rows.filter(assignments__inspector_id=user.pk)
    page = Paginator(rows.order_by("-period", "compound__name", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    scope = scope_for(user, steps.DECLARE_ROLES)
    return render(
        request,
        "ratings/evaluations.html",
        {
            "form": form,
            "page": page,
            "may_declare": scope.has_role(*steps.DECLARE_ROLES),
            "is_inspector": scope_for(user, {Role.INSPECTOR}).has_role(Role.INSPECTOR),
            "is_district": scope_for(user, {Role.DISTRICT}).has_role(Role.DISTRICT),
            "filtered": form.is_bound,
        },
    )


# --- Declaring -----------------------------------------------------------------------------------


class DeclareForm(forms.Form):
    compound = forms.ModelChoiceField(
        label=gettext_lazy("Compound"),
        queryset=Compound.objects.none(),
        empty_label=gettext_lazy("Choose a compound"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    period = forms.CharField(
        label=gettext_lazy("Rating year"),
        max_length=4,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, compounds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def declare(request: HttpRequest) -> HttpResponse:
    """The company, street or district declares a renovated compound for the year's rating."""
    user = request.user
    if not scope_for(user, steps.DECLARE_ROLES).has_role(*steps.DECLARE_ROLES):
        raise Http404
    compounds = scoped(Compound.objects.filter(renovated=True), user, steps.DECLARE_ROLES)
    form = DeclareForm(
        request.POST or None,
        compounds=compounds.order_by("name", "id"),
        initial={"period": str(timezone.localdate().year)},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                evaluation = steps.declare(
                    actor=user,
                    compound=form.cleaned_data["compound"],
                    period=form.cleaned_data["period"],
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("Declared; %(n)s households were drawn for the satisfaction survey.")
                    % {"n": evaluation.survey.required},
                )
                return redirect("ratings:evaluation", pk=evaluation.pk)
        status = 400
    return render(request, "ratings/declare.html", {"form": form}, status=status)


# --- One evaluation ------------------------------------------------------------------------------


def _items(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The inspectors' sections, each with its items and their scores so far."""
    scores = {
        score.item_id: score
        for score in Score.objects.filter(evaluation=evaluation).prefetch_related("evidence")
    }
    sections: dict[int, dict[str, Any]] = {}
    for item in (
        Item.objects.filter(section__standard=evaluation.standard, section__kind=SectionKind.ITEMS)
        .select_related("section")
        .order_by("section__position", "position", "id")
    ):
        entry = sections.setdefault(item.section_id, {"section": item.section, "items": []})
        entry["items"].append({"item": item, "score": scores.get(item.pk)})
    return list(sections.values())


def _page(
    request: HttpRequest,
    evaluation: Evaluation,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    compound = evaluation.compound
    state = evaluation.state
    open_for_scoring = state == EvaluationState.DECLARED
    may_score = open_for_scoring and steps.may_score(user, evaluation)
    survey = getattr(evaluation, "survey", None)
    samples = (
        list(SurveySample.objects.filter(survey=survey).select_related("house__building"))
        if survey is not None
        else []
    )
    staff_survey = open_for_scoring and steps.covers(user, steps.SURVEY_STAFF_ROLES, compound)
    objection_scope = scope_for(user, steps.OBJECTION_ROLES)
    result, missing = steps.figures(evaluation) if open_for_scoring else (None, [])
    may_assign = open_for_scoring and steps.covers(user, steps.ASSIGN_ROLES, compound)
    context = {
        "evaluation": evaluation,
        "compound": compound,
        "sections": _items(evaluation) if may_score or not _is_resident_only(user) else [],
        "may_score": may_score,
        "survey": survey,
        "answered": sum(1 for sample in samples if sample.answered_at is not None),
        "samples": samples if staff_survey else [],
        "staff_survey": staff_survey,
        "questions": list(steps.questions(evaluation.standard).items()),
        "answer_choices": ANSWER_CHOICES,
        "missing": missing,
        "preview": result,
        "assignments": list(evaluation.assignments.select_related("inspector")),
        "may_assign": may_assign,
        "inspectors": inspectors_for(evaluation) if may_assign else [],
        "may_street_review": state == EvaluationState.SCORED
        and steps.covers(user, frozenset({Role.STREET}), compound),
        "may_district_review": state == EvaluationState.STREET_REVIEWED
        and steps.covers(user, frozenset({Role.DISTRICT}), compound),
        "may_publish": state == EvaluationState.REVIEWED
        and steps.covers(user, frozenset({Role.DISTRICT}), compound),
        "may_finalize": state == EvaluationState.PUBLISHED
        and steps.covers(user, frozenset({Role.DISTRICT}), compound),
        "may_object": state == EvaluationState.PUBLISHED
        and (
            evaluation.compound_id in objection_scope.house_compounds
            or evaluation.compound_id in objection_scope.compound
            or evaluation.company_id in objection_scope.company
        ),
        "objections": list(evaluation.objections.select_related("filed_by")),
        "open_objection": ObjectionStatus.OPEN,
        "errors": errors or [],
        "veto": ItemKind.VETO,
    }
    return render(request, "ratings/evaluation.html", context, status=status)


def inspectors_for(evaluation: Evaluation) -> list[Any]:
    """Users whose inspector role covers the compound (its district or street), not yet
    assigned."""
    from django.db.models import Q

    from laoyuan.accounts.models import RoleAssignment, User

    holders = (
        RoleAssignment.objects.active()
        .filter(role=Role.INSPECTOR)
        .filter(Q(district_id=evaluation.district_id) | Q(street_id=evaluation.street_id))
        .values("user_id")
    )
    return list(
        User.objects.filter(pk__in=holders, is_active=True)
        .exclude(pk__in=evaluation.assignments.values("inspector_id"))
        .order_by("username")
    )


def _is_resident_only(user: Any) -> bool:
    scope = scope_for(user, RATING_ROLES)
    return scope.roles <= {Role.RESIDENT} and not scope.everything


@login_required
@require_GET
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _evaluation_or_404(request.user, pk))


def _act(request: HttpRequest, pk: int, run: Any, done: str) -> HttpResponse:
    """Take one step: its refusal re-renders the page with the reason (400, nothing written)."""
    evaluation = _evaluation_or_404(request.user, pk)
    try:
        run(evaluation)
    except PermissionDenied:
        raise PermissionDenied from None
    except ValidationError as error:
        return _page(request, evaluation, errors=error.messages, status=400)
    messages.success(request, done)
    return redirect(reverse("ratings:evaluation", kwargs={"pk": pk}))


@login_required
@require_POST
def score(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    item_id = parse_id(request.POST.get("item"))
    item = Item.objects.select_related("section").filter(pk=item_id or 0).first()
    if item is None:
        raise Http404
    return _act(
        request,
        pk,
        lambda evaluation: steps.score_item(
            actor=user,
            evaluation=evaluation,
            item=item,
            points=request.POST.get("points", ""),
            vetoed=request.POST.get("vetoed") == "1",
            note=request.POST.get("note", ""),
            photos=request.FILES.getlist("photos"),
        ),
        _("Item %(code)s scored.") % {"code": item.code},
    )


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    sample = SurveySample.objects.filter(
        pk=parse_id(request.POST.get("sample")) or 0, survey__evaluation_id=pk
    ).first()
    if sample is None:
        raise Http404
    answers = {key: value for key, value in request.POST.items() if key not in {"sample"}}
    return _act(
        request,
        pk,
        lambda evaluation: steps.answer(
            actor=user, sample=sample, answers=answers, channel=AnswerChannel.STAFF
        ),
        _("Questionnaire %(n)s recorded.") % {"n": sample.position},
    )


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    from laoyuan.accounts.models import User

    inspector = User.objects.filter(pk=parse_id(request.POST.get("inspector")) or 0).first()
    return _act(
        request,
        pk,
        lambda evaluation: steps.assign(
            actor=request.user, evaluation=evaluation, inspector=inspector
        ),
        _("Inspector assigned."),
    )


@login_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda evaluation: steps.complete_scoring(actor=request.user, evaluation=evaluation),
        _("Scoring complete; the street reviews it next."),
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int, level: str) -> HttpResponse:
    service = {"street": steps.street_review, "district": steps.district_review}.get(level)
    if service is None:
        raise Http404
    approve = request.POST.get("decision") == "pass"
    return _act(
        request,
        pk,
        lambda evaluation: service(
            actor=request.user,
            evaluation=evaluation,
            approve=approve,
            reason=request.POST.get("reason", ""),
        ),
        _("Passed on.") if approve else _("Sent back for scoring."),
    )


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda evaluation: steps.publish(actor=request.user, evaluation=evaluation),
        _("Published for objections."),
    )


@login_required
@require_POST
def finalize(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda evaluation: steps.finalize(actor=request.user, evaluation=evaluation),
        _("The rating is final."),
    )


@login_required
@require_POST
def object_to(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda evaluation: steps.object_to(
            actor=request.user, evaluation=evaluation, text=request.POST.get("text", "")
        ),
        _("Objection filed; the district answers it before the rating becomes final."),
    )


@login_required
@require_POST
def answer_objection(request: HttpRequest, pk: int, objection: int) -> HttpResponse:
    evaluation = _evaluation_or_404(request.user, pk)
    found = evaluation.objections.filter(pk=objection).first()
    if found is None:
        raise Http404
    upheld = request.POST.get("decision") == "uphold"
    return _act(
        request,
        pk,
        lambda _evaluation: steps.answer_objection(
            actor=request.user,
            objection=found,
            upheld=upheld,
            answer_text=request.POST.get("answer", ""),
        ),
        _("Objection upheld: the evaluation goes back for scoring.")
        if upheld
        else _("Objection answered."),
    )


urlpatterns = [
    path("evaluations/", evaluation_list, name="evaluations"),
    path("evaluations/declare/", declare, name="declare"),
    path("evaluations/<int:pk>/", evaluation_detail, name="evaluation"),
    path("evaluations/<int:pk>/assign/", assign, name="assign"),
    path("evaluations/<int:pk>/score/", score, name="score"),
    path("evaluations/<int:pk>/answer/", answer, name="answer"),
    path("evaluations/<int:pk>/complete/", complete, name="complete"),
    path("evaluations/<int:pk>/review/<str:level>/", review, name="review"),
    path("evaluations/<int:pk>/publish/", publish, name="publish"),
    path("evaluations/<int:pk>/finalize/", finalize, name="finalize"),
    path("evaluations/<int:pk>/object/", object_to, name="object"),
    path(
        "evaluations/<int:pk>/objections/<int:objection>/",
        answer_objection,
        name="answer_objection",
    ),
]
