"""Fee schemes (收费方案): proposed by the compound's company, co-signed by its committee, posted
(公示) at least a month before they take effect, withdrawn by the proposer before then.

Who acts:

- the proposer side is the company role of the scheme's company, or — for a compound run by a
  street's public company (公办物业) — the street role of that street. It proposes, posts and
  withdraws;
- the co-signer is a committee role on the compound (业委会/自管会/物业管理委员会). Nobody of the
  proposing company, and not the proposer themselves, may co-sign.

A wrong actor gets ``PermissionDenied``; bad input or a step out of order gets a
``ValidationError`` keyed by field (package and cost lines are named by their line number, from
1), and nothing is written. Owners' votes on fees come in a later issue.
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.billing.calc import add_months
from laoyuan.billing.enums import SchemeBasis, SchemeStatus
from laoyuan.billing.models import FeeScheme
from laoyuan.core import audit
from laoyuan.core.money import FEN
from laoyuan.orgs.enums import CompanyKind
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import Compound

# The largest rate the column holds (10 digits, 2 places) and a sane ceiling for a cost line.
MAX_RATE = Decimal("99999999.99")
MAX_COST = Decimal("999999999.99")
ITEM_MAX = 100
STANDARD_MAX = 300
NOTE_MAX = 300
REASON_MAX = 300

Errors = dict[str, list[ValidationError]]


def earliest_effective(posted_on: datetime.date) -> datetime.date:
    """The first day a scheme posted on ``posted_on`` may take effect: the first of a month at
    least one calendar month later. Posted on 1 March it may start on 1 April; posted on 2 March
    (or 31 January → 28 February) the first whole month after that is May (March)."""
    return add_months(posted_on, 1 if posted_on.day == 1 else 2)


def latest_posting(effective_from: datetime.date) -> datetime.date:
    """The last day a scheme taking effect on ``effective_from`` (a first) may be posted."""
    return add_months(effective_from, -1)


def _on_proposer_side(actor: Any, company: PropertyCompany, street_id: int) -> bool:
    """The company's own staff, or the owning street's office for a street-run compound."""
    companies = scope_for(actor, [Role.COMPANY])
    if companies.everything or company.pk in companies.company:
        return True
    if company.kind != CompanyKind.PUBLIC or company.street_id != street_id:
        return False
    streets = scope_for(actor, [Role.STREET])
    return streets.everything or street_id in streets.street


def may_propose(actor: Any, compound: Compound) -> bool:
    """Whether ``actor`` may propose (and post and withdraw) schemes for ``compound``."""
    company = compound.company
    return company is not None and _on_proposer_side(actor, company, compound.street_id)


def may_cosign(actor: Any, scheme: FeeScheme) -> bool:
    """A committee member of the scheme's compound who is not of the proposing company."""
    committee = scope_for(actor, [Role.COMMITTEE])
    if not (committee.everything or scheme.compound_id in committee.compound):
        return False
    staff = scope_for(actor, [Role.COMPANY]).company
    return scheme.company_id not in staff and actor.pk != scheme.proposed_by_id


def _add(errors: Errors, field: str, message: str, **params: Any) -> None:
    errors.setdefault(field, []).append(ValidationError(message % params if params else message))


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _money(value: Any) -> Decimal | None:
    """A Decimal from a Decimal, an int or a string, or None when it is not a finite number.
    Floats are refused: a fee typed as a float is already inexact."""
    if isinstance(value, bool | float):
        return None
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def _in_fen(number: Decimal) -> bool:
    return number == number.quantize(FEN)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _check_rate(rate: Any, errors: Errors) -> Decimal:
    number = _money(rate)
    if number is None:
        _add(errors, "rate", _("Enter the rate as a number of yuan, such as 0.50."))
        return Decimal(0)
    if number <= 0:
        _add(errors, "rate", _("The rate must be more than zero."))
    elif not _in_fen(number):
        _add(errors, "rate", _("The rate has at most two decimal places (yuan and fen)."))
    elif number > MAX_RATE:
        _add(errors, "rate", _("The rate is too large."))
    return number.quantize(FEN) if _in_fen(number) else number


