"""Taking a payment at the desk: find the house, see its account, take the money (then the
receipt), and a payment's page with its reversal and the refund of a household's credit."""

import datetime
import re
from dataclasses import asdict

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from laoyuan.billing.enums import Channel
from laoyuan.billing.forms import HouseSearchForm, PaymentForm, RefundForm, ReverseForm, new_token
from laoyuan.billing.models import Payment, Receipt
from laoyuan.billing.queries import house_account
from laoyuan.billing.services.ledger import unallocated_credit
from laoyuan.billing.services.payments import (
    payment_ceiling,
    refund_credit,
    reverse_payment,
    take_payment,
)
from laoyuan.billing.services.receipts import payment_reversal, receipt_lines
from laoyuan.billing.views.desk._common import (
    ZERO,
    Desk,
    call_service,
    desk_compounds,
    desk_houses,
    desk_object_or_404,
    desk_or_404,
    desk_render,
    manager_or_404,
)
from laoyuan.places.models import House

SEARCH_LIMIT = 50
RECENT_PAYMENTS = 10


def find_houses(houses: QuerySet[House], text: str) -> QuerySet[House]:
    """Houses whose number matches ``text``: building-unit-room (``1号楼-1-101`` or ``1-1-101``,
    the room's first digits enough: ``1-1-1``), building-room, or part of the room alone."""
    parts = [part for part in re.split(r"[-\s/—]+", text.strip()) if part]
    if not parts:
        return houses
    if len(parts) == 1:
        return houses.filter(room__icontains=parts[0])
    building = parts[0]
    found = houses.filter(
        Q(building__number=building) | Q(building__number=f"{building}号楼"),
        room__startswith=parts[-1],
    )
    if len(parts) >= 3:
        found = found.filter(unit=parts[1])
    return found


@login_required
@require_GET
def desk_pay(request: HttpRequest, company: int) -> HttpResponse:
    """Find the house that pays: choose the compound, type its number."""
    desk = desk_or_404(request, company)
    compounds = desk_compounds(request, desk)
    form = HouseSearchForm(request.GET or None, compounds=compounds)
    houses: list[House] | None = None
    more = False
    if form.is_bound and form.is_valid():
        found = find_houses(
            desk_houses(request, desk).filter(compound=form.cleaned_data["compound"]),
            form.cleaned_data["q"],
        ).select_related("building", "compound")
        houses = list(found.order_by("building__number", "unit", "room", "pk")[: SEARCH_LIMIT + 1])
        more = len(houses) > SEARCH_LIMIT
        houses = houses[:SEARCH_LIMIT]
    return desk_render(
        request,
        "billing/desk/pay.html",
        desk,
        "pay",
        {"form": form, "houses": houses, "more": more},
    )


def _taken_message(receipt: Receipt, started: datetime.datetime, house: House) -> str:
    """What the cashier is told: recorded now, or — the same form sent twice — recorded before
    (the form's token is the payment's reference, so nothing is recorded twice)."""
    amount = f"{receipt.payment.amount:.2f}"
    if receipt.issued_at < started:
        return _(
            "This payment was already recorded (receipt %(number)s); nothing was recorded twice."
        ) % {"number": receipt.number}
    return _("Payment of %(amount)s 元 recorded for %(house)s.") % {
        "amount": amount,
        "house": house.label,
    }


def _house_or_404(request: HttpRequest, desk: Desk, pk: int) -> House:
    house = desk_houses(request, desk).select_related("building", "compound").filter(pk=pk).first()
    if house is None:
        raise Http404
    return house


