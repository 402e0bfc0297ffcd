"""The cashier's day close (日结): what the books expect per channel, what was counted, the
difference shown and recorded; and the company's recent closes."""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from laoyuan.accounts.scoping import scoped
from laoyuan.billing.enums import Channel
from laoyuan.billing.forms import DayCloseForm
from laoyuan.billing.models import DayClose
from laoyuan.billing.services.closing import close_day, day_totals
from laoyuan.billing.views.desk._common import (
    ZERO,
    Desk,
    call_service,
    desk_or_404,
    desk_render,
    manager_or_404,
    today,
)

RECENT = 30


def _day(request: HttpRequest) -> datetime.date:
    """The day to close: today, or an earlier day (``day``) a cashier forgot to close."""
    try:
        day = datetime.date.fromisoformat(request.GET.get("day") or request.POST.get("day") or "")
    except ValueError:
        return today()
    return min(day, today())


def close_rows(close: DayClose) -> list[dict[str, Any]]:
    """A stored close per channel: expected, counted and difference as Decimals."""
    return [
        {
            "channel": label,
            "expected": Decimal(close.expected.get(channel, "0.00")),
            "counted": Decimal(close.counted.get(channel, "0.00")),
            "difference": Decimal(close.difference.get(channel, "0.00")),
        }
        for channel, label in Channel.choices
    ]


def _page(request: HttpRequest, desk: Desk, day: datetime.date, form: Any) -> HttpResponse:
    closes = list(
        scoped(DayClose.objects.filter(company=desk.company), request.user)
        .select_related("cashier")
        .order_by("-day", "-id")[:RECENT]
    )
    mine = DayClose.objects.filter(
        company=desk.company, cashier_id=request.user.pk, day=day
    ).first()
    expected = form.expected if form is not None else {}
    return desk_render(
        request,
        "billing/desk/close.html",
        desk,
        "close",
        {
            "day": day,
            "form": form if mine is None else None,
            "rows": [
                (field, expected.get(channel, ZERO))
                for field, channel in zip(form.counted_fields(), Channel.values, strict=True)
            ]
            if form is not None and mine is None
            else [],
            "mine": close_rows(mine) if mine else None,
            "closed": mine,
            "closes": [(close, close_rows(close)) for close in closes],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def desk_close(request: HttpRequest, company: int) -> HttpResponse:
    """The signed-in cashier's close of a day. The street reads the company's closes."""
    desk = desk_or_404(request, company)
    day = _day(request)
    if not desk.manages:
        if request.method == "POST":
            manager_or_404(request, company)
        return _page(request, desk, day, None)
    expected = day_totals(company=desk.company, cashier=request.user, day=day)
    if request.method == "POST":
        form = DayCloseForm(request.POST, expected=expected)
        if form.is_valid():
            close = call_service(
                request,
                form,
                lambda: close_day(
                    company=desk.company,
                    cashier=request.user,
                    day=day,
                    counted=form.counted(),
                    note=form.cleaned_data["note"],
                    actor=request.user,
                ),
                _("The day %(day)s is closed.") % {"day": day.isoformat()},
            )
            if close is not None:
                return redirect(f"{request.path}?day={day.isoformat()}")
    else:
        form = DayCloseForm(expected=expected)
    return _page(request, desk, day, form)
