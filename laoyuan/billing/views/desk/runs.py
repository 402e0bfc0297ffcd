"""Billing runs from the desk: the list, starting one, and a run's page that follows its
progress (htmx polls a partial every 2 s while it runs) and shows the summary when done."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.billing import calc
from laoyuan.billing.enums import RunStatus
from laoyuan.billing.forms import RunForm
from laoyuan.billing.models import Bill
from laoyuan.billing.services.runs import request_run, run_progress
from laoyuan.billing.views.desk._common import (
    PAGE_SIZE,
    Desk,
    call_service,
    desk_compounds,
    desk_or_404,
    desk_render,
    today,
)
from laoyuan.billing.views.desk.home import runs_of_desk

ACTIVE = {RunStatus.PENDING, RunStatus.RUNNING}


@login_required
@require_http_methods(["GET", "POST"])
def desk_runs(request: HttpRequest, company: int) -> HttpResponse:
    """The company's runs, newest first, and the form that starts one."""
    desk = desk_or_404(request, company)
    compounds = desk_compounds(request, desk)
    if request.method == "POST":
        form = RunForm(request.POST, compounds=compounds)
        if form.is_valid():
            data = form.cleaned_data
            run = call_service(
                request,
                form,
                lambda: request_run(
                    period=data["period"],
                    actor=request.user,
                    # The owning street bills as the street; the company's staff as the company.
                    street=None if desk.manages else desk.company.street,
                    company=desk.company,
                    compound=data["compound"],
                ),
                _("The billing run for %(period)s has started.")
                % {"period": f"{data['period']:%Y-%m}"},
            )
            if run is not None:
                return redirect("billing:desk_run", company=desk.company.pk, pk=run.pk)
    else:
        form = RunForm(initial={"period": calc.month_start(today())}, compounds=compounds)
    runs = (
        runs_of_desk(request, desk)
        .select_related("compound", "requested_by")
        .order_by("-created_at", "-id")
    )
    return desk_render(
        request,
        "billing/desk/runs.html",
        desk,
        "runs",
        {"form": form, "page_obj": Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))},
    )


def _run_context(request: HttpRequest, desk: Desk, pk: int) -> dict[str, Any]:
    run = (
        runs_of_desk(request, desk).select_related("compound", "requested_by").filter(pk=pk).first()
    )
    if run is None:
        raise Http404
    context: dict[str, Any] = {"run": run, "progress": run_progress(run)}
    if run.status not in ACTIVE:
        context["summary"] = list(
            Bill.objects.filter(run=run)
            .values("compound_id", "compound__name", "compound__code")
            .annotate(
                bills=Count("id"),
                trial=Count("id", filter=Q(trial=True)),
                list_amount=Sum("list_amount"),
                amount=Sum("amount"),
            )
            .order_by("compound__code")
        )
    return context


@login_required
@require_GET
def desk_run(request: HttpRequest, company: int, pk: int) -> HttpResponse:
    desk = desk_or_404(request, company)
    return desk_render(
        request, "billing/desk/run.html", desk, "runs", _run_context(request, desk, pk)
    )


@login_required
@require_GET
def desk_run_progress(request: HttpRequest, company: int, pk: int) -> HttpResponse:
    """The progress partial htmx swaps in every 2 s; once the run has ended it carries the
    summary and no trigger, so the polling stops."""
    desk = desk_or_404(request, company)
    context = _run_context(request, desk, pk)
    return render(
        request,
        "billing/desk/_run_progress.html",
        {"desk": desk, "company": desk.company, **context},
    )
