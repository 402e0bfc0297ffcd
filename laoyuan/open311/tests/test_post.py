"""POST requests: the partner's key, the compound found from address_id, an outline or the
nearest centre within 500 m, the spec's errors, and where the personal data goes."""

import json
from decimal import Decimal

import pytest

from laoyuan.open311.models import PartnerRequest
from laoyuan.open311.services import create_partner
from laoyuan.open311.tests.conftest import (
    A_LAT,
    A_LNG,
    B_LAT,
    B_LNG,
    KEY,
    client,
    north_of,
    xml_root,
)
from laoyuan.places.models import Compound
from laoyuan.workorders.enums import Channel, Status
from laoyuan.workorders.models import Event, WorkOrder

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests.json"


def _post(data, fmt="json", **kwargs):
    return client().post(f"/open311/v2/requests.{fmt}", data, **kwargs)


def _errors(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def test_form_post_by_address_id_files_an_order(placed, partner):
    response = _post(
        {
            "api_key": KEY,
            "service_code": "repair",
            "address_id": placed.a.compound.code,
            "address_string": "甲一号院3号楼",
            "description": "单元门坏了",
            "first_name": "三",
            "last_name": "张",
            "phone": "13912345678",
            "email": "zhang@example.com",
            "account_id": "acct-1",
            "device_id": "dev-9",
            "media_url": "https://img.example.com/door.jpg",
            "attribute[place]": "3号楼2单元",
        }
    )
    assert response.status_code == 201
    order = WorkOrder.objects.get()
    assert json.loads(response.content) == [
        {
            "service_request_id": str(order.pk),
            "token": str(order.token),
            "service_notice": response.json()[0]["service_notice"],
            "account_id": "acct-1",
        }
    ]
    assert response.json()[0]["service_notice"].startswith("To be accepted by ")
    assert (order.compound, order.channel, order.status, order.partner) == (
        placed.a.compound,
        Channel.OPEN311,
        Status.ORDERED,
        partner,
    )
    assert (order.description, order.place, order.contact_name, order.contact_phone) == (
        "单元门坏了",
        "3号楼2单元",
        "张三",
        "13912345678",
    )
    assert (order.requester, order.reported_by, order.house) == (None, None, None)
    assert (order.latitude, order.longitude) == (None, None)
    extra = PartnerRequest.objects.get(order=order)
    assert (
        extra.partner,
        extra.account_id,
        extra.device_id,
        extra.address_string,
        extra.email,
        extra.media_url,
    ) == (
        partner,
        "acct-1",
        "dev-9",
        "甲一号院3号楼",
        "zhang@example.com",
        "https://img.example.com/door.jpg",
    )
    assert [(e.action, e.role, e.actor) for e in Event.objects.filter(order=order)] == [
        ("create", "partner", None)
    ]


def test_json_post_is_accepted(placed, partner):
    response = client().post(
        URL,
        json.dumps(
            {
                "api_key": KEY,
                "service_code": "env-cleaning",
                "lat": 34.75,
                "long": 113.68,
                "description": "垃圾没清运",
                "first_name": "Li",
                "last_name": "Lei",
                "attribute": {"place": "东门"},
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201
    order = WorkOrder.objects.get()
    assert (order.compound, order.category.code, order.place, order.contact_name) == (
        placed.a.compound,
        "env-cleaning",
        "东门",
        "Li Lei",
    )
    assert (order.latitude, order.longitude) == (Decimal("34.750000"), Decimal("113.680000"))


def test_key_may_come_in_the_query_string(placed, partner):
    response = client().post(
        f"{URL}?api_key={KEY}", {"service_code": "repair", "address_id": placed.a.compound.code}
    )
    assert response.status_code == 201
    # No description: the service's name stands in (an order needs one).
    assert WorkOrder.objects.get().description == "维修"


def test_point_inside_an_outline_finds_that_compound(placed, partner):
    # Near the corner of A's outline, 280 m from its centre: inside the square.
    lat, lng = float(A_LAT) + 0.0019, float(A_LNG) + 0.0019
    response = _post({"api_key": KEY, "service_code": "repair", "lat": lat, "long": lng})
    assert response.status_code == 201
    assert WorkOrder.objects.get().compound == placed.a.compound


def test_nearest_centre_within_500_m(placed, partner):
    # The neighbour has no outline: 499 m from its centre finds it.
    response = _post(
        {"api_key": KEY, "service_code": "repair", "lat": north_of(B_LAT, 499), "long": str(B_LNG)}
    )
    assert response.status_code == 201
    assert WorkOrder.objects.get().compound == placed.a.other_compound


def test_501_m_from_every_compound_is_400(placed, partner):
    response = _post(
        {"api_key": KEY, "service_code": "repair", "lat": north_of(B_LAT, 501), "long": str(B_LNG)}
    )
    assert _errors(response, 400) == [
        {
            "code": 400,
            "description": "lat: No compound of this jurisdiction lies at or within 500 m of "
            "this point.",
        }
    ]
    assert WorkOrder.objects.count() == 0


def test_address_id_wins_over_the_point(placed, partner):
    response = _post(
        {
            "api_key": KEY,
            "service_code": "repair",
            "address_id": placed.a.other_compound.code,
            "lat": str(A_LAT),
            "long": str(A_LNG),
        }
    )
    assert response.status_code == 201
    order = WorkOrder.objects.get()
    assert order.compound == placed.a.other_compound
    assert (order.latitude, order.longitude) == (A_LAT, A_LNG)


@pytest.mark.parametrize(
    ("data", "description"),
    [
        (
            {"address_id": "NOPE"},
            "address_id: No compound of this jurisdiction has this address_id.",
        ),
        ({}, "address_id: Give address_id (a compound code) or lat and long."),
        (
            {"address_string": "甲一号院"},
            "address_id: Give address_id (a compound code) or lat and long.",
        ),
        ({"lat": "34.75"}, "Give both lat and long, or neither."),
        ({"lat": "north", "long": "113.68"}, "lat: not a number."),
        ({"lat": "91", "long": "113.68"}, "lat: out of range."),
        ({"lat": "34.75", "long": "nan"}, "long: out of range."),
    ],
)
def test_no_place_is_400(placed, partner, data, description):
    response = _post({"api_key": KEY, "service_code": "repair", **data})
    assert _errors(response, 400) == [{"code": 400, "description": description}]
    assert WorkOrder.objects.count() == 0


def test_a_compound_of_another_district_is_not_found(placed, partner):
    response = _post(
        {"api_key": KEY, "service_code": "repair", "address_id": placed.c.compound.code}
    )
    assert _errors(response, 400)[0]["description"].startswith("address_id: ")
    response = _post(
        {
            "api_key": KEY,
            "service_code": "repair",
            "address_id": placed.a.compound.code,
            "jurisdiction_id": placed.c.street.district.code,
        }
    )
    assert _errors(response, 400) == [
        {"code": 400, "description": "jurisdiction_id: this key is for another jurisdiction."}
    ]
    assert WorkOrder.objects.count() == 0


def test_jurisdiction_id_of_the_partner_is_accepted(placed, partner):
    response = _post(
        {
            "api_key": KEY,
            "service_code": "repair",
            "address_id": placed.a.compound.code,
            "jurisdiction_id": placed.district.code,
        }
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("key", "description"),
    [
        (None, "api_key is required."),
        ("", "api_key is required."),
        ("wrong-key-123", "api_key is invalid or inactive."),
    ],
)
def test_missing_or_bad_key_is_403(placed, partner, key, description):
    data = {"service_code": "repair", "address_id": placed.a.compound.code}
    if key is not None:
        data["api_key"] = key
    assert _errors(_post(data), 403) == [{"code": 403, "description": description}]
    root = xml_root(_post(data, fmt="xml"))
    assert client().post(URL, data).status_code == 403
    assert (root.tag, root[0].tag, root[0].findtext("code"), root[0].findtext("description")) == (
        "errors",
        "error",
        "403",
        description,
    )
    assert WorkOrder.objects.count() == 0


def test_inactive_partner_is_403(placed, partner):
    partner.active = False
    partner.save()
    data = {"api_key": KEY, "service_code": "repair", "address_id": placed.a.compound.code}
    assert _errors(_post(data), 403) == [
        {"code": 403, "description": "api_key is invalid or inactive."}
    ]
    assert WorkOrder.objects.count() == 0


def test_unknown_or_missing_service_is_400(placed, partner):
    data = {"api_key": KEY, "address_id": placed.a.compound.code}
    assert _errors(_post({**data, "service_code": "potholes"}), 400) == [
        {"code": 400, "description": "service_code: Unknown service_code."}
    ]
    assert _errors(_post(data), 400) == [{"code": 400, "description": "service_code is required."}]
    assert WorkOrder.objects.count() == 0


def test_bad_contact_fields_are_400_naming_each(placed, partner):
    response = _post(
        {
            "api_key": KEY,
            "service_code": "repair",
            "address_id": placed.a.compound.code,
            "email": "not-an-address",
            "phone": "call me",
            "media_url": "javascript:alert(1)",
        }
    )
    assert _errors(response, 400) == [
        {"code": 400, "description": "email: Not an e-mail address."},
        {"code": 400, "description": "phone: Not a phone number."},
        {"code": 400, "description": "media_url: Not an http or https URL."},
    ]
    assert WorkOrder.objects.count() == 0


def test_too_long_description_is_400(placed, partner):
    response = _post(
        {
            "api_key": KEY,
            "service_code": "repair",
            "address_id": placed.a.compound.code,
            "description": "长" * 2001,
        }
    )
    assert _errors(response, 400) == [
        {"code": 400, "description": "description: At most 2000 characters."}
    ]


def test_bad_json_body_is_400(placed, partner):
    response = client().post(URL, "{not json", content_type="application/json")
    assert _errors(response, 400) == [{"code": 400, "description": "The body is not valid JSON."}]
    response = client().post(URL, "[1, 2]", content_type="application/json")
    assert _errors(response, 400) == [
        {"code": 400, "description": "The body must be a JSON object."}
    ]


def test_each_partner_files_in_its_own_district(placed, partner):
    _other, key = create_partner(district=placed.c.street.district, name="Other city")
    response = _post(
        {"api_key": key, "service_code": "repair", "address_id": placed.c.compound.code}
    )
    assert response.status_code == 201
    response = _post(
        {"api_key": key, "service_code": "repair", "address_id": placed.a.compound.code}
    )
    assert response.status_code == 400
    assert list(WorkOrder.objects.values_list("compound", flat=True)) == [placed.c.compound.pk]


def test_outline_as_the_demo_draws_it(placed, partner):
    from laoyuan.demo.geometry import Rect

    cell = Rect(113.70, 34.72, 113.71, 34.73).shrink(0.1)
    Compound.objects.filter(pk=placed.a.other_compound.pk).update(
        boundary=cell.polygon(), latitude=cell.latitude, longitude=cell.longitude
    )
    # Inside the shrunk cell, 504 m from its centre (beyond the nearest-centre rule).
    response = _post(
        {"api_key": KEY, "service_code": "repair", "lat": "34.7215", "long": "113.7015"}
    )
    assert response.status_code == 201
    assert WorkOrder.objects.get().compound == placed.a.other_compound
    # In the cell's margin: outside the outline, 648 m from the centre.
    response = _post(
        {"api_key": KEY, "service_code": "repair", "lat": "34.7205", "long": "113.7005"}
    )
    assert response.status_code == 400
