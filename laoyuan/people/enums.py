from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseholdRole(models.TextChoices):
    OWNER = "owner", _("Owner (业主)")
    TENANT = "tenant", _("Tenant (租户)")
    FAMILY = "family", _("Family member (家庭成员)")
