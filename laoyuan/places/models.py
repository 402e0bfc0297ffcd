"""The place registry: District → Street → Community → Grid → Compound → Building → House.

Rows below the street keep their district and street ids (and a compound its community and grid)
so scoping is one indexed filter and a deployment can shard by district.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from laoyuan.places.enums import HouseStatus, ManagementMode, OpenSpace


class District(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("district (区)")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="streets"
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("street (街道)")
        verbose_name_plural = _("streets")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        Street, verbose_name=_("street"), on_delete=models.PROTECT, related_name="communities"
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("community (社区)")
        verbose_name_plural = _("communities")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="grids"
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True)
    # GeoJSON polygon coordinates: [[[lng, lat], ...]] (no GIS extension needed).
    boundary = models.JSONField(_("boundary"), null=True, blank=True)

    class Meta:
        verbose_name = _("grid (网格)")
        verbose_name_plural = _("grids")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Compound(models.Model):
    """A compound (楼院/小区). Its area and households are derived from its houses."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        Street, verbose_name=_("street"), on_delete=models.PROTECT, related_name="compounds"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="compounds"
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="compounds"
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    build_year = models.PositiveSmallIntegerField(_("build year"), null=True, blank=True)
    renovated = models.BooleanField(_("renovated (已改造)"), default=False)
    renovated_on = models.DateField(_("renovated on"), null=True, blank=True)
    open_space = models.CharField(
        _("open space"), max_length=8, choices=OpenSpace.choices, default=OpenSpace.SMALL
    )
    parking_motor = models.PositiveIntegerField(_("motor parking spaces"), default=0)
    parking_non_motor = models.PositiveIntegerField(_("non-motor parking spaces"), default=0)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True)
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    # Totals derived from the houses and residencies, never typed: written only by
    # places.services.refresh_compound_totals, which every service that changes houses calls.
    area_m2 = models.DecimalField(
        _("floor area (m²)"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    residents = models.PositiveIntegerField(_("residents"), default=0)
    # Current management mode and company: a copy of the open ManagementPeriod, written only by
    # places.services.change_management_mode, so lists filter and scope without a join.
    management_mode = models.CharField(
        _("management mode"),
        max_length=16,
        choices=ManagementMode.choices,
        default=ManagementMode.UNMANAGED,
        db_index=True,
    )
    company = models.ForeignKey(
        "orgs.PropertyCompany",
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compounds",
    )

    class Meta:
        verbose_name = _("compound (小区)")
        verbose_name_plural = _("compounds")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["street", "management_mode"]),
            models.Index(fields=["community", "code"]),
            models.Index(fields=["company", "code"]),
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="buildings"
    )
    number = models.CharField(_("building number"), max_length=32)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    units = models.PositiveSmallIntegerField(_("units"), null=True, blank=True)

    class Meta:
        verbose_name = _("building (楼栋)")
        verbose_name_plural = _("buildings")
        ordering = ["compound", "number"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "number"], name="building_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.number}"


class House(models.Model):
    """A household (户): the unit of billing and of votes by head."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="houses"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="houses"
    )
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    room = models.CharField(_("room"), max_length=16)
    area = models.DecimalField(
        _("floor area (建筑面积, m²)"),
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    status = models.CharField(
        _("status"), max_length=8, choices=HouseStatus.choices, default=HouseStatus.OCCUPIED
    )

    class Meta:
        verbose_name = _("house (房屋)")
        verbose_name_plural = _("houses")
        ordering = ["compound", "building", "unit", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="house_unique_room_in_building"
            ),
            models.CheckConstraint(condition=models.Q(area__gt=0), name="house_area_positive"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The house number as notices show it: building-unit-room, never a name."""
        parts = [self.building.number]
        if self.unit:
            parts.append(self.unit)
        parts.append(self.room)
        return "-".join(parts)


def agreement_upload_to(instance: "Takeover", filename: str) -> str:
    return f"agreements/{instance.compound_id}/{filename}"


class ManagementPeriod(models.Model):
    """One stretch of a compound's management mode. The open one (``ended_on`` null) is current.

    Written only by ``places.services.change_management_mode``.
    """

    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="mode_history"
    )
    mode = models.CharField(_("management mode"), max_length=16, choices=ManagementMode.choices)
    company = models.ForeignKey(
        "orgs.PropertyCompany",
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="periods",
    )
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("management period (管理模式记录)")
        verbose_name_plural = _("management periods")
        ordering = ["compound", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound"],
                condition=models.Q(ended_on__isnull=True),
                name="one_open_period_per_compound",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.mode} {self.started_on}"


class Takeover(models.Model):
    """A public takeover (公办物业托底): trial months and the two agreements."""

    period = models.OneToOneField(
        ManagementPeriod, on_delete=models.PROTECT, related_name="takeover"
    )
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="takeovers")
    trial_months = models.PositiveSmallIntegerField(_("trial months (先尝后买)"), default=3)
    entrustment_signed_on = models.DateField(_("entrustment agreement signed on"))
    entrustment_party = models.CharField(
        _("entrusting party (产权单位或社区)"), max_length=100, blank=True
    )
    entrustment_file = models.FileField(
        _("entrustment agreement (委托协议)"), upload_to=agreement_upload_to, blank=True
    )
    service_agreement_signed_on = models.DateField(
        _("owners' service agreement signed on"), null=True, blank=True
    )
    service_agreement_file = models.FileField(
        _("owners' service agreement (物业服务协议)"), upload_to=agreement_upload_to, blank=True
    )

    class Meta:
        verbose_name = _("public takeover (公办托底)")
        verbose_name_plural = _("public takeovers")

    def __str__(self) -> str:
        return f"takeover of {self.compound_id}"
