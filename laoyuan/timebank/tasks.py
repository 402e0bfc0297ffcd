"""Background work of the time bank (Celery beat when a broker is configured; cron runs
``manage.py timebank_daily`` otherwise)."""

from celery import shared_task

from laoyuan.timebank.services import claims, exchange


@shared_task(ignore_result=True)
def daily() -> dict[str, int]:
    """Flag claims unverified after 10 working days and post run-out minutes' expiry."""
    return {"flagged": claims.flag_overdue(), "expired": exchange.expire_all()}
