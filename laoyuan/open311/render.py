"""GeoReport v2 bodies in JSON and XML, and the spec's error format.

XML is built with ``xml.etree`` from plain Python values (never by pasting strings), with the
spec's element names: a list is one element per item, named by ``ITEM_TAGS``.
"""

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
FORMATS = ("json", "xml")
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# The element each item of a list becomes.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        tag = ITEM_TAGS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    else:
        element.text = _text(value)


def xml_bytes(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode()


def respond(fmt: str, root: str, value: Any, status: int = 200) -> HttpResponse:
    """``value`` as JSON, or as XML under ``root`` (a list's items named by ITEM_TAGS[root])."""
    if fmt == "xml":
        return HttpResponse(xml_bytes(root, value), content_type=XML_TYPE, status=status)
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), content_type=JSON_TYPE, status=status)


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's error list, with the same code as the HTTP status."""
    items = [{"code": status, "description": text} for text in descriptions]
    return respond(fmt, "errors", items, status=status)
