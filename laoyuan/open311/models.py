"""What an Open311 partner sent beyond the work order itself: the spec's account, device and
media fields, and the contact e-mail (personal data: never shown by the public endpoints)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from laoyuan.workorders.models import Partner, WorkOrder


class PartnerRequest(models.Model):
    order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, related_name="open311")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="requests")
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    address_string = models.CharField(_("address as given"), max_length=300, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.order_id}"
