import pytest
from django.utils import translation

from laoyuan.workorders.models import Category


@pytest.fixture(autouse=True)
def english():
    """Work orders' tests read service messages in English, whatever the default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def repair(db):
    return Category.objects.get(code="repair")


@pytest.fixture
def leak(db):
    return Category.objects.get(code="emergency-leak")
