import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from laoyuan.open311.services import create_partner
from laoyuan.places.geo import EARTH_RADIUS_M
from laoyuan.places.models import Compound

KEY = "test-partner-key-1"
# Compound A of the cast: centre and a square outline about 440 m across.
A_LAT, A_LNG = Decimal("34.750000"), Decimal("113.680000")
# Compound A's neighbour: a centre and no outline, 1.1 km north of A.
B_LAT, B_LNG = Decimal("34.760000"), Decimal("113.680000")

ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
DATETIME = "datetime"  # an ISO 8601 string with a zone


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def placed(cast):
    """The cast's district with compound A outlined and its neighbour given a centre."""
    d = 0.002
    lat, lng = float(A_LAT), float(A_LNG)
    outline = [
        [lng - d, lat - d],
        [lng + d, lat - d],
        [lng + d, lat + d],
        [lng - d, lat + d],
        [lng - d, lat - d],
    ]
    # Updates, not saves: the cast's instances predate the compound's managing company.
    Compound.objects.filter(pk=cast.a.compound.pk).update(
        latitude=A_LAT, longitude=A_LNG, boundary=[outline]
    )
    Compound.objects.filter(pk=cast.a.other_compound.pk).update(latitude=B_LAT, longitude=B_LNG)
    cast.a.compound.refresh_from_db()
    cast.a.other_compound.refresh_from_db()
    return cast


@pytest.fixture
def partner(cast):
    partner, _key = create_partner(district=cast.district, name="City platform", key=KEY)
    return partner


def north_of(lat: Decimal, metres: float) -> str:
    """The latitude ``metres`` due north of ``lat``, to 8 places (about a millimetre)."""
    return f"{float(lat) + math.degrees(metres / EARTH_RADIUS_M):.8f}"


def client() -> Client:
    """An English client that enforces CSRF like a browser would (Open311 must not need it)."""
    c = Client(enforce_csrf_checks=True)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return c


def check_json(row: dict[str, Any], table: dict[str, Any]) -> None:
    """``row`` has exactly the table's fields, each of its type (a tuple allows several)."""
    assert list(row) == list(table)
    for field, kind in table.items():
        kinds = kind if isinstance(kind, tuple) else (kind,)
        value = row[field]
        if value is None:
            assert None in kinds, field
        elif DATETIME in kinds:
            assert isinstance(value, str) and ISO_RE.match(value), (field, value)
        else:
            wanted = tuple(k for k in kinds if isinstance(k, type))
            assert isinstance(value, wanted), (field, value)
            if float in wanted:
                assert not isinstance(value, bool)


def check_xml(element: ET.Element, table: dict[str, Any]) -> None:
    """The element has exactly the table's children, in order, each text readable as its type
    (empty for an absent value)."""
    assert [child.tag for child in element] == list(table)
    for field, kind in table.items():
        kinds = kind if isinstance(kind, tuple) else (kind,)
        child = element.find(field)
        assert child is not None
        text = child.text or ""
        if list in kinds:
            continue  # the items are checked by the caller
        if text == "":
            assert None in kinds or str in kinds, field
        elif DATETIME in kinds:
            assert ISO_RE.match(text), (field, text)
        elif bool in kinds:
            assert text in ("true", "false"), (field, text)
        elif float in kinds:
            float(text)
        elif int in kinds:
            int(text)


def xml_root(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<')
    return ET.fromstring(response.content)
