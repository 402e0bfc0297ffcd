"""The bell's page: the user's notifications, newest first, and marking them read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from laoyuan.inbox.models import Notification
from laoyuan.inbox.services import mark_read


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user_id=int(request.user.pk or 0))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "inbox/list.html", {"page": page})


@login_required
@require_POST
def read(request: HttpRequest) -> HttpResponse:
    ids = request.POST.getlist("id")
    mark_read(user=request.user, ids=[int(i) for i in ids if i.isdigit()] if ids else None)
    return redirect("inbox:list")


urlpatterns = [path("", inbox, name="list"), path("read/", read, name="read")]
