"""The only writer of notifications. Call ``notify`` from ``transaction.on_commit`` so a message
never announces a change that was rolled back."""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from laoyuan.core.sms import send_sms
from laoyuan.inbox.models import Notification
from laoyuan.inbox.registry import label

logger = logging.getLogger("laoyuan.inbox")


def notify(
    *,
    users: Iterable[Any],
    event: str,
    subject: str,
    note: str = "",
    url: str = "",
    sms_users: Iterable[Any] = (),
    email: bool = True,
) -> list[Notification]:
    """One notification per distinct user; an email copy to those with an address, and an SMS
    to ``sms_users`` with a phone. A failing email or SMS backend is logged, never raised: the
    change it reports is already committed and the bell still shows it."""
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    rows = Notification.objects.bulk_create(
        [
            Notification(user=user, event=event, subject=subject[:200], note=note[:500], url=url)
            for user in recipients.values()
        ]
    )
    # Emails and SMS go out in the site's language, whatever the actor's page was in.
    with translation.override(settings.LANGUAGE_CODE):
        title = str(label(event))
        text = f"{title}: {subject}" + (f" — {note}" if note else "")
    if email:
        for user in recipients.values():
            if user.email:
                try:
                    send_mail(title, f"{text}\n{url}", None, [user.email])
                except Exception:
                    logger.exception("email to user %s failed", user.pk)
    for user in {u.pk: u for u in sms_users if u is not None and u.is_active}.values():
        phone = getattr(user, "phone", "")
        if phone:
            try:
                send_sms(phone=phone, text=text[:300])
            except Exception:
                logger.exception("SMS to user %s failed", user.pk)
    return rows


def notify_on_commit(**kwargs: Any) -> None:
    """``notify`` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: notify(**kwargs))


def mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ``ids`` is None); returns how many."""
    rows = Notification.objects.filter(user=user).unread()
    if ids is not None:
        rows = rows.filter(id__in=list(ids))
    return rows.update(read_at=timezone.now())


def unread_count(user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user).unread().count()
