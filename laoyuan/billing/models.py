"""Fee schemes, bills, payments, receipts and the append-only double-entry ledger.

Sign convention: a posting's amount is a debit when positive and a credit when negative; every
journal entry's postings sum to zero. A household account's balance (the sum of its postings) is
therefore positive when the household owes. ``Bill.amount`` and ``Bill.paid`` are derived figures,
kept for reports and checked against the postings by ``manage.py ledger_check``.
"""

from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from laoyuan.billing.enums import (
    PAYMENT_CHANNEL_CHOICES,
    AccountKind,
    EntryKind,
    OnlineOrderStatus,
    RunStatus,
    SchemeBasis,
    SchemeStatus,
)

ZERO = Decimal("0.00")


def money_field(verbose_name: Any, **kwargs: Any) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


class FeeScheme(models.Model):
    """A compound's fee scheme (收费方案), one version; the newest posted one in force wins."""

    compound = models.ForeignKey(
        "places.Compound",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="fee_schemes",
    )
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(
        "orgs.PropertyCompany",
        verbose_name=_("property company"),
        on_delete=models.PROTECT,
        related_name="fee_schemes",
    )
    basis = models.CharField(_("basis"), max_length=16, choices=SchemeBasis.choices)
    # Yuan per m² per month (per_area) or yuan per household per year (per_household).
    rate = models.DecimalField(
        _("rate"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    effective_from = models.DateField(_("effective from"))
    trial_months = models.PositiveSmallIntegerField(
        _("trial months (先尝后买)"), default=0, validators=[MaxValueValidator(12)]
    )
    # Share of the fee charged for vacant and for unsold houses, in percent.
    vacant_percent = models.PositiveSmallIntegerField(
        _("vacant houses pay (%)"), default=100, validators=[MaxValueValidator(100)]
    )
    unsold_percent = models.PositiveSmallIntegerField(
        _("unsold houses pay (%)"), default=100, validators=[MaxValueValidator(100)]
    )
    # [{"item": "Guard", "standard": "24 h at the gate"}, ...]
    package = models.JSONField(_("service package"), default=list)
    # [{"item": "Guards' wages", "monthly": "3600.00"}, ...] — the compound's monthly costs.
    costs = models.JSONField(_("cost breakdown"), default=list)
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=SchemeStatus.choices, default=SchemeStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField(_("co-signed at"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_on = models.DateField(_("posted on"), null=True, blank=True)

    class Meta:
        verbose_name = _("fee scheme (收费方案)")
        verbose_name_plural = _("fee schemes")
        ordering = ["compound", "-effective_from", "-id"]
        indexes = [models.Index(fields=["compound", "status", "effective_from"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="scheme_rate_positive"),
            models.CheckConstraint(
                condition=models.Q(effective_from__day=1), name="scheme_starts_on_first"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.basis} {self.rate} from {self.effective_from}"


class Account(models.Model):
    """A ledger account. A household account belongs to a house and the party paying for it; when
    the owner or occupant changes it is closed and a new one opened, so each keeps its own debts."""

    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "places.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        "orgs.PropertyCompany",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    house = models.ForeignKey(
        "places.House",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    # A compound's own accounts (its committee's, its long-term fund).
    compound = models.ForeignKey(
        "places.Compound",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    holder = models.ForeignKey(
        "people.Person",
        verbose_name=_("account holder"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["house"],
                condition=models.Q(kind="household", closed_on__isnull=True),
                name="one_open_account_per_house",
            ),
            models.UniqueConstraint(
                fields=["kind", "company"],
                condition=models.Q(house__isnull=True, company__isnull=False),
                name="one_account_per_company_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "district"],
                condition=models.Q(kind="subsidy_fund"),
                name="one_subsidy_fund_per_district",
            ),
            models.UniqueConstraint(
                fields=["kind", "district"],
                condition=models.Q(kind="budget"),
                name="one_budget_per_district",
            ),
            models.UniqueConstraint(
                fields=["kind", "compound"],
                condition=models.Q(compound__isnull=False),
                name="one_account_per_compound_kind",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="household") | models.Q(house__isnull=False),
                name="household_account_has_house",
            ),
        ]

    def __str__(self) -> str:
        owner = self.house_id or self.company_id or self.compound_id or self.district_id
        return f"{self.kind} {owner}"


class BillingRun(models.Model):
    """One billing run for a month over a scope; rerunnable, resumable, with progress."""

    period = models.DateField(_("period"))
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "places.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        "orgs.PropertyCompany", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    compound = models.ForeignKey(
        "places.Compound", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    compounds_total = models.PositiveIntegerField(_("compounds"), default=0)
    compounds_done = models.PositiveIntegerField(_("compounds done"), default=0)
    bills_created = models.PositiveIntegerField(_("bills created"), default=0)
    amount_created = money_field(_("amount billed"), default=ZERO)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["district", "period"])]

    def __str__(self) -> str:
        return f"run {self.pk} {self.period:%Y-%m}"


class Bill(models.Model):
    """One house's bill for one month. ``amount`` and ``paid`` are derived from the postings."""

    house = models.ForeignKey(
        "places.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="bills"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="bills")
    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(
        "orgs.PropertyCompany", on_delete=models.PROTECT, related_name="bills"
    )
    scheme = models.ForeignKey(FeeScheme, on_delete=models.PROTECT, related_name="bills")
    run = models.ForeignKey(
        BillingRun, null=True, blank=True, on_delete=models.PROTECT, related_name="bills"
    )
    period = models.DateField(_("period"))
    # What the month's service is worth under the scheme, before trial and vacancy rules.
    list_amount = money_field(_("list amount"))
    amount = money_field(_("amount"))
    paid = money_field(_("paid"), default=ZERO)
    trial = models.BooleanField(_("trial month"), default=False)
    house_status = models.CharField(_("house status"), max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bill (账单)")
        verbose_name_plural = _("bills")
        ordering = ["house", "period"]
        constraints = [
            models.UniqueConstraint(fields=["house", "period"], name="one_bill_per_house_period"),
            models.CheckConstraint(
                condition=models.Q(period__day=1), name="bill_period_first_of_month"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="bill_amount_not_neg"),
            models.CheckConstraint(
                condition=models.Q(paid__gte=0, paid__lte=models.F("amount")),
                name="bill_paid_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "period"]),
            models.Index(fields=["compound", "period"]),
            models.Index(fields=["company", "period"]),
            models.Index(fields=["street", "period"]),
            models.Index(fields=["district", "period"]),
        ]

    def __str__(self) -> str:
        return f"bill {self.house_id} {self.period:%Y-%m}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid


class BillSummary(models.Model):
    """The bills of one compound, company, street and month summed (账单月汇总): what the
    collection figures read instead of a year of bills. Kept in step with the bills in the same
    transaction by the services that write them (``services.ledger.summarise_bills`` for new
    bills, ``refresh_bills`` for changed figures); ``ledger_check`` proves it and ``--rebuild``
    rewrites it."""

    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("orgs.PropertyCompany", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("period"))
    trial = models.BooleanField(_("trial month"))
    amount = models.DecimalField(_("billed"), max_digits=16, decimal_places=2)
    paid = models.DecimalField(_("paid"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("monthly bill summary (账单月汇总)")
        verbose_name_plural = _("monthly bill summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "company", "district", "street", "period", "trial"],
                name="one_bill_summary_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["district", "period"]),
            models.Index(fields=["street", "period"]),
            models.Index(fields=["company", "period"]),
        ]

    def __str__(self) -> str:
        return f"bills of compound {self.compound_id} {self.period:%Y-%m}"


class OwingAccount(models.Model):
    """A household account that still owes on bills of a company, with the month of its oldest
    such bill (欠费户): what arrears by age count households from, instead of every bill still
    owing. Kept in step with the bills by the services that write them
    (``services.ledger.refresh_owing``), under the account's lock; ``ledger_check`` proves it."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("orgs.PropertyCompany", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    oldest = models.DateField(_("oldest month owing"))

    class Meta:
        verbose_name = _("household in arrears (欠费户)")
        verbose_name_plural = _("households in arrears")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "compound", "company", "district", "street"],
                name="one_owing_row_per_account_key",
            )
        ]
        indexes = [
            models.Index(fields=["district", "oldest"]),
            # Arrears by age groups a district's owing rows by account: read in this index's
            # order, the grouping streams instead of hashing (over 100,000 rows at scale 10).
            models.Index(fields=["district", "account", "oldest"]),
            models.Index(fields=["street", "oldest"]),
            models.Index(fields=["company", "oldest"]),
        ]

    def __str__(self) -> str:
        return f"account {self.account_id} owes since {self.oldest:%Y-%m}"


class Payment(models.Model):
    """Money received for a house. The (company, reference) pair is the idempotency key."""

    company = models.ForeignKey(
        "orgs.PropertyCompany", on_delete=models.PROTECT, related_name="payments"
    )
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    house = models.ForeignKey(
        "places.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="payments"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments")
    amount = money_field(_("amount"))
    channel = models.CharField(_("channel"), max_length=8, choices=PAYMENT_CHANNEL_CHOICES)
    reference = models.CharField(_("reference"), max_length=64)
    received_on = models.DateField(_("received on"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set when a member of staff took the payment on a resident's behalf, or from an import.
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment (缴费)")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "reference"], name="payment_reference_once_per_company"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
        ]
        indexes = [
            models.Index(fields=["company", "received_on", "channel"]),
            models.Index(fields=["house", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"payment {self.reference} {self.amount}"


class ReceiptCounter(models.Model):
    """The last receipt number issued by a company; locked to number receipts without gaps."""

    company = models.OneToOneField(
        "orgs.PropertyCompany", on_delete=models.PROTECT, related_name="+"
    )
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.company_id}: {self.last}"


class Receipt(models.Model):
    """A receipt (收据), numbered without gaps per company."""

    company = models.ForeignKey(
        "orgs.PropertyCompany", on_delete=models.PROTECT, related_name="receipts"
    )
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("receipt number"), max_length=48, unique=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    house = models.ForeignKey("places.House", on_delete=models.PROTECT, related_name="receipts")
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt (收据)")
        verbose_name_plural = _("receipts")
        ordering = ["company", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sequence"], name="receipt_sequence_once")
        ]

    def __str__(self) -> str:
        return self.number


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """The ledger is never updated or deleted: corrections are reversing entries."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("the ledger is append-only: post a reversing entry instead")

    def delete(self) -> NoReturn:
        raise TypeError("the ledger is append-only: post a reversing entry instead")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("the ledger is append-only: post a reversing entry instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("the ledger is append-only: post a reversing entry instead")


class JournalEntry(AppendOnlyModel):
    """One balanced ledger transaction. A reversal points at the entry it cancels."""

    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "places.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        "orgs.PropertyCompany", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    house = models.ForeignKey(
        "places.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bill = models.ForeignKey(
        Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    run = models.ForeignKey(
        BillingRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # An idempotency key for entries that are not payments (opening balances, imports).
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["id"]
        constraints = [
            # A bill is charged once; corrections reverse the charge and charge again.
            models.UniqueConstraint(
                fields=["bill"],
                condition=models.Q(kind="charge", reverses__isnull=True, run__isnull=False),
                name="one_run_charge_per_bill",
            ),
            models.UniqueConstraint(
                fields=["company", "kind", "reference"],
                condition=~models.Q(reference=""),
                name="entry_reference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"entry {self.pk} {self.kind}"


class Posting(AppendOnlyModel):
    """One line of a journal entry: ``amount`` debits the account when positive."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = money_field(_("amount"))
    # On household accounts: the bill this line charges or pays; empty for unallocated credit.
    bill = models.ForeignKey(
        Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="postings"
    )

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["account", "entry"]),
            models.Index(fields=["bill"]),
            models.Index(
                fields=["account"],
                condition=models.Q(bill__isnull=True),
                name="posting_unallocated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount}"


class DayClose(models.Model):
    """A cashier's end of day: what the books say came in per channel, what was counted, and the
    difference, recorded and posted rather than hidden."""

    company = models.ForeignKey(
        "orgs.PropertyCompany", on_delete=models.PROTECT, related_name="day_closes"
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"))
    # {"cash": "1200.00", ...}: amounts as strings, one per channel.
    expected = models.JSONField(_("expected"))
    counted = models.JSONField(_("counted"))
    difference = models.JSONField(_("difference"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    closed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("day close (日结)")
        verbose_name_plural = _("day closes")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "cashier", "day"], name="one_close_per_cashier_day"
            )
        ]

    def __str__(self) -> str:
        return f"day close {self.company_id} {self.day}"


class OnlineOrder(models.Model):
    """A resident's online payment, from the provider's order to its verified callback."""

    house = models.ForeignKey("places.House", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("orgs.PropertyCompany", on_delete=models.PROTECT, related_name="+")
    amount = money_field(_("amount"))
    out_trade_no = models.CharField(_("order number"), max_length=64, unique=True)
    provider = models.CharField(_("provider"), max_length=32)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=OnlineOrderStatus.choices,
        default=OnlineOrderStatus.CREATED,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="online_order"
    )

    class Meta:
        verbose_name = _("online order")
        verbose_name_plural = _("online orders")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.out_trade_no
