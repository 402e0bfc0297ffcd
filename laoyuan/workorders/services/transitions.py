"""The one function that changes a work order's status, and the table it follows.

``transition`` locks the order, checks that the action is allowed from its status (else
``NotAllowed``, 409 in the API, naming the allowed actions), that the actor holds the hand the
action needs in a scope covering the order (else ``Forbidden``), validates the input (else
``ValidationError`` naming the field), writes the order and one timeline ``Event`` (with any
photos), records an audit event and tells the next hand and the requester on commit.
Escalation and automatic closing go through the same module.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.core import audit
from laoyuan.orgs.models import Committee, PropertyCompany
from laoyuan.workorders import notices, summaries
from laoyuan.workorders.enums import Action, Escalation, Status
from laoyuan.workorders.models import Event, Photo, Team, WorkOrder
from laoyuan.workorders.scoping import order_place_covers
from laoyuan.workorders.services.photos import CleanPhoto, clean_photos

# The hands of the five steps (and the requester's and the system's).
DISPATCHER = "dispatcher"
DOER = "doer"
SUPERVISOR = "supervisor"
VERIFIER = "verifier"
REQUESTER = "requester"
SYSTEM = "system"

REOPEN_DAYS = 7
AUTO_CLOSE_DAYS = 7
REOPEN_MAX_RATING = 2
SATISFIED_MIN_RATING = 4

S = Status


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str  # the same status for a transfer
    hands: tuple[str, ...]
    note_required: bool = False


MOVES: dict[str, Move] = {
    Action.DISPATCH: Move(frozenset({S.ORDERED, S.RETURNED}), S.DISPATCHED, (DISPATCHER,)),
    Action.ACCEPT: Move(frozenset({S.DISPATCHED}), S.ACCEPTED, (DOER,)),
    Action.RETURN: Move(frozenset({S.DISPATCHED}), S.RETURNED, (DOER,), note_required=True),
    Action.START: Move(frozenset({S.ACCEPTED}), S.IN_PROGRESS, (DOER,)),
    Action.FINISH: Move(frozenset({S.IN_PROGRESS}), S.DONE, (DOER,), note_required=True),
    Action.SUPERVISE: Move(frozenset({S.DONE}), S.SUPERVISED, (SUPERVISOR,)),
    Action.SEND_BACK: Move(
        frozenset({S.DONE, S.SUPERVISED}),
        S.IN_PROGRESS,
        (SUPERVISOR, VERIFIER),
        note_required=True,
    ),
    # From done only where the compound has no committee to supervise (see _guard).
    Action.VERIFY: Move(frozenset({S.SUPERVISED, S.DONE}), S.VERIFIED, (VERIFIER,)),
    Action.RATE: Move(frozenset({S.VERIFIED}), S.RATED, (REQUESTER,)),
    Action.CLOSE: Move(frozenset({S.RATED}), S.CLOSED, (VERIFIER,)),
    Action.TRANSFER: Move(frozenset({S.DISPATCHED}), S.DISPATCHED, (DISPATCHER,)),
    Action.MARK_DUPLICATE: Move(
        frozenset({S.ORDERED, S.DISPATCHED, S.RETURNED}), S.DUPLICATE, (DISPATCHER,)
    ),
    Action.NOT_OURS: Move(
        frozenset({S.ORDERED, S.DISPATCHED, S.RETURNED}),
        S.NOT_OURS,
        (DISPATCHER,),
        note_required=True,
    ),
    Action.CANCEL: Move(
        frozenset({S.ORDERED, S.DISPATCHED, S.RETURNED}), S.CANCELLED, (REQUESTER,)
    ),
    Action.REOPEN: Move(frozenset({S.RATED, S.CLOSED}), S.DISPATCHED, (REQUESTER,)),
    Action.AUTO_CLOSE: Move(frozenset({S.VERIFIED}), S.CLOSED, (SYSTEM,)),
}

# The actions people ask for (the API's and the pages' ``action``); the rest are the system's.
USER_ACTIONS: tuple[str, ...] = tuple(a for a in MOVES if SYSTEM not in MOVES[a].hands)

# When each step happened (set by the move into that status).
STAMPS: dict[str, str] = {
    S.DISPATCHED: "dispatched_at",
    S.ACCEPTED: "accepted_at",
    S.DONE: "done_at",
    S.SUPERVISED: "supervised_at",
    S.VERIFIED: "verified_at",
    S.RATED: "rated_at",
    S.CLOSED: "closed_at",
    S.DUPLICATE: "closed_at",
    S.NOT_OURS: "closed_at",
    S.CANCELLED: "closed_at",
}


class NotAllowed(Exception):
    """The action is not allowed from the order's status (or, for a reopen or a verify, from its
    circumstances). ``allowed`` lists the actions its status allows."""

    def __init__(self, message: str, *, action: str, status: str, allowed: Sequence[str]):
        super().__init__(message)
        self.message = message
        self.action = action
        self.status = status
        self.allowed = list(allowed)


class Forbidden(PermissionDenied):
    """The actor does not hold the hand the action needs for this order."""


def allowed_actions(status: str) -> list[str]:
    """The user actions the table allows from ``status``."""
    return [action for action in USER_ACTIONS if status in MOVES[action].sources]


def _has_committee(order: WorkOrder, today: datetime.date) -> bool:
    return Committee.objects.filter(
        compound_id=order.compound_id, term_start__lte=today, term_end__gte=today
    ).exists()


def _doer_roles(order: WorkOrder, user: Any) -> str | None:
    """The role in which ``user`` accepts and does this order, if any."""
    if order.company_id is not None:
        if order.company_id in scope_for(user, {Role.COMPANY}).company or user.is_superuser:
            return Role.COMPANY
        return None
    team = order.team
    if team is None:
        return None
    if user.is_superuser or team.street_id in scope_for(user, {Role.STREET}).street:
        return Role.STREET
    if team.community_id and team.community_id in scope_for(user, {Role.COMMUNITY}).community:
        return Role.COMMUNITY
    return None


def _is_requester(order: WorkOrder, user: Any) -> tuple[bool, bool]:
    """(is the requester or their household, acting on their behalf as the staff who took it).

    Staff who took an order by phone or at the service centre may cancel or rate it for the
    resident (logged as on their behalf) — but never the hand that does the work: a company
    never rates or withdraws an order dispatched to it."""
    if order.requester_id is not None:
        if order.requester_id == user.pk:
            return True, False
    elif order.house_id is not None and order.house_id in scope_for(user, {Role.RESIDENT}).house:
        return True, False
    if (
        order.requester_id is None
        and order.reported_by_id is not None
        and order.reported_by_id == user.pk
        and _doer_roles(order, user) is None
    ):
        return True, True
    return False, False


def asked_for(order: WorkOrder, user: Any) -> bool:
    """Whether ``user`` asked for the order (and so may not supervise or verify it): its
    requester; for an order taken on a household's behalf, a resident of that household; for
    one taken with no household, the staff who took it."""
    if user is None or getattr(user, "pk", None) is None:
        return False
    if order.requester_id is not None:
        return bool(order.requester_id == user.pk)
    if order.house_id is not None:
        return order.house_id in scope_for(user, {Role.RESIDENT}).house
    return bool(order.reported_by_id == user.pk)


def hand_role(order: WorkOrder, user: Any, hand: str) -> tuple[str, bool] | None:
    """The role (and whether on a resident's behalf) in which ``user`` holds ``hand`` for this
    order, or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    match hand:
        case "dispatcher":
            roles = [Role.BRANCH]
            if order.escalation >= Escalation.COMMUNITY:
                roles.append(Role.COMMUNITY)
            if order.escalation >= Escalation.STREET:
                roles.append(Role.STREET)
            for role in roles:
                if _covers(user, role, order):
                    return role, False
        case "doer":
            doer = _doer_roles(order, user)
            return (doer, False) if doer else None
        case "supervisor":
            if _covers(user, Role.COMMITTEE, order):
                return Role.COMMITTEE, False
        case "verifier":
            if _covers(user, Role.COMMUNITY, order):
                return Role.COMMUNITY, False
        case "requester":
            mine, on_behalf = _is_requester(order, user)
            if mine:
                return ("staff" if on_behalf else Role.RESIDENT), on_behalf
    return None


def _covers(user: Any, role: str, order: WorkOrder) -> bool:
    """Whether the user holds ``role`` in a place scope covering the order (offices and
    committees act by place; a company's own scope makes it a doer, never an office)."""
    return order_place_covers(scope_for(user, {role}), order)


def available_actions(
    order: Any,
    user: Any,
    *,
    has_committee: bool | None = None,
    now: datetime.datetime | None = None,
) -> list[str]:
    """The actions ``user`` may take on ``order`` now (the buttons the order page shows).

    ``has_committee`` (whether the compound has a committee in term) saves a query per order
    when a list has read it already."""
    now = now or timezone.now()
    result = []
    for action in allowed_actions(order.status):
        move = MOVES[action]
        if not any(hand_role(order, user, hand) for hand in move.hands):
            continue
        if action in (Action.SUPERVISE, Action.VERIFY) and asked_for(order, user):
            continue
        if action == Action.VERIFY and order.status == S.DONE:
            if has_committee is None:
                has_committee = _has_committee(order, timezone.localdate(now))
            if has_committee:
                continue
        if action == Action.REOPEN and not _may_reopen(order, now):
            continue
        result.append(action)
    return result


def _may_reopen(order: WorkOrder, now: datetime.datetime) -> bool:
    return (
        order.rating is not None
        and order.rating <= REOPEN_MAX_RATING
        and order.rated_at is not None
        and now <= order.rated_at + datetime.timedelta(days=REOPEN_DAYS)
    )


def _resolve_assignee(
    order: WorkOrder, company_id: Any, team_id: Any
) -> tuple[PropertyCompany | None, Team | None]:
    """The company and team an order is dispatched or transferred to, from the given ids (the
    compound's managing company by default). Both must belong to the order's district; a team
    to its street."""
    team = None
    if team_id not in (None, ""):
        try:
            team = Team.objects.select_related("company").get(
                pk=int(team_id), district_id=order.district_id, street_id=order.street_id
            )
        except (Team.DoesNotExist, TypeError, ValueError):
            raise ValidationError({"team": _("No such team in this order's street.")}) from None
        if not team.active:
            raise ValidationError({"team": _("This team is no longer active.")})
        if team.company_id is not None:
            if company_id not in (None, "") and str(company_id) != str(team.company_id):
                raise ValidationError({"team": _("This team belongs to another company.")})
            return team.company, team
        if company_id in (None, ""):
            return None, team
    if company_id in (None, ""):
        company_id = order.compound.company_id
        if company_id is None:
            raise ValidationError(
                {"company": _("This compound has no managing company: name a company or a team.")}
            )
    try:
        company = PropertyCompany.objects.get(pk=int(company_id), district_id=order.district_id)
    except (PropertyCompany.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"company": _("No such company in this district.")}) from None
    return company, team


