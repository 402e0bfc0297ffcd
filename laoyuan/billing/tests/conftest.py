import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Billing's tests read service messages and labels in English (the pages' clients ask for
    English too), whatever the default language."""
    with translation.override("en"):
        yield
