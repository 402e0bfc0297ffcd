from django.http import Http404
from rest_framework import exceptions

from laoyuan.api.exceptions import exception_handler, field_errors


def test_field_errors_flattens_nested_and_listed_errors() -> None:
    detail = exceptions.ValidationError(
        {
            "name": ["Too long.", "Has a tab."],
            "street": {"code": ["Unknown street."]},
            "houses": [{}, {"area": ["Must be positive."]}],
            "non_field_errors": ["Dates overlap."],
        }
    ).detail

    assert field_errors(detail) == {
        "name": ["Too long.", "Has a tab."],
        "street.code": ["Unknown street."],
        "houses.1.area": ["Must be positive."],
        "non_field_errors": ["Dates overlap."],
    }


def test_field_errors_of_a_bare_message_are_non_field() -> None:
    detail = exceptions.ValidationError("Something is off.").detail

    assert field_errors(detail) == {"non_field_errors": ["Something is off."]}


def test_django_404_message_is_not_passed_on(settings) -> None:
    settings.LANGUAGE_CODE = "en"

    response = exception_handler(Http404("No Compound matches the given query."), {})

    assert response is not None
    assert response.status_code == 404
    assert response.data == {"detail": "Not found."}


def test_other_errors_keep_their_detail() -> None:
    response = exception_handler(exceptions.Throttled(wait=30), {})

    assert response is not None
    assert response.status_code == 429
    assert set(response.data) == {"detail"}
    assert response.headers["Retry-After"] == "30"


def test_unknown_exceptions_are_left_to_django() -> None:
    assert exception_handler(ValueError("boom"), {}) is None
