import pytest
from django.utils import translation

from laoyuan.timebank.tests.helpers import wide_claim_window  # noqa: F401  (autouse fixture)


@pytest.fixture(autouse=True)
def english():
    """The time bank's tests read service messages and labels in English (page tests ask for
    their language through the client), whatever the default language."""
    with translation.override("en"):
        yield
