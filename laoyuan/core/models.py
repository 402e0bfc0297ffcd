"""Cross-cutting records: the audit trail and the log of unmasked personal data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One change to a place, a mode, an organisation, a role or money: who, when, what.

    Rows are only ever inserted (by ``core.audit.record``); nothing updates or deletes them.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("object type"), max_length=64)
    target_id = models.BigIntegerField(_("object id"))
    summary = models.CharField(_("summary"), max_length=300)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # Where the object belongs, so a district or street reads only its own trail.
    district_id = models.BigIntegerField(_("district"), null=True, blank=True, db_index=True)
    street_id = models.BigIntegerField(_("street"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("audit event (审计记录)")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"


class PersonalDataAccess(models.Model):
    """A view of unmasked personal data (a whole phone number or ID number), as PIPL asks."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_id = models.BigIntegerField(_("person"), db_index=True)
    field = models.CharField(_("field"), max_length=32)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("personal data access (个人信息查看记录)")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.field} of person #{self.person_id}"
