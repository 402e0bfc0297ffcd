"""The long-term management fund (长效物业管理基金) pages.

The district's page: the fund rule in force and its history (the share of a public company's
surplus returned, and the rules as published), a new rule, the year-end profit return of every
compound due, and the compounds' funds. A compound's page: its fund's balance and entries, the
rule, the costs its company declared and the returns made, with the step of each hand (the
district pays in and returns profit, the managing company declares its costs).

The district's page is the district office's (others: 404). A compound's page is for the offices
and compound roles covering it and its managing company (others: 404). A refused step re-renders
the page with the reason on its field, status 400, and writes nothing.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.billing.enums import AccountKind
from laoyuan.billing.models import Account, Posting
from laoyuan.core.forms import apply_service_errors
from laoyuan.core.money import to_fen
from laoyuan.core.params import parse_id
from laoyuan.places.models import Compound
from laoyuan.ratings.models import CostStatement, FundRule, ProfitReturn
from laoyuan.ratings.scoping import SUBSIDY_ROLES, is_district_office
from laoyuan.ratings.services import funds as service
from laoyuan.ratings.services.evaluations import covers
from laoyuan.ratings.views.common import district_or_404, submitted

TEXT = {"class": "form-control"}
PAGE_SIZE = 50


class RuleForm(forms.Form):
    effective_from = forms.DateField(
        label=gettext_lazy("From the day"),
        widget=forms.DateInput(attrs={**TEXT, "type": "date"}),
    )
    profit_share = forms.CharField(
        label=gettext_lazy("Share of the surplus returned (0 to 1)"),
        required=False,
        widget=forms.TextInput(TEXT),
    )
    note = forms.CharField(
        label=gettext_lazy("The rules, as published"),
        required=False,
        widget=forms.Textarea({**TEXT, "rows": 3}),
    )


class YearForm(forms.Form):
    year = forms.CharField(label=gettext_lazy("Year"), required=False, widget=forms.TextInput(TEXT))


class PayInForm(forms.Form):
    amount = forms.CharField(
        label=gettext_lazy("Amount (yuan)"), required=False, widget=forms.TextInput(TEXT)
    )
    reference = forms.CharField(
        label=gettext_lazy("Transfer reference"), required=False, widget=forms.TextInput(TEXT)
    )


class CostsForm(forms.Form):
    year = forms.CharField(label=gettext_lazy("Year"), required=False, widget=forms.TextInput(TEXT))
    amount = forms.CharField(
        label=gettext_lazy("Costs (yuan)"), required=False, widget=forms.TextInput(TEXT)
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.TextInput(TEXT))


def _last_year() -> int:
    return timezone.localdate().year - 1


# --- The district's page -------------------------------------------------------------------------


def _district_page(
    request: HttpRequest,
    *,
    rule_form: RuleForm | None = None,
    year_form: YearForm | None = None,
    status: int = 200,
) -> HttpResponse:
    district = district_or_404(request.user)
    today = timezone.localdate()
    accounts = (
        Account.objects.filter(
            kind=AccountKind.LONGTERM_FUND, district=district, compound__isnull=False
        )
        .values("compound_id", "compound__code", "compound__name", "compound__street__name")
        .annotate(total=Sum("postings__amount"))
        .order_by("compound__code")
    )
    page = Paginator(accounts, PAGE_SIZE).get_page(parse_id(request.GET.get("page")) or 1)
    held = [{**row, "balance": to_fen(-(row["total"] or 0))} for row in page.object_list]
    return render(
        request,
        "ratings/funds.html",
        {
            "district": district,
            "rule": service.rule_on(district.pk, today),
            "rules": FundRule.objects.filter(district=district).order_by("-effective_from")[:20],
            "rule_form": rule_form or RuleForm(initial={"effective_from": today}),
            "year_form": year_form or YearForm(initial={"year": _last_year()}),
            "due": len(service.due_returns(district.pk, _last_year())),
            "last_year": _last_year(),
            "page": page,
            "held": held,
        },
        status=status,
    )


@login_required
@require_GET
def fund_overview(request: HttpRequest) -> HttpResponse:
    # NUL is not a character a code holds, and PostgreSQL refuses it in a query.
    code = request.GET.get("code", "").replace("\x00", "").strip()[:32]
    if code:
        district = district_or_404(request.user)
        found = Compound.objects.filter(district=district, code=code).first()
        if found is not None:
            return redirect("ratings:compound_fund", pk=found.pk)
        messages.error(
            request, _("No compound of the district has the code %(code)s.") % {"code": code}
        )
    return _district_page(request)


@login_required
@require_POST
def set_rule(request: HttpRequest) -> HttpResponse:
    district = district_or_404(request.user)
    form = RuleForm(request.POST)
    if submitted(
        request,
        form,
        lambda data: service.set_rule(actor=request.user, district=district, **data),
        _("The new fund rule is saved."),
    ):
        return redirect("ratings:funds")
    return _district_page(request, rule_form=form, status=400)


@login_required
@require_POST
def return_all(request: HttpRequest) -> HttpResponse:
    district = district_or_404(request.user)
    form = YearForm(request.POST)
    if form.is_valid():
        try:
            done = service.return_profits(
                actor=request.user, district=district, year=form.cleaned_data["year"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            total = sum((row.amount for row in done), Decimal("0.00"))
            messages.success(
                request,
                ngettext(
                    "%(count)s profit return made, %(total)s yuan into the compounds' funds.",
                    "%(count)s profit returns made, %(total)s yuan into the compounds' funds.",
                    len(done),
                )
                % {"count": len(done), "total": total},
            )
            return redirect("ratings:funds")
    return _district_page(request, year_form=form, status=400)


# --- A compound's fund ---------------------------------------------------------------------------


def _compound_or_404(user: Any, pk: int) -> Compound:
    compound = Compound.objects.select_related("company", "street").filter(pk=pk).first()
    if compound is None or not covers(user, SUBSIDY_ROLES, compound):
        raise Http404
    return compound


def _compound_page(
    request: HttpRequest,
    compound: Compound,
    *,
    forms_bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = forms_bound or {}
    user = request.user
    account = Account.objects.filter(kind=AccountKind.LONGTERM_FUND, compound=compound).first()
    postings = (
        [
            (posting, -posting.amount)
            for posting in Posting.objects.filter(account=account)
            .select_related("entry")
            .order_by("-entry_id")[:100]
        ]
        if account
        else []
    )
    company = compound.company
    manages = company is not None and company.pk in scope_for(user, {Role.COMPANY}).company
    return render(
        request,
        "ratings/compound_fund.html",
        {
            "compound": compound,
            "balance": service.fund_balance(compound) if account else to_fen(0),
            "postings": postings,
            "rule": service.rule_on(compound.district_id, timezone.localdate()),
            "costs": CostStatement.objects.filter(compound=compound).select_related("company"),
            "returns": ProfitReturn.objects.filter(compound=compound).select_related("company"),
            "is_district": is_district_office(user, compound.district_id),
            "manages": manages,
            "pay_form": bound.get("pay") or PayInForm(),
            "costs_form": bound.get("costs") or CostsForm(initial={"year": _last_year()}),
            "return_form": bound.get("return") or YearForm(initial={"year": _last_year()}),
        },
        status=status,
    )


@login_required
@require_GET
def compound_fund(request: HttpRequest, pk: int) -> HttpResponse:
    return _compound_page(request, _compound_or_404(request.user, pk))


def _compound_step(
    request: HttpRequest, pk: int, name: str, form_class: type[forms.Form], action: Any, done: str
) -> HttpResponse:
    compound = _compound_or_404(request.user, pk)
    form = form_class(request.POST)
    try:
        if submitted(request, form, lambda data: action(compound, data), done):
            return redirect("ratings:compound_fund", pk=compound.pk)
    except PermissionDenied:
        raise Http404 from None
    return _compound_page(request, compound, forms_bound={name: form}, status=400)


@login_required
@require_POST
def pay_in(request: HttpRequest, pk: int) -> HttpResponse:
    return _compound_step(
        request,
        pk,
        "pay",
        PayInForm,
        lambda compound, data: service.pay_in(actor=request.user, compound=compound, **data),
        _("Paid into the compound's long-term fund."),
    )


@login_required
@require_POST
def declare_costs(request: HttpRequest, pk: int) -> HttpResponse:
    return _compound_step(
        request,
        pk,
        "costs",
        CostsForm,
        lambda compound, data: service.declare_costs(actor=request.user, compound=compound, **data),
        _("The costs are declared."),
    )


@login_required
@require_POST
def return_profit(request: HttpRequest, pk: int) -> HttpResponse:
    return _compound_step(
        request,
        pk,
        "return",
        YearForm,
        lambda compound, data: service.return_profit(
            actor=request.user, compound=compound, year=data["year"]
        ),
        _("The profit return is done."),
    )


urlpatterns = [
    path("funds/", fund_overview, name="funds"),
    path("funds/rule/", set_rule, name="fund_rule"),
    path("funds/returns/", return_all, name="fund_returns"),
    path("funds/compounds/<int:pk>/", compound_fund, name="compound_fund"),
    path("funds/compounds/<int:pk>/pay-in/", pay_in, name="compound_fund_pay_in"),
    path("funds/compounds/<int:pk>/costs/", declare_costs, name="compound_fund_costs"),
    path("funds/compounds/<int:pk>/return/", return_profit, name="compound_fund_return"),
]
