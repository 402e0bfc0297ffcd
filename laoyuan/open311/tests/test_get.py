"""The public reads: no personal data, no complaints, open/closed for every internal status,
exact date filters, tokens, and a constant number of queries."""

import datetime
import json
import uuid
import xml.etree.ElementTree as ET
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.open311 import queries
from laoyuan.open311.services import create_partner, file_request
from laoyuan.open311.tests.conftest import KEY, client
from laoyuan.workorders.enums import Status
from laoyuan.workorders.models import Category, Team, WorkOrder
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import transition

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _get(path, status=200):
    response = client().get(path)
    assert response.status_code == status
    return json.loads(response.content)


def _resident_order(cast, code="repair", description="楼道灯不亮", now=None):
    return create_order(
        actor=cast.users[Role.RESIDENT],
        compound=cast.a.compound,
        house=cast.a.house,
        category=Category.objects.get(code=code),
        description=description,
        now=now,
    )


def _ids(rows):
    return [row["service_request_id"] for row in rows]


def test_one_request_shows_exact_public_values(placed):
    created = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)
    order = _resident_order(placed, now=created)
    order = transition(
        order_id=order.pk,
        actor=placed.users[Role.BRANCH],
        action="dispatch",
        now=created + datetime.timedelta(hours=1),
    )
    [row] = _get(f"{BASE}/requests/{order.pk}.json")
    assert row == {
        "service_request_id": str(order.pk),
        "status": "open",
        "status_notes": "Dispatched (支部派单)",
        "service_name": "Repair",
        "service_code": "repair",
        "description": "楼道灯不亮",
        "agency_responsible": placed.a.company.name,
        "service_notice": "To be accepted by 2026-11-21 09:30 and verified by 2026-11-25 09:30.",
        "requested_datetime": "2026-11-20T09:30:00+08:00",
        "updated_datetime": "2026-11-20T10:30:00+08:00",
        "expected_datetime": "2026-11-25T09:30:00+08:00",
        "address": placed.a.compound.name,
        "address_id": placed.a.compound.code,
        "zipcode": None,
        "lat": 34.75,
        "long": 113.68,
        "media_url": None,
    }
    category = Category.objects.get(code="repair")
    assert (category.response_hours, category.resolution_hours) == (24, 120)


def test_no_personal_data_in_any_public_read(placed, partner):
    order = file_request(
        partner=partner,
        service_code="repair",
        address_id=placed.a.compound.code,
        latitude=34.7501234,
        longitude=113.6804321,
        description="王小明家门口漏水,电话13912345678",
        first_name="小明",
        last_name="王",
        phone="13912345678",
        email="wang@example.com",
        address_string="甲一号院1号楼101",
        place="1号楼101",
        media_url="https://img.example.com/leak.jpg",
    )
    resident = _resident_order(
        placed, description="请联系13812341234 或 a.b@mail.example.cn,身份证41010219800101123x"
    )
    person = placed.a.resident_person
    secrets = [
        "王小明",
        "13912345678",
        "wang@example.com",
        "甲一号院1号楼101",
        "1号楼101",
        "a.b@mail.example.cn",
        "41010219800101123",
        person.name,
        person.phone,
        "13812341234",
        placed.a.house.label,
        placed.users[Role.RESIDENT].username,
    ]
    for fmt in ("json", "xml"):
        for path, shown in (
            (f"{BASE}/requests.{fmt}", (order.pk, resident.pk)),
            (f"{BASE}/requests/{order.pk}.{fmt}", (order.pk,)),
            (f"{BASE}/requests/{resident.pk}.{fmt}", (resident.pk,)),
            (
                f"{BASE}/requests.{fmt}?service_request_id={order.pk},{resident.pk}",
                (order.pk, resident.pk),
            ),
            (f"{BASE}/tokens/{order.token}.{fmt}", (order.pk,)),
        ):
            body = client().get(path).content.decode()
            # Each read shows the requests asked for (ids quoted or tagged, so "1" never
            # matches inside a date).
            for pk in shown:
                assert f'"{pk}"' in body or f">{pk}<" in body, (path, pk)
            for secret in secrets:
                assert secret not in body, (path, secret)
    rows = {row["service_request_id"]: row for row in _get(f"{BASE}/requests.json")}
    assert rows[str(order.pk)]["description"] == "王**家门口漏水,电话139****5678"
    assert rows[str(resident.pk)]["description"] == (
        "请联系138****1234 或 ***@mail.example.cn,身份证4*************123X"
    )
    # The partner's point is shown; a resident's order shows only its compound's centre.
    assert (rows[str(order.pk)]["lat"], rows[str(order.pk)]["long"]) == (34.750123, 113.680432)
    assert rows[str(order.pk)]["media_url"] == "https://img.example.com/leak.jpg"
    assert (rows[str(resident.pk)]["lat"], rows[str(resident.pk)]["long"]) == (34.75, 113.68)


