"""The audit trail: one function writes every entry."""

from typing import Any

from django.db import models

from laoyuan.core.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return {"id": value.pk, "str": str(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    summary: str,
    changes: dict[str, Any] | None = None,
    district_id: int | None,
    street_id: int | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records.

    ``district_id`` (and ``street_id`` where the object belongs to a street) decide who may
    read the event: a district office reads its district's events, a street office its street's.
    """
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        summary=summary[:300],
        changes=_jsonable(changes or {}),
        district_id=district_id,
        street_id=street_id,
    )
