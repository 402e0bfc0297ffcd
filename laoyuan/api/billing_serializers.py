"""What the billing API shows (schemes, runs, a house's account, receipts) and what it accepts.

Amounts are strings with two decimals both ways; a month is ``YYYY-MM``. Serializers only shape
data and parse input: the views scope every read and call the billing services for every write.
"""

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from laoyuan.api.serializers import CompanyRefSerializer, PeriodField, PlaceRefSerializer, money
from laoyuan.billing.enums import (
    PAYMENT_CHANNEL_CHOICES,
    Channel,
    EntryKind,
    RunStatus,
    SchemeBasis,
    SchemeStatus,
)
from laoyuan.billing.models import BillingRun, FeeScheme, Receipt
from laoyuan.billing.services.receipts import payment_reversal, receipt_lines
from laoyuan.core.money import FEN

AMOUNT_PATTERN = r"^[0-9]+(\.[0-9]{1,2})?$"
MAX_AMOUNT_DIGITS = 12  # the ledger's columns hold 14 digits, two of them after the point


@extend_schema_field(
    {"type": "string", "pattern": AMOUNT_PATTERN, "example": "120.00", "description": "yuan"}
)
class AmountField(serializers.Field):
    """An amount of money to accept: a string of yuan with at most two decimals, above zero.

    A JSON number is refused rather than read as a float: a float cannot hold every fen.
    """

    default_error_messages = {
        "invalid": _('Enter an amount in yuan as a string, for example "120.00".'),
        "decimals": _("Enter at most two decimals (whole fen)."),
        "positive": _("Enter an amount greater than zero."),
        "too_large": _("Enter an amount below one trillion yuan."),
    }

    def to_internal_value(self, data: Any) -> Decimal:
        text = data.strip() if isinstance(data, str) else ""
        match = re.fullmatch(r"(-?)([0-9]+)(?:\.([0-9]+))?", text)
        if match is None:
            self.fail("invalid")
        sign, whole, fraction = match.groups()
        if fraction is not None and len(fraction) > 2:
            self.fail("decimals")
        value = Decimal(text).quantize(FEN)
        if sign or value <= 0:
            self.fail("positive")
        if len(whole.lstrip("0")) > MAX_AMOUNT_DIGITS:
            self.fail("too_large")
        return value

    def to_representation(self, value: Decimal) -> str:
        return f"{value:.2f}"


# --- Fee schemes ------------------------------------------------------------------------------


class FeeSchemeFilterSerializer(serializers.Serializer):
    compound = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text=_("Only this compound's schemes: its id or its code."),
    )


class PackageItemSerializer(serializers.Serializer):
    item = serializers.CharField(read_only=True, help_text=_("The service, e.g. guard."))
    standard = serializers.CharField(read_only=True, help_text=_("What is promised."))


class CostItemSerializer(serializers.Serializer):
    item = serializers.CharField(read_only=True)
    monthly = money(help_text=_("The compound's cost of this item per month, yuan."))


class FeeSchemeSerializer(serializers.ModelSerializer):
    compound = PlaceRefSerializer(read_only=True)
    basis = serializers.ChoiceField(choices=SchemeBasis.choices, read_only=True)
    rate = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        read_only=True,
        help_text=_(
            "Yuan per m² per month (basis per_area) or yuan per household per year "
            "(basis per_household)."
        ),
    )
    effective_from = serializers.DateField(
        read_only=True, help_text=_("The first month the scheme is in force.")
    )
    trial_months = serializers.IntegerField(
        read_only=True, help_text=_("Months charged at zero from effective_from (先尝后买).")
    )
    vacant_percent = serializers.IntegerField(
        read_only=True, help_text=_("Share of the fee a vacant house pays, percent.")
    )
    unsold_percent = serializers.IntegerField(
        read_only=True, help_text=_("Share of the fee an unsold house pays, percent.")
    )
    status = serializers.ChoiceField(choices=SchemeStatus.choices, read_only=True)
    posted_on = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("When it was publicly posted (公示).")
    )
    package = PackageItemSerializer(many=True, read_only=True)
    costs = CostItemSerializer(many=True, read_only=True)

    class Meta:
        model = FeeScheme
        fields = [
            "id",
            "compound",
            "basis",
            "rate",
            "effective_from",
            "trial_months",
            "vacant_percent",
            "unsold_percent",
            "status",
            "posted_on",
            "package",
            "costs",
        ]
        read_only_fields = fields


# --- Billing runs -----------------------------------------------------------------------------


class RunRequestSerializer(serializers.Serializer):
    period = PeriodField(help_text=_("The month to bill, YYYY-MM."))
    street = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text=_("A street's code or id.")
    )
    company = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text=_("A company's code or id.")
    )
    compound = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text=_("A compound's code or id.")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        named = [name for name in ("street", "company", "compound") if attrs.get(name)]
        if len(named) > 1:
            raise serializers.ValidationError(
                _("Name at most one of street, company and compound.")
            )
        return attrs


