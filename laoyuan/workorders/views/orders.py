"""One order's page: its facts, its photos, its whole timeline and the steps the reader may
take. Every read goes through ``accounts.scoping`` (out of scope is 404); every step goes
through ``services.transitions.transition``, the one writer of status."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import get_scoped_or_404, scoped
from laoyuan.core.personal import mask_phone
from laoyuan.orgs.models import PropertyCompany
from laoyuan.workorders.enums import Action
from laoyuan.workorders.models import Photo, Team, WorkOrder
from laoyuan.workorders.scoping import ORDER_ROLES
from laoyuan.workorders.services.transitions import (
    MOVES,
    Forbidden,
    NotAllowed,
    available_actions,
    transition,
)

# Roles whose readers see who took each step by name; residents see the role only.
STAFF_ROLES = ORDER_ROLES - {Role.RESIDENT}

# The actions whose forms offer a photo upload (finish needs one where the category says so).
PHOTO_ACTIONS = frozenset(
    {
        Action.START,
        Action.FINISH,
        Action.RETURN,
        Action.SUPERVISE,
        Action.SEND_BACK,
        Action.VERIFY,
        Action.NOT_OURS,
    }
)
ASSIGN_ACTIONS = frozenset({Action.DISPATCH, Action.TRANSFER})
# Steps that undo or end an order: shown as secondary buttons.
SECONDARY_ACTIONS = frozenset(
    {
        Action.RETURN,
        Action.TRANSFER,
        Action.MARK_DUPLICATE,
        Action.NOT_OURS,
        Action.CANCEL,
        Action.SEND_BACK,
        Action.REOPEN,
    }
)
NOTE_LABELS: dict[str, Any] = {
    Action.FINISH: gettext_lazy("What was done"),
    Action.RETURN: gettext_lazy("Why is it returned?"),
    Action.SEND_BACK: gettext_lazy("What is still wrong?"),
    Action.NOT_OURS: gettext_lazy("Who is responsible?"),
    Action.RATE: gettext_lazy("Comment (optional)"),
    Action.REOPEN: gettext_lazy("What is still wrong? (optional)"),
}
# What each step means, in plain words, above its button.
ACTION_HELP: dict[str, Any] = {
    Action.DISPATCH: gettext_lazy("Send the order to a company or a team to do it."),
    Action.TRANSFER: gettext_lazy("Give the order to another company or team."),
    Action.ACCEPT: gettext_lazy("Take the order on: the response target is met now."),
    Action.RETURN: gettext_lazy("Give the order back to the branch, saying why."),
    Action.START: gettext_lazy("Work has begun on site."),
    Action.FINISH: gettext_lazy("The work is done: say what was done, with photos."),
    Action.SUPERVISE: gettext_lazy("The committee has checked the work and it is good."),
    Action.SEND_BACK: gettext_lazy("The work is not good enough: back to the company."),
    Action.VERIFY: gettext_lazy("The community confirms the problem is solved."),
    Action.RATE: gettext_lazy("How satisfied are you with how this was handled?"),
    Action.CLOSE: gettext_lazy("Close the rated order."),
    Action.MARK_DUPLICATE: gettext_lazy("The same problem was already reported."),
    Action.NOT_OURS: gettext_lazy("This is not for the compound to do: name who is."),
    Action.CANCEL: gettext_lazy("Withdraw the report before anyone takes it on."),
    Action.REOPEN: gettext_lazy("The problem is not solved: open the order again."),
}
# Buttons that read better in plain words than the action's name.
BUTTON_LABELS: dict[str, Any] = {
    Action.CANCEL: gettext_lazy("Withdraw my report"),
    Action.RATE: gettext_lazy("Send my rating"),
}
RATINGS = (5, 4, 3, 2, 1)


def order_queryset() -> Any:
    return WorkOrder.objects.select_related(
        "category",
        "compound__company",
        "company",
        "team",
        "duplicate_of",
        "house__building",
        "reported_by",
    )


def _action_forms(
    order: WorkOrder,
    actions: list[str],
    *,
    failed: str = "",
    errors: dict[str, list[str]] | None = None,
    posted: Any = None,
) -> list[dict[str, Any]]:
    """What the page needs to draw one form per available action, with the failed one's errors
    and posted values."""
    errors = errors or {}
    forms = []
    for action in actions:
        mine = action == failed
        values = posted if mine and posted is not None else {}
        fields = {"note"}
        if action in ASSIGN_ACTIONS:
            fields |= {"company", "team"}
        if action in PHOTO_ACTIONS:
            fields.add("photos")
        if action == Action.RATE:
            fields.add("rating")
        if action == Action.MARK_DUPLICATE:
            fields.add("duplicate_of")
        mine_errors = errors if mine else {}
        forms.append(
            {
                "action": action,
                "label": BUTTON_LABELS.get(action, Action(action).label),
                "help": ACTION_HELP.get(action, ""),
                "note_label": NOTE_LABELS.get(action, gettext_lazy("Note (optional)")),
                "note_required": MOVES[action].note_required,
                "assign": action in ASSIGN_ACTIONS,
                "photos": action in PHOTO_ACTIONS,
                "photos_required": action == Action.FINISH and order.category.photos_required,
                "rating": action == Action.RATE,
                "duplicate": action == Action.MARK_DUPLICATE,
                "secondary": action in SECONDARY_ACTIONS,
                "errors": mine_errors,
                "other_errors": [
                    message
                    for key, messages_ in mine_errors.items()
                    if key not in fields
                    for message in messages_
                ],
                "note": values.get("note", ""),
                "company": values.get("company", ""),
                "team": values.get("team", ""),
                "rating_value": values.get("rating", ""),
                "duplicate_of": values.get("duplicate_of", ""),
            }
        )
    return forms


def _page(
    request: HttpRequest,
    order: WorkOrder,
    *,
    failed: str = "",
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    # Staff names show to those who see the order through a staff role (one query).
    staff = scoped(WorkOrder.objects.filter(pk=order.pk), user, STAFF_ROLES).exists()
    events = list(
        order.events.select_related("actor").prefetch_related("photos").order_by("at", "id")
    )
    actions = available_actions(order, user)
    companies: list[PropertyCompany] = []
    teams: list[Team] = []
    if ASSIGN_ACTIONS.intersection(actions):
        companies = list(
            PropertyCompany.objects.filter(district_id=order.district_id).order_by("name")
        )
        teams = list(
            Team.objects.filter(street_id=order.street_id, active=True).select_related("company")
        )
    report_photos = [p for e in events if e.action == Action.CREATE for p in e.photos.all()]
    return render(
        request,
        "workorders/detail.html",
        {
            "order": order,
            "events": events,
            "staff": staff,
            "overdue": order.is_overdue(),
            "contact_phone": mask_phone(order.contact_phone) if order.contact_phone else "",
            "report_photos": report_photos,
            "forms": _action_forms(
                order,
                actions,
                failed=failed,
                errors=errors,
                posted=request.POST if failed else None,
            ),
            # Errors of an action that has no form here (unknown, or no longer available).
            "page_errors": [
                message for messages_ in (errors or {}).values() for message in messages_
            ]
            if failed and failed not in actions
            else [],
            "companies": companies,
            "teams": teams,
            "default_company": order.company_id or order.compound.company_id,
            "ratings": RATINGS,
        },
        status=status,
    )


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_scoped_or_404(order_queryset(), request.user, pk=pk)
    return _page(request, order)


@login_required
@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one step on the order: the form's ``action`` with its fields. Errors go back on the
    page (400); a step no longer allowed is a message; the wrong hand is 403."""
    order = get_scoped_or_404(order_queryset(), request.user, pk=pk)
    action = request.POST.get("action", "")
    try:
        transition(
            order_id=order.pk,
            actor=request.user,
            action=action,
            note=request.POST.get("note", ""),
            company_id=request.POST.get("company") or None,
            team_id=request.POST.get("team") or None,
            rating=request.POST.get("rating") or None,
            duplicate_of_id=request.POST.get("duplicate_of") or None,
            photos=request.FILES.getlist("photos"),
        )
    except NotAllowed as error:
        messages.error(request, error.message)
        return redirect("workorders:detail", pk=order.pk)
    except Forbidden:
        raise
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        return _page(request, order, failed=action, errors=errors, status=400)
    messages.success(request, _("Done: %(action)s.") % {"action": Action(action).label})
    return redirect("workorders:detail", pk=order.pk)


@login_required
@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """One photo of an order, to those who may see the order (never a public media URL)."""
    row = get_scoped_or_404(Photo.objects.all(), request.user, pk=pk)
    response = FileResponse(row.image.open("rb"), content_type=row.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/act/", act, name="act"),
    path("photos/<int:pk>/", photo, name="photo"),
]
