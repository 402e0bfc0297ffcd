"""Fee schemes at the desk: the list per compound, proposing one, and a scheme's page where the
company posts or withdraws it and the compound's committee co-signs it."""

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Case, QuerySet, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.billing import calc
from laoyuan.billing.enums import SchemeStatus
from laoyuan.billing.forms import SchemeForm, WithdrawForm
from laoyuan.billing.models import FeeScheme
from laoyuan.billing.queries import _median_area, _notice_scheme
from laoyuan.billing.services import schemes as services
from laoyuan.billing.services.runs import scheme_in_force_id
from laoyuan.billing.views.desk._common import (
    Desk,
    call_service,
    desk_compounds,
    desk_or_404,
    desk_render,
    desks_for,
    today,
)
from laoyuan.places.models import Compound

# Statuses a scheme can be withdrawn from, before it takes effect (then a newer one replaces it).
WITHDRAWABLE = {SchemeStatus.PROPOSED, SchemeStatus.COSIGNED, SchemeStatus.POSTED}


@login_required
@require_GET
def desk_schemes(request: HttpRequest, company: int) -> HttpResponse:
    """Every compound of the company with its schemes, newest first, and the one in force."""
    desk = desk_or_404(request, company)
    period = calc.month_start(today())
    compounds = list(
        desk_compounds(request, desk)
        .select_related("company")
        .annotate(scheme_id=scheme_in_force_id(period))
    )
    schemes = (
        scoped(FeeScheme.objects.filter(company=desk.company), request.user)
        .filter(compound__in=[c.pk for c in compounds])
        .order_by("compound_id", "-effective_from", "-id")
    )
    by_compound: dict[int, list[FeeScheme]] = {}
    for scheme in schemes:
        by_compound.setdefault(scheme.compound_id, []).append(scheme)
    return desk_render(
        request,
        "billing/desk/schemes.html",
        desk,
        "schemes",
        {
            "rows": [
                {
                    "compound": compound,
                    "schemes": by_compound.get(compound.pk, []),
                    "in_force": compound.scheme_id,
                }
                for compound in compounds
            ],
            "can_propose": any(services.may_propose(request.user, c) for c in compounds),
        },
    )


def proposable_compounds(request: HttpRequest, desk: Desk) -> QuerySet[Compound]:
    compounds = desk_compounds(request, desk).select_related("company")
    allowed = [c.pk for c in compounds if services.may_propose(request.user, c)]
    return compounds.filter(pk__in=allowed)


def first_allowed_month(day: datetime.date) -> datetime.date:
    """The earliest month a scheme proposed (and posted) today can take effect."""
    return services.earliest_effective(day)


@login_required
@require_http_methods(["GET", "POST"])
def desk_scheme_propose(request: HttpRequest, company: int) -> HttpResponse:
    """Propose a scheme for one of the compounds the user proposes for: the company's staff for
    its compounds, the owning street's office for a public company's compounds in its street."""
    desk = desk_or_404(request, company)
    compounds = proposable_compounds(request, desk)
    if not compounds.exists():
        raise Http404
    if request.method == "POST":
        form = SchemeForm(request.POST, compounds=compounds)
        if form.is_valid():
            data = form.cleaned_data
            scheme = call_service(
                request,
                form,
                lambda: services.propose_scheme(
                    compound=data["compound"],
                    basis=data["basis"],
                    rate=data["rate"],
                    effective_from=data["effective_from"],
                    trial_months=data["trial_months"],
                    vacant_percent=data["vacant_percent"],
                    unsold_percent=data["unsold_percent"],
                    package=data["package"],
                    costs=data["costs"],
                    note=data["note"],
                    actor=request.user,
                ),
                _("The scheme is proposed. The compound's committee co-signs it next."),
            )
            if scheme is not None:
                return redirect("billing:desk_scheme_detail", pk=scheme.pk)
    else:
        chosen = request.GET.get("compound")
        form = SchemeForm(
            initial={
                "compound": chosen if chosen and chosen.isdigit() else None,
                "effective_from": first_allowed_month(today()),
                "trial_months": 0,
                "vacant_percent": 100,
                "unsold_percent": 100,
            },
            compounds=compounds,
        )
    return desk_render(request, "billing/desk/scheme_form.html", desk, "schemes", {"form": form})


