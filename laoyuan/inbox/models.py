"""Notifications in the platform (the bell). Each row is one message to one user; email and SMS
copies go out through the backends when the row is written (``services.notify``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # What happened, as a code the page translates (``registry.label``), e.g. "workorder.dispatch".
    event = models.CharField(_("event"), max_length=40)
    # What it is about, shown as is (an order number and title); never a resident's name or phone.
    subject = models.CharField(_("subject"), max_length=200)
    note = models.CharField(_("note"), max_length=500, blank=True)
    url = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification (消息)")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event}: {self.subject}"
