"""Partner keys: made once, stored as SHA-256 only, printed once by the command."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from laoyuan.core.models import AuditEvent
from laoyuan.open311.services import create_partner, partner_for_key
from laoyuan.workorders.models import Partner

pytestmark = pytest.mark.django_db


def test_create_partner_keeps_only_the_hash(cast):
    partner, key = create_partner(district=cast.district, name=" City platform ")
    assert len(key) >= 40
    partner.refresh_from_db()
    assert (partner.name, partner.district, partner.active) == (
        "City platform",
        cast.district,
        True,
    )
    assert partner.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(Partner.objects.values().get())
    assert partner_for_key(key) == partner
    assert partner_for_key(key + "x") is None
    assert partner_for_key("") is None
    event = AuditEvent.objects.get(action="open311_partner.created")
    assert (event.target_id, event.district_id, event.actor) == (partner.pk, cast.district.pk, None)
    assert key not in str(event.changes)


def test_two_partners_get_different_keys(cast):
    _a, key_a = create_partner(district=cast.district, name="A")
    _b, key_b = create_partner(district=cast.district, name="B")
    assert key_a != key_b


def test_a_fixed_key_and_its_limits(cast):
    partner, key = create_partner(district=cast.district, name="Demo", key="demo-open311-key")
    assert key == "demo-open311-key"
    assert partner_for_key("demo-open311-key") == partner
    with pytest.raises(ValidationError) as error:
        create_partner(district=cast.district, name="Copy", key="demo-open311-key")
    assert error.value.message_dict == {"key": ["Another partner already has this key."]}
    with pytest.raises(ValidationError) as error:
        create_partner(district=cast.district, name="Short", key="short")
    assert error.value.message_dict == {"key": ["An API key needs at least 8 characters."]}
    with pytest.raises(ValidationError) as error:
        create_partner(district=cast.district, name="  ")
    assert error.value.message_dict == {"name": ["Name the partner."]}
    assert Partner.objects.count() == 1


def test_inactive_partner_key_finds_nothing(cast):
    partner, key = create_partner(district=cast.district, name="Gone")
    Partner.objects.filter(pk=partner.pk).update(active=False)
    assert partner_for_key(key) is None


def test_command_prints_the_key_once(cast):
    out = io.StringIO()
    call_command("open311_partner", "城市平台", "--district", cast.district.code, stdout=out)
    partner = Partner.objects.get()
    lines = out.getvalue().splitlines()
    assert lines[0] == f"Open311 partner #{partner.pk} 城市平台 ({cast.district.code})"
    key = lines[1].removeprefix("API key (shown once, keep it safe): ")
    assert partner_for_key(key) == partner


def test_command_with_a_given_key_and_its_errors(cast):
    out = io.StringIO()
    call_command(
        "open311_partner",
        "Demo",
        "--district",
        cast.district.code,
        "--key",
        "demo-open311-key",
        stdout=out,
    )
    assert out.getvalue().splitlines()[1].endswith(": demo-open311-key")
    with pytest.raises(CommandError, match=r"^Another partner already has this key\.$"):
        call_command(
            "open311_partner",
            "Again",
            "--district",
            cast.district.code,
            "--key",
            "demo-open311-key",
            stdout=io.StringIO(),
        )
    with pytest.raises(CommandError, match=r"^No district has the code 'nope'\.$"):
        call_command("open311_partner", "X", "--district", "nope", stdout=io.StringIO())
    assert Partner.objects.count() == 1
