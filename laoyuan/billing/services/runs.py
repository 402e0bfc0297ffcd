"""Billing runs: one month's bills for every house of the compounds in a scope, set-based.

``request_run`` checks that the actor may bill the scope, records the request and queues
``tasks.execute_run`` when the transaction commits (on a Celery worker when a broker is configured,
in the calling process otherwise). ``execute_run`` plans the run (each compound's scheme in force)
and bills the compounds a chunk at a time. Each chunk is one transaction of a few set-based
statements (``billing.sql``) whatever its number of houses, ending with the run's progress, so a
run interrupted half-way keeps the chunks it finished, and running it again (or a new run for the
same month) adds only what is missing: the database holds one bill per house per month.
"""

import datetime
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.billing import calc, sql
from laoyuan.billing.enums import AccountKind, RunStatus, SchemeStatus
from laoyuan.billing.models import ZERO, Account, Bill, BillingRun, FeeScheme
from laoyuan.billing.services.ledger import (
    allocate_credit,
    company_account,
    refresh_owing,
    summarise_bills,
)
from laoyuan.core import audit
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import Compound, District, House, Street

logger = logging.getLogger(__name__)

# A chunk (one transaction) holds whole compounds up to about this many houses: large enough
# that a statement's fixed cost is negligible, small enough to keep locks and progress short.
CHUNK_HOUSES = 50_000
CHUNK_COMPOUNDS = 1_000


# Why a compound in a run's scope is not billed.
NO_COMPANY = gettext_lazy("no property company")
NO_SCHEME = gettext_lazy("no posted fee scheme in force")
OTHER_COMPANY = gettext_lazy("the scheme in force is another company's")


@dataclass(frozen=True)
class PlannedCompound:
    compound_id: int
    houses: int
    scheme: FeeScheme | None
    # Why the compound is not billed (empty when it is).
    skipped: Any = ""


@dataclass(frozen=True)
class Plan:
    # Compounds with a house still to bill this month.
    to_bill: list[PlannedCompound]
    # Compounds whose every house has its bill for the month already (a rerun has nothing to do).
    complete: list[PlannedCompound]
    skipped: list[PlannedCompound]

    @property
    def total(self) -> int:
        return len(self.to_bill) + len(self.complete) + len(self.skipped)


def scheme_in_force_id(period: datetime.date) -> Subquery:
    """A compound's scheme in force in ``period`` (as ``queries.scheme_in_force``: the newest
    posted one that has started), as a subquery on compounds."""
    return Subquery(
        FeeScheme.objects.filter(
            compound=OuterRef("pk"), status=SchemeStatus.POSTED, effective_from__lte=period
        )
        .order_by("-effective_from", "-posted_on", "-id")
        .values("pk")[:1]
    )


def run_compounds(run: BillingRun) -> Q:
    """The compounds a run covers: those of its district, narrowed by its street, company
    (the compounds the company serves now) and compound."""
    q = Q(district_id=run.district_id)
    if run.street_id:
        q &= Q(street_id=run.street_id)
    if run.company_id:
        q &= Q(company_id=run.company_id)
    if run.compound_id:
        q &= Q(pk=run.compound_id)
    return q


