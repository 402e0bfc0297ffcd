"""The bell's page: the user's notifications, newest first, and marking them read. Opening one
marks it read on the way to what it is about."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from laoyuan.core.params import parse_id
from laoyuan.inbox.models import Notification
from laoyuan.inbox.services import mark_read


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user_id=int(request.user.pk or 0))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(
        user_id=int(request.user.pk or 0), read_at__isnull=True
    ).exists()
    return render(request, "inbox/list.html", {"page": page, "any_unread": unread})


@login_required
@require_POST
def read(request: HttpRequest) -> HttpResponse:
    """Mark the posted ``id``s read (all when none is posted), then go to ``next`` (a local
    URL: the notification's page) or back to the list."""
    ids = request.POST.getlist("id")
    mark_read(
        user=request.user, ids=[n for n in map(parse_id, ids) if n is not None] if ids else None
    )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("inbox:list")


urlpatterns = [path("", inbox, name="list"), path("read/", read, name="read")]