def _check_whole(value: Any, field: str, low: int, high: int, message: str, errors: Errors) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _add(errors, field, message)
        return low
    return value


def _check_package(package: Any, errors: Errors) -> list[dict[str, str]]:
    """``[{"item", "standard"}, ...]``, at least one line, both texts filled in."""
    if not isinstance(package, list | tuple) or not package:
        _add(errors, "package", _("List at least one service in the package."))
        return []
    lines = []
    for number, line in enumerate(package, start=1):
        item = _text(line.get("item")) if isinstance(line, Mapping) else ""
        standard = _text(line.get("standard")) if isinstance(line, Mapping) else ""
        if not item:
            _add(errors, "package", _("Line %(line)d: name the service."), line=number)
        elif len(item) > ITEM_MAX:
            _add(
                errors,
                "package",
                _("Line %(line)d: the service name has at most %(n)d characters."),
                line=number,
                n=ITEM_MAX,
            )
        if not standard:
            _add(errors, "package", _("Line %(line)d: describe its standard."), line=number)
        elif len(standard) > STANDARD_MAX:
            _add(
                errors,
                "package",
                _("Line %(line)d: the standard has at most %(n)d characters."),
                line=number,
                n=STANDARD_MAX,
            )
        lines.append({"item": item, "standard": standard})
    return lines


def _check_costs(costs: Any, errors: Errors) -> list[dict[str, str]]:
    """``[{"item", "monthly"}, ...]``: at least one line (residents do the sums from it), each a
    named cost and a monthly amount in yuan, stored as a string with two decimals."""
    if not isinstance(costs, list | tuple) or not costs:
        _add(errors, "costs", _("List at least one monthly cost, so residents can do the sums."))
        return []
    lines = []
    for number, line in enumerate(costs, start=1):
        item = _text(line.get("item")) if isinstance(line, Mapping) else ""
        monthly = _money(line.get("monthly")) if isinstance(line, Mapping) else None
        if not item:
            _add(errors, "costs", _("Line %(line)d: name the cost."), line=number)
        elif len(item) > ITEM_MAX:
            _add(
                errors,
                "costs",
                _("Line %(line)d: the cost name has at most %(n)d characters."),
                line=number,
                n=ITEM_MAX,
            )
        if monthly is None:
            _add(
                errors,
                "costs",
                _("Line %(line)d: enter the monthly amount in yuan, such as 3600.00."),
                line=number,
            )
        elif monthly < 0:
            _add(errors, "costs", _("Line %(line)d: a cost cannot be negative."), line=number)
        elif not _in_fen(monthly):
            _add(
                errors,
                "costs",
                _("Line %(line)d: the amount has at most two decimal places."),
                line=number,
            )
        elif monthly > MAX_COST:
            _add(errors, "costs", _("Line %(line)d: the amount is too large."), line=number)
        else:
            lines.append({"item": item, "monthly": str(monthly.quantize(FEN))})
    return lines


def _check_effective_from(effective_from: Any, today: datetime.date, errors: Errors) -> None:
    if not isinstance(effective_from, datetime.date) or isinstance(
        effective_from, datetime.datetime
    ):
        _add(errors, "effective_from", _("Enter the date the scheme takes effect."))
    elif effective_from.day != 1:
        _add(errors, "effective_from", _("A scheme takes effect on the first of a month."))
    elif effective_from < earliest_effective(today):
        _add(
            errors,
            "effective_from",
            _(
                "A scheme is posted at least a month before it takes effect: the earliest start "
                "is %(date)s."
            ),
            date=earliest_effective(today).isoformat(),
        )


def _record(scheme: FeeScheme, *, actor: Any, action: str, summary: str, **changes: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        target=scheme,
        summary=summary,
        changes=changes,
        district_id=scheme.district_id,
        street_id=scheme.street_id,
    )