def _save_photos(order: WorkOrder, event: Event, photos: Sequence[CleanPhoto]) -> None:
    for photo in photos:
        row = Photo(
            order=order,
            event=event,
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
            size=photo.content.size,
        )
        row.image.save(photo.content.name or "photo.jpg", photo.content, save=False)
        row.save()


def log_step(
    *,
    order: WorkOrder,
    action: str,
    from_status: str,
    actor: Any,
    role: str,
    on_behalf: bool,
    note: str,
    data: dict[str, Any],
    now: datetime.datetime,
    photos: Sequence[CleanPhoto] = (),
) -> Event:
    event = Event.objects.create(
        order=order,
        action=action,
        from_status=from_status,
        to_status=order.status,
        actor=actor if getattr(actor, "pk", None) else None,
        role=role,
        on_behalf=on_behalf,
        at=now,
        note=note,
        data=data,
    )
    _save_photos(order, event, photos)
    audit.record(
        actor=actor,
        action=f"workorder.{action}",
        target=order,
        summary=f"#{order.pk} {from_status} → {order.status}",
        changes={"status": [from_status, order.status], "role": role, **data},
        district_id=order.district_id,
        street_id=order.street_id,
    )
    actor_id = getattr(actor, "pk", None)
    order_id = order.pk

    def tell() -> None:
        fresh = WorkOrder.objects.select_related("team", "requester").get(pk=order_id)
        notices.announce(order=fresh, action=action, actor_id=actor_id, note=note, data=data)

    # Robust: the step is committed; a failure to tell anyone is logged, never raised at the
    # actor (whose change would look failed though it was made).
    transaction.on_commit(tell, robust=True)
    return event