def test_complaints_never_appear_publicly(placed, partner):
    complaint = file_request(
        partner=partner,
        service_code="complaint",
        address_id=placed.a.compound.code,
        description="邻里噪音纠纷",
    )
    resident_complaint = _resident_order(placed, code="complaint", description="投诉物业")
    repair = _resident_order(placed)
    for fmt in ("json", "xml"):
        body = client().get(f"{BASE}/requests.{fmt}").content.decode()
        assert "噪音" not in body and "投诉物业" not in body
    assert _ids(_get(f"{BASE}/requests.json")) == [str(repair.pk)]
    assert _ids(_get(f"{BASE}/requests.json?service_code=complaint")) == []
    ids = f"{complaint.pk},{resident_complaint.pk},{repair.pk}"
    assert _ids(_get(f"{BASE}/requests.json?service_request_id={ids}")) == [str(repair.pk)]
    for order in (complaint, resident_complaint):
        assert _get(f"{BASE}/requests/{order.pk}.json", 404) == [
            {"code": 404, "description": "No service request has this id."}
        ]
        assert _get(f"{BASE}/tokens/{order.token}.json", 404) == [
            {"code": 404, "description": "No service request has this token."}
        ]


def test_a_partner_with_its_key_follows_its_own_complaints_only(placed, partner):
    own = file_request(
        partner=partner,
        service_code="complaint",
        address_id=placed.a.compound.code,
        description="邻里噪音纠纷",
    )
    resident_complaint = _resident_order(placed, code="complaint", description="投诉物业")
    _other, other_key = create_partner(district=placed.district, name="Civic app")
    assert _ids(_get(f"{BASE}/requests.json?api_key={KEY}")) == [str(own.pk)]
    assert _get(f"{BASE}/requests/{own.pk}.json?api_key={KEY}")[0]["service_code"] == "complaint"
    assert _get(f"{BASE}/tokens/{own.token}.json?api_key={KEY}")[0]["service_request_id"] == str(
        own.pk
    )
    _get(f"{BASE}/requests/{resident_complaint.pk}.json?api_key={KEY}", 404)
    _get(f"{BASE}/requests/{own.pk}.json?api_key={other_key}", 404)
    assert _get(f"{BASE}/requests.json?api_key=wrong-key", 403) == [
        {"code": 403, "description": "api_key is invalid or inactive."}
    ]


# Written out, not derived from OPEN311_CLOSED, so a change to either side is caught.
EXPECTED_STATUS = {
    Status.ORDERED: ("open", "Ordered (业主点单)"),
    Status.DISPATCHED: ("open", "Dispatched (支部派单)"),
    Status.RETURNED: ("open", "Returned to the branch"),
    Status.ACCEPTED: ("open", "Accepted (物业接单)"),
    Status.IN_PROGRESS: ("open", "In progress"),
    Status.DONE: ("open", "Done, awaiting supervision"),
    Status.SUPERVISED: ("open", "Supervised (业委会督单)"),
    Status.VERIFIED: ("closed", "Verified (社区验单)"),
    Status.RATED: ("closed", "Rated"),
    Status.CLOSED: ("closed", "Closed"),
    Status.DUPLICATE: ("closed", "Duplicate"),
    Status.NOT_OURS: ("closed", "Not ours"),
    Status.CANCELLED: ("closed", "Cancelled"),
}


