"""Helpers for the service tests: report an order, walk it along the five steps, and take a
snapshot that shows whether a refused step changed anything."""

from typing import Any

from django.forms.models import model_to_dict

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent
from laoyuan.factories import Cast
from laoyuan.workorders.enums import Action, Status
from laoyuan.workorders.models import Category, Event, WorkOrder
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import transition

# The happy path: (the status reached, the role that takes the step, the action, its fields).
PATH: list[tuple[str, str, str, dict[str, Any]]] = [
    (Status.DISPATCHED, Role.BRANCH, Action.DISPATCH, {}),
    (Status.ACCEPTED, Role.COMPANY, Action.ACCEPT, {}),
    (Status.IN_PROGRESS, Role.COMPANY, Action.START, {}),
    (Status.DONE, Role.COMPANY, Action.FINISH, {"note": "换了灯泡"}),
    (Status.SUPERVISED, Role.COMMITTEE, Action.SUPERVISE, {}),
    (Status.VERIFIED, Role.COMMUNITY, Action.VERIFY, {}),
    (Status.RATED, Role.RESIDENT, Action.RATE, {"rating": 5}),
    (Status.CLOSED, Role.COMMUNITY, Action.CLOSE, {}),
]


def report(cast: Cast, category: Category, actor: Any = None, **extra: Any) -> WorkOrder:
    """An order reported by the cast's resident (or ``actor``) for their house in A1."""
    compound = extra.pop("compound", cast.a.compound)
    compound.refresh_from_db()  # the cast's copy predates its management period
    return create_order(
        actor=actor or cast.users[Role.RESIDENT],
        compound=compound,
        house=extra.pop("house", cast.a.house),
        category=category,
        description=extra.pop("description", "楼道灯不亮"),
        **extra,
    )


def walk(cast: Cast, order: WorkOrder, to: str, **fields: Any) -> WorkOrder:
    """Take ``order`` along the happy path until it reaches status ``to``. ``fields`` override
    an action's fields by action name (``rate={"rating": 1}``)."""
    reached = [status for status, *_ in PATH]
    start = reached.index(order.status) + 1 if order.status in reached else 0
    for status, role, action, extra in PATH[start:]:
        if order.status == to:
            break
        order = transition(
            order_id=order.pk,
            actor=cast.users[role],
            action=action,
            **{**extra, **fields.get(action, {})},
        )
        assert order.status == status
    assert order.status == to
    return order


def last_event(order: WorkOrder) -> Event:
    """The order's latest step as written (by id: tests pass their own times)."""
    event = Event.objects.filter(order_id=order.pk).order_by("pk").last()
    assert event is not None
    return event


def snapshot(order: WorkOrder) -> dict[str, Any]:
    """Everything a refused step must leave as it was: the order's fields, its timeline and
    its audit trail."""
    fresh = WorkOrder.objects.get(pk=order.pk)
    return {
        "order": model_to_dict(fresh),
        "updated_at": fresh.updated_at,
        "events": Event.objects.filter(order=fresh).count(),
        "audit": AuditEvent.objects.filter(
            target_type="workorders.workorder", target_id=fresh.pk
        ).count(),
    }


def jpeg(name: str = "photo.jpg", size: tuple[int, int] = (40, 30), **save: Any) -> Any:
    """A small JPEG upload (``save`` passes options such as ``exif`` to Pillow)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(out, "JPEG", **save)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def keep_committee_in_term(cast: Cast) -> None:
    """The cast's committee serves until 2036-12-31; these tests need it in term whatever the
    date they run on (tests about a compound without one change it themselves)."""
    import datetime

    from laoyuan.orgs.models import Committee

    Committee.objects.filter(compound=cast.a.compound).update(term_end=datetime.date(2099, 12, 31))
