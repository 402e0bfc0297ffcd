import pytest

from laoyuan.factories import Cast, build_cast


@pytest.fixture
def cast(db: None) -> Cast:
    """The standing cast: one user per role in street A, and an outsider from street B."""
    return build_cast()


@pytest.fixture(autouse=True)
def _media_root(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined,operator]
