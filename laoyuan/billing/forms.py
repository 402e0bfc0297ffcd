"""Forms of the billing desk (收费台): they parse and check input; the services decide.

A form never writes: the view calls one service with the cleaned data, and a service's refusal
(``ValidationError`` naming a field) is put back on the form by ``core.forms.apply_service_errors``.
"""

import datetime
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from laoyuan.billing import calc
from laoyuan.billing.enums import PAYMENT_CHANNEL_CHOICES, Channel, SchemeBasis
from laoyuan.core.money import FEN
from laoyuan.places.models import Compound

MONEY_MAX = Decimal("9999999.99")

# The seed's standard tiers (收费标准): 0.50 元/m²/月 for large compounds with parking; 150 / 120
# / 60 元/户/年 for small ones. Value "basis:rate".
STANDARD_TIERS: tuple[tuple[str, Any], ...] = (
    ("", _("Another rate (enter the basis and rate below)")),
    (
        f"{SchemeBasis.PER_AREA}:0.50",
        _(
            "0.50 元/m²/月 — large compound with parking: 24 h guard, full cleaning, "
            "garbage removal"
        ),
    ),
    (
        f"{SchemeBasis.PER_HOUSEHOLD}:150",
        _("150 元/户/年 — small compound, upper tier: basic guard and cleaning"),
    ),
    (
        f"{SchemeBasis.PER_HOUSEHOLD}:120",
        _("120 元/户/年 — small compound, middle tier: basic guard and cleaning"),
    ),
    (
        f"{SchemeBasis.PER_HOUSEHOLD}:60",
        _("60 元/户/年 — small compound, basic tier: cleaning and garbage removal"),
    ),
)

# Channels a cashier records at the desk; online payments arrive through the provider's callback.
DESK_CHANNELS = [
    (Channel.CASH.value, Channel.CASH.label),
    (Channel.BANK.value, Channel.BANK.label),
    (Channel.POS.value, Channel.POS.label),
]


def new_token() -> str:
    """A fresh idempotency reference for one rendering of the payment form."""
    return f"desk-{secrets.token_hex(10)}"


