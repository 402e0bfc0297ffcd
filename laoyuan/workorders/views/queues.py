"""Each hand's queue (待办): the orders waiting for the reader's role, overdue first.

``?role=`` picks one of the reader's roles that has a queue (a role they do not hold is 404);
the filters narrow the queue, the tabs count it by status. The page reads a fixed number of
queries whatever the size of the queue (the counts are one grouped query)."""

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.places.models import Compound
from laoyuan.workorders.enums import Status
from laoyuan.workorders.models import Category, WorkOrder
from laoyuan.workorders.queries import (
    PRIMARY_STATUSES,
    QUEUE_ROLES,
    QUEUE_STATUSES,
    overdue_q,
    queue,
)

PAGE_SIZE = 25

# What each queue is for, as its heading says it.
QUEUE_TITLES: dict[str, Any] = {
    Role.BRANCH: _("To dispatch"),
    Role.COMPANY: _("To accept and in progress"),
    Role.COMMITTEE: _("To supervise"),
    Role.COMMUNITY: _("To verify and close"),
    Role.STREET: _("Escalated to the street and street teams"),
}
EMPTY_TEXTS: dict[str, Any] = {
    Role.BRANCH: _("No orders wait to be dispatched. New reports from residents appear here."),
    Role.COMPANY: _("No orders wait for your company. Dispatched orders appear here."),
    Role.COMMITTEE: _("No finished work waits for supervision."),
    Role.COMMUNITY: _("Nothing waits to be verified or closed, and nothing is escalated to you."),
    Role.STREET: _("Nothing is escalated to the street, and street teams have no open orders."),
}


def held_queue_roles(user: Any) -> list[str]:
    """The roles with a queue the user holds, in the switcher's order."""
    scope = scope_for(user)
    return [role for role in QUEUE_ROLES if scope.has_role(role)]


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Order number or text"), required=False, max_length=100)
    compound = forms.ModelChoiceField(
        label=_("Compound"), queryset=Compound.objects.none(), required=False, empty_label=_("All")
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, empty_label=_("All")
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, orders: QuerySet[WorkOrder], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the compounds the queue has orders in: nothing outside the reader's scope.
        field = self.fields["compound"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Compound.objects.filter(
            id__in=orders.order_by().values("compound_id")
        ).order_by("name")
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.all()
        category.label_from_instance = lambda obj: obj.shown_name  # type: ignore[method-assign]
        for name in ("q", "compound", "category"):
            self.fields[name].widget.attrs["class"] = (
                "form-control form-control-sm" if name == "q" else "form-select form-select-sm"
            )
        self.fields["overdue"].widget.attrs["class"] = "form-check-input"


def _search(orders: QuerySet[WorkOrder], text: str) -> QuerySet[WorkOrder]:
    """An order number (``123`` or ``#123``) or words of the description or place."""
    text = text.strip()
    number = text.removeprefix("#").strip()
    match = Q(description__icontains=text) | Q(place__icontains=text)
    if number.isdigit() and len(number) < 12:
        match |= Q(pk=int(number))
    return orders.filter(match)


@login_required
@require_GET
def queue_page(request: HttpRequest) -> HttpResponse:
    roles = held_queue_roles(request.user)
    role = request.GET.get("role") or (roles[0] if roles else "")
    if role not in roles:
        raise Http404
    now = timezone.now()
    orders = queue(request.user, role, now)
    form = QueueFilterForm(request.GET or None, orders=orders)
    filtered = orders
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["compound"]:
            filtered = filtered.filter(compound=data["compound"])
        if data["category"]:
            filtered = filtered.filter(category=data["category"])
        if data["q"]:
            filtered = _search(filtered, data["q"])
        if data["overdue"]:
            filtered = filtered.filter(overdue_q(now))

    # One grouped query: each status's count and overdue count, with the filters (the tabs).
    counted: dict[str, dict[str, Any]] = {
        row["status"]: dict(row)
        for row in filtered.order_by()
        .values("status")
        .annotate(n=Count("id"), late=Count("id", filter=overdue_q(now)))
    }
    status = request.GET.get("status", "")
    if status not in QUEUE_STATUSES[role]:
        status = ""
    tabs = [
        {
            "status": value,
            "label": Status(value).label,
            "count": counted[value]["n"] if value in counted else 0,
            "active": value == status,
        }
        for value in QUEUE_STATUSES[role]
        if value in PRIMARY_STATUSES[role] or value in counted or value == status
    ]
    total = sum(row["n"] for row in counted.values())
    late = sum(row["late"] for row in counted.values())

    shown = filtered
    if status:
        shown = shown.filter(status=status)
    page = Paginator(shown.select_related("category", "compound", "company", "team"), PAGE_SIZE)
    page_obj = page.get_page(request.GET.get("page"))
    filtered_any = any(request.GET.get(key) for key in ("q", "compound", "category", "overdue"))
    return render(
        request,
        "workorders/queue.html",
        {
            "role": role,
            "role_label": Role(role).label,
            "roles": [{"role": r, "label": Role(r).label, "active": r == role} for r in roles],
            "title": QUEUE_TITLES[role],
            "empty_text": EMPTY_TEXTS[role],
            "form": form,
            "tabs": tabs,
            "status": status,
            "total": total,
            "late": late,
            "page_obj": page_obj,
            "filtered": filtered_any,
            "now": now,
        },
    )


urlpatterns = [path("queue/", queue_page, name="queue")]
