"""The desk's front page: which desks the user has, and a company's compounds at a glance."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from laoyuan.accounts.scoping import scoped
from laoyuan.billing import calc
from laoyuan.billing.models import Bill, BillingRun, FeeScheme
from laoyuan.billing.services.runs import scheme_in_force_id
from laoyuan.billing.views.desk._common import (
    ZERO,
    Desk,
    desk_compounds,
    desk_or_404,
    desk_render,
    desks_for,
    rate,
    today,
)
from laoyuan.places.models import Compound


@login_required
@require_GET
def desk_index(request: HttpRequest) -> HttpResponse:
    """The user's desks: straight to the one desk, or a choice of them."""
    companies = list(desks_for(request.user).select_related("street").order_by("code"))
    if not companies:
        raise Http404
    if len(companies) == 1:
        return redirect("billing:desk_home", company=companies[0].pk)
    return render(request, "billing/desk/index.html", {"companies": companies})


def runs_of_desk(request: HttpRequest, desk: Desk) -> QuerySet[BillingRun]:
    """The runs that billed this company's compounds, as far as the user may read runs: its own
    and those of one of its compounds; to its street also the street's runs over all its
    compounds (a district's runs stay with the district)."""
    served = Compound.objects.filter(company=desk.company)
    whole = Q(company__isnull=True, compound__isnull=True)
    runs = BillingRun.objects.filter(
        Q(company=desk.company)
        | Q(compound__company=desk.company)
        | (whole & Q(street__isnull=True, district__in=served.values("district_id")))
        | (whole & Q(street__in=served.values("street_id")))
    )
    return scoped(runs, request.user)


def period_param(request: HttpRequest) -> datetime.date:
    try:
        return calc.parse_period(request.GET.get("period") or "")
    except ValueError:
        return calc.month_start(today())


@login_required
@require_GET
def desk_home(request: HttpRequest, company: int) -> HttpResponse:
    """The company's compounds: the scheme in force, this month's billed, paid and rate, and how
    many households are in arrears."""
    desk = desk_or_404(request, company)
    period = period_param(request)
    this_month = calc.month_start(today())
    compounds = list(desk_compounds(request, desk).annotate(scheme_id=scheme_in_force_id(period)))
    ids = [c.pk for c in compounds]
    schemes = FeeScheme.objects.in_bulk([c.scheme_id for c in compounds if c.scheme_id])
    bills = Bill.objects.filter(company=desk.company, compound_id__in=ids)
    billed = {
        compound_id: (amount, paid)
        for compound_id, amount, paid in bills.filter(period=period, trial=False)
        .values("compound_id")
        .annotate(billed=Sum("amount"), paid=Sum("paid"))
        .values_list("compound_id", "billed", "paid")
    }
    arrears = dict(
        bills.filter(period__lt=this_month, amount__gt=F("paid"))
        .values("compound_id")
        .annotate(n=Count("account_id", distinct=True))
        .values_list("compound_id", "n")
    )
    rows = []
    total_billed = total_paid = ZERO
    for compound in compounds:
        amount, paid = billed.get(compound.pk, (ZERO, ZERO))
        total_billed += amount
        total_paid += paid
        rows.append(
            {
                "compound": compound,
                "scheme": schemes.get(compound.scheme_id),
                "billed": amount,
                "paid": paid,
                "rate": rate(paid, amount),
                "arrears": arrears.get(compound.pk, 0),
            }
        )
    last_run = (
        runs_of_desk(request, desk)
        .select_related("compound")
        .order_by("-created_at", "-id")
        .first()
    )
    return desk_render(
        request,
        "billing/desk/home.html",
        desk,
        "home",
        {
            "rows": rows,
            "period": period,
            "previous_period": calc.add_months(period, -1),
            "next_period": calc.add_months(period, 1) if period < this_month else None,
            "last_run": last_run,
            "totals": {
                "billed": total_billed,
                "paid": total_paid,
                "rate": rate(total_paid, total_billed),
                "arrears": sum(arrears.values()),
                "no_scheme": sum(1 for row in rows if row["scheme"] is None),
            },
        },
    )