def _house_page(request: HttpRequest, desk: Desk, house: House, form: PaymentForm) -> HttpResponse:
    account = house_account(house)
    channels = dict(Channel.choices)
    return desk_render(
        request,
        "billing/desk/house.html",
        desk,
        "pay",
        {
            "house": house,
            "account": account,
            "open_bills": sorted(
                (bill for bill in account.bills if bill.outstanding > ZERO),
                key=lambda bill: bill.period,
            ),
            "ceiling": payment_ceiling(house),
            "form": form,
            "payments": [
                {**asdict(line), "channel_label": channels.get(line.channel, line.channel)}
                for line in account.payments[:RECENT_PAYMENTS]
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def desk_house(request: HttpRequest, company: int, pk: int) -> HttpResponse:
    """A house's account (balance, open bills, credit, the most it may pay now) and the payment
    form. The form's token is the reference of a cash payment, so a double submit (or a
    resubmitted page) returns the first receipt and credits nothing more."""
    desk = desk_or_404(request, company)
    house = _house_or_404(request, desk, pk)
    if request.method == "POST":
        desk = manager_or_404(request, company)
        form = PaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            note = data["note"]
            if data["on_behalf"]:
                note = _("Taken for the resident by %(user)s (代办). %(note)s") % {
                    "user": request.user.get_username(),
                    "note": note,
                }
            started = timezone.now()
            receipt = call_service(
                request,
                form,
                lambda: take_payment(
                    house=house,
                    amount=data["amount"],
                    channel=data["channel"],
                    reference=data["reference"],
                    actor=request.user,
                    note=note.strip()[:200],
                ),
                lambda receipt: _taken_message(receipt, started, house),
            )
            if receipt is not None:
                return redirect("billing:desk_receipt", company=desk.company.pk, pk=receipt.pk)
        if "token" in form.errors:
            # A form too old or tampered with: the next try gets a fresh token.
            form.data = {**request.POST.dict(), "token": new_token()}
    else:
        form = PaymentForm(initial={"token": new_token()})
    return _house_page(request, desk, house, form)


def _payment_page(
    request: HttpRequest,
    desk: Desk,
    payment: Payment,
    reverse_form: ReverseForm | None = None,
    refund_form: RefundForm | None = None,
) -> HttpResponse:
    reversal = payment_reversal(payment)
    receipt = getattr(payment, "receipt", None)
    return desk_render(
        request,
        "billing/desk/payment.html",
        desk,
        "receipts",
        {
            "payment": payment,
            "receipt": receipt,
            "lines": receipt_lines(receipt) if receipt else [],
            "reversal": reversal,
            "credit": unallocated_credit(payment.account_id),
            "reverse_form": reverse_form or ReverseForm(),
            "refund_form": refund_form or RefundForm(),
        },
    )


def _payment_or_404(request: HttpRequest, desk: Desk, pk: int) -> Payment:
    return desk_object_or_404(
        Payment.objects.select_related("house__building", "compound", "received_by", "receipt"),
        request,
        desk,
        pk=pk,
    )


@login_required
@require_GET
def desk_payment(request: HttpRequest, company: int, pk: int) -> HttpResponse:
    desk = desk_or_404(request, company)
    return _payment_page(request, desk, _payment_or_404(request, desk, pk))


@login_required
@require_POST
def desk_payment_reverse(request: HttpRequest, company: int, pk: int) -> HttpResponse:
    """Reverse a payment (a mistaken entry, a bounced transfer): a reversing entry, never an
    edit; the receipt keeps its number and shows as reversed."""
    desk = manager_or_404(request, company)
    payment = _payment_or_404(request, desk, pk)
    form = ReverseForm(request.POST)
    if form.is_valid():
        done = call_service(
            request,
            form,
            lambda: reverse_payment(
                payment=payment, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            _("The payment is reversed; the household owes its amount again."),
        )
        if done is not None:
            return redirect("billing:desk_payment", company=desk.company.pk, pk=payment.pk)
    return _payment_page(request, desk, payment, reverse_form=form)


@login_required
@require_POST
def desk_refund(request: HttpRequest, company: int, pk: int) -> HttpResponse:
    """Pay back part or all of the household's unallocated credit (a prepayment)."""
    desk = manager_or_404(request, company)
    payment = _payment_or_404(request, desk, pk)
    form = RefundForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = call_service(
            request,
            form,
            lambda: refund_credit(
                house=payment.house,
                amount=data["amount"],
                channel=data["channel"],
                actor=request.user,
                reason=data["reason"],
            ),
            _("%(amount)s 元 of credit is refunded to %(house)s.")
            % {"amount": f"{data['amount']:.2f}", "house": payment.house.label},
        )
        if done is not None:
            return redirect("billing:desk_payment", company=desk.company.pk, pk=payment.pk)
    return _payment_page(request, desk, payment, refund_form=form)
