"""Creating work orders (业主点单): by a resident for their household, by staff on a resident's
behalf (phone, service centre, grid report), from a consultation's problem list, or by an
Open311 partner. Emergency and complaint categories are dispatched at once to their station."""

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.places.models import Compound, House
from laoyuan.workorders import summaries
from laoyuan.workorders.enums import Action, Channel, Status
from laoyuan.workorders.models import Category, Partner, ProblemList, Team, WorkOrder
from laoyuan.workorders.scoping import INTAKE_ROLES, place_covers
from laoyuan.workorders.services.photos import clean_photos
from laoyuan.workorders.services.transitions import Forbidden, log_step, route_to_station

MAX_DESCRIPTION = 2000
# The order in which a staff member's intake roles are tried (the nearest to the compound
# first), so one holding several is always logged in the same role.
_NEAREST_FIRST = (Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.COMPANY, Role.COMMUNITY, Role.STREET)
INTAKE_ORDER: tuple[str, ...] = tuple(
    sorted(
        INTAKE_ROLES,
        key=lambda r: (_NEAREST_FIRST.index(r) if r in _NEAREST_FIRST else len(_NEAREST_FIRST), r),
    )
)
# The channel an order taken by staff comes through when none is given.
STAFF_CHANNELS: dict[str, str] = {Role.GRID: Channel.GRID}


def _intake_role(actor: Any, compound: Compound) -> str | None:
    """The staff role in which ``actor`` may take an order for ``compound``, if any."""
    for role in INTAKE_ORDER:
        scope = scope_for(actor, {role})
        if place_covers(
            scope,
            district_id=compound.district_id,
            street_id=compound.street_id,
            community_id=compound.community_id,
            grid_id=compound.grid_id,
            compound_id=compound.pk,
        ) or (compound.company_id is not None and compound.company_id in scope.company):
            return role
    return None


def station_for(category: Category, compound: Compound) -> Team | None:
    """The station a category goes to at once: the managing company's team of that kind, else
    the street's (run by the street or its community)."""
    if not category.route_to:
        return None
    teams = Team.objects.filter(kind=category.route_to, active=True).select_related("company")
    if compound.company_id is not None:
        own = teams.filter(company_id=compound.company_id, street_id=compound.street_id).first()
        own = own or teams.filter(company_id=compound.company_id).first()
        if own is not None:
            return own
    return (
        teams.filter(company__isnull=True, community_id=compound.community_id).first()
        or teams.filter(company__isnull=True, street_id=compound.street_id).first()
    )


def create_order(
    *,
    actor: Any,
    compound: Compound,
    category: Category,
    description: str,
    house: House | None = None,
    channel: str | None = None,
    place: str = "",
    photos: Sequence[UploadedFile] = (),
    contact_name: str = "",
    contact_phone: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    partner: Partner | None = None,
    problem_list: ProblemList | None = None,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """Create one order (see the module docstring). Raises ValidationError naming the field,
    or Forbidden when the actor may not report for this compound or house."""
    description = (description or "").strip()
    errors: dict[str, str] = {}
    if not description:
        errors["description"] = _("Describe the problem.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("At most 2000 characters.")
    if not category.active:
        errors["category"] = _("This category is no longer offered.")
    if house is not None and house.compound_id != compound.pk:
        errors["house"] = _("This house is not in the compound.")
    if errors:
        raise ValidationError(errors)

    requester = reported_by = None
    if partner is not None:
        role, channel = "partner", Channel.OPEN311
    elif house is not None and house.pk in scope_for(actor, {Role.RESIDENT}).house:
        role, requester = Role.RESIDENT, actor
        if channel not in (None, "", Channel.APP):
            # The phone, service-centre and grid channels are staff taking an order for a
            # resident; a resident reporting for themselves does so through the app.
            raise ValidationError({"channel": _("Residents report through the app.")})
        channel = Channel.APP
    else:
        intake = _intake_role(actor, compound) if actor is not None else None
        if intake is None:
            raise Forbidden(_("You may not report problems for this compound."))
        role, reported_by = intake, actor
        channel = channel or STAFF_CHANNELS.get(intake, Channel.PHONE)
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if category.photos_required and channel == Channel.APP and not photos:
        raise ValidationError({"photos": _("This category needs a photo of the problem.")})
    cleaned = clean_photos(list(photos))

    now = now or timezone.now()
    station = station_for(category, compound)
    with transaction.atomic():
        order = WorkOrder.objects.create(
            district_id=compound.district_id,
            street_id=compound.street_id,
            community_id=compound.community_id,
            grid_id=compound.grid_id,
            compound=compound,
            house=house,
            place=place.strip()[:200],
            latitude=latitude,
            longitude=longitude,
            category=category,
            description=description,
            channel=channel,
            status=Status.ORDERED,
            requester=requester,
            reported_by=reported_by,
            contact_name=contact_name.strip()[:50],
            contact_phone=contact_phone.strip()[:20],
            partner=partner,
            problem_list=problem_list,
            created_at=now,
            updated_at=now,
            response_due=now + datetime.timedelta(hours=category.response_hours),
            resolution_due=now + datetime.timedelta(hours=category.resolution_hours),
        )
        summaries.refresh(order.compound_id, summaries.order_months(order))
        log_step(
            order=order,
            action=Action.CREATE,
            from_status="",
            actor=actor,
            role=role,
            on_behalf=reported_by is not None,
            note="",
            data={"channel": channel},
            now=now,
            photos=cleaned,
        )
        if station is not None:
            # Straight to the station; the branch is told (notices for create).
            order = route_to_station(order=order, station=station, now=now)
    return order
