"""Work orders (工单) and their five accountable hands: the owner orders, the party branch
dispatches, the company accepts and does the work, the committee supervises, the community
verifies. ``services.transitions`` is the only code that changes an order's status; every change
is one ``Event`` in the order's timeline."""

import datetime
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from laoyuan.workorders.enums import (
    AWAITING_RESPONSE,
    UNRESOLVED,
    Action,
    CategoryKind,
    Channel,
    Escalation,
    Status,
    TeamKind,
)


class Category(models.Model):
    """A service (服务类别) with its service-level targets; ``code`` is Open311's service_code."""

    code = models.SlugField(_("service code"), max_length=40, unique=True)
    name = models.CharField(pgettext_lazy("work order", "name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=16, choices=CategoryKind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    response_hours = models.PositiveIntegerField(
        _("response target (hours)"), validators=[MinValueValidator(1)]
    )
    resolution_hours = models.PositiveIntegerField(
        _("resolution target (hours)"), validators=[MinValueValidator(1)]
    )
    photos_required = models.BooleanField(_("photos required"), default=False)
    # Orders of this category skip the branch and go at once to this kind of team.
    route_to = models.CharField(
        _("dispatched at once to"), max_length=16, choices=TeamKind.choices, blank=True
    )
    sort = models.PositiveSmallIntegerField(_("order in lists"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("work-order category (服务类别)")
        verbose_name_plural = _("work-order categories")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.shown_name

    @property
    def shown_name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name


class Team(models.Model):
    """A team orders can be dispatched to: a company's or a street's emergency repair station,
    a mediation station, a volunteer team. A team without a company is run by its street (and
    community, when it has one): their officers accept and do its orders."""

    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "places.Street", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "places.Community",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    company = models.ForeignKey(
        "orgs.PropertyCompany",
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="teams",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TeamKind.choices)
    name = models.CharField(pgettext_lazy("work order", "name"), max_length=100)
    phone = models.CharField(_("duty phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service team (服务站)")
        verbose_name_plural = _("service teams")
        ordering = ["street_id", "kind", "name"]
        indexes = [
            models.Index(fields=["street", "kind"]),
            models.Index(fields=["company", "kind"]),
        ]

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """A city platform or civic app filing requests through Open311 with its own API key. Only
    the key's SHA-256 is kept."""

    district = models.ForeignKey(
        "places.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(pgettext_lazy("work order", "name"), max_length=100)
    key_hash = models.CharField(_("API key hash"), max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 partner")
        verbose_name_plural = _("Open311 partners")

    def __str__(self) -> str:
        return self.name


class ProblemList(models.Model):
    """A consultation meeting's problem list (问题清单); each item became one order."""

    compound = models.ForeignKey(
        "places.Compound",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="problem_lists",
    )
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("meeting"), max_length=200)
    held_on = models.DateField(_("held on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("problem list (问题清单)")
        verbose_name_plural = _("problem lists")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class WorkOrder(models.Model):
    # Where: copies of the compound's place ids, so every queue and scope rule is one indexed
    # filter and a large deployment can shard by district.
    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "places.Street", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "places.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey("places.Grid", on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey(
        "places.Compound",
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    # The household that asked (a resident's own house); the problem's place is ``place``.
    house = models.ForeignKey(
        "places.House",
        verbose_name=_("house"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    place = models.CharField(_("where in the compound"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True)

    # What
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="orders"
    )
    description = models.TextField(_("description"), max_length=2000)
    channel = models.CharField(
        pgettext_lazy("work order", "channel"), max_length=16, choices=Channel.choices
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ORDERED
    )

    # Who
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    # Staff who took the order on a resident's behalf (phone, service centre, grid, meeting).
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Contact given by phone or through Open311 (personal data: shown masked, never public).
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    problem_list = models.ForeignKey(
        ProblemList,
        verbose_name=_("problem list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    # Assigned to: a company, or a team (with its company, if it has one).
    company = models.ForeignKey(
        "orgs.PropertyCompany",
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible = models.CharField(_("responsible party"), max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)

    # When: targets are fixed at creation (and renewed by a reopen).
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    response_due = models.DateTimeField(_("accept by"))
    resolution_due = models.DateTimeField(_("verify by"))
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    supervised_at = models.DateTimeField(_("supervised at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last change"), default=timezone.now)
    escalation = models.PositiveSmallIntegerField(
        _("escalated to"), choices=Escalation.choices, default=Escalation.NONE
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    class Meta:
        verbose_name = _("work order (工单)")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["compound", "status"]),
            models.Index(fields=["company", "status"]),
            models.Index(fields=["community", "status"]),
            models.Index(fields=["street", "status"]),
            models.Index(fields=["district", "status"]),
            models.Index(fields=["district", "created_at"]),
            models.Index(fields=["street", "created_at"]),
            models.Index(fields=["house", "created_at"]),
            models.Index(fields=["requester", "created_at"]),
            models.Index(fields=["status", "response_due"]),
            models.Index(fields=["status", "resolution_due"]),
            # The dashboard counts this month's orders due so far (whatever their status).
            models.Index(fields=["resolution_due"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="workorder_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def title(self) -> str:
        text = " ".join(self.description.split())
        return text if len(text) <= 30 else text[:29] + "…"

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        """Past its response target while waiting to be accepted, or past its resolution target
        while not yet verified (``queries.overdue_q`` is the same rule for querysets)."""
        now = now or timezone.now()
        if self.status in AWAITING_RESPONSE and now > self.response_due:
            return True
        return self.status in UNRESOLVED and now > self.resolution_due


class OrderMonth(models.Model):
    """The orders of one compound, company and month counted as the rates count them (工单月汇总):
    each figure in the month of its own date (created, accepted, due, rated, verified), for the
    orders given to one company (none: not yet dispatched), complaints apart (a company reads
    the complaints of its compounds only when they are given to it). What the dashboard's
    twelve-month trend reads instead of a year of orders. ``workorders.summaries`` rewrites a
    compound's months in the transaction that changes one of its orders."""

    district = models.ForeignKey("places.District", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("places.Community", on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("places.Grid", on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(
        "orgs.PropertyCompany", null=True, on_delete=models.PROTECT, related_name="+"
    )
    complaint = models.BooleanField(_("complaint"))
    month = models.DateField(_("month"))
    created = models.PositiveIntegerField(_("created"))
    responded = models.PositiveIntegerField(_("accepted in time"))
    due = models.PositiveIntegerField(_("due"))
    resolved = models.PositiveIntegerField(_("verified in time"))
    rated = models.PositiveIntegerField(_("rated"))
    satisfied = models.PositiveIntegerField(_("satisfied"))
    accepted = models.PositiveIntegerField(_("accepted"))
    verified = models.PositiveIntegerField(_("verified"))
    accept_time = models.DurationField(_("time to accept"))
    verify_time = models.DurationField(_("time to verify"))

    class Meta:
        verbose_name = _("work orders of a month (工单月汇总)")
        verbose_name_plural = _("work orders by month")
        indexes = [
            models.Index(fields=["compound", "month"]),
            models.Index(fields=["district", "month"]),
            models.Index(fields=["street", "month"]),
            models.Index(fields=["community", "month"]),
            models.Index(fields=["company", "month"]),
        ]

    def __str__(self) -> str:
        return f"orders of compound {self.compound_id} {self.month:%Y-%m}"


class Event(models.Model):
    """One step in an order's timeline (append-only): who did what, in which role, when."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_status = models.CharField(
        pgettext_lazy("work order", "from"), max_length=16, choices=Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The role the actor acted in ("system" for escalation and automatic closing, "partner" for
    # Open311); on_behalf marks staff acting for a resident.
    role = models.CharField(_("as"), max_length=16)
    on_behalf = models.BooleanField(_("on a resident's behalf"), default=False)
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    # Action details: company and team ids, rating, duplicate_of, escalation level.
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("work-order event")
        verbose_name_plural = _("work-order events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"


def photo_path(instance: "Photo", filename: str) -> str:
    now = timezone.now()
    return f"workorders/{now:%Y/%m}/{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"


class Photo(models.Model):
    """A photo attached to a step (the report, the finished work): checked to be an image,
    re-encoded without its metadata (no location) by ``services.photos``."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=photo_path)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(_("bytes"))

    class Meta:
        verbose_name = _("work-order photo")
        verbose_name_plural = _("work-order photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.image.name)
