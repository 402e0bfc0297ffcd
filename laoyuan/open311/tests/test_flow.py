"""A partner files a request and follows it through the five steps to closed."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.open311.tests.conftest import KEY, client
from laoyuan.workorders.services.transitions import transition

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


def _status(pk):
    [row] = json.loads(client().get(f"{BASE}/requests/{pk}.json").content)
    return row["status"], row["status_notes"], row["agency_responsible"]


def test_partner_follows_its_request_to_verified(placed, partner):
    response = client().post(
        f"{BASE}/requests.json",
        {
            "api_key": KEY,
            "service_code": "repair",
            "address_id": placed.a.compound.code,
            "description": "水管漏水",
        },
    )
    pk = int(response.json()[0]["service_request_id"])
    assert _status(pk) == ("open", "Ordered (业主点单)", None)
    users = placed.users
    company = placed.a.company.name
    steps = [
        (Role.BRANCH, "dispatch", {}, ("open", "Dispatched (支部派单)", company)),
        (Role.COMPANY, "accept", {}, ("open", "Accepted (物业接单)", company)),
        (Role.COMPANY, "start", {}, ("open", "In progress", company)),
        (
            Role.COMPANY,
            "finish",
            {"note": "换了阀门"},
            ("open", "Done, awaiting supervision", company),
        ),
        (Role.COMMITTEE, "supervise", {}, ("open", "Supervised (业委会督单)", company)),
        (Role.COMMUNITY, "verify", {}, ("closed", "Verified (社区验单)", company)),
    ]
    start = timezone.now()
    for hours, (role, action, extra, expected) in enumerate(steps, start=1):
        at = start + datetime.timedelta(hours=hours)
        transition(order_id=pk, actor=users[role], action=action, now=at, **extra)
        assert _status(pk) == expected, action
    [row] = json.loads(client().get(f"{BASE}/requests/{pk}.json").content)
    assert row["service_notice"] is None
    assert row["updated_datetime"] == timezone.localtime(at).isoformat(timespec="seconds")


def test_chinese_by_default(placed):
    response = Client().get(f"{BASE}/services.json")
    assert response["Content-Language"] == "zh-hans"
    repair = next(row for row in response.json() if row["service_code"] == "repair")
    assert repair["service_name"] == "维修"
