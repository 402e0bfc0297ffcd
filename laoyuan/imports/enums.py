from django.db import models
from django.utils.translation import gettext_lazy as _


class BatchStatus(models.TextChoices):
    OK = "ok", _("Imported")
    REJECTED = "rejected", _("Rejected, nothing written")
