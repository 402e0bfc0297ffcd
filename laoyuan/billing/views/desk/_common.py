"""What the desk pages share: whose desk this is and what the user may do at it, fetching the
desk's objects or a 404, and calling a service whose refusal becomes form errors."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.billing.queries import collection_rate
from laoyuan.core.forms import apply_service_errors
from laoyuan.orgs.enums import CompanyKind
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import Compound, House

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Desk:
    """A company's billing desk as one user sees it.

    ``manages``: the company's own staff, who take payments, reverse and refund them, import and
    close the day. Otherwise the street office that owns the (public) company: it reads the
    desk and starts billing runs; the schemes service lets it propose and post schemes for the
    compounds it runs."""

    company: PropertyCompany
    manages: bool


def desks_for(user: Any) -> QuerySet[PropertyCompany]:
    """The companies whose desk ``user`` may open: their own company (company role), and the
    public companies their street owns (street role)."""
    staff = scope_for(user, [Role.COMPANY])
    street = scope_for(user, [Role.STREET])
    if staff.everything:
        return PropertyCompany.objects.all()
    rule = Q(pk__in=staff.company) | Q(kind=CompanyKind.PUBLIC, street_id__in=street.street)
    return PropertyCompany.objects.filter(rule)


def desk_or_404(request: HttpRequest, company_id: int) -> Desk:
    company = desks_for(request.user).filter(pk=company_id).first()
    if company is None:
        raise Http404
    staff = scope_for(request.user, [Role.COMPANY])
    manages = staff.everything or company.pk in staff.company
    return Desk(company=company, manages=manages)


def manager_or_404(request: HttpRequest, company_id: int) -> Desk:
    """The desk, for the company's own staff only (a street reader gets 404 on writes)."""
    desk = desk_or_404(request, company_id)
    if not desk.manages:
        raise Http404
    return desk


def desk_compounds(request: HttpRequest, desk: Desk) -> QuerySet[Compound]:
    """The compounds the company serves now, as far as the user sees them."""
    return scoped(Compound.objects.filter(company=desk.company), request.user).order_by(
        "code", "pk"
    )


def desk_houses(request: HttpRequest, desk: Desk) -> QuerySet[House]:
    return scoped(House.objects.filter(compound__company=desk.company), request.user)


def desk_object_or_404[M: Model](
    queryset: QuerySet[M], request: HttpRequest, desk: Desk, **lookup: Any
) -> M:
    """One of the desk company's rows (by its ``company``) that the user may read, or 404."""
    found = scoped(queryset.filter(company=desk.company), request.user).filter(**lookup).first()
    if found is None:
        raise Http404
    return found


def call_service(
    request: HttpRequest,
    form: Form | None,
    action: Callable[[], Any],
    done: str | Callable[[Any], str],
) -> Any | None:
    """Call the one service of a POST. Its refusal becomes form errors (or an error message when
    there is no form) and returns None; success shows ``done`` (or ``done(result)``)."""
    try:
        result = action()
    except ValidationError as error:
        if form is not None:
            apply_service_errors(form, error)
        else:
            for message in error.messages:
                messages.error(request, message)
        return None
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, done(result) if callable(done) else done)
    return result if result is not None else True


def rate(paid: Decimal | None, billed: Decimal | None) -> Decimal | None:
    """The collection rate (``queries.collection_rate``) as a percentage: 0.8125 → 81.25."""
    fraction = collection_rate(billed or ZERO, paid or ZERO)
    return None if fraction is None else (fraction * 100).quantize(Decimal("0.01"))


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A workbook to download, never cached (it holds households' money rows)."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def today() -> Any:
    return timezone.localdate()


def desk_render(
    request: HttpRequest, template: str, desk: Desk, section: str, context: dict[str, Any]
) -> HttpResponse:
    return render(
        request,
        template,
        {"desk": desk, "company": desk.company, "section": section, **context},
    )
