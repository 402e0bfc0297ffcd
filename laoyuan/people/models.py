"""Residents and their links to houses. Personal data rules: DESIGN.md §7 and core.personal."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from laoyuan.core.personal import mask_phone
from laoyuan.people.enums import HouseholdRole


class Person(models.Model):
    """A resident (or an office holder): name, phone, optional ID number, low-income flag."""

    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    # The ID number is never stored in clear: encrypted, plus a keyed hash to find duplicates,
    # plus the last four characters for the masked display.
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True)
    id_number_hash = models.CharField(_("ID number hash"), max_length=64, blank=True)
    id_number_tail = models.CharField(_("ID number tail"), max_length=4, blank=True)
    low_income = models.BooleanField(_("low-income (困难群众)"), default=False)
    # The street of the person's main house, kept for scoping and sharding (null: no house yet).
    street = models.ForeignKey(
        "places.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("person (居民)")
        verbose_name_plural = _("people")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="person_unique_id_number",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @property
    def masked_id_number(self) -> str:
        if not self.id_number_tail:
            return ""
        return "*" * 14 + self.id_number_tail


class Residency(models.Model):
    """A person's link to a house: owner, tenant or family member."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="residencies"
    )
    house = models.ForeignKey(
        "places.House",
        verbose_name=_("house"),
        on_delete=models.PROTECT,
        related_name="residencies",
    )
    compound = models.ForeignKey("places.Compound", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(
        _("household role"),
        max_length=8,
        choices=HouseholdRole.choices,
        default=HouseholdRole.OWNER,
    )
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("residency (住户关系)")
        verbose_name_plural = _("residencies")
        ordering = ["house", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "house"], name="residency_unique_person_house"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.house_id} ({self.role})"