def test_status_maps_to_open_or_closed_for_every_internal_status(placed):
    assert set(EXPECTED_STATUS) == set(Status)
    orders = {}
    for status in Status:
        order = _resident_order(placed, description=f"状态 {status}")
        # Test arrangement only: the service moves statuses one legal step at a time.
        WorkOrder.objects.filter(pk=order.pk).update(status=status)
        orders[status] = order.pk
    rows = {row["service_request_id"]: row for row in _get(f"{BASE}/requests.json")}
    for status, (open311, notes) in EXPECTED_STATUS.items():
        row = rows[str(orders[status])]
        assert (row["status"], row["status_notes"]) == (open311, notes), status
    open_ids = {str(orders[s]) for s, (o, _n) in EXPECTED_STATUS.items() if o == "open"}
    closed_ids = {str(orders[s]) for s, (o, _n) in EXPECTED_STATUS.items() if o == "closed"}
    assert set(_ids(_get(f"{BASE}/requests.json?status=open"))) == open_ids
    assert set(_ids(_get(f"{BASE}/requests.json?status=closed"))) == closed_ids
    assert len(_get(f"{BASE}/requests.json?status=open,closed")) == 13
    assert _get(f"{BASE}/requests.json?status=pending", 400) == [
        {"code": 400, "description": "status: open or closed."}
    ]


def test_not_ours_names_who_is_responsible(placed):
    order = _resident_order(placed)
    transition(
        order_id=order.pk,
        actor=placed.users[Role.BRANCH],
        action="not_ours",
        note="燃气公司负责,电话13700001111",
    )
    [row] = _get(f"{BASE}/requests/{order.pk}.json")
    assert (row["status"], row["agency_responsible"], row["service_notice"]) == (
        "closed",
        "燃气公司负责,电话137****1111",
        "Not handled by the compound's services: passed on.",
    )


def test_a_team_is_the_agency_responsible(placed, partner):
    team = Team.objects.create(
        district=placed.district,
        street=placed.a.street,
        company=placed.a.company,
        kind="emergency",
        name="甲应急维修站",
    )
    order = file_request(
        partner=partner, service_code="emergency-leak", address_id=placed.a.compound.code
    )
    assert order.team == team
    assert _get(f"{BASE}/requests/{order.pk}.json")[0]["agency_responsible"] == "甲应急维修站"


@pytest.fixture
def timed(placed):
    """Orders one second either side of two boundaries (Shanghai time)."""
    t0 = datetime.datetime(2026, 10, 1, 8, 0, tzinfo=SHANGHAI)
    t1 = datetime.datetime(2026, 10, 31, 20, 0, tzinfo=SHANGHAI)
    second = datetime.timedelta(seconds=1)
    return {
        name: _resident_order(placed, description=name, now=when).pk
        for name, when in (
            ("before", t0 - second),
            ("start", t0),
            ("end", t1),
            ("after", t1 + second),
        )
    }


def _named(rows, timed):
    names = {str(pk): name for name, pk in timed.items()}
    return sorted(names[i] for i in _ids(rows))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "start_date=2026-10-01T08:00:00%2B08:00&end_date=2026-10-31T20:00:00%2B08:00",
            ["end", "start"],
        ),
        ("start_date=2026-10-01T00:00:00Z&end_date=2026-10-31T12:00:00Z", ["end", "start"]),
        ("start_date=2026-10-01T00:00:01Z&end_date=2026-10-31T11:59:59Z", []),
        # An unencoded + arrives as a space.
        (
            "start_date=2026-10-01T08:00:00+08:00&end_date=2026-10-31T20:00:00+08:00",
            ["end", "start"],
        ),
        # No zone: Shanghai time.
        (
            "start_date=2026-10-01T07:59:59&end_date=2026-10-31T20:00:01",
            ["after", "before", "end", "start"],
        ),
        # Whole days.
        ("start_date=2026-10-01&end_date=2026-10-31", ["after", "before", "end", "start"]),
        ("start_date=2026-10-02&end_date=2026-10-31", ["after", "end"]),
        # One side only: 90 days from it.
        ("start_date=2026-10-01T08:00:00%2B08:00", ["after", "end", "start"]),
        ("end_date=2026-10-01T08:00:00%2B08:00", ["before", "start"]),
    ],
)
def test_date_filters_are_exact(timed, query, expected):
    assert _named(_get(f"{BASE}/requests.json?{query}"), timed) == expected


def test_date_filter_errors(timed):
    assert _get(f"{BASE}/requests.json?start_date=yesterday", 400) == [
        {"code": 400, "description": "start_date: not an ISO 8601 date and time."}
    ]
    assert _get(f"{BASE}/requests.json?end_date=2026-13-01", 400) == [
        {"code": 400, "description": "end_date: not an ISO 8601 date and time."}
    ]
    assert _get(f"{BASE}/requests.json?start_date=2026-10-02&end_date=2026-10-01", 400) == [
        {"code": 400, "description": "start_date is after end_date."}
    ]
    assert _get(f"{BASE}/requests.json?start_date=2026-01-01&end_date=2026-10-01", 400) == [
        {"code": 400, "description": "start_date and end_date may not span more than 90 days."}
    ]


