"""The satisfaction questionnaire in the resident app: a household drawn for its compound's
survey answers it here, once, while the evaluation is being scored.

Residents only, and only for their own households' questionnaires (others: 404). A questionnaire
answered, or whose survey has closed, shows what was given instead of the form.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.ratings.enums import ANSWER_CHOICES, AnswerChannel
from laoyuan.ratings.models import SurveySample
from laoyuan.ratings.queries import is_open, questionnaires_of, survey_questions
from laoyuan.ratings.services import evaluations as steps


def _residents_only(user: Any) -> None:
    if not scope_for(user, {Role.RESIDENT}).has_role(Role.RESIDENT):
        raise Http404


@login_required
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    _residents_only(request.user)
    samples = list(questionnaires_of(request.user)[:50])
    return render(
        request,
        "ratings/survey_list.html",
        {
            "open": [sample for sample in samples if is_open(sample)],
            "others": [sample for sample in samples if not is_open(sample)],
        },
    )


def _page(
    request: HttpRequest,
    sample: SurveySample,
    *,
    given: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    evaluation = sample.survey.evaluation
    answers = sample.answers or given or {}
    labels = dict(ANSWER_CHOICES)
    questions = [
        {
            "code": code,
            "text": text,
            "value": str(answers.get(code, "")),
            "label": labels.get(int(answers.get(code) or 0)) if sample.answers else None,
            "errors": (errors or {}).get(code, []),
        }
        for code, text in survey_questions(evaluation.standard).values_list("code", "text")
    ]
    return render(
        request,
        "ratings/survey.html",
        {
            "sample": sample,
            "evaluation": evaluation,
            "is_open": is_open(sample),
            "questions": questions,
            "unanswered": sum(1 for question in questions if question["errors"]),
            "answer_choices": ANSWER_CHOICES,
            "errors": [
                text
                for key, texts in (errors or {}).items()
                for text in texts
                if key == "__all__" or key == "answers"
            ],
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, pk: int) -> HttpResponse:
    _residents_only(request.user)
    sample = questionnaires_of(request.user).filter(pk=pk).first()
    if sample is None:
        raise Http404
    if request.method == "GET":
        return _page(request, sample)
    given = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
    try:
        steps.answer(actor=request.user, sample=sample, answers=given, channel=AnswerChannel.APP)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        sample.refresh_from_db()
        return _page(request, sample, given=given, errors=error.message_dict, status=400)
    messages.success(request, _("Thank you: your answers are recorded."))
    return redirect("ratings:survey_answer", pk=sample.pk)


urlpatterns = [
    path("survey/", survey_list, name="survey_list"),
    path("survey/<int:pk>/", survey_answer, name="survey_answer"),
]