def transition(
    *,
    order_id: int,
    actor: Any,
    action: str,
    note: str = "",
    company_id: Any = None,
    team_id: Any = None,
    rating: Any = None,
    duplicate_of_id: Any = None,
    photos: Sequence[UploadedFile] = (),
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """Apply ``action`` to order ``order_id`` as ``actor``; see the module docstring."""
    move = MOVES.get(action)
    if move is None or (SYSTEM in move.hands and actor is not None):
        raise ValidationError(
            {
                "action": _("Unknown action “%(action)s”. Choose one of: %(actions)s.")
                % {"action": action, "actions": ", ".join(USER_ACTIONS)}
            }
        )
    note = (note or "").strip()
    cleaned = clean_photos(list(photos))  # before any lock: a bad photo changes nothing
    now = now or timezone.now()
    with transaction.atomic():
        order = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("category", "team", "compound")
            .get(pk=order_id)
        )
        if order.status not in move.sources:
            allowed = allowed_actions(order.status)
            raise NotAllowed(
                _(
                    "“%(action)s” is not allowed while the order is %(status)s. "
                    "Allowed: %(allowed)s."
                )
                % {
                    "action": action,
                    "status": order.get_status_display(),
                    "allowed": ", ".join(allowed) or _("none"),
                },
                action=action,
                status=order.status,
                allowed=allowed,
            )
        months = summaries.order_months(order)
        role, on_behalf = SYSTEM, False
        if SYSTEM not in move.hands:
            held = next(
                (h for h in (hand_role(order, actor, hand) for hand in move.hands) if h), None
            )
            if held is None:
                raise Forbidden(_("You may not %(action)s this order.") % {"action": action})
            role, on_behalf = held
        data = _guard_and_apply(
            order=order,
            action=action,
            move=move,
            actor=actor,
            note=note,
            company_id=company_id,
            team_id=team_id,
            rating=rating,
            duplicate_of_id=duplicate_of_id,
            photos=cleaned,
            now=now,
        )
        from_status = order.status
        order.status = move.target
        stamp = STAMPS.get(move.target)
        if stamp and move.target != from_status:
            setattr(order, stamp, now)
        order.updated_at = now
        order.save()
        summaries.refresh(order.compound_id, months | summaries.order_months(order))
        log_step(
            order=order,
            action=action,
            from_status=from_status,
            actor=actor,
            role=role,
            on_behalf=on_behalf,
            note=note,
            data=data,
            now=now,
            photos=cleaned,
        )
    return order


