"""Background work of work orders: the periodic escalation of overdue orders and the automatic
closing of verified orders nobody rated (Celery beat runs them when a broker is configured;
``manage.py escalate_overdue`` otherwise). Tasks call one service each."""

from celery import shared_task

from laoyuan.workorders.services import transitions


@shared_task(ignore_result=True)
def escalate_overdue() -> int:
    """Raise each overdue order one level; returns how many were raised."""
    return transitions.escalate_overdue()


@shared_task(ignore_result=True)
def auto_close() -> int:
    """Close the verified orders nobody rated within 7 days; returns how many."""
    return transitions.auto_close_verified()
