"""Every endpoint in both formats against the GeoReport v2 field lists and types."""

import json

import pytest

from laoyuan.accounts.enums import Role
from laoyuan.open311.tests.conftest import DATETIME, KEY, check_json, check_xml, client, xml_root
from laoyuan.workorders.models import Category
from laoyuan.workorders.services.orders import create_order

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"

# GeoReport v2 field lists, in the spec's order, with the types this endpoint sends (None: the
# value may be absent, sent as JSON null or an empty XML element).
DISCOVERY = {
    "changeset": DATETIME,
    "contact": str,
    "key_service": str,
    "endpoints": list,
}
ENDPOINT = {
    "specification": str,
    "url": str,
    "changeset": DATETIME,
    "type": str,
    "formats": list,
}
SERVICE = {
    "service_code": str,
    "service_name": str,
    "description": str,
    "metadata": bool,
    "type": str,
    "keywords": str,
    "group": str,
}
SERVICE_DEFINITION = {"service_code": str, "attributes": list}
ATTRIBUTE = {
    "variable": bool,
    "code": str,
    "datatype": str,
    "required": bool,
    "datatype_description": str,
    "order": int,
    "description": str,
}
REQUEST = {
    "service_request_id": str,
    "status": str,
    "status_notes": str,
    "service_name": str,
    "service_code": str,
    "description": str,
    "agency_responsible": (str, None),
    "service_notice": (str, None),
    "requested_datetime": DATETIME,
    "updated_datetime": DATETIME,
    "expected_datetime": (DATETIME, None),
    "address": str,
    "address_id": str,
    "zipcode": (str, None),
    "lat": (float, None),
    "long": (float, None),
    "media_url": (str, None),
}
CREATED = {
    "service_request_id": str,
    "token": str,
    "service_notice": (str, None),
    "account_id": (str, None),
}
TOKEN = {"service_request_id": str, "token": str}
ERROR = {"code": int, "description": str}


