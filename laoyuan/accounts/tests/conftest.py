from collections.abc import Iterator

import pytest
from django.test import Client

from laoyuan.core.sms import MemorySmsBackend


@pytest.fixture
def sms(settings: object) -> Iterator[list[tuple[str, str]]]:
    """Text messages sent during the test, as (phone, text)."""
    settings.SMS_BACKEND = "laoyuan.core.sms.MemorySmsBackend"  # type: ignore[attr-defined]
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


@pytest.fixture
def client(client: Client, settings: object) -> Client:
    """The test client reading pages in English (Chinese is the default for real visitors), so
    assertions on texts keep holding once the Chinese translations are added."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # type: ignore[attr-defined]
    return client
