"""Import batches: one row per uploaded registry workbook, imported whole or rejected whole.

The uploaded workbook itself is not kept (it holds names, phones and ID numbers); a rejected
batch keeps only its error report, in which names, phone numbers and ID numbers are masked.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from laoyuan.imports.enums import BatchStatus


def report_upload_to(instance: "ImportBatch", filename: str) -> str:
    return f"imports/reports/{instance.created_at:%Y/%m}/{filename}"


class ImportBatch(models.Model):
    """One registry import: who, when, which file, the outcome and what it wrote.

    ``district`` / ``street`` / ``community`` hold the narrowest place covering the importer's
    scope when they uploaded, so the batch is visible to the offices above it and to nobody else
    (the uploader too only while they hold the import roles they held; ``queries.batches_for``).
    ``persons`` counts the residents the batch created, ``residencies`` the links to houses it
    wrote (one person may live in several houses, or be registered already).
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    file_name = models.CharField(_("file"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=BatchStatus.choices)
    district = models.ForeignKey(
        "places.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        "places.Street", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "places.Community", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    compounds = models.PositiveIntegerField(_("compounds"), default=0)
    buildings = models.PositiveIntegerField(_("buildings"), default=0)
    houses = models.PositiveIntegerField(_("houses"), default=0)
    persons = models.PositiveIntegerField(_("residents"), default=0)
    residencies = models.PositiveIntegerField(_("residencies"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # The first errors, as the page shows them: [{sheet, row, column, value, message}, ...].
    first_errors = models.JSONField(_("first errors"), default=list, blank=True)
    # Notes on an imported batch that are not errors. They name rows, never other places.
    notes = models.JSONField(_("notes"), default=list, blank=True)
    report = models.FileField(_("error report"), upload_to=report_upload_to, blank=True)
    seconds = models.DecimalField(_("seconds"), max_digits=8, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("import batch (导入批次)")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street", "created_at"]),
            models.Index(fields=["community", "created_at"]),
            models.Index(fields=["district", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.file_name} ({self.status})"

    @property
    def is_ok(self) -> bool:
        return self.status == BatchStatus.OK
