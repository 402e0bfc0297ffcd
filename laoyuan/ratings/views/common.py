"""What the rating pages share."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.core.forms import apply_service_errors
from laoyuan.places.models import District


def district_or_404(user: Any) -> District:
    """The district whose office ``user`` acts for (the first by code if several); 404 for anyone
    else, so the district's pages do not show they exist."""
    scope = scope_for(user, {Role.DISTRICT})
    district = District.objects.filter(pk__in=scope.district).order_by("code").first()
    if district is None:
        raise Http404
    return district


def submitted(
    request: HttpRequest, form: forms.Form, action: Callable[[dict[str, Any]], Any], done: str
) -> bool:
    """Run ``action`` on a valid form's data: True when it is done (with ``done`` as the message);
    False when the form or the service refused, the service's errors put on the form's fields, so
    the caller shows the page again with them (400)."""
    if not form.is_valid():
        return False
    try:
        action(form.cleaned_data)
    except ValidationError as error:
        apply_service_errors(form, error)
        return False
    messages.success(request, done)
    return True