def plan_run(run: BillingRun) -> Plan:
    """Each compound of the run with its scheme in force and number of houses. A compound with
    no company, no posted scheme in force, or a scheme of another company than the one serving
    it now is skipped (and counted). A compound whose every house has its bill for the month is
    complete: a rerun or a resumed run reads this with one query and bills nothing there."""
    unbilled = House.objects.filter(compound=OuterRef("pk")).filter(
        ~Exists(Bill.objects.filter(house=OuterRef("pk"), period=run.period))
    )
    houses = (
        House.objects.filter(compound=OuterRef("pk"))
        .order_by()
        .values("compound")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = list(
        Compound.objects.filter(run_compounds(run))
        .annotate(
            scheme_id=scheme_in_force_id(run.period),
            house_count=Subquery(houses),
            unbilled=Exists(unbilled),
        )
        .order_by("pk")
        .values_list("pk", "company_id", "scheme_id", "house_count", "unbilled")
    )
    schemes = FeeScheme.objects.in_bulk(row[2] for row in rows if row[2])
    to_bill: list[PlannedCompound] = []
    complete: list[PlannedCompound] = []
    skipped: list[PlannedCompound] = []
    for compound_id, company_id, scheme_id, count, unbilled_houses in rows:
        scheme = schemes.get(scheme_id)
        reason: Any = ""
        if company_id is None:
            reason = NO_COMPANY
        elif scheme is None:
            reason = NO_SCHEME
        elif scheme.company_id != company_id:
            reason = OTHER_COMPANY
        planned = PlannedCompound(compound_id, count or 0, scheme, reason)
        (skipped if reason else to_bill if unbilled_houses else complete).append(planned)
    return Plan(to_bill=to_bill, complete=complete, skipped=skipped)


def chunks(compounds: list[PlannedCompound]) -> Iterator[list[PlannedCompound]]:
    chunk: list[PlannedCompound] = []
    houses = 0
    for compound in compounds:
        chunk.append(compound)
        houses += compound.houses
        if houses >= CHUNK_HOUSES or len(chunk) >= CHUNK_COMPOUNDS:
            yield chunk
            chunk, houses = [], 0
    if chunk:
        yield chunk


# Requesting a run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunScope:
    district: District
    street: Street | None = None
    company: PropertyCompany | None = None
    compound: Compound | None = None


def _default_scope(actor: Any) -> RunScope | None:
    """With nothing named, the actor's own company, street or district (when it has one)."""
    for role, model, attribute in (
        (Role.COMPANY, PropertyCompany, "company"),
        (Role.STREET, Street, "street"),
        (Role.DISTRICT, District, "district"),
    ):
        ids = getattr(scope_for(actor, {role}), attribute)
        if len(ids) == 1:
            target = model.objects.get(pk=next(iter(ids)))
            if isinstance(target, District):
                return RunScope(district=target)
            if isinstance(target, Street):
                return RunScope(district=target.district, street=target)
            assert isinstance(target, PropertyCompany)
            return RunScope(district=target.district, company=target)
    return None


def run_scope(
    *,
    actor: Any,
    street: Street | None,
    company: PropertyCompany | None,
    compound: Compound | None,
) -> RunScope:
    """The run's district, street, company and compound; raises ValidationError when they do not
    fit together or the actor may not bill them. A company bills the compounds it serves now,
    a street office its street's, a district office its district's."""
    field = "compound" if compound else "street" if street else "company" if company else "scope"
    if compound is not None:
        if street is not None and compound.street_id != street.pk:
            raise ValidationError({"compound": _("This compound is not in that street.")})
        if company is not None and compound.company_id != company.pk:
            raise ValidationError({"compound": _("That company does not serve this compound.")})
        scope = RunScope(
            district=compound.district,
            street=compound.street,
            company=compound.company,
            compound=compound,
        )
    elif street is not None:
        scope = RunScope(district=street.district, street=street, company=company)
    elif company is not None:
        scope = RunScope(district=company.district, company=company)
    else:
        default = _default_scope(actor)
        if default is None:
            raise ValidationError({"scope": _("Choose a street, company or compound to bill.")})
        scope = default
    if not may_bill(actor, scope):
        raise ValidationError({field: _("You may not run billing for this scope.")})
    return scope


def may_bill(actor: Any, scope: RunScope) -> bool:
    if scope_for(actor).everything:
        return True
    if scope.district.pk in scope_for(actor, {Role.DISTRICT}).district:
        return True
    if scope.street is not None and scope.street.pk in scope_for(actor, {Role.STREET}).street:
        return True
    company = scope.company
    return company is not None and company.pk in scope_for(actor, {Role.COMPANY}).company


def create_run(*, period: datetime.date, scope: RunScope, actor: Any) -> BillingRun:
    """Record a pending run and its audit event (no permission check: the caller has made it)."""
    period = calc.month_start(period)
    run = BillingRun.objects.create(
        period=period,
        district=scope.district,
        street=scope.street,
        company=scope.company,
        compound=scope.compound,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )
    named = scope.compound or scope.company or scope.street or scope.district
    audit.record(
        actor=actor,
        action="billing.run_requested",
        target=run,
        summary=f"billing run for {period:%Y-%m}: {named}",
        changes={
            "period": f"{period:%Y-%m}",
            "street": scope.street,
            "company": scope.company,
            "compound": scope.compound,
        },
        district_id=scope.district.pk,
        street_id=scope.street.pk if scope.street else None,
    )
    return run


def request_run(
    *,
    period: datetime.date,
    actor: Any,
    street: Street | None = None,
    company: PropertyCompany | None = None,
    compound: Compound | None = None,
) -> BillingRun:
    """Ask for a month's run over a scope (the actor's own company, street or district when
    nothing is named). The run executes after the transaction commits: on a Celery worker when
    a broker is configured, in this process otherwise."""
    if not isinstance(period, datetime.date):
        raise ValidationError({"period": _("Give the month to bill.")})
    latest = calc.add_months(timezone.localdate(), 1)
    if calc.month_start(period) > latest:
        raise ValidationError(
            {
                "period": _("Months after %(month)s cannot be billed yet.")
                % {"month": f"{latest:%Y-%m}"}
            }
        )
    scope = run_scope(actor=actor, street=street, company=company, compound=compound)
    with transaction.atomic():
        run = create_run(period=period, scope=scope, actor=actor)
        run_id = run.pk
        transaction.on_commit(lambda: queue_run(run_id))
    run.refresh_from_db()
    return run


def queue_run(run_id: int) -> None:
    from laoyuan.billing import tasks  # tasks call services; services queue tasks lazily

    tasks.execute_run.delay(run_id)


# Executing a run --------------------------------------------------------------------------------


def execute_run(
    *, run_id: int, on_progress: Callable[[BillingRun], None] | None = None
) -> BillingRun:
    """Bill the run's compounds, a chunk at a time, and return the run (done, or failed with the
    error). Idempotent and resumable: a done run is left alone; a failed or interrupted one
    bills what is still missing. Call outside a transaction, so each chunk commits."""
    run = BillingRun.objects.get(pk=run_id)
    if run.status == RunStatus.DONE:
        return run
    try:
        plan = plan_run(run)
        now = timezone.now()
        BillingRun.objects.filter(pk=run_id).update(
            status=RunStatus.RUNNING,
            started_at=run.started_at or now,
            finished_at=None,
            error="",
            compounds_total=plan.total,
            compounds_done=len(plan.skipped) + len(plan.complete),
        )
        run.refresh_from_db()
        if on_progress:
            on_progress(run)
        companies = PropertyCompany.objects.in_bulk(
            {p.scheme.company_id for p in plan.to_bill if p.scheme is not None}
        )
        for company in companies.values():
            company_account(company, AccountKind.INCOME)
        for chunk in chunks(plan.to_bill):
            bill_chunk(run=run, chunk=chunk)
            run.refresh_from_db()
            if on_progress:
                on_progress(run)
    except Exception as error:
        logger.exception("billing run %s failed", run_id)
        BillingRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        run.refresh_from_db()
        return run
    with transaction.atomic():
        BillingRun.objects.filter(pk=run_id).update(
            status=RunStatus.DONE, finished_at=timezone.now()
        )
        run.refresh_from_db()
        audit.record(
            actor=run.requested_by,
            action="billing.run_done",
            target=run,
            summary=(
                f"billing run for {run.period:%Y-%m}: {run.bills_created} bills, "
                f"{run.amount_created}"
            ),
            changes={
                "bills_created": run.bills_created,
                "amount_created": run.amount_created,
                "compounds": run.compounds_total,
                "skipped": len(plan.skipped),
            },
            district_id=run.district_id,
            street_id=run.street_id,
        )
    return run


def bill_chunk(*, run: BillingRun, chunk: list[PlannedCompound]) -> None:
    """Bill one chunk of compounds in one transaction, and count it in the run's progress."""
    schemes = [p.scheme for p in chunk if p.scheme is not None]
    part = sql.Chunk(
        compound_ids=[p.compound_id for p in chunk],
        scheme_ids=[scheme.pk for scheme in schemes],
        trial_scheme_ids=[
            scheme.pk
            for scheme in schemes
            if calc.months_between(scheme.effective_from, run.period) < scheme.trial_months
        ],
    )
    now = timezone.now()
    with transaction.atomic():
        # The run's row lock: one transaction at a time bills for this run (a redelivered task
        # and the first delivery, say), which the "rows above the last id" reads rely on.
        BillingRun.objects.select_for_update().filter(pk=run.pk).values_list("pk").get()
        with connection.cursor() as cursor:
            sql.open_accounts(cursor, chunk=part, on=run.period)
            after_bill = sql.max_id(cursor, "billing_bill")
            sql.insert_bills(
                cursor,
                chunk=part,
                period=run.period,
                run_id=run.pk,
                now=now,
            )
            sql.lock_new_bills_accounts(cursor, run_id=run.pk, after_bill=after_bill)
            summarise_bills("run_id = %s AND id > %s", [run.pk, after_bill])
            refresh_owing(
                "SELECT account_id FROM billing_bill WHERE run_id = %s AND id > %s",
                [run.pk, after_bill],
            )
            after_entry = sql.max_id(cursor, "billing_journalentry")
            sql.insert_charges(
                cursor,
                run_id=run.pk,
                after_bill=after_bill,
                memo=f"{run.period:%Y-%m}",
                actor_id=run.requested_by_id,
                now=now,
            )
            sql.insert_postings(cursor, run_id=run.pk, after_entry=after_entry)
            count, amount = sql.new_bill_totals(cursor, run_id=run.pk, after_bill=after_bill)
            credited = sql.accounts_with_credit(cursor, run_id=run.pk, after_bill=after_bill)
        for account in Account.objects.filter(pk__in=credited).order_by("pk"):
            allocate_credit(account=account, actor=run.requested_by)
        BillingRun.objects.filter(pk=run.pk).update(
            compounds_done=F("compounds_done") + len(chunk),
            bills_created=F("bills_created") + count,
            amount_created=F("amount_created") + amount,
        )


def run_progress(run: BillingRun) -> dict[str, Any]:
    """What a page shows of a run: status, compounds done of the total, bills and amount so far."""
    total = run.compounds_total
    percent = (
        100 if run.status == RunStatus.DONE else (run.compounds_done * 100 // total if total else 0)
    )
    return {
        "id": run.pk,
        "period": f"{run.period:%Y-%m}",
        "status": run.status,
        "status_label": run.get_status_display(),
        "compounds_total": total,
        "compounds_done": run.compounds_done,
        "percent": percent,
        "bills_created": run.bills_created,
        "amount_created": run.amount_created or ZERO,
        "error": run.error,
        "finished": run.status in (RunStatus.DONE, RunStatus.FAILED),
    }
