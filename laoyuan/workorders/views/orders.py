"""One order's page: its facts, its photos, its whole timeline and the steps the reader may
take."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from laoyuan.accounts.scoping import get_scoped_or_404
from laoyuan.workorders.models import WorkOrder
from laoyuan.workorders.services.transitions import available_actions


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_scoped_or_404(
        WorkOrder.objects.select_related("category", "compound", "company", "team"),
        request.user,
        pk=pk,
    )
    events = order.events.select_related("actor").prefetch_related("photos")
    return render(
        request,
        "workorders/detail.html",
        {"order": order, "events": events, "actions": available_actions(order, request.user)},
    )


urlpatterns = [path("<int:pk>/", detail, name="detail")]