class BillingRunSerializer(serializers.ModelSerializer):
    period = PeriodField(read_only=True)
    status = serializers.ChoiceField(choices=RunStatus.choices, read_only=True)
    street = PlaceRefSerializer(read_only=True, allow_null=True)
    company = CompanyRefSerializer(read_only=True, allow_null=True)
    compound = PlaceRefSerializer(read_only=True, allow_null=True)
    compounds_total = serializers.IntegerField(read_only=True, help_text=_("Compounds in the run."))
    compounds_done = serializers.IntegerField(
        read_only=True, help_text=_("Compounds billed so far.")
    )
    bills_created = serializers.IntegerField(read_only=True)
    amount_created = money(help_text=_("Sum of the bills created, yuan."))
    requested_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = BillingRun
        fields = [
            "id",
            "period",
            "status",
            "street",
            "company",
            "compound",
            "compounds_total",
            "compounds_done",
            "bills_created",
            "amount_created",
            "error",
            "requested_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


# --- A house's account ------------------------------------------------------------------------


class AccountBillSerializer(serializers.Serializer):
    period = PeriodField(read_only=True)
    amount = money(help_text=_("What is charged (zero in a trial month)."))
    list_amount = money(help_text=_("What the month's service is worth under the scheme."))
    paid = money()
    trial = serializers.BooleanField(read_only=True)


class AccountPostingSerializer(serializers.Serializer):
    """One transaction's effect on the account (allocations of credit to bills, which move
    nothing in or out, are left out)."""

    date = serializers.DateField(read_only=True)
    kind = serializers.ChoiceField(choices=EntryKind.choices, read_only=True)
    amount = money(help_text=_("Positive adds to what is owed; negative pays it."))
    balance = money(help_text=_("The account's balance after this line."))
    period = PeriodField(
        read_only=True, allow_null=True, help_text=_("The month of the bill charged, or null.")
    )
    receipt = serializers.CharField(
        source="receipt_number", read_only=True, help_text=_("A payment's receipt number.")
    )
    reversal = serializers.BooleanField(
        read_only=True, help_text=_("This line reverses an earlier one.")
    )
    memo = serializers.CharField(read_only=True)


class HouseAccountSerializer(serializers.Serializer):
    """The house's open account (the current party's); newest first."""

    balance = money(help_text=_("Positive when the household owes, negative when in credit."))
    credit = money(help_text=_("Paid ahead and not yet taken by a bill."))
    bills = AccountBillSerializer(many=True, read_only=True)
    postings = AccountPostingSerializer(many=True, read_only=True)


# --- Payments and receipts --------------------------------------------------------------------


class PaymentRequestSerializer(serializers.Serializer):
    house = serializers.IntegerField(min_value=1, help_text=_("The house's id."))
    amount = AmountField(help_text=_("Yuan as a string with at most two decimals."))
    channel = serializers.ChoiceField(choices=Channel.choices)
    reference = serializers.CharField(
        max_length=64,
        help_text=_(
            "Idempotency reference, unique per company: the same reference again returns "
            "the first receipt and credits nothing."
        ),
    )


class HouseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    compound = PlaceRefSerializer(read_only=True)
    # A declared field of this name replaces Field.label (DRF's metaclass moves declared fields
    # into _declared_fields), which the stubs cannot know.
    label = serializers.CharField(  # type: ignore[assignment]
        read_only=True, help_text=_("The house number: building-unit-room.")
    )


class ReceiptLineSerializer(serializers.Serializer):
    period = PeriodField(
        read_only=True, allow_null=True, help_text=_("The month paid; null for credit kept.")
    )
    amount = money(help_text=_("Paid towards this month, or kept as credit."))
    bill_amount = money(help_text=_("The month's bill (zero for credit)."))
    list_amount = money(help_text=_("What the month's service is worth (shown for trial months)."))
    trial = serializers.BooleanField(read_only=True, help_text=_("A trial month, given free."))


class ReceiptSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    amount = money(source="payment.amount")
    house = HouseRefSerializer(read_only=True)
    channel = serializers.ChoiceField(
        source="payment.channel", choices=PAYMENT_CHANNEL_CHOICES, read_only=True
    )
    reference = serializers.CharField(source="payment.reference", read_only=True)
    received_on = serializers.DateField(source="payment.received_on", read_only=True)
    issued_at = serializers.DateTimeField(read_only=True)
    reversed = serializers.SerializerMethodField(
        help_text=_("The payment was reversed; the receipt and its number stay.")
    )
    lines = serializers.SerializerMethodField(
        help_text=_("What the payment paid: each month, then any credit kept.")
    )

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_reversed(self, receipt: Receipt) -> bool:
        return payment_reversal(receipt.payment) is not None

    @extend_schema_field(ReceiptLineSerializer(many=True))
    def get_lines(self, receipt: Receipt) -> Any:
        return ReceiptLineSerializer(receipt_lines(receipt), many=True).data