def _json(response, status=200):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def test_discovery_both_formats(cast):
    body = _json(client().get(f"{BASE}/discovery.json"))
    check_json(body, DISCOVERY)
    assert len(body["endpoints"]) == 1
    check_json(body["endpoints"][0], ENDPOINT)
    assert body["endpoints"][0] == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://testserver/open311/v2/",
        "changeset": "2026-11-27T00:00:00+08:00",
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }

    root = xml_root(client().get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    check_xml(root, DISCOVERY)
    endpoints = root.find("endpoints")
    assert [e.tag for e in endpoints] == ["endpoint"]
    check_xml(endpoints[0], ENDPOINT)
    assert [f.text for f in endpoints[0].find("formats")] == ["text/xml", "application/json"]
    assert [f.tag for f in endpoints[0].find("formats")] == ["format", "format"]


def test_services_both_formats(cast):
    body = _json(client().get(f"{BASE}/services.json"))
    codes = list(Category.objects.filter(active=True).values_list("code", flat=True))
    assert [row["service_code"] for row in body] == codes
    assert len(codes) == 12
    for row in body:
        check_json(row, SERVICE)
    repair = next(row for row in body if row["service_code"] == "repair")
    category = Category.objects.get(code="repair")
    assert repair == {
        "service_code": "repair",
        "service_name": category.name_en,
        "description": category.description,
        "metadata": True,
        "type": "realtime",
        "keywords": category.keywords,
        "group": "Repair",
    }

    root = xml_root(client().get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert [s.tag for s in root] == ["service"] * 12
    for element in root:
        check_xml(element, SERVICE)
    assert [s.findtext("service_code") for s in root] == codes
    assert root[codes.index("repair")].findtext("metadata") == "true"


def test_inactive_service_is_not_listed(cast):
    Category.objects.filter(code="parking").update(active=False)
    body = _json(client().get(f"{BASE}/services.json"))
    assert "parking" not in [row["service_code"] for row in body]
    assert len(body) == 11
    assert client().get(f"{BASE}/services/parking.json").status_code == 404


def test_service_definition_both_formats(cast):
    body = _json(client().get(f"{BASE}/services/emergency-leak.json"))
    check_json(body, SERVICE_DEFINITION)
    assert body["service_code"] == "emergency-leak"
    assert len(body["attributes"]) == 1
    check_json(body["attributes"][0], ATTRIBUTE)
    assert body["attributes"][0] == {
        "variable": True,
        "code": "place",
        "datatype": "string",
        "required": False,
        "datatype_description": "Building, unit or part of the compound.",
        "order": 1,
        "description": "Where in the compound is the problem?",
    }

    root = xml_root(client().get(f"{BASE}/services/emergency-leak.xml"))
    assert root.tag == "service_definition"
    check_xml(root, SERVICE_DEFINITION)
    attributes = root.find("attributes")
    assert [a.tag for a in attributes] == ["attribute"]
    check_xml(attributes[0], ATTRIBUTE)
    assert attributes[0].findtext("required") == "false"
    assert attributes[0].findtext("order") == "1"


def test_unknown_service_definition_is_a_spec_404(cast):
    response = client().get(f"{BASE}/services/no-such.json")
    assert _json(response, 404) == [
        {"code": 404, "description": "No service has this service_code."}
    ]
    root = xml_root(client().get(f"{BASE}/services/no-such.xml"))
    assert root.tag == "errors"
    assert [e.tag for e in root] == ["error"]
    check_xml(root[0], ERROR)
    assert (root[0].findtext("code"), root[0].findtext("description")) == (
        "404",
        "No service has this service_code.",
    )


def _order(cast):
    return create_order(
        actor=cast.users[Role.RESIDENT],
        compound=cast.a.compound,
        house=cast.a.house,
        category=Category.objects.get(code="repair"),
        description="楼道灯不亮",
    )


def test_requests_list_and_one_both_formats(placed):
    order = _order(placed)
    listing = _json(client().get(f"{BASE}/requests.json"))
    assert len(listing) == 1
    check_json(listing[0], REQUEST)
    one = _json(client().get(f"{BASE}/requests/{order.pk}.json"))
    assert one == listing
    assert listing[0]["service_request_id"] == str(order.pk)
    assert (listing[0]["lat"], listing[0]["long"]) == (34.75, 113.68)

    for path in (f"{BASE}/requests.xml", f"{BASE}/requests/{order.pk}.xml"):
        root = xml_root(client().get(path))
        assert root.tag == "service_requests"
        assert [r.tag for r in root] == ["request"]
        check_xml(root[0], REQUEST)
        # The same values as the JSON, as text.
        for field, value in listing[0].items():
            assert root[0].findtext(field) == ("" if value is None else str(value)), field


def test_post_and_token_both_formats(placed, partner):
    for fmt in ("json", "xml"):
        response = client().post(
            f"{BASE}/requests.{fmt}",
            {
                "api_key": KEY,
                "service_code": "repair",
                "address_id": placed.a.compound.code,
                "description": "路灯坏了",
                "account_id": "u-7",
            },
        )
        assert response.status_code == 201
        if fmt == "json":
            body = json.loads(response.content)
            assert len(body) == 1
            check_json(body[0], CREATED)
            created = body[0]
        else:
            root = xml_root(response)
            assert root.tag == "service_requests"
            assert [r.tag for r in root] == ["request"]
            check_xml(root[0], CREATED)
            created = {child.tag: child.text for child in root[0]}
        assert created["account_id"] == "u-7"

        tokened = client().get(f"{BASE}/tokens/{created['token']}.{fmt}")
        assert tokened.status_code == 200
        if fmt == "json":
            body = json.loads(tokened.content)
            check_json(body[0], TOKEN)
            assert body == [
                {"service_request_id": created["service_request_id"], "token": created["token"]}
            ]
        else:
            root = xml_root(tokened)
            assert root.tag == "service_requests"
            assert [r.tag for r in root] == ["request"]
            check_xml(root[0], TOKEN)
            assert root[0].findtext("service_request_id") == created["service_request_id"]
            assert root[0].findtext("token") == created["token"]


def test_anything_else_is_a_spec_404(cast):
    assert _json(client().get(f"{BASE}/nothing.json"), 404) == [
        {"code": 404, "description": "No such resource."}
    ]
    root = xml_root(client().get(f"{BASE}/services.csv.xml"))
    assert root.tag == "errors"
    assert root[0].findtext("code") == "404"


def test_wrong_method_is_a_spec_405(cast):
    response = client().delete(f"{BASE}/requests.json")
    assert _json(response, 405) == [{"code": 405, "description": "Method not allowed."}]
    assert response["Allow"] == "GET, POST"
    assert client().post(f"{BASE}/services.json").status_code == 405