def month_input() -> forms.TextInput:
    return forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def money_field(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=FEN,
        max_value=MONEY_MAX,
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


class MonthField(forms.Field):
    """A month typed as ``YYYY-MM`` (the browser's month picker); cleans to its first day."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", month_input())
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.date | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return calc.parse_period(text[:10])
        except ValueError:
            raise ValidationError(
                _("Enter a month as YYYY-MM, for example 2025-07."), code="invalid"
            ) from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime.date):
            return f"{value:%Y-%m}"
        return value


def _lines(text: str, *, second: str) -> list[tuple[int, str, str]]:
    """``item | value`` lines → ``[(line number, item, value)]``; blank lines are skipped."""
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        item, bar, value = line.partition("|")
        item, value = item.strip(), value.strip()
        if not bar or not item or not value:
            raise ValidationError(
                _('Line %(line)s: write "item | %(second)s".'),
                code="invalid",
                params={"line": number, "second": second},
            )
        rows.append((number, item[:100], value[:200]))
    return rows


class SchemeForm(forms.Form):
    """Propose a fee scheme for one of the company's compounds."""

    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none())
    tier = forms.ChoiceField(
        label=_("Standard tier"),
        choices=STANDARD_TIERS,
        required=False,
        help_text=_("The district's standard rates; choose one, or enter another rate below."),
    )
    basis = forms.ChoiceField(
        label=_("Basis"), choices=[("", "—"), *SchemeBasis.choices], required=False
    )
    rate = forms.DecimalField(
        label=_("Rate (元)"),
        required=False,
        min_value=FEN,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        help_text=_("Yuan per m² per month (per area), or yuan per household per year."),
    )
    effective_from = MonthField(
        label=_("In force from (month)"),
        help_text=_("It must be posted (公示) at least a month before it takes effect."),
    )
    trial_months = forms.IntegerField(
        label=_("Free trial months (先尝后买)"), min_value=0, max_value=12, initial=0
    )
    vacant_percent = forms.IntegerField(
        label=_("Vacant houses pay (%)"), min_value=0, max_value=100, initial=100
    )
    unsold_percent = forms.IntegerField(
        label=_("Unsold houses pay (%)"), min_value=0, max_value=100, initial=100
    )
    package = forms.CharField(
        label=_("Service package"),
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": _("Guard | 24 h at the gate\nCleaning | daily")}
        ),
        help_text=_('One service per line: "item | standard".'),
    )
    costs = forms.CharField(
        label=_("Monthly costs of the compound"),
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": _("Guards' wages | 3600.00\nCleaning | 1200.00")}
        ),
        help_text=_(
            'One cost per line: "item | yuan per month". The public notice divides them '
            "per household and per m²."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, compounds: QuerySet[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["compound"]
        field.queryset = compounds

    def clean_package(self) -> list[dict[str, str]]:
        rows = _lines(self.cleaned_data["package"], second=str(_("standard")))
        return [{"item": item, "standard": value} for _n, item, value in rows]

    def clean_costs(self) -> list[dict[str, str]]:
        rows = _lines(self.cleaned_data["costs"], second=str(_("yuan per month")))
        costs = []
        for number, item, value in rows:
            try:
                amount = Decimal(value.replace(",", ""))
            except InvalidOperation:
                amount = Decimal(-1)
            if not amount.is_finite() or amount < 0 or amount != amount.quantize(FEN):
                raise ValidationError(
                    _("Line %(line)s: %(value)s is not an amount in yuan (for example 1200.00)."),
                    code="invalid",
                    params={"line": number, "value": value},
                )
            costs.append({"item": item, "monthly": f"{amount.quantize(FEN)}"})
        return costs

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tier = data.get("tier")
        if tier:
            basis, rate = tier.split(":")
            typed_basis, typed_rate = data.get("basis"), data.get("rate")
            if (typed_basis and typed_basis != basis) or (
                typed_rate is not None and typed_rate != Decimal(rate)
            ):
                self.add_error(
                    "tier",
                    _("Choose a standard tier or enter another rate, not both."),
                )
            data["basis"], data["rate"] = basis, Decimal(rate).quantize(FEN)
        else:
            if not data.get("basis"):
                self.add_error("basis", _("Choose a standard tier, or the basis of your rate."))
            if data.get("rate") is None and "rate" not in self.errors:
                self.add_error("rate", _("Choose a standard tier, or enter the rate."))
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawing"), max_length=200)


class RunForm(forms.Form):
    """Start a billing run for a month, for one compound or all the company's compounds."""

    period = MonthField(label=_("Month to bill"))
    compound = forms.ModelChoiceField(
        label=_("Compound"),
        queryset=Compound.objects.none(),
        required=False,
        empty_label=_("All the company's compounds"),
    )

    def __init__(self, *args: Any, compounds: QuerySet[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["compound"]
        field.queryset = compounds


class HouseSearchForm(forms.Form):
    """Find a house: the compound, then its house number (building-unit-room, or the room)."""

    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none())
    q = forms.CharField(
        label=_("House number"),
        max_length=60,
        required=False,
        help_text=_("Building-unit-room as on the door plate (1号楼-1-101), or only the room."),
    )

    def __init__(self, *args: Any, compounds: QuerySet[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["compound"]
        field.queryset = compounds
        self.fields["q"].widget.attrs["type"] = "search"


class PaymentForm(forms.Form):
    """Money received at the desk. ``token`` is new on every rendering of the form and is the
    reference of a cash payment, so pressing "Take payment" twice records one payment."""

    amount = money_field(_("Amount (元)"))
    channel = forms.ChoiceField(label=_("Channel"), choices=DESK_CHANNELS, initial=Channel.CASH)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=64,
        required=False,
        help_text=_(
            "The bank transfer's serial number or the POS voucher number. Leave empty for cash."
        ),
    )
    on_behalf = forms.BooleanField(
        label=_("Taken for the resident by phone or at the service centre (代办)"),
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=150, required=False)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_token(self) -> str:
        token: str = self.cleaned_data["token"]
        if not token.startswith("desk-") or not token[5:].isalnum():
            raise ValidationError(_("The form has expired; please enter the payment again."))
        return token

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel = data.get("channel")
        reference = (data.get("reference") or "").strip()
        if channel and channel != Channel.CASH and not reference:
            self.add_error(
                "reference",
                _("Enter the bank serial number or the POS voucher number of this payment."),
            )
        data["reference"] = reference or data.get("token", "")
        return data


class ReceiptFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=date_input())
    date_to = forms.DateField(label=_("Until"), required=False, widget=date_input())
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All")), *PAYMENT_CHANNEL_CHOICES], required=False
    )


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
    confirm = forms.BooleanField(
        label=_("I confirm: the payment is reversed and the household owes its amount again."),
    )


class RefundForm(forms.Form):
    amount = money_field(_("Amount to refund (元)"))
    channel = forms.ChoiceField(label=_("Paid back by"), choices=DESK_CHANNELS)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    confirm = forms.BooleanField(
        label=_("I confirm: this credit is paid back to the household."),
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("Upload an Excel workbook (.xlsx)."))
        return upload


class ArrearsFilterForm(forms.Form):
    compound = forms.ModelChoiceField(
        label=_("Compound"),
        queryset=Compound.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    bucket = forms.ChoiceField(label=_("Months overdue"), required=False)

    def __init__(
        self,
        *args: Any,
        compounds: QuerySet[Compound],
        buckets: list[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["compound"]
        field.queryset = compounds
        bucket: Any = self.fields["bucket"]
        bucket.choices = [("", _("All")), *buckets]


class DayCloseForm(forms.Form):
    """What the cashier counted today, per channel; the difference is recorded, never hidden."""

    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Explain any difference between the books and the count."),
    )
    confirm = forms.BooleanField(
        label=_("I confirm the counted amounts; a difference is posted to over and short."),
    )

    def __init__(self, *args: Any, expected: dict[str, Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected
        counted = {}
        for channel, label in Channel.choices:
            counted[f"counted_{channel}"] = forms.DecimalField(
                label=label,
                min_value=Decimal("0.00"),
                max_value=MONEY_MAX,
                max_digits=9,
                decimal_places=2,
                initial=f"{expected.get(channel, Decimal('0.00')):.2f}",
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )
        # The counted fields come first.
        self.fields = {**counted, **self.fields}

    def counted(self) -> dict[str, Decimal]:
        return {channel: self.cleaned_data[f"counted_{channel}"] for channel in Channel.values}

    def counted_fields(self) -> list[forms.BoundField]:
        return [self[f"counted_{channel}"] for channel in Channel.values]
