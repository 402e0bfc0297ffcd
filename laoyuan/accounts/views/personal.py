"""Revealing a person's whole phone or ID number, as an htmx fragment."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from laoyuan.accounts import services
from laoyuan.accounts.scoping import get_scoped_or_404
from laoyuan.people.models import Person


@login_required
@require_POST
@never_cache
def reveal(request: HttpRequest, person_id: int, field: str) -> HttpResponse:
    """The whole phone or ID number, as an htmx fragment; every view is logged."""
    if field not in services.REVEALABLE_FIELDS or not services.may_reveal(request.user, field):
        raise Http404
    person = get_scoped_or_404(Person.objects.all(), request.user, pk=person_id)
    try:
        value = services.reveal_personal_data(viewer=request.user, person=person, field=field)
    except (ValueError, PermissionDenied):
        raise Http404 from None
    return HttpResponse(
        format_html('<span class="revealed" data-field="{}">{}</span>', field, value)
    )