def _guard_and_apply(
    *,
    order: WorkOrder,
    action: str,
    move: Move,
    actor: Any,
    note: str,
    company_id: Any,
    team_id: Any,
    rating: Any,
    duplicate_of_id: Any,
    photos: Sequence[CleanPhoto],
    now: datetime.datetime,
) -> dict[str, Any]:
    """Check what the action needs beyond status and hand; set its fields; return its details
    for the timeline."""
    data: dict[str, Any] = {}
    if action in (Action.SUPERVISE, Action.VERIFY) and asked_for(order, actor):
        raise Forbidden(_("You may not supervise or verify an order you asked for."))
    if move.note_required and not note:
        messages: dict[str, str] = {
            Action.RETURN: _("Say why the order is returned."),
            Action.FINISH: _("Describe the work done."),
            Action.SEND_BACK: _("Say what is still wrong."),
            Action.NOT_OURS: _("Name who is responsible."),
        }
        raise ValidationError({"note": messages.get(action, _("A note is required."))})
    match action:
        case Action.DISPATCH | Action.TRANSFER:
            company, team = _resolve_assignee(order, company_id, team_id)
            if action == Action.TRANSFER and (company, team) == (order.company, order.team):
                raise ValidationError(
                    {"company": _("The order is already with this company or team.")}
                )
            data = {
                "company": company.pk if company else None,
                "team": team.pk if team else None,
            }
            if action == Action.TRANSFER:
                data["from_company"] = order.company_id
                data["from_team"] = order.team_id
            order.company, order.team = company, team
            order.accepted_at = None
        case Action.FINISH:
            if order.category.photos_required and not photos:
                raise ValidationError(
                    {"photos": _("This category needs photos of the finished work.")}
                )
        case Action.VERIFY:
            if order.status == S.DONE and _has_committee(order, timezone.localdate(now)):
                raise NotAllowed(
                    _("The compound's committee supervises the work before it is verified."),
                    action=action,
                    status=order.status,
                    allowed=[a for a in allowed_actions(order.status) if a != Action.VERIFY],
                )
            if order.status == S.DONE:
                data = {"no_committee": True}
        case Action.SEND_BACK:
            order.done_at = None
            order.supervised_at = None
        case Action.RATE:
            try:
                value = int(rating)
            except (TypeError, ValueError):
                value = 0
            if not 1 <= value <= 5 or str(rating).strip() not in {str(value), f"{value}.0"}:
                raise ValidationError({"rating": _("Give a rating from 1 to 5.")})
            order.rating = value
            order.rating_comment = note[:500]
            data = {"rating": value}
        case Action.MARK_DUPLICATE:
            if duplicate_of_id not in (None, ""):
                try:
                    original = WorkOrder.objects.get(
                        pk=int(duplicate_of_id), compound_id=order.compound_id
                    )
                except (WorkOrder.DoesNotExist, TypeError, ValueError):
                    raise ValidationError(
                        {"duplicate_of": _("No such order in this compound.")}
                    ) from None
                # Point at the first report, so duplicates never form a chain or a loop.
                seen = {original.pk}
                while original.duplicate_of_id is not None and original.duplicate_of_id not in seen:
                    seen.add(original.duplicate_of_id)
                    original = WorkOrder.objects.get(pk=original.duplicate_of_id)
                if original.pk == order.pk:
                    raise ValidationError({"duplicate_of": _("An order cannot duplicate itself.")})
                order.duplicate_of = original
                data = {"duplicate_of": original.pk}
            elif not note:
                raise ValidationError(
                    {"duplicate_of": _("Name the original order, or say which it is in a note.")}
                )
        case Action.NOT_OURS:
            order.responsible = note[:200]
            data = {"responsible": order.responsible}
        case Action.REOPEN:
            if not _may_reopen(order, now):
                raise NotAllowed(
                    _("Only an order rated 2 or less may be reopened, within 7 days of rating."),
                    action=action,
                    status=order.status,
                    allowed=[a for a in allowed_actions(order.status) if a != Action.REOPEN],
                )
            data = {"rating": order.rating}
            # A reopened order goes back to its company or team with fresh targets. Its earlier
            # acceptance, verification and low rating stay on the order (and in the rates) until
            # the new round replaces them: a reopen never erases a bad rating from the figures.
            order.closed_at = None
            order.reopened += 1
            order.escalation = Escalation.NONE
            order.escalated_at = None
            order.response_due = now + datetime.timedelta(hours=order.category.response_hours)
            order.resolution_due = now + datetime.timedelta(hours=order.category.resolution_hours)
    return data


