"""The time bank (时间银行): volunteer organisations, volunteers, activities, claims of hours, an
hours ledger of its own, and redemptions of hours for property-fee discounts.

Hours are integer minutes. The hours ledger is append-only double entry like the fee ledger: each
entry's postings sum to zero, corrections are reversing entries, and a household's balance is the
sum of its postings (positive: minutes held). A redemption posts both sides in one transaction:
minutes out of the household's hours, a funded discount into its fee account
(``billing.services.discounts``).
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from laoyuan.billing.models import AppendOnlyModel, money_field
from laoyuan.timebank.enums import (
    Category,
    ClaimStatus,
    HourAccountKind,
    HourEntryKind,
    MemberRole,
    PoolSource,
)


class Placed(models.Model):
    """Rows that belong to a compound (or a community) carry the place ids, so each scope rule is
    an indexed filter and a large deployment can shard by district."""

    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "places.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


class VolunteerOrg(Placed):
    """A volunteer organisation (志愿服务组织) of a community, or of one of its compounds."""

    name = models.CharField(_("name"), max_length=100)
    compound = models.ForeignKey(
        "places.Compound",
        verbose_name=_("compound"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("volunteer organisation (志愿服务组织)")
        verbose_name_plural = _("volunteer organisations")
        ordering = ["community", "name", "id"]
        indexes = [models.Index(fields=["street", "community"])]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="volunteer_org_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class Volunteer(Placed):
    """A registered volunteer (志愿者): a resident and the household whose hours they earn."""

    person = models.OneToOneField(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="volunteer",
    )
    house = models.ForeignKey(
        "places.House",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="volunteers",
    )
    compound = models.ForeignKey(
        "places.Compound", verbose_name=_("compound"), on_delete=models.PROTECT, related_name="+"
    )
    registered_on = models.DateField(_("registered on"))
    active = models.BooleanField(_("active"), default=True)
    orgs = models.ManyToManyField(
        VolunteerOrg,
        through="Membership",
        related_name="volunteers",
        verbose_name=_("organisations"),
    )

    class Meta:
        verbose_name = _("volunteer (志愿者)")
        verbose_name_plural = _("volunteers")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["street", "community"]),
            models.Index(fields=["compound"]),
        ]

    def __str__(self) -> str:
        return f"volunteer {self.pk}"


class Membership(models.Model):
    org = models.ForeignKey(
        VolunteerOrg, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(
        _("role"), max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    joined_on = models.DateField(_("joined on"))

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["org", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "volunteer"], name="membership_once")]

    def __str__(self) -> str:
        return f"{self.volunteer_id} in {self.org_id}"


class Post(Placed):
    """A standing volunteer post (岗位), e.g. the east gate's evening patrol."""

    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    org = models.ForeignKey(
        VolunteerOrg,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    compound = models.ForeignKey(
        "places.Compound",
        verbose_name=_("compound"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("volunteer post (志愿岗位)")
        verbose_name_plural = _("volunteer posts")
        ordering = ["community", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Activity(Placed):
    """One activity volunteers take part in: what, where, when, how many people, organiser."""

    title = models.CharField(_("title"), max_length=100)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    post = models.ForeignKey(
        Post,
        verbose_name=_("post"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    org = models.ForeignKey(
        VolunteerOrg,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    compound = models.ForeignKey(
        "places.Compound", verbose_name=_("compound"), on_delete=models.PROTECT, related_name="+"
    )
    place = models.CharField(_("where"), max_length=100, blank=True)
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(
        _("places"), validators=[MinValueValidator(1)], default=10
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("volunteer activity (志愿活动)")
        verbose_name_plural = _("volunteer activities")
        ordering = ["-start", "-id"]
        indexes = [
            models.Index(fields=["community", "start"]),
            models.Index(fields=["street", "start"]),
            models.Index(fields=["compound", "start"]),
            models.Index(fields=["organiser", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="activity_places"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class Claim(Placed):
    """A volunteer's claim of hours for an activity, from check-in to check-out; verified by the
    organiser or the community (by two people above the daily threshold), or rejected with a
    reason. Only verified claims post hours."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="claims"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="claims"
    )
    house = models.ForeignKey(
        "places.House", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    start = models.DateTimeField(_("checked in"))
    end = models.DateTimeField(_("checked out"))
    minutes = models.PositiveIntegerField(_("minutes"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    photo = models.ImageField(_("photo"), upload_to="timebank/%Y/%m/", blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ClaimStatus.choices, default=ClaimStatus.PENDING
    )
    needs_second = models.BooleanField(_("needs a second verifier"), default=False)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Staff (or the organiser) claimed for the volunteer, e.g. an elderly resident without a phone.
    on_behalf = models.BooleanField(_("claimed on the volunteer's behalf"), default=False)
    due_on = models.DateField(_("verify by"))
    flagged_at = models.DateTimeField(_("flagged to the superior at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_at = models.DateTimeField(_("second verification at"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("claimed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hours claim (时长申报)")
        verbose_name_plural = _("hours claims")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status"]),
            models.Index(fields=["street", "status"]),
            models.Index(fields=["volunteer", "start"]),
            models.Index(fields=["activity", "status"]),
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["house", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="claim_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(minutes__gte=1), name="claim_minutes"),
            models.UniqueConstraint(
                fields=["activity", "volunteer"],
                condition=~models.Q(status__in=["rejected", "reversed"]),
                name="one_live_claim_per_activity",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk}"


class HourAccount(models.Model):
    """An hours account: a household's, or one of a district's system accounts."""

    kind = models.CharField(_("kind"), max_length=12, choices=HourAccountKind.choices)
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "places.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    house = models.ForeignKey(
        "places.House",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hour_accounts",
    )
    opened_on = models.DateField(_("opened on"))

    class Meta:
        verbose_name = _("hours account")
        verbose_name_plural = _("hours accounts")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["house"],
                condition=models.Q(kind="household"),
                name="one_hour_account_per_house",
            ),
            models.UniqueConstraint(
                fields=["kind", "district"],
                condition=~models.Q(kind="household"),
                name="one_hour_system_account_per_district",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="household") | models.Q(house__isnull=False),
                name="hour_household_account_has_house",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.house_id or self.district_id}"


class HourEntry(AppendOnlyModel):
    """One balanced hours transaction. ``on`` is the day the minutes count from (an earned claim's
    day, a donation's or a redemption's day): the expiry term runs from it."""

    kind = models.CharField(_("kind"), max_length=8, choices=HourEntryKind.choices)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, blank=True)
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "places.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    house = models.ForeignKey(
        "places.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    on = models.DateField(_("day"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("hours entry")
        verbose_name_plural = _("hours entries")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["district", "kind", "on"]),
            # Redemptions of a month, by their entries (the district view's offsets).
            models.Index(fields=["kind", "on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["claim"],
                condition=models.Q(kind="earn", reverses__isnull=True),
                name="one_earning_per_claim",
            )
        ]

    def __str__(self) -> str:
        return f"hours entry {self.pk} {self.kind}"


class HoursMonth(Placed):
    """The verified minutes of one compound's claims in one month (工时月汇总): the household
    postings of ``earn`` entries (and their reversals) by the day they count from, placed by
    their claim. What the dashboard's minutes verified read instead of the month's postings;
    ``summaries.add_earned`` adds each entry in the transaction that posts it."""

    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    minutes = models.IntegerField(_("minutes"))

    class Meta:
        verbose_name = _("verified hours of a month (工时月汇总)")
        verbose_name_plural = _("verified hours by month")
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "month", "district", "street", "community"],
                name="one_hours_month_per_compound",
            )
        ]
        indexes = [
            models.Index(fields=["district", "month"]),
            models.Index(fields=["street", "month"]),
            models.Index(fields=["community", "month"]),
        ]

    def __str__(self) -> str:
        return f"hours of compound {self.compound_id} {self.month:%Y-%m}"


class HourPosting(AppendOnlyModel):
    """One line of an hours entry: ``minutes`` debits the account when positive."""

    entry = models.ForeignKey(HourEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(HourAccount, on_delete=models.PROTECT, related_name="postings")
    minutes = models.IntegerField(_("minutes"))

    class Meta:
        verbose_name = _("hours posting")
        verbose_name_plural = _("hours postings")
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "entry"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.minutes}"


class Rate(models.Model):
    """The published offset rate (抵扣标准): yuan per hour and the yearly cap per household, in
    versions; the newest one in force on a day applies, and each redemption keeps the one used."""

    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    yuan_per_hour = models.DecimalField(
        _("yuan per hour"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    yearly_cap = money_field(
        _("cap per household per year (yuan)"), validators=[MinValueValidator(Decimal("0.01"))]
    )
    effective_from = models.DateField(_("effective from"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        verbose_name = _("offset rate (抵扣标准)")
        verbose_name_plural = _("offset rates")
        ordering = ["district", "-effective_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "effective_from"], name="one_rate_per_district_day"
            ),
            models.CheckConstraint(condition=models.Q(yuan_per_hour__gt=0), name="rate_positive"),
            models.CheckConstraint(condition=models.Q(yearly_cap__gt=0), name="cap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.yuan_per_hour}/h from {self.effective_from}"


class Pool(models.Model):
    """A named pool that funds the offsets (community welfare money, a merchant's sponsorship),
    serving one community, one street or the whole district. Its money is in the fee ledger:
    ``fund`` (what is left to grant is its credit balance) and ``source``."""

    name = models.CharField(_("name"), max_length=100)
    source_kind = models.CharField(_("source"), max_length=8, choices=PoolSource.choices)
    sponsor = models.CharField(_("funded by"), max_length=100, blank=True)
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "places.Street",
        verbose_name=_("street"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    community = models.ForeignKey(
        "places.Community",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    fund = models.OneToOneField(
        "billing.Account", on_delete=models.PROTECT, related_name="timebank_pool"
    )
    source = models.OneToOneField("billing.Account", on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("offset pool (抵扣资金池)")
        verbose_name_plural = _("offset pools")
        ordering = ["district", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="pool_name_once"),
            models.CheckConstraint(
                condition=models.Q(community__isnull=True) | models.Q(street__isnull=False),
                name="pool_community_has_street",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contribution(models.Model):
    """Money put into a pool; its ledger entry moves the pool's source into its fund."""

    pool = models.ForeignKey(
        Pool, verbose_name=_("pool"), on_delete=models.PROTECT, related_name="contributions"
    )
    amount = money_field(_("amount"))
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=64)
    entry = models.OneToOneField("billing.JournalEntry", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pool contribution")
        verbose_name_plural = _("pool contributions")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "reference"], name="contribution_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="contribution_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.pool_id} {self.amount}"


class Redemption(Placed):
    """Hours exchanged for a property-fee discount: the minutes, the rate used (kept here, so a
    later rate never changes it), the yuan, the pool that paid, and both ledgers' entries."""

    house = models.ForeignKey(
        "places.House", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveIntegerField(_("minutes"))
    rate = models.ForeignKey(
        Rate, verbose_name=_("rate"), on_delete=models.PROTECT, related_name="+"
    )
    yuan_per_hour = models.DecimalField(_("yuan per hour"), max_digits=8, decimal_places=2)
    amount = money_field(_("discount"))
    year = models.PositiveSmallIntegerField(_("year"))
    pool = models.ForeignKey(
        Pool, verbose_name=_("pool"), on_delete=models.PROTECT, related_name="redemptions"
    )
    hour_entry = models.OneToOneField(HourEntry, on_delete=models.PROTECT, related_name="+")
    payment = models.OneToOneField("billing.Payment", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf = models.BooleanField(_("on the household's behalf"), default=False)
    # The caller's idempotency key: the same reference for the household again returns this
    # redemption instead of redeeming twice (a retried request, a double-clicked button).
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("redeemed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("redemption (时长兑换)")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["house", "year"]),
            models.Index(fields=["community", "created_at"]),
            models.Index(fields=["street", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(minutes__gte=1), name="redemption_minutes"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="redemption_amount"),
            models.UniqueConstraint(
                fields=["house", "reference"],
                condition=~models.Q(reference=""),
                name="redemption_once",
            ),
        ]

    def __str__(self) -> str:
        return f"redemption {self.pk}"


class Donation(Placed):
    """Hours given by one household to another."""

    from_house = models.ForeignKey(
        "places.House", verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_house = models.ForeignKey(
        "places.House", verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.PositiveIntegerField(_("minutes"))
    entry = models.OneToOneField(HourEntry, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf = models.BooleanField(_("on the household's behalf"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donation of hours")
        verbose_name_plural = _("donations of hours")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(minutes__gte=1), name="donation_minutes"),
            models.CheckConstraint(
                condition=~models.Q(from_house=models.F("to_house")), name="donation_to_another"
            ),
        ]

    def __str__(self) -> str:
        return f"donation {self.pk}"


def minutes_label(minutes: Any) -> str:
    """``90`` → ``1:30`` (hours and minutes), for pages and exports."""
    minutes = int(minutes or 0)
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{rest:02d}"
