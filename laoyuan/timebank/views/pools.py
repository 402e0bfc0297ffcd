"""The money of the time bank: the offset pools (抵扣资金池) and the published rates (抵扣标准).

A pool's money lives in the fee ledger (its fund account): what was contributed is the fund's
credits, what was granted as discounts its debits, and what is left its credit balance — the
list reads all three for every pool in one query. Pools are the offices' affair (community,
street, district); the rates are published, so every time-bank role reads those of its district,
and the district office publishes a new version.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import get_scoped_or_404, scope_for, scoped
from laoyuan.billing.models import ZERO
from laoyuan.core.money import to_fen
from laoyuan.places.models import Community, Compound, District, Street
from laoyuan.timebank.enums import PoolSource
from laoyuan.timebank.models import Pool, Rate, Redemption, minutes_label
from laoyuan.timebank.scoping import MANAGER_ROLES, TIMEBANK_ROLES
from laoyuan.timebank.services import exchange
from laoyuan.timebank.views.orgs import _mark_invalid, _require_roles, _service_errors, _style

PAGE_SIZE = 20


def with_totals(pools: QuerySet[Pool]) -> QuerySet[Pool]:
    """Each pool with ``contributed`` (its fund's credits), ``granted`` (its debits: discounts)
    and ``left`` (the credit balance, as ``discounts.fund_left``), summed in the same query."""
    amount = "fund__postings__amount"
    return pools.annotate(
        credits=Sum(amount, filter=Q(fund__postings__amount__lt=0)),
        debits=Sum(amount, filter=Q(fund__postings__amount__gt=0)),
    )


@dataclass(frozen=True)
class PoolRow:
    pool: Pool
    coverage: str
    contributed: Decimal
    granted: Decimal
    left: Decimal


def pool_row(pool: Pool) -> PoolRow:
    """The pool with its coverage and money, from ``with_totals``' sums."""
    credits = getattr(pool, "credits", None) or ZERO
    debits = getattr(pool, "debits", None) or ZERO
    return PoolRow(
        pool=pool,
        coverage=coverage_label(pool),
        contributed=to_fen(-credits),
        granted=to_fen(debits),
        left=to_fen(-(credits + debits)),
    )


def coverage_label(pool: Pool) -> str:
    if pool.community is not None:
        return _("Community: %(name)s") % {"name": pool.community.name}
    if pool.street is not None:
        return _("Street: %(name)s") % {"name": pool.street.name}
    return _("District: %(name)s") % {"name": pool.district.name}


def coverage_choices(user: Any) -> list[tuple[str, Any]]:
    """Where the user may open a pool: their districts, streets and communities."""
    scope = scope_for(user, MANAGER_ROLES)
    districts = District.objects.filter(id__in=scope.district).order_by("name", "id")
    if scope.everything:
        districts = District.objects.order_by("name", "id")
    streets = scoped(Street.objects.all(), user, MANAGER_ROLES).order_by("name", "id")
    communities = scoped(Community.objects.all(), user, MANAGER_ROLES).order_by("name", "id")
    choices: list[tuple[str, Any]] = [("", "—")]
    for label, prefix, rows in (
        (_("The whole district"), "district", districts),
        (_("A street"), "street", streets),
        (_("A community"), "community", communities),
    ):
        options = [(f"{prefix}:{row.pk}", row.name) for row in rows]
        if options:
            choices.append((label, options))
    return choices


class PoolForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("of a thing", "Name"), max_length=100, required=False
    )
    coverage = forms.ChoiceField(label=gettext_lazy("Serves"))
    source_kind = forms.ChoiceField(
        label=gettext_lazy("Where the money comes from"),
        choices=[("", "—"), *PoolSource.choices],
        required=False,
    )
    sponsor = forms.CharField(
        label=gettext_lazy("Funded by (optional)"), max_length=100, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["coverage"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = coverage_choices(user)
        _style(self)

    def place(self) -> dict[str, Any]:
        kind, _sep, pk = self.cleaned_data["coverage"].partition(":")
        ident = int(pk)
        if kind == "community":
            community = Community.objects.get(pk=ident)
            return {
                "district_id": community.district_id,
                "street_id": community.street_id,
                "community_id": ident,
            }
        if kind == "street":
            street = Street.objects.get(pk=ident)
            return {"district_id": street.district_id, "street_id": ident, "community_id": None}
        return {"district_id": ident, "street_id": None, "community_id": None}


@login_required
@require_http_methods(["GET", "POST"])
def pool_list(request: HttpRequest) -> HttpResponse:
    """The pools serving the user's places with what was contributed, granted and is left (two
    queries whatever the number of pools), and a form to open a pool."""
    user = request.user
    _require_roles(user, MANAGER_ROLES)
    if request.method == "POST":
        form = PoolForm(request.POST, user=user)
        if form.is_valid():
            try:
                pool = exchange.create_pool(
                    actor=user,
                    name=form.cleaned_data["name"],
                    source_kind=form.cleaned_data["source_kind"],
                    sponsor=form.cleaned_data["sponsor"],
                    **form.place(),
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                _service_errors(form, error)
            else:
                messages.success(request, _("Pool “%(name)s” opened.") % {"name": pool.name})
                return redirect("timebank:pool_detail", pk=pool.pk)
    else:
        form = PoolForm(user=user)
    _mark_invalid(form)
    pools = with_totals(
        scoped(Pool.objects.all(), user).select_related("district", "street", "community")
    ).order_by("district__name", "name", "id")
    page = Paginator(pools, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [pool_row(pool) for pool in page.object_list]
    return render(request, "timebank/pools.html", {"page_obj": page, "rows": rows, "form": form})


class ContributionForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"), max_digits=12, decimal_places=2
    )
    reference = forms.CharField(
        label=gettext_lazy("Transfer or voucher reference"), max_length=64, required=False
    )
    received_on = forms.DateField(
        label=gettext_lazy("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
        self.fields["amount"].widget.attrs["inputmode"] = "decimal"


@login_required
@require_http_methods(["GET", "POST"])
def pool_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A pool: its contributions, the redemptions it paid (those of households in the user's
    scope), what is left, and for its office a form to record a contribution, confirmed before
    it is recorded."""
    user = request.user
    pool = get_scoped_or_404(
        with_totals(Pool.objects.select_related("district", "street", "community")),
        user,
        pk=pk,
    )
    may_manage = exchange.may_manage_pool(user, pool)
    form: ContributionForm | None = None
    confirm = False
    if may_manage:
        if request.method == "POST":
            form = ContributionForm(request.POST)
            if form.is_valid():
                if request.POST.get("confirm") != "1":
                    confirm = True
                else:
                    data = form.cleaned_data
                    try:
                        contribution = exchange.contribute(
                            actor=user,
                            pool=pool,
                            amount=data["amount"],
                            reference=data["reference"],
                            received_on=data["received_on"],
                        )
                    except PermissionDenied:
                        raise Http404 from None
                    except ValidationError as error:
                        _service_errors(form, error)
                    else:
                        messages.success(
                            request,
                            _("%(amount)s yuan recorded into %(pool)s (%(reference)s).")
                            % {
                                "amount": f"{contribution.amount:.2f}",
                                "pool": pool.name,
                                "reference": contribution.reference,
                            },
                        )
                        return redirect("timebank:pool_detail", pk=pool.pk)
        else:
            form = ContributionForm(initial={"received_on": timezone.localdate()})
        _mark_invalid(form)
    elif request.method == "POST":
        raise Http404
    contributions = Paginator(
        pool.contributions.order_by("-received_on", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("cpage"))
    redemptions = Paginator(
        scoped(Redemption.objects.filter(pool=pool), user)
        .select_related("house__building", "payment__receipt")
        .order_by("-created_at", "-id"),
        PAGE_SIZE,
    ).get_page(request.GET.get("rpage"))
    paid = [(r, minutes_label(r.minutes)) for r in redemptions.object_list]
    return render(
        request,
        "timebank/pool_detail.html",
        {
            "pool": pool,
            "row": pool_row(pool),
            "contributions": contributions,
            "paid": paid,
            "redemptions": redemptions,
            "form": form,
            "confirm": confirm,
            "may_manage": may_manage,
        },
    )


# Rates -----------------------------------------------------------------------------------------


def user_districts(user: Any) -> list[int]:
    """The districts of the user's time-bank places (a resident's: their house's)."""
    scope = scope_for(user, TIMEBANK_ROLES)
    if scope.everything:
        return list(District.objects.values_list("id", flat=True))
    where = (
        Q(street_id__in=scope.street)
        | Q(community_id__in=scope.community)
        | Q(grid_id__in=scope.grid)
        | Q(id__in=scope.compound | scope.house_compounds)
    )
    found = set(scope.district)
    if scope.street or scope.community or scope.grid or scope.compound or scope.house_compounds:
        found |= set(Compound.objects.filter(where).values_list("district_id", flat=True))
        found |= set(
            Street.objects.filter(id__in=scope.street).values_list("district_id", flat=True)
        )
        found |= set(
            Community.objects.filter(id__in=scope.community).values_list("district_id", flat=True)
        )
    return sorted(found)


class RateForm(forms.Form):
    district = forms.ModelChoiceField(
        label=gettext_lazy("District"), queryset=District.objects.none(), empty_label=None
    )
    yuan_per_hour = forms.DecimalField(
        label=gettext_lazy("Yuan per hour"), max_digits=8, decimal_places=2
    )
    yearly_cap = forms.DecimalField(
        label=gettext_lazy("Cap per household per year (yuan)"), max_digits=12, decimal_places=2
    )
    effective_from = forms.DateField(
        label=gettext_lazy("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("Note (optional)"), max_length=200, required=False)

    def __init__(self, *args: Any, districts: QuerySet[District], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["district"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = districts
        _style(self)


@login_required
@require_http_methods(["GET", "POST"])
def rates(request: HttpRequest) -> HttpResponse:
    """The rate versions of the user's districts, the one in force today marked; the district
    office publishes a new version (confirmed first: past redemptions keep their rate)."""
    user = request.user
    _require_roles(user, TIMEBANK_ROLES)
    office = scope_for(user, {Role.DISTRICT})
    publishes = office.has_role(Role.DISTRICT)
    form: RateForm | None = None
    confirm = False
    if publishes:
        own = (
            District.objects.all()
            if office.everything
            else District.objects.filter(id__in=office.district)
        )
        own = own.order_by("name", "id")
        if request.method == "POST":
            form = RateForm(request.POST, districts=own)
            if form.is_valid():
                if request.POST.get("confirm") != "1":
                    confirm = True
                else:
                    data = form.cleaned_data
                    try:
                        rate = exchange.publish_rate(
                            actor=user,
                            district_id=data["district"].pk,
                            yuan_per_hour=data["yuan_per_hour"],
                            yearly_cap=data["yearly_cap"],
                            effective_from=data["effective_from"],
                            note=data["note"],
                        )
                    except PermissionDenied:
                        raise Http404 from None
                    except ValidationError as error:
                        _service_errors(form, error)
                    else:
                        messages.success(
                            request,
                            _("Rate published: %(rate)s yuan per hour from %(day)s.")
                            % {
                                "rate": f"{rate.yuan_per_hour:.2f}",
                                "day": f"{rate.effective_from:%Y-%m-%d}",
                            },
                        )
                        return redirect("timebank:rates")
        else:
            form = RateForm(
                initial={"effective_from": timezone.localdate() + datetime.timedelta(days=1)},
                districts=own,
            )
            if len(own) == 1:
                form.initial["district"] = own[0].pk
        _mark_invalid(form)
    elif request.method == "POST":
        raise Http404
    today = timezone.localdate()
    districts = user_districts(user)
    rows = list(
        Rate.objects.filter(district_id__in=districts)
        .select_related("district")
        .order_by("district__name", "district_id", "-effective_from", "-id")
    )
    in_force: dict[int, int] = {}
    for rate in rows:
        if rate.effective_from <= today and rate.district_id not in in_force:
            in_force[rate.district_id] = rate.pk
    shown = [
        {
            "rate": rate,
            "in_force": in_force.get(rate.district_id) == rate.pk,
            "upcoming": rate.effective_from > today,
        }
        for rate in rows
    ]
    return render(
        request,
        "timebank/rates.html",
        {
            "rates": shown,
            "form": form,
            "confirm": confirm,
            "several_districts": len(districts) > 1,
            "today": today,
        },
    )
