from django.db import models
from django.utils.translation import gettext_lazy as _


class ManagementMode(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional company (社会化物业)")
    OWNER_SELF = "owner_self", _("Owner self-managed (业主自管)")
    OWNER_UNIT = "owner_unit", _("Owner unit entrusted (业主单位托管)")
    PUBLIC = "public", _("Street public company (街道公办物业托底)")
    UNMANAGED = "unmanaged", _("Unmanaged (无主管)")


class HouseStatus(models.TextChoices):
    OCCUPIED = "occupied", _("Occupied")
    VACANT = "vacant", _("Vacant")
    UNSOLD = "unsold", _("Unsold")


class OpenSpace(models.TextChoices):
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")
