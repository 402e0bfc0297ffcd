"""What the public Open311 reads show: work orders as GeoReport v2 service requests.

No key is needed to read, so nothing personal leaves here: no names, phones or e-mail, no
house or place within the compound, no position from a resident's phone (only a partner's own
point is shown; other orders show their compound's centre), phone and ID numbers, e-mail
addresses and the contact's name masked in the description, and complaint and mediation orders
left out entirely (a partner reading with its key also sees the ones it filed itself).
"""

import datetime
import re
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from laoyuan.core.personal import mask_id_number, mask_phone
from laoyuan.workorders.enums import OPEN311_CLOSED, CategoryKind, Channel, Status, TeamKind
from laoyuan.workorders.models import Category, Partner, WorkOrder

# GET requests answers at most this many (newest first) over at most this many days.
MAX_REQUESTS = 1000
MAX_SPAN_DAYS = 90

# A mobile number or an ID number anywhere in free text (not inside a longer run of digits),
# and an e-mail address.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Any other run of digits with separators (138-1234-5678, +86 138 1234 5678, 0371-66661234,
# room numbers): masked whole, like the satisfaction list does.
_NUMBER_RUN = re.compile(r"\+?\d[\d\s\-－—]{4,}\d")
_ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@([\w-]+(\.[\w-]+)+)")

OPEN, CLOSED = "open", "closed"


def open311_status(status: str) -> str:
    return CLOSED if status in OPEN311_CLOSED else OPEN


def statuses_for(open311: str) -> list[str]:
    """The internal statuses an Open311 status stands for."""
    return [s for s in Status.values if open311_status(s) == open311]


def iso(value: datetime.datetime | None) -> str | None:
    """ISO 8601 with the zone offset, in the site's time zone: 2026-11-27T10:00:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def services() -> QuerySet[Category]:
    return Category.objects.filter(active=True)


def public_orders(partner: Partner | None = None) -> QuerySet[WorkOrder]:
    """The orders anyone may read, newest first; with a partner, also the complaints it filed."""
    visible = ~Q(category__kind=CategoryKind.COMPLAINT) & ~Q(team__kind=TeamKind.MEDIATION)
    if partner is not None:
        visible |= Q(partner=partner)
    return WorkOrder.objects.filter(visible).order_by("-created_at", "-id")


def masked(text: str) -> str:
    """Free text with phone and ID numbers and e-mail addresses masked."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0).upper()), text)
    text = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
    text = _NUMBER_RUN.sub(lambda m: m.group(0) if "*" in m.group(0) else "***", text)
    return _EMAIL_IN_TEXT.sub(lambda m: "***@" + m.group(1), text)


def public_description(description: str, contact_name: str) -> str:
    """The resident's words as given, with phone and ID numbers, e-mail addresses and the
    contact's name masked."""
    text = masked(description)
    name = contact_name.strip()
    if len(name) >= 2:
        text = text.replace(name, name[0] + "*" * (len(name) - 1))
    return text


def service_notice(
    *,
    status: str,
    duplicate_of_id: int | None,
    response_due: datetime.datetime,
    resolution_due: datetime.datetime,
) -> str | None:
    """What will happen next, when there is something to say."""
    if status == Status.DUPLICATE and duplicate_of_id:
        return _("Duplicate of request %(id)s.") % {"id": duplicate_of_id}
    if status == Status.NOT_OURS:
        return _("Not handled by the compound's services: passed on.")
    if open311_status(status) == CLOSED:
        return None
    return _("To be accepted by %(accept)s and verified by %(verify)s.") % {
        "accept": _human(response_due),
        "verify": _human(resolution_due),
    }


def order_notice(order: WorkOrder) -> str | None:
    return service_notice(
        status=order.status,
        duplicate_of_id=order.duplicate_of_id,
        response_due=order.response_due,
        resolution_due=order.resolution_due,
    )


def _human(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# One query of plain values: a thousand model instances (with their joined rows) cost seconds.
_FIELDS = (
    "pk",
    "status",
    "description",
    "contact_name",
    "channel",
    "latitude",
    "longitude",
    "created_at",
    "updated_at",
    "response_due",
    "resolution_due",
    "duplicate_of_id",
    "responsible",
    "category__code",
    "category__name",
    "category__name_en",
    "compound__name",
    "compound__address",
    "compound__code",
    "compound__latitude",
    "compound__longitude",
    "company__name",
    "team__name",
    "open311__media_url",
)


def request_rows(orders: QuerySet[WorkOrder], limit: int = MAX_REQUESTS) -> list[dict[str, Any]]:
    """The first ``limit`` orders as GeoReport v2 service requests (absent values are None)."""
    labels = {value: str(label) for value, label in Status.choices}
    english = translation.get_language() == "en"
    rows = []
    for o in orders.values(*_FIELDS)[:limit]:
        status = o["status"]
        if o["channel"] == Channel.OPEN311 and o["latitude"] is not None:
            lat, lng = o["latitude"], o["longitude"]
        else:
            lat, lng = o["compound__latitude"], o["compound__longitude"]
        if status == Status.NOT_OURS and o["responsible"]:
            agency = masked(o["responsible"])
        else:
            agency = o["team__name"] or o["company__name"]
        address = " ".join(p for p in (o["compound__name"], o["compound__address"]) if p)
        rows.append(
            {
                "service_request_id": str(o["pk"]),
                "status": open311_status(status),
                "status_notes": labels[status],
                "service_name": o["category__name_en" if english else "category__name"],
                "service_code": o["category__code"],
                "description": public_description(o["description"], o["contact_name"]),
                "agency_responsible": agency,
                "service_notice": service_notice(
                    status=status,
                    duplicate_of_id=o["duplicate_of_id"],
                    response_due=o["response_due"],
                    resolution_due=o["resolution_due"],
                ),
                "requested_datetime": iso(o["created_at"]),
                "updated_datetime": iso(o["updated_at"]),
                "expected_datetime": iso(o["resolution_due"]),
                "address": address,
                "address_id": o["compound__code"],
                "zipcode": None,
                "lat": _float(lat),
                "long": _float(lng),
                "media_url": o["open311__media_url"] or None,
            }
        )
    return rows
