"""Online payments: a provider interface, the built-in simulator, orders and verified callbacks.

A resident (or the company's desk) creates an ``OnlineOrder`` for a house and an amount; the
provider's page takes the money and the provider's server calls back with a signed body. The
callback is verified before anything is read from it, its amount must equal the order's, and the
payment is taken with the order number as its idempotency reference, so a repeated callback (and
a callback racing the resident's return) returns the first receipt and credits once.

The built-in ``SimulatorProvider`` stands in for a real provider (WeChat Pay, Alipay, UnionPay):
its page is labelled as a test, and its Pay button signs the callback body with HMAC-SHA256
under ``settings.ONLINE_SIMULATOR_SECRET`` exactly as a provider's server would. A real provider
implements ``PaymentProvider`` and is named in ``settings.ONLINE_PAYMENT_PROVIDER``.
"""

import datetime
import hashlib
import hmac
import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.billing.enums import Channel, OnlineOrderStatus
from laoyuan.billing.models import ZERO, OnlineOrder, Receipt
from laoyuan.billing.services.accounts import reaches_house
from laoyuan.billing.services.ledger import household_account, lock_account
from laoyuan.billing.services.payments import payment_ceiling, take_payment
from laoyuan.core import audit
from laoyuan.core.money import to_fen
from laoyuan.places.models import House

# How long an online order waits for its callback before it stops counting against the ceiling
# (providers close unpaid orders well within this).
ORDER_WAITS = datetime.timedelta(hours=2)

# The HTTP header a provider's callback carries its signature in.
SIGNATURE_HEADER = "X-Laoyuan-Signature"
PAID, FAILED = "paid", "failed"


class CallbackRefused(ValidationError):
    """A callback that cannot be applied (unknown order, wrong amount, malformed); nothing is
    written. The callback endpoint answers 400 so the provider retries or alerts."""


class InvalidSignature(CallbackRefused):
    """The callback's signature does not match its body: it did not come from the provider."""


class PaymentFailed(CallbackRefused):
    """The provider reports the payment did not go through; the order is marked failed."""


class PaymentProvider(Protocol):
    name: str
    # Prefix of the order numbers this provider's orders get.
    order_prefix: str

    def create_order(self, order: OnlineOrder) -> str:
        """Register the order with the provider (idempotent on its number); the URL to pay it."""
        ...

    def verify(self, body: bytes, signature: str) -> dict[str, Any]:
        """The callback's fields, once the signature is proved; ``InvalidSignature`` otherwise."""
        ...


