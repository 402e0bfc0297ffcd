from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from laoyuan.factories import Cast

# Every role of the standing cast, and the outsider (a street officer of street B).
ROLES = [
    "district",
    "street",
    "community",
    "grid",
    "branch",
    "company",
    "committee",
    "resident",
    "inspector",
    "outsider",
]


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    """Messages in English so tests can compare them exactly (the site defaults to Chinese)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    """An API client that sends the user's token, as a real client would."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def as_role(cast: Cast, client_for: Callable[[Any], APIClient]) -> Callable[[str], APIClient]:
    def make(role: str) -> APIClient:
        return client_for(cast.users[role])

    return make
