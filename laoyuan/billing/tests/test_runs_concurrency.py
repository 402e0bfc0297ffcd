"""Billing runs against a real PostgreSQL (and a real Celery worker): what SQLite cannot show."""

import datetime
import os
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count

from laoyuan import celery_app
from laoyuan.accounts.enums import Role
from laoyuan.billing import checks, tasks
from laoyuan.billing.enums import AccountKind, EntryKind, RunStatus
from laoyuan.billing.models import Bill, BillingRun, JournalEntry
from laoyuan.billing.services import runs
from laoyuan.billing.services.ledger import (
    Line,
    company_account,
    household_account,
    lock_account,
    post_entry,
    unallocated_credit,
)
from laoyuan.billing.tests.factories import posted_scheme
from laoyuan.core.tests.locks import blocks_another
from laoyuan.factories import BuildingFactory, CompoundFactory, HouseFactory
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound, House

ROOT = Path(__file__).resolve().parents[3]
JAN = datetime.date(2026, 1, 1)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (CI's second pass)"
)


def more_compounds(cast, count, houses):
    """``count`` more compounds served by company A, each with ``houses`` houses and a scheme."""
    for _ in range(count):
        compound = CompoundFactory(grid=cast.a.grid)
        Compound.objects.filter(pk=compound.pk).update(
            company=cast.a.company, management_mode=ManagementMode.PUBLIC
        )
        building = BuildingFactory(compound=compound)
        for room in range(houses):
            HouseFactory(building=building, room=str(100 + room), area=Decimal("50.05"))
        posted_scheme(compound)
    posted_scheme(cast.a.compound)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_make_one_bill_per_house(cast, monkeypatch):
    more_compounds(cast, 6, 20)
    monkeypatch.setattr(runs, "CHUNK_HOUSES", 15)  # several chunks each
    forward = runs.chunks

    def chunks(compounds):  # the second run works from the other end: they meet in the middle
        ordered = list(forward(compounds))
        return reversed(ordered) if threading.current_thread().name == "backward" else ordered

    monkeypatch.setattr(runs, "chunks", chunks)
    scope = runs.RunScope(district=cast.district, street=cast.a.street)
    created = [runs.create_run(period=JAN, scope=scope, actor=None) for _ in range(2)]
    start = threading.Barrier(2)
    results: dict[int, BillingRun] = {}

    def execute(run_id: int) -> None:
        try:
            start.wait()
            results[run_id] = runs.execute_run(run_id=run_id)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=execute, args=(run.pk,), name=name)
        for run, name in zip(created, ("forward", "backward"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    billed = House.objects.filter(compound__company=cast.a.company).count()
    assert billed == 122
    assert [results[run.pk].status for run in created] == [RunStatus.DONE] * 2
    assert [results[run.pk].error for run in created] == ["", ""]
    made = [results[run.pk].bills_created for run in created]
    assert sum(made) == billed
    assert min(made) > 0  # both runs billed some houses
    assert Bill.objects.filter(period=JAN).count() == billed
    assert not Bill.objects.values("house", "period").annotate(n=Count("pk")).filter(n__gt=1)
    charges = JournalEntry.objects.filter(kind=EntryKind.CHARGE)
    assert charges.count() == billed
    assert not charges.values("bill").annotate(n=Count("pk")).filter(n__gt=1)
    assert checks.first_discrepancy() is None


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_run_waits_for_a_payment_in_progress_and_applies_its_credit(cast):
    posted_scheme(cast.a.compound)
    account = household_account(cast.a.house)
    cash = company_account(cast.a.company, AccountKind.CASH)
    locked, run_started = threading.Event(), threading.Event()
    waited: list[bool] = []

    def payment() -> None:  # as take_payment does: lock the account, post, commit
        try:
            with transaction.atomic():
                lock_account(account.pk)
                locked.set()
                run_started.wait(10)
                # The run reaches the account lock meanwhile, and waits.
                waited.append(blocks_another())
                post_entry(
                    kind=EntryKind.PAYMENT,
                    lines=[Line(cash, Decimal("100.00")), Line(account, Decimal("-100.00"))],
                    district_id=account.district_id,
                    house_id=cast.a.house.pk,
                )
        finally:
            connections.close_all()

    payer = threading.Thread(target=payment)
    payer.start()
    locked.wait(10)
    created = runs.create_run(
        period=JAN,
        scope=runs.RunScope(district=cast.district, compound=cast.a.compound),
        actor=None,
    )
    run_started.set()
    done = runs.execute_run(run_id=created.pk)
    payer.join(30)
    assert done.status == RunStatus.DONE and waited == [True]
    bill = Bill.objects.get(house=cast.a.house, period=JAN)
    assert (bill.amount, bill.paid) == (Decimal("43.20"), Decimal("43.20"))
    assert unallocated_credit(account) == Decimal("56.80")
    assert checks.first_discrepancy() is None


def worker_database_url() -> str:
    """A URL a worker process can use to reach the test database."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "localhost"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"


def redis_or_skip() -> str:
    """REDIS_URL, reachable. Without one the test is skipped; under CI, a REDIS_URL whose server
    does not answer is a failure."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("no REDIS_URL: tasks run in process")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {url} does not answer under CI: {error}")
        pytest.skip(f"Redis at {url} does not answer: {error}")
    return url


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_executes_a_requested_run(cast, monkeypatch):
    redis_or_skip()
    posted_scheme(cast.a.compound)
    # A queue of this test's own, so no other worker on this Redis (a developer's, say) takes the
    # task, and this worker takes nothing else.
    queue = f"laoyuan-test-{uuid.uuid4().hex}"
    monkeypatch.setattr(
        runs, "queue_run", lambda run_id: tasks.execute_run.apply_async((run_id,), queue=queue)
    )
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "laoyuan", "worker"),
            *("--pool=solo", "-l", "warning", "-Q", queue, "-n", f"{queue}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "0",
        },
    )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        run = runs.request_run(period=JAN, actor=cast.users[Role.COMPANY], company=cast.a.company)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and worker.poll() is None:
            run.refresh_from_db()
            if run.status in (RunStatus.DONE, RunStatus.FAILED):
                break
            time.sleep(0.2)
    finally:
        celery_app.conf.task_always_eager = eager
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert (run.status, run.error, run.bills_created) == (RunStatus.DONE, "", 2)
    assert Bill.objects.filter(run=run).count() == 2
    assert checks.first_discrepancy() is None
