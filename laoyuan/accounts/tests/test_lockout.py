import datetime
import re

from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import LoginFailure
from laoyuan.accounts.services import check_lockout, record_login_failure
from laoyuan.factories import PASSWORD, Cast

LOGIN = "/accounts/login/"


def post_login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_url_names_are_kept() -> None:
    assert reverse("accounts:login") == LOGIN
    assert reverse("accounts:logout") == "/accounts/logout/"


def test_login_page_renders_for_anonymous_with_signup_link(client, db) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert reverse("accounts:signup").encode() in response.content
    assert b'name="username"' in response.content


def test_login_right_password_signs_in_and_clears_failures(client, cast: Cast) -> None:
    for _ in range(3):
        post_login(client, "street", "wrong")
    assert LoginFailure.objects.filter(username="street").count() == 3
    response = post_login(client, "street", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)
    assert LoginFailure.objects.filter(username="street").count() == 0


def test_login_sixth_attempt_with_right_password_is_refused(client, cast: Cast) -> None:
    for _ in range(5):
        response = post_login(client, "street", "wrong")
        assert response.status_code == 200
    response = post_login(client, "street", PASSWORD)
    assert response.status_code == 200
    assert not signed_in(client)
    assert "Too many failed sign-ins" in response.content.decode()
    # Refused attempts are not counted, so they cannot stretch the lockout.
    assert LoginFailure.objects.filter(username="street").count() == 5


def alert(response) -> str:
    match = re.search(r'role="alert"><div>(.*?)</div>', response.content.decode())
    assert match, response.content.decode()
    return re.sub(r"\d+", "N", match.group(1))


def test_lockout_message_is_the_same_for_unknown_user_names(client, cast: Cast) -> None:
    messages = []
    for n, username in enumerate(("street", "nobody-here")):
        for _ in range(5):
            post_login(client, username, "wrong", ip=f"10.0.0.{n}")
        messages.append(alert(post_login(client, username, PASSWORD, ip=f"10.0.1.{n}")))
    assert messages[0] == messages[1]
    assert messages[0].startswith("Too many failed sign-ins. Please try again after N:N")


def test_lockout_lifts_after_the_window(client, cast: Cast) -> None:
    for _ in range(5):
        post_login(client, "street", "wrong")
    assert check_lockout(username="street", ip=None) is not None
    LoginFailure.objects.update(at=timezone.now() - datetime.timedelta(minutes=15, seconds=1))
    assert check_lockout(username="street", ip=None) is None
    response = post_login(client, "street", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)
    assert LoginFailure.objects.filter(username="street").count() == 0


def test_lockout_ends_when_the_fifth_newest_failure_leaves_the_window(db) -> None:
    now = timezone.now()
    for minutes in (14, 10, 6, 2, 1, 0):
        row = record_login_failure(username="someone", ip=None)
        LoginFailure.objects.filter(pk=row.pk).update(at=now - datetime.timedelta(minutes=minutes))
    # The six failures at -14..0: the fifth newest is at -10, so sign-in reopens at +5.
    assert check_lockout(username="someone", ip=None, now=now) == now + datetime.timedelta(
        minutes=5
    )
    assert check_lockout(username="Someone ", ip=None, now=now) is not None


def test_lockout_by_address_blocks_other_user_names(client, cast: Cast) -> None:
    for n in range(5):
        post_login(client, f"guess{n}", "wrong", ip="10.1.1.1")
    response = post_login(client, "community", PASSWORD, ip="10.1.1.1")
    assert not signed_in(client)
    assert "Too many failed sign-ins" in response.content.decode()
    response = post_login(client, "community", PASSWORD, ip="10.2.2.2")
    assert response.status_code == 302


def test_four_failures_do_not_lock(client, cast: Cast) -> None:
    for _ in range(4):
        post_login(client, "grid", "wrong")
    assert post_login(client, "grid", PASSWORD).status_code == 302


def test_logout_answers_post_only(client, cast: Cast) -> None:
    client.force_login(cast.users[Role.STREET])
    assert client.get("/accounts/logout/").status_code == 405
    assert signed_in(client)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not signed_in(client)


def test_signed_in_user_is_sent_on_from_login(client, cast: Cast) -> None:
    client.force_login(cast.users[Role.STREET])
    assert client.get(LOGIN).status_code == 302
