import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from laoyuan.accounts.enums import Role
from laoyuan.factories import PASSWORD, Cast

ROOT = Path(__file__).resolve().parents[3]


def test_responses_carry_a_content_security_policy(client, db) -> None:
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy


def test_post_without_csrf_token_is_rejected(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "street", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    client.force_login(cast.users[Role.STREET])
    response = client.post("/accounts/users/grant/", {"account": "grid", "role": "grid"})
    assert response.status_code == 403


def test_post_with_csrf_token_is_accepted(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "street", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ID_NUMBER_KEY", "ID_HASH_KEY", "DEBUG", "ALLOWED_HOSTS"}
        and not k.startswith("PYTEST")
    }
    clean.update({"DEBUG": "0", "ALLOWED_HOSTS": "laoyuan.example", **env})
    return subprocess.run(
        [sys.executable, "-c", "import laoyuan.settings"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("missing", "given"),
    [
        ("SECRET_KEY", {"ID_NUMBER_KEY": "k" * 44, "ID_HASH_KEY": "h" * 32}),
        ("ID_NUMBER_KEY", {"SECRET_KEY": "s" * 50, "ID_HASH_KEY": "h" * 32}),
        ("ID_HASH_KEY", {"SECRET_KEY": "s" * 50, "ID_NUMBER_KEY": "k" * 44}),
    ],
)
def test_settings_refuse_to_start_without_a_secret_when_debug_is_off(
    missing: str, given: dict[str, str]
) -> None:
    result = import_settings(**given)
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set" in result.stderr


def test_settings_start_with_all_secrets_when_debug_is_off() -> None:
    result = import_settings(
        SECRET_KEY="s" * 50,
        ID_NUMBER_KEY="k" * 44,
        ID_HASH_KEY="h" * 32,
        SMS_BACKEND="provider.sms.Backend",
    )
    assert result.returncode == 0, result.stderr


def test_settings_refuse_the_console_sms_backend_when_debug_is_off() -> None:
    """Sign-up codes and invitation links must not end up in production logs."""
    result = import_settings(SECRET_KEY="s" * 50, ID_NUMBER_KEY="k" * 44, ID_HASH_KEY="h" * 32)
    assert result.returncode != 0
    assert "SMS_BACKEND must name a real SMS provider" in result.stderr


def test_settings_secure_cookies_outside_debug() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import laoyuan.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DEBUG"},
            "DEBUG": "0",
            "ALLOWED_HOSTS": "laoyuan.example",
            "SECRET_KEY": "s" * 50,
            "ID_NUMBER_KEY": "k" * 44,
            "ID_HASH_KEY": "h" * 32,
            "SMS_BACKEND": "provider.sms.Backend",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "True"], result.stderr


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/accounts/users/"),
        ("get", "/accounts/users/grant/"),
        ("get", "/accounts/users/invite/"),
        ("post", "/accounts/roles/1/revoke/"),
        ("get", "/accounts/residents/bind/"),
        ("get", "/accounts/signup/status/"),
        ("get", "/accounts/signup-requests/"),
        ("post", "/accounts/signup-requests/1/confirm/"),
        ("post", "/accounts/signup-requests/1/reject/"),
        ("post", "/accounts/people/1/reveal/phone/"),
        ("get", "/accounts/audit/"),
    ],
)
def test_staff_pages_send_anonymous_to_login(client, db, method: str, url: str) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
