import re

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from laoyuan.accounts.models import LoginFailure
from laoyuan.accounts.services import check_lockout, record_login_failure
from laoyuan.factories import PASSWORD, Cast

TOKEN_URL = "/api/v1/auth/token/"
PROTECTED = [
    "/api/v1/compounds/",
    "/api/v1/compounds/1/",
    "/api/v1/houses/",
    "/api/v1/houses/1/",
    "/api/v1/overview/",
    "/api/v1/fee-schemes/",
    "/api/v1/billing-runs/",
    "/api/v1/billing-runs/1/",
    "/api/v1/houses/1/account/",
    "/api/v1/receipts/P001-00000001/",
]


def test_token_good_credentials_issue_a_working_token(cast: Cast, api_client: APIClient) -> None:
    response = api_client.post(TOKEN_URL, {"username": "street", "password": PASSWORD})

    assert response.status_code == 200
    key = response.json()["token"]
    assert response.json() == {"token": Token.objects.get(user=cast.users["street"]).key}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listed = client.get("/api/v1/compounds/")
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["results"]] == ["甲一号院", "甲二号院"]


def test_token_json_body_and_repeat_give_the_same_token(cast: Cast, api_client: APIClient) -> None:
    first = api_client.post(
        TOKEN_URL, {"username": "resident", "password": PASSWORD}, format="json"
    )
    second = api_client.post(
        TOKEN_URL, {"username": "resident", "password": PASSWORD}, format="json"
    )

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Token.objects.filter(user=cast.users["resident"]).count() == 1


def test_token_issue_records_the_sign_in(cast: Cast, api_client: APIClient) -> None:
    user = cast.users["grid"]
    assert user.last_login is None

    api_client.post(TOKEN_URL, {"username": "grid", "password": PASSWORD})

    user.refresh_from_db()
    assert user.last_login is not None


def test_token_bad_password_is_400_with_errors_and_no_token(
    cast: Cast, api_client: APIClient
) -> None:
    response = api_client.post(TOKEN_URL, {"username": "street", "password": "wrong"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {"non_field_errors": ["Unable to sign in with these credentials."]},
    }
    assert Token.objects.count() == 0


def test_token_unknown_user_reads_like_a_bad_password(cast: Cast, api_client: APIClient) -> None:
    response = api_client.post(TOKEN_URL, {"username": "nobody", "password": PASSWORD})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Unable to sign in with these credentials."]
    }


def test_token_inactive_user_is_refused(cast: Cast, api_client: APIClient) -> None:
    user = cast.users["street"]
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = api_client.post(TOKEN_URL, {"username": "street", "password": PASSWORD})

    assert response.status_code == 400
    assert Token.objects.count() == 0


def test_token_missing_fields_are_named(db: None, api_client: APIClient) -> None:
    response = api_client.post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {
            "username": ["This field is required."],
            "password": ["This field is required."],
        },
    }


def test_token_get_is_405_json(db: None, api_client: APIClient) -> None:
    response = api_client.get(TOKEN_URL)

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


def test_token_needs_no_csrf_even_with_a_session(cast: Cast) -> None:
    """The endpoint ignores sessions, so a signed-in browser cannot be tricked into it."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.users["street"])

    response = client.post(TOKEN_URL, {"username": "grid", "password": PASSWORD})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=cast.users["grid"]).key}


@pytest.mark.parametrize("url", PROTECTED)
def test_anonymous_is_401_with_token_challenge(cast: Cast, api_client: APIClient, url: str) -> None:
    response = api_client.get(url)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("url", PROTECTED)
def test_bad_token_is_401(cast: Cast, api_client: APIClient, url: str) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api_client.get(url)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Invalid token."}


def test_token_of_deactivated_user_is_401(cast: Cast, api_client: APIClient) -> None:
    user = cast.users["street"]
    token = Token.objects.create(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api_client.get("/api/v1/compounds/")

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_revoked_role_token_still_authenticates_but_sees_nothing(
    cast: Cast, api_client: APIClient
) -> None:
    user = cast.users["street"]
    token = Token.objects.create(user=user)
    user.assignments.update(revoked_at=timezone.now())
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api_client.get("/api/v1/compounds/")

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_session_sign_in_also_works_for_reads(cast: Cast) -> None:
    client = APIClient()
    client.force_login(cast.users["company"])

    response = client.get("/api/v1/compounds/")

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["甲一号院"]


def test_anonymous_message_is_chinese_by_default(cast: Cast, settings, api_client) -> None:
    settings.LANGUAGE_CODE = "zh-hans"

    response = api_client.get("/api/v1/overview/")

    assert response.status_code == 401
    assert response.headers["Content-Language"] == "zh-hans"
    assert response.json() == {"detail": "身份认证信息未提供。"}


def test_healthz_answers_200_when_the_database_answers(db: None, api_client: APIClient) -> None:
    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_token_failures_count_towards_the_sign_in_lockout(
    cast: Cast, api_client: APIClient, settings
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15
    statuses = [
        api_client.post(TOKEN_URL, {"username": "street", "password": "wrong"}).status_code
        for _ in range(3)
    ]

    locked = api_client.post(TOKEN_URL, {"username": "street", "password": PASSWORD})

    # The failure that reaches the limit already answers "locked", as the sign-in page does.
    assert statuses == [400, 400, 429]
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert re.fullmatch(
        r"Too many failed sign-ins\. Please try again after \d\d:\d\d \(in about 15 minutes\)\.",
        locked.json()["detail"],
    )
    assert set(locked.json()) == {"detail"}
    assert Token.objects.count() == 0
    assert check_lockout(username="street", ip="127.0.0.1") is not None


def test_token_is_refused_when_the_sign_in_page_locked_the_user(
    cast: Cast, api_client: APIClient, settings
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        record_login_failure(username="Street", ip="10.9.9.9")

    response = api_client.post(TOKEN_URL, {"username": "street", "password": PASSWORD})

    assert response.status_code == 429
    assert Token.objects.count() == 0


def test_token_success_clears_earlier_failures(cast: Cast, api_client: APIClient) -> None:
    api_client.post(TOKEN_URL, {"username": "street", "password": "wrong"})
    assert LoginFailure.objects.filter(username="street").count() == 1

    response = api_client.post(TOKEN_URL, {"username": "street", "password": PASSWORD})

    assert response.status_code == 200
    assert LoginFailure.objects.filter(username="street").count() == 0
