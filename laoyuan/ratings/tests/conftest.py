import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Ratings tests read service messages in English, whatever the default language."""
    with translation.override("en"):
        yield
