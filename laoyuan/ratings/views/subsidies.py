"""The district office's subsidy pages: the fund, the rate table, the monthly runs (compute,
approve — which posts them —, cancel) and one run's lines with its Excel export.

District office only (others: 404). A refused step re-renders the page with the reason on its
field, status 400, and writes nothing.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from laoyuan.accounts.scoping import scoped
from laoyuan.core.forms import apply_service_errors
from laoyuan.places.models import District
from laoyuan.ratings import exports
from laoyuan.ratings.enums import SUBSIDY_CAP_PER_M2
from laoyuan.ratings.models import SubsidyRate, SubsidyRun
from laoyuan.ratings.services import subsidies as service
from laoyuan.ratings.views.common import district_or_404, submitted

TEXT = {"class": "form-control"}


class ComputeForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Month (YYYY-MM)"), max_length=7, widget=forms.TextInput(attrs=TEXT)
    )


class FundForm(forms.Form):
    amount = forms.CharField(
        label=gettext_lazy("Amount (yuan)"), max_length=20, widget=forms.TextInput(attrs=TEXT)
    )
    reference = forms.CharField(
        label=gettext_lazy("Transfer reference"), max_length=60, widget=forms.TextInput(attrs=TEXT)
    )


class RatesForm(forms.Form):
    effective_from = forms.CharField(
        label=gettext_lazy("From the month (YYYY-MM)"),
        max_length=7,
        widget=forms.TextInput(attrs=TEXT),
    )
    stars_1 = forms.CharField(label=gettext_lazy("1 star"), widget=forms.TextInput(attrs=TEXT))
    stars_2 = forms.CharField(label=gettext_lazy("2 stars"), widget=forms.TextInput(attrs=TEXT))
    stars_3 = forms.CharField(label=gettext_lazy("3 stars"), widget=forms.TextInput(attrs=TEXT))
    stars_4 = forms.CharField(label=gettext_lazy("4 stars"), widget=forms.TextInput(attrs=TEXT))
    stars_5 = forms.CharField(label=gettext_lazy("5 stars"), widget=forms.TextInput(attrs=TEXT))


def _overview(
    request: HttpRequest,
    district: District,
    *,
    compute_form: ComputeForm | None = None,
    fund_form: FundForm | None = None,
    rates_form: RatesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "ratings/subsidies.html",
        {
            "district": district,
            "fund_left": service.fund_left(district.pk),
            "rates": sorted(service.rates_on(district.pk, today).items()),
            "rate_tables": SubsidyRate.objects.filter(district=district).order_by(
                "-effective_from", "stars"
            )[:25],
            "runs": scoped(SubsidyRun.objects.all(), request.user).filter(district=district)[:36],
            "compute_form": compute_form or ComputeForm(initial={"period": f"{today:%Y-%m}"}),
            "fund_form": fund_form or FundForm(),
            "rates_form": rates_form or RatesForm(),
            "cap": SUBSIDY_CAP_PER_M2,
        },
        status=status,
    )


@login_required
@require_GET
def subsidy_overview(request: HttpRequest) -> HttpResponse:
    return _overview(request, district_or_404(request.user))


@login_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    district = district_or_404(request.user)
    form = ComputeForm(request.POST)
    if form.is_valid():
        try:
            run = service.compute(
                district=district, period=form.cleaned_data["period"], actor=request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if run is None:
                messages.info(request, _("Nothing new to pay for that month."))
                return redirect("ratings:subsidies")
            return redirect("ratings:subsidy_run", pk=run.pk)
    return _overview(request, district, compute_form=form, status=400)


@login_required
@require_POST
def pay_in(request: HttpRequest) -> HttpResponse:
    district = district_or_404(request.user)
    form = FundForm(request.POST)
    if submitted(
        request,
        form,
        lambda data: service.pay_into_fund(actor=request.user, district=district, **data),
        _("Paid into the subsidy fund."),
    ):
        return redirect("ratings:subsidies")
    return _overview(request, district, fund_form=form, status=400)


@login_required
@require_POST
def set_rates(request: HttpRequest) -> HttpResponse:
    district = district_or_404(request.user)
    form = RatesForm(request.POST)
    if submitted(
        request,
        form,
        lambda data: service.set_rates(
            actor=request.user,
            district=district,
            effective_from=data["effective_from"],
            rates={stars: data[f"stars_{stars}"] for stars in range(1, 6)},
        ),
        _("The new subsidy rates are saved."),
    ):
        return redirect("ratings:subsidies")
    return _overview(request, district, rates_form=form, status=400)


def _run_or_404(user: Any, pk: int) -> SubsidyRun:
    run = scoped(SubsidyRun.objects.all(), user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


def _run_page(
    request: HttpRequest, run: SubsidyRun, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    lines = run.subsidies.select_related("compound", "payee__company").order_by(
        "compound__name", "id"
    )
    return render(
        request,
        "ratings/subsidy_run.html",
        {
            "run": run,
            "lines": lines,
            "fund_left": service.fund_left(run.district_id),
            "errors": errors or [],
        },
        status=status,
    )


@login_required
@require_GET
def subsidy_run(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_page(request, _run_or_404(request.user, pk))


@login_required
@require_GET
def subsidy_run_export(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request.user, pk)
    content = exports.subsidy_run_xlsx(run)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="subsidies-{run.period:%Y-%m}.xlsx"'
    return response


@login_required
@require_http_methods(["POST"])
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request.user, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        if approve:
            service.approve(actor=request.user, run=run)
        else:
            service.cancel(actor=request.user, run=run, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        run.refresh_from_db()
        return _run_page(request, run, errors=error.messages, status=400)
    messages.success(request, _("Approved and posted.") if approve else _("The run is cancelled."))
    return redirect("ratings:subsidy_run", pk=run.pk)


urlpatterns = [
    path("subsidies/", subsidy_overview, name="subsidies"),
    path("subsidies/compute/", compute, name="subsidy_compute"),
    path("subsidies/fund/", pay_in, name="subsidy_fund"),
    path("subsidies/rates/", set_rates, name="subsidy_rates"),
    path("subsidies/runs/<int:pk>/", subsidy_run, name="subsidy_run"),
    path("subsidies/runs/<int:pk>/export.xlsx", subsidy_run_export, name="subsidy_run_export"),
    path("subsidies/runs/<int:pk>/decide/", decide, name="subsidy_decide"),
]
