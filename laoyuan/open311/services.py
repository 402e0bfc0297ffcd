"""Open311 partners and the requests they file.

A partner (a city platform or a civic app) holds one API key; only its SHA-256 is stored, so a
lost key is replaced, never recovered. A request is placed in a compound of the partner's
district: by ``address_id`` (the compound's code), else by the compound whose outline holds
``lat``/``long``, else by the compound whose centre is nearest within ``NEAREST_M`` metres.
"""

import datetime
import hashlib
import math
import re
import secrets
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.core import audit
from laoyuan.open311.models import PartnerRequest
from laoyuan.places.geo import EARTH_RADIUS_M, contains, haversine_m
from laoyuan.places.models import Compound, District
from laoyuan.workorders.models import Category, Partner, WorkOrder
from laoyuan.workorders.services.orders import create_order

# A point outside every outline still finds the compound whose centre is this close.
NEAREST_M = 500.0
# Outlines are looked for among compounds whose centre is within this many degrees of the
# point (about 5.5 km north-south): old-town compounds are far smaller.
OUTLINE_WINDOW_DEG = 0.05
PHONE_RE = re.compile(r"^[0-9+\-() ]{3,20}$")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_partner(
    *, district: District, name: str, key: str | None = None, actor: Any = None
) -> tuple[Partner, str]:
    """A new partner and its API key, which is shown this once (only its hash is kept).
    ``key`` fixes the key (the demo's); otherwise a random one is made."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the partner.")})
    key = key if key is not None else secrets.token_urlsafe(32)
    if len(key) < 8:
        raise ValidationError({"key": _("An API key needs at least 8 characters.")})
    digest = key_hash(key)
    with transaction.atomic():
        if Partner.objects.filter(key_hash=digest).exists():
            raise ValidationError({"key": _("Another partner already has this key.")})
        partner = Partner.objects.create(district=district, name=name[:100], key_hash=digest)
        audit.record(
            actor=actor,
            action="open311_partner.created",
            target=partner,
            summary=f"Open311 partner {partner.name}",
            changes={"name": partner.name, "district": district.code},
            district_id=district.pk,
        )
    return partner, key


def partner_for_key(key: str) -> Partner | None:
    """The active partner holding ``key``, if any."""
    if not key:
        return None
    return (
        Partner.objects.select_related("district")
        .filter(key_hash=key_hash(key), active=True)
        .first()
    )


def locate_compound(
    *,
    district_id: int,
    address_id: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Compound | None:
    """The compound of the district a request belongs to (see the module docstring), or None.
    An ``address_id`` that names no compound of the district finds nothing, whatever the point."""
    compounds = Compound.objects.filter(district_id=district_id)
    if address_id:
        return compounds.filter(code=address_id).first()
    if latitude is None or longitude is None:
        return None
    lat, lng = latitude, longitude

    def window(deg_lat: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        deg_lng = deg_lat / max(math.cos(math.radians(lat)), 0.01)
        return (
            Decimal(f"{lat - deg_lat:.6f}"),
            Decimal(f"{lat + deg_lat:.6f}"),
            Decimal(f"{lng - deg_lng:.6f}"),
            Decimal(f"{lng + deg_lng:.6f}"),
        )

    south, north, west, east = window(OUTLINE_WINDOW_DEG)
    outlined = compounds.filter(boundary__isnull=False).only(
        "id", "boundary", "latitude", "longitude"
    )
    near_outlines = (
        outlined.filter(
            latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east
        )
        | outlined.filter(latitude__isnull=True)
        | outlined.filter(longitude__isnull=True)
    )
    inside = [c for c in near_outlines if contains(c.boundary, lat, lng)]
    if inside:
        # Overlapping outlines (a drawing error): the one whose centre is nearest.
        return min(inside, key=lambda c: (_distance(c, lat, lng), c.pk))

    # 500 m of latitude in degrees, with a little room for rounding to 6 places.
    south, north, west, east = window(math.degrees(NEAREST_M / EARTH_RADIUS_M) * 1.01 + 1e-5)
    candidates = compounds.filter(
        latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east
    ).only("id", "latitude", "longitude")
    best = min(candidates, key=lambda c: (_distance(c, lat, lng), c.pk), default=None)
    if best is not None and _distance(best, lat, lng) <= NEAREST_M:
        return best
    return None


def _distance(compound: Compound, lat: float, lng: float) -> float:
    if compound.latitude is None or compound.longitude is None:
        return math.inf
    return haversine_m(lat, lng, float(compound.latitude), float(compound.longitude))


def contact_name(first_name: str, last_name: str) -> str:
    """One name from the spec's two: Chinese names family name first with no space."""
    first, last = first_name.strip(), last_name.strip()
    if _CJK_RE.search(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def file_request(
    *,
    partner: Partner,
    service_code: str,
    description: str = "",
    address_id: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    address_string: str = "",
    place: str = "",
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    account_id: str = "",
    device_id: str = "",
    media_url: str = "",
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """File one request for ``partner`` as a work order (channel Open311). Raises
    ValidationError naming the spec's field."""
    errors: dict[str, str] = {}
    category = Category.objects.filter(code=service_code, active=True).first()
    if category is None:
        errors["service_code"] = _("Unknown service_code.")
    compound = locate_compound(
        district_id=partner.district_id,
        address_id=address_id,
        latitude=latitude,
        longitude=longitude,
    )
    if compound is None:
        if address_id:
            errors["address_id"] = _("No compound of this jurisdiction has this address_id.")
        elif latitude is not None and longitude is not None:
            errors["lat"] = _(
                "No compound of this jurisdiction lies at or within %(metres)d m of this point."
            ) % {"metres": NEAREST_M}
        else:
            errors["address_id"] = _("Give address_id (a compound code) or lat and long.")
    email, phone, media_url = email.strip(), phone.strip(), media_url.strip()
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors["email"] = _("Not an e-mail address.")
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("Not a phone number.")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors["media_url"] = _("Not an http or https URL.")
        if len(media_url) > 500:
            errors["media_url"] = _("At most 500 characters.")
    if errors:
        raise ValidationError(errors)
    assert category is not None and compound is not None

    with transaction.atomic():
        order = create_order(
            actor=None,
            partner=partner,
            compound=compound,
            category=category,
            # The spec makes the description optional; an order needs one.
            description=description.strip() or category.name,
            place=place,
            contact_name=contact_name(first_name, last_name),
            contact_phone=phone,
            latitude=None if latitude is None else Decimal(f"{latitude:.6f}"),
            longitude=None if longitude is None else Decimal(f"{longitude:.6f}"),
            now=now or timezone.now(),
        )
        PartnerRequest.objects.create(
            order=order,
            partner=partner,
            account_id=account_id.strip()[:100],
            device_id=device_id.strip()[:100],
            address_string=address_string.strip()[:300],
            email=email[:254],
            media_url=media_url,
        )
    return order
