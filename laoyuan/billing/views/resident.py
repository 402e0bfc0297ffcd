"""A resident's own bills, payments and receipts, and paying online through the simulator.

Only the resident role counts here: a member of staff acts for a resident at the company's
desk, where it is logged as such. Another household's house, receipt or order answers 404.

Paying online takes three plain steps: choose the amount (what is owed, already filled in),
confirm on the provider's page, read the receipt. The provider here is the built-in simulator: its
page is labelled as a test, and its Pay button makes the server sign the callback exactly as a
provider would and hand it to the same handler the real callback URL uses.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scoped
from laoyuan.billing import queries
from laoyuan.billing.enums import Channel, OnlineOrderStatus
from laoyuan.billing.models import ZERO, OnlineOrder, Receipt
from laoyuan.billing.services.online import (
    FAILED,
    SIGNATURE_HEADER,
    PaymentFailed,
    SimulatorProvider,
    create_online_order,
    handle_callback,
    online_enabled,
    pay_url,
    simulate_payment,
)
from laoyuan.billing.services.payments import payment_ceiling
from laoyuan.billing.services.receipts import payment_reversal, receipt_lines
from laoyuan.core.forms import apply_service_errors
from laoyuan.places.models import House

RESIDENT = [Role.RESIDENT]


def _own[M: Model](queryset: QuerySet[M], user: Any, **lookup: Any) -> M:
    """One object of the resident's own households, or 404 (missing and not-yours alike)."""
    try:
        return scoped(queryset, user, RESIDENT).get(**lookup)
    except ObjectDoesNotExist:
        raise Http404 from None


def _own_houses(user: Any) -> QuerySet[House]:
    return (
        scoped(House.objects.all(), user, RESIDENT)
        .select_related("building", "compound__company")
        .order_by("compound__name", "building__number", "unit", "room", "id")
    )


class PayForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount to pay (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )


@login_required
@require_GET
@never_cache
def resident_bills(request: HttpRequest) -> HttpResponse:
    """My bills: each of my houses with its balance, bills and payments (newest first)."""
    houses = list(_own_houses(request.user))
    if not houses:
        raise Http404
    accounts = []
    for house in houses:
        account = queries.house_account(house)
        accounts.append(
            {
                "house": house,
                "account": account,
                "in_credit": -account.balance,
                "member": queries.paying_member(house, timezone.localdate()),
            }
        )
    return render(
        request,
        "billing/resident/bills.html",
        {"accounts": accounts, "channels": Channel.choices, "online": online_enabled()},
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def resident_pay(request: HttpRequest, house: int) -> HttpResponse:
    """Step 1 of paying online: how much (what is owed is filled in)."""
    own = _own(
        House.objects.select_related("building", "compound__company"), request.user, pk=house
    )
    account = queries.house_account(own)
    owed = max(account.balance, ZERO)
    if request.method == "POST":
        form = PayForm(request.POST)
        if form.is_valid():
            try:
                order = create_online_order(
                    house=own, amount=form.cleaned_data["amount"], actor=request.user
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return redirect(pay_url(order))
    else:
        form = PayForm(initial={"amount": owed if owed > 0 else None})
    return render(
        request,
        "billing/resident/pay.html",
        {
            "house": own,
            "owed": owed,
            "ceiling": payment_ceiling(own),
            "form": form,
            "online": online_enabled(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def resident_simulator(request: HttpRequest, order: str) -> HttpResponse:
    """Step 2: the simulated provider's page (only while the simulator is the provider). Pay
    signs the callback on the server and hands it to the callback handler, as a provider's server
    would; Cancel reports a failed payment the same way."""
    if SimulatorProvider.name != settings.ONLINE_PAYMENT_PROVIDER:
        raise Http404
    online = _own(
        OnlineOrder.objects.select_related("house__building", "company", "payment__receipt"),
        request.user,
        out_trade_no=order,
    )
    if online.payment is not None:
        return redirect("billing:resident_receipt", number=online.payment.receipt.number)
    if request.method == "POST" and online.status == OnlineOrderStatus.CREATED:
        cancel = "cancel" in request.POST
        body, signature = (
            simulate_payment(online, status=FAILED) if cancel else simulate_payment(online)
        )
        try:
            receipt = handle_callback(body=body, signature=signature)
        except PaymentFailed:
            messages.info(request, _("The payment was cancelled. Nothing was paid."))
            return redirect("billing:resident_bills")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Paid. Thank you! Here is your receipt."))
            return redirect("billing:resident_receipt", number=receipt.number)
    return render(request, "billing/resident/simulator.html", {"order": online})


@login_required
@require_GET
def resident_receipt(request: HttpRequest, number: str) -> HttpResponse:
    """Step 3, and any receipt later: line by line, printable."""
    # Only the current party's receipts: after a change of owner or occupant (the account is
    # settled and closed) the earlier party's payments are not the new household's to read.
    receipts = Receipt.objects.filter(payment__account__closed_on__isnull=True).select_related(
        "company", "house__building", "house__compound", "payment"
    )
    receipt = _own(receipts, request.user, number=number)
    return render(
        request,
        "billing/resident/receipt.html",
        {
            "receipt": receipt,
            "payment": receipt.payment,
            "lines": receipt_lines(receipt),
            "reversed": payment_reversal(receipt.payment) is not None,
        },
    )


@csrf_exempt
@require_POST
def resident_online_callback(request: HttpRequest) -> HttpResponse:
    """The provider's server calls this when a payment went through (or failed). The signature
    proves it came from the provider; a repeated callback credits nothing more. 200 "success"
    tells the provider to stop retrying; 400 that the callback was refused and nothing written."""
    try:
        handle_callback(body=request.body, signature=request.headers.get(SIGNATURE_HEADER, ""))
    except PaymentFailed:
        # Recorded as failed: the provider need not call again.
        return HttpResponse("success", content_type="text/plain")
    except ValidationError:
        # A bad signature, an unknown order, a wrong amount, or a payment the rules refuse.
        return HttpResponse("fail", status=400, content_type="text/plain")
    return HttpResponse("success", content_type="text/plain")


urlpatterns = [
    path("my/", resident_bills, name="resident_bills"),
    path("my/houses/<int:house>/pay/", resident_pay, name="resident_pay"),
    path("my/receipts/<str:number>/", resident_receipt, name="resident_receipt"),
    path("online/simulator/<str:order>/", resident_simulator, name="resident_simulator"),
    path("online/callback/", resident_online_callback, name="resident_online_callback"),
]
