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
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.core.personal import mask_id_number, mask_phone
from laoyuan.workorders.enums import OPEN311_CLOSED, CategoryKind, Channel, Status
from laoyuan.workorders.models import Category, Partner, WorkOrder

# GET requests answers at most this many (newest first) over at most this many days.
MAX_REQUESTS = 1000
MAX_SPAN_DAYS = 90

# A mobile number or an ID number anywhere in free text (not inside a longer run of digits),
# and an e-mail address.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
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
    """The orders anyone may read; with a partner, also the complaints it filed."""
    visible = ~Q(category__kind=CategoryKind.COMPLAINT)
    if partner is not None:
        visible |= Q(partner=partner)
    return (
        WorkOrder.objects.filter(visible)
        .select_related("category", "compound", "company", "team", "open311")
        .order_by("-created_at", "-id")
    )


def masked(text: str) -> str:
    """Free text with phone and ID numbers and e-mail addresses masked."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0).upper()), text)
    text = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
    return _EMAIL_IN_TEXT.sub(lambda m: "***@" + m.group(1), text)


def public_description(order: WorkOrder) -> str:
    """The resident's words as given, with phone and ID numbers, e-mail addresses and the
    contact's name masked."""
    text = masked(order.description)
    name = order.contact_name.strip()
    if len(name) >= 2:
        text = text.replace(name, name[0] + "*" * (len(name) - 1))
    return text


def agency_responsible(order: WorkOrder) -> str | None:
    if order.status == Status.NOT_OURS and order.responsible:
        return masked(order.responsible)
    if order.team is not None:
        return order.team.name
    if order.company is not None:
        return order.company.name
    return None


def service_notice(order: WorkOrder) -> str | None:
    """What will happen next, when there is something to say."""
    if order.status == Status.DUPLICATE and order.duplicate_of_id:
        return _("Duplicate of request %(id)s.") % {"id": order.duplicate_of_id}
    if order.status == Status.NOT_OURS:
        return _("Not handled by the compound's services: passed on.")
    if open311_status(order.status) == CLOSED:
        return None
    return _("To be accepted by %(accept)s and verified by %(verify)s.") % {
        "accept": _human(order.response_due),
        "verify": _human(order.resolution_due),
    }


def _human(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _point(order: WorkOrder) -> tuple[float | None, float | None]:
    lat: Decimal | None
    lng: Decimal | None
    if order.channel == Channel.OPEN311 and order.latitude is not None:
        lat, lng = order.latitude, order.longitude
    else:
        lat, lng = order.compound.latitude, order.compound.longitude
    return (
        None if lat is None else float(lat),
        None if lng is None else float(lng),
    )


def request_row(order: WorkOrder) -> dict[str, Any]:
    """One order as a GeoReport v2 service request (absent values are None)."""
    lat, lng = _point(order)
    extra = getattr(order, "open311", None)
    compound = order.compound
    address = " ".join(part for part in (compound.name, compound.address) if part)
    return {
        "service_request_id": str(order.pk),
        "status": open311_status(order.status),
        "status_notes": str(Status(order.status).label),
        "service_name": order.category.shown_name,
        "service_code": order.category.code,
        "description": public_description(order),
        "agency_responsible": agency_responsible(order),
        "service_notice": service_notice(order),
        "requested_datetime": iso(order.created_at),
        "updated_datetime": iso(order.updated_at),
        "expected_datetime": iso(order.resolution_due),
        "address": address,
        "address_id": compound.code,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": (extra.media_url or None) if extra is not None else None,
    }
