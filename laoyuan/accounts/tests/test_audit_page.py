import datetime
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from laoyuan.accounts import services
from laoyuan.accounts.enums import Role
from laoyuan.core import audit
from laoyuan.core.models import AuditEvent
from laoyuan.factories import Cast, UserFactory


@pytest.fixture
def events(cast: Cast) -> dict[str, AuditEvent]:
    """The cast's mode changes plus a grant in each street and a district-wide event."""
    services.grant_role(
        actor=cast.users[Role.STREET],
        user=UserFactory(username="a1"),
        role=Role.GRID,
        scope=cast.a.grid,
    )
    services.grant_role(
        actor=cast.users["outsider"],
        user=UserFactory(username="b1"),
        role=Role.GRID,
        scope=cast.b.grid,
    )
    audit.record(
        actor=cast.users[Role.DISTRICT],
        action="district.rule_changed",
        target=cast.district,
        summary="district-wide",
        district_id=cast.district.pk,
    )
    return {e.summary: e for e in AuditEvent.objects.all()}


def ids_on_page(response) -> list[str]:
    return re.findall(r'<tr data-action="([^"]+)"', response.content.decode())


def expected_actions(street_ids, district_id=None) -> list[str]:
    qs = AuditEvent.objects.order_by("-at", "-pk")
    if street_ids is not None:
        qs = qs.filter(street_id__in=street_ids)
    if district_id is not None:
        qs = qs.filter(district_id=district_id)
    return list(qs.values_list("action", flat=True))


def test_audit_page_district_sees_everything(client, cast: Cast, events) -> None:
    client.force_login(cast.users[Role.DISTRICT])
    response = client.get("/accounts/audit/")
    assert response.status_code == 200
    assert ids_on_page(response) == expected_actions(None, cast.district.pk)
    # 4 mode changes, 2 grants, 1 district-wide; district C's 2 mode changes are not shown.
    assert AuditEvent.objects.filter(district_id=cast.district.pk).count() == 7
    assert AuditEvent.objects.count() == 9
    assert 'data-count="7"' in response.content.decode()


def test_audit_page_other_district_sees_only_its_own(client, cast: Cast, events) -> None:
    client.force_login(cast.users["other_district"])
    response = client.get("/accounts/audit/")
    assert response.status_code == 200
    assert ids_on_page(response) == ["compound.mode_changed", "compound.mode_changed"]
    assert 'data-count="2"' in response.content.decode()


def test_audit_page_street_sees_its_street_only(client, cast: Cast, events) -> None:
    for who, street in [(Role.STREET, cast.a.street), ("outsider", cast.b.street)]:
        client.force_login(cast.users[who])
        response = client.get("/accounts/audit/")
        actions = ids_on_page(response)
        assert actions == expected_actions([street.pk]), who
        assert actions.count("role.granted") == 1
        assert actions.count("compound.mode_changed") == 2
        assert "district.rule_changed" not in actions
        other = "b1" if who == Role.STREET else "a1"
        assert f"{other} (#" not in response.content.decode()


@pytest.mark.parametrize(
    "who",
    [
        Role.COMMUNITY,
        Role.GRID,
        Role.BRANCH,
        Role.COMPANY,
        Role.COMMITTEE,
        Role.RESIDENT,
        Role.INSPECTOR,
    ],
)
def test_audit_page_is_404_for_other_roles(client, cast: Cast, events, who: str) -> None:
    client.force_login(cast.users[who])
    assert client.get("/accounts/audit/").status_code == 404
    assert client.get("/accounts/audit/?export=xlsx").status_code == 404


def test_audit_page_anonymous_is_sent_to_login(client, cast: Cast) -> None:
    assert client.get("/accounts/audit/")["Location"].startswith("/accounts/login/")


def test_audit_page_filters_by_action_and_date(client, cast: Cast, events) -> None:
    client.force_login(cast.users[Role.DISTRICT])
    response = client.get("/accounts/audit/?action=role.granted")
    assert ids_on_page(response) == ["role.granted", "role.granted"]
    old = AuditEvent.objects.filter(action="compound.mode_changed")
    old.update(at=timezone.now() - datetime.timedelta(days=30))
    today = timezone.localdate().isoformat()
    response = client.get(f"/accounts/audit/?date_from={today}")
    assert sorted(ids_on_page(response)) == [
        "district.rule_changed",
        "role.granted",
        "role.granted",
    ]
    until = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = client.get(f"/accounts/audit/?date_to={until}")
    assert ids_on_page(response) == ["compound.mode_changed"] * 4


def test_audit_page_export_matches_the_filtered_list(client, cast: Cast, events) -> None:
    client.force_login(cast.users[Role.STREET])
    response = client.get("/accounts/audit/?action=role.granted&export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Time", "Actor", "Action", "Object", "Summary")
    assert len(rows) == 2
    grant = AuditEvent.objects.get(action="role.granted", street_id=cast.a.street.pk)
    assert rows[1][1:] == (
        "street",
        "role.granted",
        f"accounts.roleassignment#{grant.target_id}",
        grant.summary,
    )


def test_audit_page_paginates(client, cast: Cast, events, django_assert_max_num_queries) -> None:
    for n in range(60):
        audit.record(
            actor=cast.users[Role.STREET],
            action="test.event",
            target=cast.a.compound,
            summary=f"event {n}",
            district_id=cast.district.pk,
            street_id=cast.a.street.pk,
        )
    client.force_login(cast.users[Role.STREET])
    first = client.get("/accounts/audit/")
    assert len(ids_on_page(first)) == 50
    second = client.get("/accounts/audit/?page=2")
    assert len(ids_on_page(second)) == 13
    with django_assert_max_num_queries(14):
        client.get("/accounts/audit/")


def test_audit_page_and_export_of_the_other_district_hold_none_of_district_a(
    client, cast: Cast, events
) -> None:
    other = cast.c.street.district
    theirs = AuditEvent.objects.filter(district_id=other.pk).order_by("-at", "-pk")
    ours = AuditEvent.objects.filter(district_id=cast.district.pk)
    assert theirs.count() == 2
    assert ours.count() == 7
    client.force_login(cast.users["other_district"])
    text = client.get("/accounts/audit/").content.decode()
    assert 'data-count="2"' in text
    for event in ours:
        assert event.summary not in text, event.summary
    # District A's actions are not even offered as a filter.
    assert 'value="role.granted"' not in text
    assert 'value="district.rule_changed"' not in text
    response = client.get("/accounts/audit/?export=xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[3] for row in rows[1:]] == [f"{e.target_type}#{e.target_id}" for e in theirs]
    summaries = {row[4] for row in rows[1:]}
    assert summaries.isdisjoint(ours.values_list("summary", flat=True))
    # Asking for district A's actions by name finds nothing either.
    response = client.get("/accounts/audit/?action=role.granted&export=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert "role.granted" not in [row[2] for row in rows[1:]]