def _scheme_or_404(request: HttpRequest, pk: int) -> tuple[FeeScheme, Desk | None]:
    """The scheme and the desk it is on when the user has that desk; a committee member of the
    compound reads it too (to co-sign it). Anyone else gets 404."""
    user = request.user
    scheme = (
        scoped(FeeScheme.objects.all(), user)
        .select_related("compound", "company", "proposed_by", "cosigned_by", "posted_by")
        .filter(pk=pk)
        .first()
    )
    if scheme is None:
        raise Http404
    desk = None
    if desks_for(user).filter(pk=scheme.company_id).exists():
        desk = desk_or_404(request, scheme.company_id)
    elif not _on_committee(user, scheme):
        raise Http404
    return scheme, desk


def _on_committee(user: Any, scheme: FeeScheme) -> bool:
    committee = scope_for(user, [Role.COMMITTEE])
    return committee.everything or scheme.compound_id in committee.compound


def _proposer(user: Any, scheme: FeeScheme) -> bool:
    """The proposer side of the scheme's company (its staff, or the owning street's office),
    while the company still serves the compound."""
    compound = scheme.compound
    return compound.company_id == scheme.company_id and services.may_propose(user, compound)


def _scheme_page(
    request: HttpRequest,
    scheme: FeeScheme,
    desk: Desk | None,
    withdraw_form: WithdrawForm | None = None,
) -> HttpResponse:
    user = request.user
    proposer = _proposer(user, scheme)
    context = {
        "scheme": scheme,
        "notice": _notice_scheme(
            scheme,
            in_force=False,
            compound=scheme.compound,
            typical_area=_median_area(scheme.compound),
        ),
        "can_cosign": scheme.status == SchemeStatus.PROPOSED and services.may_cosign(user, scheme),
        "can_post": proposer and scheme.status == SchemeStatus.COSIGNED,
        "can_withdraw": proposer
        and scheme.status in WITHDRAWABLE
        and scheme.effective_from > today(),
        "withdraw_form": withdraw_form or WithdrawForm(),
        "earliest_post": services.latest_posting(scheme.effective_from),
    }
    if desk is None:
        return render(request, "billing/desk/scheme_detail.html", context)
    return desk_render(request, "billing/desk/scheme_detail.html", desk, "schemes", context)


@login_required
@require_GET
def desk_scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scheme, desk = _scheme_or_404(request, pk)
    return _scheme_page(request, scheme, desk)


def _step(
    request: HttpRequest,
    pk: int,
    allowed: Callable[[Any, FeeScheme], bool],
    step: Callable[..., FeeScheme],
    done: str,
) -> HttpResponse:
    """One step of a scheme by a user ``allowed`` to take it (anyone else: 404); the service's
    refusal is shown as a message on the scheme's page."""
    scheme, _desk = _scheme_or_404(request, pk)
    if not allowed(request.user, scheme):
        raise Http404
    call_service(request, None, lambda: step(scheme=scheme, actor=request.user), done)
    return redirect("billing:desk_scheme_detail", pk=scheme.pk)


@login_required
@require_POST
def desk_scheme_cosign(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        services.may_cosign,
        services.cosign_scheme,
        _("The committee has co-signed the scheme. The company may now post it."),
    )


@login_required
@require_POST
def desk_scheme_post(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        _proposer,
        services.post_scheme,
        _("The scheme is posted (公示) on the compound's public notice page."),
    )


@login_required
@require_POST
def desk_scheme_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    scheme, desk = _scheme_or_404(request, pk)
    if not _proposer(request.user, scheme):
        raise Http404
    form = WithdrawForm(request.POST)
    if form.is_valid():
        done = call_service(
            request,
            form,
            lambda: services.withdraw_scheme(
                scheme=scheme, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            _("The scheme is withdrawn."),
        )
        if done is not None:
            return redirect("billing:desk_scheme_detail", pk=scheme.pk)
    return _scheme_page(request, scheme, desk, withdraw_form=form)


@login_required
@require_GET
def desk_cosign_list(request: HttpRequest) -> HttpResponse:
    """A committee's page: its compounds' schemes, those awaiting its co-signature first."""
    scope = scope_for(request.user, [Role.COMMITTEE])
    if scope.is_empty:
        raise Http404
    compounds = scope.compound
    schemes = FeeScheme.objects.select_related("compound", "company")
    if not scope.everything:
        schemes = schemes.filter(compound_id__in=compounds)
    schemes = scoped(schemes, request.user).order_by(
        Case(When(status=SchemeStatus.PROPOSED, then=0), default=1),
        "compound__code",
        "-effective_from",
        "-id",
    )
    return render(request, "billing/desk/cosign_list.html", {"schemes": list(schemes[:200])})
