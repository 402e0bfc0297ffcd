import datetime
import re

from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import LoginFailure
from laoyuan.accounts.services import check_lockout, client_ip, record_login_failure
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


def test_lockout_five_failed_user_names_from_one_address_do_not_lock_a_sixth(
    client, cast: Cast
) -> None:
    # Behind a proxy or a NAT many people share an address: a few typos must not lock them all.
    for n in range(5):
        post_login(client, f"guess{n}", "wrong", ip="10.1.1.1")
    response = post_login(client, "community", PASSWORD, ip="10.1.1.1")
    assert response.status_code == 302
    assert signed_in(client)


def test_lockout_fifty_failures_from_one_address_lock_every_user_name_there(
    client, cast: Cast
) -> None:
    for n in range(50):
        post_login(client, f"guess{n}", "wrong", ip="10.1.1.1")
    assert LoginFailure.objects.filter(ip="10.1.1.1").count() == 50
    response = post_login(client, "community", PASSWORD, ip="10.1.1.1")
    assert not signed_in(client)
    assert "Too many failed sign-ins" in response.content.decode()
    response = post_login(client, "community", PASSWORD, ip="10.2.2.2")
    assert response.status_code == 302


def test_lockout_forty_nine_failures_from_one_address_do_not_lock_it(client, cast: Cast) -> None:
    for n in range(49):
        post_login(client, f"guess{n}", "wrong", ip="10.1.1.1")
    assert post_login(client, "community", PASSWORD, ip="10.1.1.1").status_code == 302


def test_lockout_address_limit_comes_from_settings(client, cast: Cast, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    for n in range(3):
        post_login(client, f"guess{n}", "wrong", ip="10.1.1.1")
    assert post_login(client, "community", PASSWORD, ip="10.1.1.1").status_code == 200
    assert not signed_in(client)


def forwarded(remote: str, header: str | None) -> HttpRequest:
    extra = {} if header is None else {"HTTP_X_FORWARDED_FOR": header}
    return RequestFactory().post(LOGIN, REMOTE_ADDR=remote, **extra)


def test_client_ip_ignores_forwarded_for_without_trusted_proxies(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(forwarded("10.0.0.9", "203.0.113.5")) == "10.0.0.9"
    assert client_ip(forwarded("10.0.0.9", None)) == "10.0.0.9"
    assert client_ip(forwarded("not-an-address", "203.0.113.5")) is None


def test_client_ip_takes_the_entry_our_proxies_wrote(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(forwarded("10.0.0.9", "203.0.113.5")) == "203.0.113.5"
    # Entries left of the proxy's own are the caller's to forge.
    assert client_ip(forwarded("10.0.0.9", "1.1.1.1, 203.0.113.5")) == "203.0.113.5"
    assert client_ip(forwarded("10.0.0.9", " 2001:db8::1 ")) == "2001:db8::1"
    # No header, or nonsense where the proxy's entry should be: the proxy's address.
    assert client_ip(forwarded("10.0.0.9", None)) == "10.0.0.9"
    assert client_ip(forwarded("10.0.0.9", "1.1.1.1, garbage")) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(forwarded("10.0.0.9", "1.1.1.1, 203.0.113.5, 10.0.0.8")) == "203.0.113.5"
    # Fewer entries than proxies: the request did not come through all of them.
    assert client_ip(forwarded("10.0.0.9", "203.0.113.5")) == "10.0.0.9"


def test_lockout_ignores_forwarded_for_when_no_proxy_is_trusted(
    client, cast: Cast, settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    client.post(
        LOGIN,
        {"username": "guess", "password": "wrong"},
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    assert list(LoginFailure.objects.values_list("ip", flat=True)) == ["10.0.0.9"]


def test_lockout_behind_a_trusted_proxy_counts_the_forwarded_address(
    client, cast: Cast, settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(50):
        client.post(
            LOGIN,
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.9",
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.5"}
    # The guesser is locked out; another person behind the same proxy is not.
    locked = client.post(
        LOGIN,
        {"username": "community", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    assert not signed_in(client)
    assert "Too many failed sign-ins" in locked.content.decode()
    response = client.post(
        LOGIN,
        {"username": "community", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR="203.0.113.6",
    )
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