def test_default_is_the_last_90_days_newest_first(placed):
    now = timezone.now()
    old = _resident_order(placed, now=now - datetime.timedelta(days=90, minutes=1))
    recent = _resident_order(placed, now=now - datetime.timedelta(days=89))
    newest = _resident_order(placed, now=now - datetime.timedelta(hours=1))
    assert _ids(_get(f"{BASE}/requests.json")) == [str(newest.pk), str(recent.pk)]
    # service_request_id ignores the other filters (the spec), dates included.
    assert _ids(_get(f"{BASE}/requests.json?service_request_id={old.pk}&status=closed")) == [
        str(old.pk)
    ]


def test_service_code_and_id_filters(placed):
    repair = _resident_order(placed)
    cleaning = _resident_order(placed, code="env-cleaning")
    parking = _resident_order(placed, code="parking")
    assert _ids(_get(f"{BASE}/requests.json?service_code=repair")) == [str(repair.pk)]
    assert set(_ids(_get(f"{BASE}/requests.json?service_code=repair,parking"))) == {
        str(repair.pk),
        str(parking.pk),
    }
    assert _ids(_get(f"{BASE}/requests.json?service_request_id={cleaning.pk}, {repair.pk}")) == [
        str(cleaning.pk),
        str(repair.pk),
    ]
    assert _get(f"{BASE}/requests.json?service_request_id={'9' * 30}", 400)[0]["code"] == 400
    assert _get(f"{BASE}/requests.json?service_request_id=1;DROP", 400) == [
        {"code": 400, "description": "service_request_id: a comma-separated list of ids."}
    ]


def test_jurisdiction_filter(placed):
    a = _resident_order(placed)
    assert _ids(_get(f"{BASE}/requests.json?jurisdiction_id={placed.district.code}")) == [str(a.pk)]
    assert _ids(_get(f"{BASE}/requests.json?jurisdiction_id={placed.c.street.district.code}")) == []


def test_at_most_max_requests(placed, monkeypatch):
    monkeypatch.setattr(queries, "MAX_REQUESTS", 2)
    pks = [_resident_order(placed).pk for _ in range(3)]
    assert _ids(_get(f"{BASE}/requests.json")) == [str(pks[2]), str(pks[1])]


def test_unknown_ids_and_tokens_are_404(placed):
    for path in (
        f"{BASE}/requests/999999.json",
        f"{BASE}/requests/abc.json",
        f"{BASE}/requests/{'9' * 30}.json",
        f"{BASE}/requests/²³.json",
        f"{BASE}/tokens/{uuid.uuid4()}.json",
        f"{BASE}/tokens/not-a-token.json",
    ):
        assert _get(path, 404)[0]["code"] == 404


def test_token_lookup(placed, partner):
    order = file_request(partner=partner, service_code="repair", address_id=placed.a.compound.code)
    assert _get(f"{BASE}/tokens/{order.token}.json") == [
        {"service_request_id": str(order.pk), "token": str(order.token)}
    ]


def test_xml_survives_markup_and_control_characters(placed):
    order = _resident_order(placed, description="<b>灯</b> & \x07响")
    response = client().get(f"{BASE}/requests/{order.pk}.xml")
    root = ET.fromstring(response.content)
    assert root[0].findtext("description") == "<b>灯</b> & 响"
    assert (
        json.loads(client().get(f"{BASE}/requests/{order.pk}.json").content)[0]["description"]
        == "<b>灯</b> & \x07响"
    )


def _count_queries(path):
    with CaptureQueriesContext(connection) as ctx:
        assert client().get(path).status_code == 200
    return len(ctx.captured_queries)


def test_list_takes_the_same_queries_for_2_and_6_orders(placed, partner):
    for _ in range(2):
        _resident_order(placed)
    two = _count_queries(f"{BASE}/requests.json")
    for _ in range(2):
        _resident_order(placed)
        file_request(
            partner=partner,
            service_code="repair",
            address_id=placed.a.compound.code,
            media_url="https://img.example.com/a.jpg",
        )
    assert len(_get(f"{BASE}/requests.json")) == 6
    assert _count_queries(f"{BASE}/requests.json") == two
    assert _count_queries(f"{BASE}/requests.xml") == two
