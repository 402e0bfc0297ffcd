"""A phone number used as a user name (phone sign-ups, phone invitations) is personal data:
pages and exports show it masked, wherever the user name stands in for a name."""

import io

import pytest
from openpyxl import load_workbook

from laoyuan.accounts import services
from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import User
from laoyuan.core import audit
from laoyuan.factories import Cast, UserFactory

PHONE = "13700001234"
MASKED = "137****1234"


@pytest.fixture
def phone_user(cast: Cast) -> User:
    """A community officer of street A whose user name is a phone number and who has no name."""
    user = UserFactory(username=PHONE, phone=PHONE)
    services.grant_role(
        actor=cast.users[Role.STREET], user=user, role=Role.COMMUNITY, scope=cast.a.community
    )
    return user


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_user_shown_username_masks_phone_numbers_only(db) -> None:
    assert User(username=PHONE).shown_username == MASKED
    assert User(username=PHONE).display_name == MASKED
    assert User(username=PHONE, first_name="王五").display_name == "王五"
    assert User(username="wang.wu").shown_username == "wang.wu"
    assert User(username="1370000123").shown_username == "1370000123"  # not a mobile number


def test_users_page_masks_phone_user_names(client, cast: Cast, phone_user: User) -> None:
    client.force_login(cast.users[Role.STREET])
    text = html(client.get("/accounts/users/"))
    assert f'<tr data-user="{MASKED}">' in text
    assert f"<td>{MASKED}</td>" in text
    assert PHONE not in text


def test_users_page_as_the_phone_user_shows_them_masked(client, phone_user: User) -> None:
    client.force_login(phone_user)
    text = html(client.get("/accounts/users/"))
    assert MASKED in text
    assert PHONE not in text


def test_audit_page_and_export_mask_phone_user_names(client, cast: Cast, phone_user: User) -> None:
    audit.record(
        actor=phone_user,
        action="test.by_phone_user",
        target=cast.a.compound,
        summary="changed something",
        district_id=cast.district.pk,
        street_id=cast.a.street.pk,
    )
    client.force_login(cast.users[Role.STREET])
    text = html(client.get("/accounts/audit/"))
    assert f"<td>{MASKED}</td>" in text  # the actor
    assert f"{MASKED} (#{phone_user.pk}): community @ " in text  # the grant's summary
    assert PHONE not in text
    response = client.get("/accounts/audit/?export=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    cells = [str(cell) for row in rows for cell in row if cell is not None]
    assert MASKED in cells
    assert not [cell for cell in cells if PHONE in cell]


def test_signup_requests_page_masks_phone_user_names(
    client, cast: Cast, phone_user: User, sms
) -> None:
    signup = services.sign_up_resident(
        phone="13700005678",
        name="钱六",
        password="Quiet-River-88",
        house=cast.a.neighbour_house,
        household_role="owner",
    )
    services.reject_signup(actor=phone_user, signup=signup, reason="no such tenant")
    client.force_login(cast.users[Role.STREET])
    text = html(client.get("/accounts/signup-requests/?status=rejected"))
    assert f"{MASKED} · " in text  # decided by
    assert "137****5678" in text
    assert PHONE not in text
    assert "13700005678" not in text
    text = html(client.get("/accounts/audit/?action=signup.rejected"))
    assert f"钱六 (#{signup.user_id}) for " in text  # the resident is named by their name
    assert "13700005678" not in text


def test_accept_invitation_page_masks_a_phone_user_name(client, cast: Cast, sms) -> None:
    _invitation, token = services.invite_user(
        actor=cast.users[Role.STREET],
        name="赵四",
        phone=PHONE,
        email="",
        role=Role.GRID,
        scope=cast.a.grid,
        accept_url=lambda token: f"https://laoyuan.example.cn/accounts/invitations/{token}/",
    )
    text = html(client.get(f"/accounts/invitations/{token}/"))
    assert f"<strong>{MASKED}</strong>" in text
    assert PHONE not in text