def route_to_station(*, order: WorkOrder, station: Team, now: datetime.datetime) -> WorkOrder:
    """Dispatch a just-created order of an emergency or complaint category straight to its
    station (the system's dispatch: no branch in between; the branch is told of the order)."""
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if order.status != S.ORDERED:
            raise NotAllowed(
                _("Only a new order goes straight to a station."),
                action=Action.DISPATCH,
                status=order.status,
                allowed=allowed_actions(order.status),
            )
        order.team = station
        order.company_id = station.company_id
        order.status = S.DISPATCHED
        order.dispatched_at = now
        order.updated_at = now
        order.save(update_fields=["team", "company", "status", "dispatched_at", "updated_at"])
        summaries.refresh(order.compound_id, summaries.order_months(order))
        log_step(
            order=order,
            action=Action.DISPATCH,
            from_status=S.ORDERED,
            actor=None,
            role=SYSTEM,
            on_behalf=False,
            note="",
            data={"company": station.company_id, "team": station.pk, "station": True},
            now=now,
        )
    return order


def auto_close_verified(*, now: datetime.datetime | None = None) -> int:
    """Close the verified orders nobody rated within 7 days; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=AUTO_CLOSE_DAYS)
    ids = list(
        WorkOrder.objects.filter(status=S.VERIFIED, verified_at__lte=cutoff).values_list(
            "pk", flat=True
        )
    )
    closed = 0
    for order_id in ids:
        try:
            transition(order_id=order_id, actor=None, action=Action.AUTO_CLOSE, now=now)
        except NotAllowed:
            continue  # rated or changed since the list was read
        closed += 1
    return closed


def escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """Raise each overdue order one level (branch → community → street); returns how many were
    raised. An order reaches the community once it is past its target, and the street once it
    is past it by as long again."""
    from laoyuan.workorders.queries import overdue_q

    now = now or timezone.now()
    ids = list(
        WorkOrder.objects.filter(overdue_q(now), escalation__lt=Escalation.STREET).values_list(
            "pk", flat=True
        )
    )
    raised = 0
    for order_id in ids:
        with transaction.atomic():
            order = (
                WorkOrder.objects.select_for_update(of=("self",))
                .select_related("category")
                .get(pk=order_id)
            )
            # One level per run: the community always hears before the street does, even when
            # the order is found long overdue (after downtime, or on the first run).
            level = min(_due_level(order, now), order.escalation + 1)
            if level <= order.escalation:
                continue
            order.escalation = level
            order.escalated_at = now
            order.save(update_fields=["escalation", "escalated_at"])
            log_step(
                order=order,
                action=Action.ESCALATE,
                from_status=order.status,
                actor=None,
                role=SYSTEM,
                on_behalf=False,
                note="",
                data={"level": level},
                now=now,
            )
            raised += 1
    return raised


def _due_level(order: WorkOrder, now: datetime.datetime) -> int:
    """The level an order should be at now: 0 on time, 1 past its target, 2 past it twice."""
    if order.status in (S.ORDERED, S.DISPATCHED, S.RETURNED) and now > order.response_due:
        due, hours = order.response_due, order.category.response_hours
    elif order.is_overdue(now):
        due, hours = order.resolution_due, order.category.resolution_hours
    else:
        return Escalation.NONE
    if now > due + datetime.timedelta(hours=hours):
        return Escalation.STREET
    return Escalation.COMMUNITY