def _lock(scheme: FeeScheme) -> FeeScheme:
    return FeeScheme.objects.select_for_update().select_related("company").get(pk=scheme.pk)


def _require_status(scheme: FeeScheme, allowed: set[str], message: str) -> None:
    if scheme.status not in allowed:
        raise ValidationError({"status": message % {"status": scheme.get_status_display()}})


def _require_same_company(scheme: FeeScheme) -> None:
    """A scheme is the proposal of the company serving the compound; if the compound has since
    changed hands, the new company proposes its own."""
    current = Compound.objects.filter(pk=scheme.compound_id).values_list("company_id", flat=True)
    if current.first() != scheme.company_id:
        raise ValidationError(
            {
                "company": _(
                    "The compound has changed company since this scheme was proposed; the "
                    "company serving it now proposes its own."
                )
            }
        )


@transaction.atomic
def propose_scheme(
    *,
    compound: Compound,
    basis: str,
    rate: Decimal | str | int,
    effective_from: datetime.date,
    trial_months: int = 0,
    vacant_percent: int = 100,
    unsold_percent: int = 100,
    package: list[dict[str, Any]],
    costs: list[dict[str, Any]],
    note: str = "",
    actor: Any,
) -> FeeScheme:
    """Propose a scheme for ``compound`` to take effect on ``effective_from`` (a first of a month
    at least one calendar month away, since it must be posted a month ahead)."""
    compound = Compound.objects.select_related("company").get(pk=compound.pk)
    if compound.company is None:
        raise ValidationError(
            {
                "compound": _(
                    "This compound has no property company, so it has no fee scheme: its owners "
                    "manage it themselves."
                )
            }
        )
    if not may_propose(actor, compound):
        raise PermissionDenied
    errors: Errors = {}
    if basis not in SchemeBasis.values:
        _add(errors, "basis", _("Choose per area or per household."))
    rate = _check_rate(rate, errors)
    _check_effective_from(effective_from, timezone.localdate(), errors)
    trial_months = _check_whole(
        trial_months,
        "trial_months",
        0,
        12,
        _("Trial months are a whole number from 0 to 12."),
        errors,
    )
    percent_message = _("Enter a whole percent from 0 to 100.")
    vacant_percent = _check_whole(vacant_percent, "vacant_percent", 0, 100, percent_message, errors)
    unsold_percent = _check_whole(unsold_percent, "unsold_percent", 0, 100, percent_message, errors)
    package_lines = _check_package(package, errors)
    cost_lines = _check_costs(costs, errors)
    note = _text(note)
    if len(note) > NOTE_MAX:
        _add(errors, "note", _("At most %(n)d characters."), n=NOTE_MAX)
    _raise(errors)
    terms: dict[str, Any] = {
        "basis": basis,
        "rate": rate,
        "effective_from": effective_from,
        "trial_months": trial_months,
        "vacant_percent": vacant_percent,
        "unsold_percent": unsold_percent,
        "package": package_lines,
        "costs": cost_lines,
        "note": note,
    }
    scheme = FeeScheme.objects.create(
        compound=compound,
        district_id=compound.district_id,
        street_id=compound.street_id,
        company=compound.company,
        status=SchemeStatus.PROPOSED,
        proposed_by=actor if getattr(actor, "pk", None) else None,
        **terms,
    )
    _record(
        scheme,
        actor=actor,
        action="fee_scheme.proposed",
        summary=f"{compound.code}: {basis} {rate} from {effective_from.isoformat()}",
        **terms,
    )
    return scheme