class SimulatorProvider:
    """The built-in test provider: its page is ours, its callbacks are signed with our secret."""

    name = "simulator"
    order_prefix = "SIM-"

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ImproperlyConfigured("ONLINE_SIMULATOR_SECRET is not set.")
        self._key = secret.encode()

    def sign(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def create_order(self, order: OnlineOrder) -> str:
        return reverse("billing:resident_simulator", kwargs={"order": order.out_trade_no})

    def verify(self, body: bytes, signature: str) -> dict[str, Any]:
        if not hmac.compare_digest(self.sign(body), signature.strip().lower()):
            raise InvalidSignature(_("The callback's signature is not valid."), code="signature")
        try:
            fields = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            fields = None
        if not isinstance(fields, dict):
            raise CallbackRefused(_("The callback's body is not a JSON object."), code="body")
        return fields


def get_provider() -> PaymentProvider:
    """The provider named in ``settings.ONLINE_PAYMENT_PROVIDER``."""
    name = settings.ONLINE_PAYMENT_PROVIDER
    if name == SimulatorProvider.name:
        return SimulatorProvider(settings.ONLINE_SIMULATOR_SECRET)
    raise ImproperlyConfigured(f"No online payment provider {name!r} is available.")


def online_enabled() -> bool:
    """Whether a provider is configured (pages hide the Pay online button when not)."""
    return bool(settings.ONLINE_PAYMENT_PROVIDER)


def pay_url(order: OnlineOrder) -> str:
    """Where the payer goes to pay ``order`` (the provider's page)."""
    return get_provider().create_order(order)


# Who may start an online payment for a house: its household, or the company serving it.
PAYING_ROLES = (Role.RESIDENT, Role.COMPANY)


@transaction.atomic
def create_online_order(*, house: House, amount: Decimal, actor: Any) -> OnlineOrder:
    """An order to pay ``amount`` for ``house`` online. The amount follows the payment rules:
    more than 0.00, in fen, and no further ahead than the prepayment ceiling (art. 42)."""
    if not reaches_house(actor, house, PAYING_ROLES):
        raise PermissionDenied
    if not online_enabled():
        raise ValidationError(_("Online payment is not available; please pay at the desk."))
    company = house.compound.company
    if company is None:
        raise ValidationError({"house": _("No property company serves this house.")})
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or to_fen(amount) != amount
        or amount <= ZERO
    ):
        raise ValidationError({"amount": _("Enter an amount above 0.00 in yuan and fen.")})
    # Orders still waiting for their callback will be credited whatever the ceiling is then, so
    # they count against it now: two tabs cannot pay twelve months ahead twice.
    lock_account(household_account(house).pk)
    waiting = (
        OnlineOrder.objects.filter(
            house=house,
            status=OnlineOrderStatus.CREATED,
            created_at__gte=timezone.now() - ORDER_WAITS,
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    ceiling = max(payment_ceiling(house) - waiting, ZERO)
    if amount > ceiling:
        raise ValidationError(
            {
                "amount": _(
                    "At most %(maximum)s may be paid now: what is owed plus 12 months ahead "
                    "(Zhengzhou regulation art. 42)."
                )
                % {"maximum": f"{ceiling:,.2f}"}
            }
        )
    provider = get_provider()
    order = OnlineOrder.objects.create(
        house=house,
        company=company,
        amount=amount,
        out_trade_no=f"{provider.order_prefix}{uuid.uuid4().hex}",
        provider=provider.name,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="online_order.created",
        target=order,
        summary=_("Online payment of %(amount)s for house %(house)s started")
        % {"amount": amount, "house": house},
        changes={"out_trade_no": order.out_trade_no, "amount": str(amount)},
        district_id=house.compound.district_id,
        street_id=house.street_id,
    )
    return order


def simulate_payment(order: OnlineOrder, *, status: str = PAID) -> tuple[bytes, str]:
    """What the simulator's Pay (or Cancel) button sends: the callback body and its signature."""
    provider = get_provider()
    if not isinstance(provider, SimulatorProvider):
        raise ImproperlyConfigured("Payments are simulated only with the simulator provider.")
    body = json.dumps(
        {
            "out_trade_no": order.out_trade_no,
            "amount": f"{order.amount:.2f}",
            "status": status,
            "paid_at": timezone.now().isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    return body, provider.sign(body)


def _field(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise CallbackRefused(_("The callback lacks %(field)s.") % {"field": name}, code="body")
    return value


def _received_on(paid_at: datetime.datetime) -> datetime.date:
    """The local day the provider took the money (a naive time is read as local); never after
    today, so a provider's clock running ahead cannot turn a real payment away."""
    day = timezone.localdate(paid_at) if timezone.is_aware(paid_at) else paid_at.date()
    return min(day, timezone.localdate())


def handle_callback(*, body: bytes, signature: str) -> Receipt:
    """Apply a provider's callback: verify it, then take the payment once. Returns the receipt
    (the first one again for a repeated callback). Raises ``InvalidSignature`` for a body the
    provider did not sign, ``CallbackRefused`` for an unknown order or an amount other than the
    order's, ``PaymentFailed`` when the provider reports failure; none of them credits anything."""
    fields = get_provider().verify(body, signature)
    out_trade_no = _field(fields, "out_trade_no")
    status = _field(fields, "status")
    try:
        amount = Decimal(_field(fields, "amount"))
        paid_at = datetime.datetime.fromisoformat(_field(fields, "paid_at"))
    except (InvalidOperation, ValueError):
        raise CallbackRefused(
            _("The callback's amount or time is malformed."), code="body"
        ) from None
    if status not in {PAID, FAILED}:
        raise CallbackRefused(_("The callback's status is unknown."), code="body")
    with transaction.atomic():
        # One callback at a time per order: a repeat waits here, then finds the payment.
        order = (
            OnlineOrder.objects.select_for_update(of=("self",))
            .select_related("house__compound", "payment__receipt")
            .filter(out_trade_no=out_trade_no)
            .first()
        )
        if order is None:
            raise CallbackRefused(_("No such order."), code="order")
        if not amount.is_finite() or amount != order.amount:
            raise CallbackRefused(
                _("The callback's amount %(amount)s is not the order's %(order)s.")
                % {"amount": amount, "order": order.amount},
                code="amount",
            )
        if order.payment is not None:
            return order.payment.receipt
        if status == FAILED:
            if order.status == OnlineOrderStatus.CREATED:
                order.status = OnlineOrderStatus.FAILED
                order.save(update_fields=["status"])
        else:
            receipt = take_payment(
                house=order.house,
                amount=order.amount,
                channel=Channel.ONLINE,
                reference=order.out_trade_no,
                actor=None,
                received_on=_received_on(paid_at),
                ceiling_checked=True,
                note=_("Online payment (%(provider)s)") % {"provider": order.provider},
            )
            order.status = OnlineOrderStatus.PAID
            order.payment = receipt.payment
            order.save(update_fields=["status", "payment"])
            audit.record(
                actor=None,
                action="online_order.paid",
                target=order,
                summary=_("Online payment %(order)s of %(amount)s received, receipt %(number)s")
                % {"order": order.out_trade_no, "amount": order.amount, "number": receipt.number},
                changes={"payment": receipt.payment_id, "receipt": receipt.number},
                district_id=order.house.compound.district_id,
                street_id=order.house.street_id,
            )
            return receipt
    raise PaymentFailed(_("The payment did not go through."), code="failed")
