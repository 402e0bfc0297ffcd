"""Background work of billing. Tasks parse their arguments and call one service."""

from celery import shared_task

from laoyuan.billing.services import runs


# acks_late: a worker that dies mid-run leaves the message to be delivered again, and the run
# resumes where it stopped (execute_run is idempotent; a finished run is left alone).
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def execute_run(run_id: int) -> str:
    """Execute billing run ``run_id``; returns its final status."""
    return runs.execute_run(run_id=run_id).status