@transaction.atomic
def cosign_scheme(*, scheme: FeeScheme, actor: Any) -> FeeScheme:
    """The compound's committee co-signs a proposed scheme."""
    scheme = _lock(scheme)
    if not may_cosign(actor, scheme):
        raise PermissionDenied
    _require_status(
        scheme,
        {SchemeStatus.PROPOSED},
        _("Only a proposed scheme can be co-signed; this one is: %(status)s."),
    )
    _require_same_company(scheme)
    scheme.status = SchemeStatus.COSIGNED
    scheme.cosigned_by = actor
    scheme.cosigned_at = timezone.now()
    scheme.save(update_fields=["status", "cosigned_by", "cosigned_at"])
    _record(
        scheme,
        actor=actor,
        action="fee_scheme.cosigned",
        summary=f"scheme {scheme.pk} co-signed",
        status=scheme.status,
    )
    return scheme


@transaction.atomic
def post_scheme(*, scheme: FeeScheme, actor: Any, on: datetime.date | None = None) -> FeeScheme:
    """Post (公示) a co-signed scheme on ``on`` (today by default); it must go up at least one
    calendar month before it takes effect."""
    scheme = _lock(scheme)
    if not _on_proposer_side(actor, scheme.company, scheme.street_id):
        raise PermissionDenied
    _require_status(
        scheme,
        {SchemeStatus.COSIGNED},
        _("Only a co-signed scheme can be posted; this one is: %(status)s."),
    )
    _require_same_company(scheme)
    posted_on = on or timezone.localdate()
    if scheme.effective_from < earliest_effective(posted_on):
        raise ValidationError(
            {
                "effective_from": _(
                    "A scheme is posted at least one month before it takes effect. To start on "
                    "%(effective)s it had to be posted by %(latest)s; posted on %(posted)s, it "
                    "can take effect from %(earliest)s at the earliest: withdraw it and propose "
                    "it again."
                )
                % {
                    "effective": scheme.effective_from.isoformat(),
                    "latest": latest_posting(scheme.effective_from).isoformat(),
                    "posted": posted_on.isoformat(),
                    "earliest": earliest_effective(posted_on).isoformat(),
                }
            }
        )
    scheme.status = SchemeStatus.POSTED
    scheme.posted_by = actor
    scheme.posted_on = posted_on
    scheme.save(update_fields=["status", "posted_by", "posted_on"])
    _record(
        scheme,
        actor=actor,
        action="fee_scheme.posted",
        summary=f"scheme {scheme.pk} posted on {posted_on.isoformat()}, "
        f"in effect from {scheme.effective_from.isoformat()}",
        status=scheme.status,
        posted_on=posted_on,
    )
    return scheme


@transaction.atomic
def withdraw_scheme(*, scheme: FeeScheme, actor: Any, reason: str) -> FeeScheme:
    """The proposer withdraws a scheme before it takes effect, saying why. A scheme in force is
    replaced by a newer one instead, so the bills issued under it keep their scheme."""
    scheme = _lock(scheme)
    if not _on_proposer_side(actor, scheme.company, scheme.street_id):
        raise PermissionDenied
    _require_status(
        scheme,
        {SchemeStatus.PROPOSED, SchemeStatus.COSIGNED, SchemeStatus.POSTED},
        _("This scheme cannot be withdrawn: it is %(status)s."),
    )
    errors: Errors = {}
    today = timezone.localdate()
    if scheme.effective_from <= today:
        _add(
            errors,
            "effective_from",
            _("The scheme took effect on %(date)s; propose a new one to replace it."),
            date=scheme.effective_from.isoformat(),
        )
    reason = _text(reason)
    if not reason:
        _add(errors, "reason", _("Say why the scheme is withdrawn."))
    elif len(reason) > REASON_MAX:
        _add(errors, "reason", _("At most %(n)d characters."), n=REASON_MAX)
    _raise(errors)
    before = scheme.status
    scheme.status = SchemeStatus.WITHDRAWN
    scheme.save(update_fields=["status"])
    _record(
        scheme,
        actor=actor,
        action="fee_scheme.withdrawn",
        summary=f"scheme {scheme.pk} withdrawn: {reason}",
        before=before,
        status=scheme.status,
        reason=reason,
    )
    return scheme
