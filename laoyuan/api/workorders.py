"""The work-order API: report a problem, list and read orders, take a step.

Thin views, scoped like the pages: every read goes through ``accounts.scoping`` (lists through
``workorders.queries.orders_for``), every write is one ``workorders`` service. An order,
compound or house outside the caller's scope is a 404, exactly like a missing one; in scope but
not the caller's hand is a 403; a step its status does not allow is a 409 naming the allowed
ones; a refusal by field is a 400. A refused step changes nothing (the service writes all or
nothing).
"""

import datetime
from collections.abc import Callable
from typing import Any, cast

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, ValidationError, as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import get_scoped_or_404, scope_for, scoped
from laoyuan.api import serializers as s
from laoyuan.api import workorder_serializers as w
from laoyuan.api.views import BAD_REQUEST, ID, NOT_FOUND, UNAUTHENTICATED, validated
from laoyuan.orgs.models import Committee, PropertyCompany
from laoyuan.places.models import Compound, House
from laoyuan.workorders.enums import Status
from laoyuan.workorders.models import Category, Event, Photo, Team, WorkOrder
from laoyuan.workorders.queries import orders_for, overdue_q
from laoyuan.workorders.scoping import ORDER_ROLES, covers
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import (
    Forbidden,
    NotAllowed,
    available_actions,
)
from laoyuan.workorders.services.transitions import transition as take_step

FORBIDDEN = OpenApiResponse(
    s.ErrorSerializer, description="In the caller's scope, but not the caller's hand."
)
NOT_ALLOWED = OpenApiResponse(
    w.NotAllowedSerializer,
    description="The order's status does not allow this action; `allowed` lists what it does.",
)
# Roles that work orders as staff: they see who took each step and the masked contact phone.
STAFF_ROLES = ORDER_ROLES - {Role.RESIDENT}


def _call_service[T](service: Callable[..., T], **kwargs: Any) -> T:
    """Run a work-order service: its ValidationError is a 400 with errors by field, its
    Forbidden a 403 with its message."""
    try:
        return service(**kwargs)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from None
    except DjangoValidationError as exc:
        errors = as_serializer_error(exc)
        if NON_FIELD_ERRORS in errors:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
        raise ValidationError(errors) from None


def with_committee(orders: QuerySet[WorkOrder], today: datetime.date) -> QuerySet[WorkOrder]:
    """``has_committee``: whether the order's compound has a committee in term today (a done
    order then goes to the committee before the community may verify it)."""
    in_term = Committee.objects.filter(
        compound_id=OuterRef("compound_id"), term_start__lte=today, term_end__gte=today
    )
    return orders.annotate(has_committee=Exists(in_term))


def actions_for(order: Any, user: Any, now: datetime.datetime) -> list[str]:
    """``transitions.available_actions`` without a query per order: the committee check reads
    the ``has_committee`` annotation (``with_committee``); the hands read the user's cached
    scopes. ``order`` is a ``WorkOrder`` or a list row's ``OrderHands``."""
    return available_actions(order, user, has_committee=order.has_committee, now=now)


# The columns a list row needs, in the order ``list_rows`` unpacks them: what the row shows,
# then what the hands (``transitions.hand_role``) and the reopen window read. The category and
# compound are joined; the house, company and team (outer joins) come from one small query each
# by id (``_lookups``): with them joined in, PostgreSQL took about 7 ms to plan a street's page
# (0.2 ms without them), more than the three lookups cost.
LIST_COLUMNS = (
    "id",
    "status",
    "category__code",
    "category__name",
    "category__name_en",
    "compound_id",
    "compound__code",
    "compound__name",
    "has_committee",
    "house_id",
    "place",
    "channel",
    "description",
    "company_id",
    "team_id",
    "created_at",
    "response_due",
    "resolution_due",
    "accepted_at",
    "verified_at",
    "rating",
    "escalation",
    "district_id",
    "street_id",
    "community_id",
    "grid_id",
    "requester_id",
    "reported_by_id",
    "rated_at",
)


def _by_id(
    queryset: QuerySet[Any], ids: set[int | None], *columns: str
) -> dict[int, tuple[Any, ...]]:
    """``{id: (columns...)}`` for these ids (no query when there are none)."""
    ids.discard(None)
    if not ids:
        return {}
    return {row[0]: row[1:] for row in queryset.filter(pk__in=ids).values_list("pk", *columns)}


def _lookups(page: list[tuple[Any, ...]]) -> tuple[dict[int, Any], ...]:
    """The houses, companies and teams a page of ``LIST_COLUMNS`` shows, by id. The ids come
    from the scoped page (as ``select_related`` would follow them), so these reads add nothing
    to the scope."""
    return (
        _by_id(House.objects.all(), {row[9] for row in page}, "building__number", "unit", "room"),
        _by_id(PropertyCompany.objects.all(), {row[13] for row in page}, "code", "name", "kind"),
        _by_id(
            Team.objects.all(),
            {row[14] for row in page},
            "name",
            "kind",
            "street_id",
            "community_id",
        ),
    )


# The list's filter parameters.
FILTER_NAMES = tuple(w.WorkOrderFilterSerializer._declared_fields)


class _ListPage:
    """What the paginator reads: the count of the orders themselves (without the joins the
    page's columns bring in, which would make PostgreSQL join every order to count them) and a
    slice of ``LIST_COLUMNS`` rows."""

    ordered = True  # the model's ordering: newest first

    def __init__(self, orders: QuerySet[WorkOrder]) -> None:
        self.orders = orders

    def count(self) -> int:
        return self.orders.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[tuple[Any, ...]]:
        return list(self.orders.values_list(*LIST_COLUMNS)[index])


class _TeamHands:
    """What ``hand_role`` reads of an order's team (its street and community run it)."""

    __slots__ = ("community_id", "street_id")

    def __init__(self, street_id: int, community_id: int | None) -> None:
        self.street_id = street_id
        self.community_id = community_id


class OrderHands:
    """The columns of one order that ``transitions.hand_role`` / ``asked_for``,
    ``WorkOrder.is_overdue`` and ``actions_for`` read, from a list row: the same rules without
    building a model instance (and its related objects) per row."""

    __slots__ = (
        "community_id",
        "company_id",
        "compound_id",
        "district_id",
        "escalation",
        "grid_id",
        "has_committee",
        "house_id",
        "pk",
        "rated_at",
        "rating",
        "reported_by_id",
        "requester_id",
        "resolution_due",
        "response_due",
        "status",
        "street_id",
        "team",
        "team_id",
    )

    def __init__(
        self,
        *,
        pk: int,
        status: str,
        escalation: int,
        district_id: int,
        street_id: int,
        community_id: int,
        grid_id: int,
        compound_id: int,
        house_id: int | None,
        company_id: int | None,
        team_id: int | None,
        team: _TeamHands | None,
        requester_id: int | None,
        reported_by_id: int | None,
        rating: int | None,
        rated_at: datetime.datetime | None,
        response_due: datetime.datetime,
        resolution_due: datetime.datetime,
        has_committee: bool,
    ) -> None:
        self.pk = pk
        self.status = status
        self.escalation = escalation
        self.district_id = district_id
        self.street_id = street_id
        self.community_id = community_id
        self.grid_id = grid_id
        self.compound_id = compound_id
        self.house_id = house_id
        self.company_id = company_id
        self.team_id = team_id
        self.team = team
        self.requester_id = requester_id
        self.reported_by_id = reported_by_id
        self.rating = rating
        self.rated_at = rated_at
        self.response_due = response_due
        self.resolution_due = resolution_due
        self.has_committee = has_committee


def _iso(value: datetime.datetime | None, tz: datetime.tzinfo) -> str | None:
    """DRF's ``DateTimeField`` output: ISO 8601 in the current time zone, ``Z`` for UTC."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def list_rows(
    page: list[tuple[Any, ...]], user: Any, now: datetime.datetime
) -> list[dict[str, Any]]:
    """``WorkOrderSerializer``'s rows, field for field, from ``LIST_COLUMNS`` tuples."""
    tz = timezone.get_current_timezone()
    english = translation.get_language() == "en"  # Category.shown_name's rule
    status_labels = {value: str(label) for value, label in Status.choices}
    houses, companies, teams = _lookups(page)
    rows = []
    for (
        pk,
        status_,
        category_code,
        category_name,
        category_name_en,
        compound_id,
        compound_code,
        compound_name,
        has_committee,
        house_id,
        place,
        channel,
        description,
        company_id,
        team_id,
        created_at,
        response_due,
        resolution_due,
        accepted_at,
        verified_at,
        rating,
        escalation,
        district_id,
        street_id,
        community_id,
        grid_id,
        requester_id,
        reported_by_id,
        rated_at,
    ) in page:
        team = None if team_id is None else teams[team_id]
        order = OrderHands(
            pk=pk,
            status=status_,
            escalation=escalation,
            district_id=district_id,
            street_id=street_id,
            community_id=community_id,
            grid_id=grid_id,
            compound_id=compound_id,
            house_id=house_id,
            company_id=company_id,
            team_id=team_id,
            team=None if team is None else _TeamHands(team[2], team[3]),
            requester_id=requester_id,
            reported_by_id=reported_by_id,
            rating=rating,
            rated_at=rated_at,
            response_due=response_due,
            resolution_due=resolution_due,
            has_committee=has_committee,
        )
        if house_id is None:
            house = None
        else:
            # House.label: building-unit-room.
            number, unit, room = houses[house_id]
            house = {
                "id": house_id,
                "label": f"{number}-{unit}-{room}" if unit else f"{number}-{room}",
            }
        if company_id is None:
            company = None
        else:
            code, name, kind = companies[company_id]
            company = {"id": company_id, "code": code, "name": name, "kind": kind}
        rows.append(
            {
                "id": pk,
                "status": status_,
                "status_label": status_labels.get(status_, status_),
                "category": {
                    "code": category_code,
                    "name": category_name_en if english else category_name,
                },
                "compound": {"id": compound_id, "code": compound_code, "name": compound_name},
                "house": house,
                "place": place,
                "channel": channel,
                "description": description,
                "company": company,
                "team": None if team is None else {"id": team_id, "name": team[0], "kind": team[1]},
                "created_at": _iso(created_at, tz),
                "response_due": _iso(response_due, tz),
                "resolution_due": _iso(resolution_due, tz),
                "accepted_at": _iso(accepted_at, tz),
                "verified_at": _iso(verified_at, tz),
                "rating": rating,
                "escalation": escalation,
                "overdue": WorkOrder.is_overdue(cast(WorkOrder, order), now),
                "allowed_actions": actions_for(order, user, now),
            }
        )
    return rows


def is_staff_for(order: WorkOrder, user: Any) -> bool:
    """Whether the user sees the order through a staff role (not only as its household): the
    Python twin of ``order_q`` for staff roles (``covers`` plus the compound's managing company)."""
    scope = scope_for(user, STAFF_ROLES)
    return covers(scope, order) or order.compound.company_id in scope.company


def _detail_queryset(today: datetime.date, *, photos: bool = True) -> QuerySet[WorkOrder]:
    """One order as the detail shows it; ``photos=False`` when it is known to have none (an
    order just created without photos): its photo lists are then empty without two queries."""
    some = Photo.objects.all() if photos else Photo.objects.none()
    events = Event.objects.select_related("actor").prefetch_related(
        Prefetch("photos", queryset=some)
    )
    orders = WorkOrder.objects.select_related(
        "category", "compound", "company", "team", "house__building"
    ).prefetch_related(Prefetch("events", queryset=events), Prefetch("photos", queryset=some))
    return with_committee(orders, today)


@extend_schema_view(
    list=extend_schema(
        summary="Work orders in the caller's scope, newest first",
        description=(
            "Offices see the orders of the places they cover, a company those of the compounds "
            "it manages and those dispatched to it, a resident their household's. No names or "
            "phones. `allowed_actions` are the steps the caller may take now."
        ),
        parameters=[w.WorkOrderFilterSerializer],
        responses={200: w.WorkOrderSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED},
    ),
    retrieve=extend_schema(
        summary="One work order, with its photos and timeline",
        description=(
            "The timeline names who took each step only to staff; a resident sees the role."
        ),
        parameters=[ID],
        responses={200: w.WorkOrderDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Report a problem (业主点单)",
        description=(
            "A resident reports for their own house (channel app); staff of the compound take "
            "an order on a resident's behalf (house optional; channel phone by default, grid "
            "for a grid worker). Emergency and complaint categories go at once to their "
            "station. Photos as multipart files. A compound or house outside the caller's "
            "scope is a 404; one in scope the caller may not report for is a 403."
        ),
        request={
            "multipart/form-data": w.WorkOrderCreateSerializer,
            "application/json": w.WorkOrderCreateSerializer,
        },
        responses={
            201: w.WorkOrderDetailSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
    transition=extend_schema(
        summary="Take a step on a work order",
        description=(
            "dispatch (the branch; company defaults to the compound's managing company), "
            "accept, start, finish (note required), return (note) — the company; supervise — "
            "the committee; verify, close — the community; send_back (note) — the committee or "
            "the community; rate (rating), cancel, reopen — the requester; transfer, "
            "mark_duplicate, not_ours (note) — the branch. Answers the order; a refusal "
            "changes nothing."
        ),
        parameters=[ID],
        request={
            "multipart/form-data": w.TransitionSerializer,
            "application/json": w.TransitionSerializer,
        },
        responses={
            200: w.WorkOrderDetailSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: NOT_ALLOWED,
        },
    ),
)
class WorkOrderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = "[0-9]{1,18}"
    queryset = WorkOrder.objects.none()  # only for schema generation; see get_queryset

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "list":
            return w.WorkOrderSerializer
        return w.WorkOrderDetailSerializer

    def get_queryset(self) -> QuerySet[WorkOrder]:
        query = self.request.query_params
        # Validated only when given (``page`` alone is the paginator's).
        given = any(name in query for name in FILTER_NAMES)
        params = validated(w.WorkOrderFilterSerializer, query) if given else {}
        orders = with_committee(orders_for(self.request.user), timezone.localdate())
        if params.get("status"):
            orders = orders.filter(status=params["status"])
        if params.get("category"):
            orders = orders.filter(category__code=params["category"])
        if params.get("compound"):
            orders = orders.filter(compound_id=int(params["compound"]))
        if params.get("company"):
            orders = orders.filter(company_id=int(params["company"]))
        if params.get("overdue") is True:
            orders = orders.filter(overdue_q(timezone.now()))
        elif params.get("overdue") is False:
            orders = orders.exclude(overdue_q(timezone.now()))
        if params.get("created_after"):
            orders = orders.filter(created_at__gte=params["created_after"])
        if params.get("created_before"):
            orders = orders.filter(created_at__lt=params["created_before"])
        return orders

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The page's columns as tuples, rows built as plain dicts: what ``WorkOrderSerializer``
        # shows, at a fraction of the cost of model instances and DRF fields (the schema still
        # documents the serializer).
        pages = cast(QuerySet[Any], _ListPage(self.get_queryset()))
        page = self.paginate_queryset(pages)
        assert page is not None  # the API always paginates
        return self.get_paginated_response(list_rows(page, request.user, timezone.now()))

    def _detail(
        self, pk: Any, response_status: int = status.HTTP_200_OK, *, photos: bool = True
    ) -> Response:
        user = self.request.user
        orders = _detail_queryset(timezone.localdate(), photos=photos)
        order = get_scoped_or_404(orders, user, pk=pk)
        now = timezone.now()
        context = {
            **self.get_serializer_context(),
            "now": now,
            "staff": is_staff_for(order, user),
            "actions": {order.pk: actions_for(order, user, now)},
        }
        return Response(
            w.WorkOrderDetailSerializer(order, context=context).data, status=response_status
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(kwargs["pk"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(w.WorkOrderCreateSerializer, request.data)
        user = request.user
        compound = scoped(Compound.objects.all(), user).filter(pk=data["compound"]).first()
        if compound is None:
            raise Http404
        house = None
        if data.get("house") is not None:
            house = scoped(House.objects.all(), user).filter(pk=data["house"]).first()
            if house is None:
                raise Http404
        category = Category.objects.filter(code=data["category"]).first()
        if category is None:
            raise ValidationError({"category": [_("No such category (service code).")]})
        uploads = request.FILES.getlist("photos")
        order = _call_service(
            create_order,
            actor=user,
            compound=compound,
            house=house,
            category=category,
            description=data["description"],
            place=data.get("place", ""),
            channel=data.get("channel") or None,
            photos=uploads,
        )
        # An order created without photos has none: no need to read them back.
        return self._detail(order.pk, status.HTTP_201_CREATED, photos=bool(uploads))

    @action(detail=True, methods=["post"], url_path="transition")
    def transition(self, request: Request, pk: str) -> Response:
        # Scope first: another scope's order is a 404 whatever the body says.
        order = get_scoped_or_404(WorkOrder.objects.all(), request.user, pk=pk)
        data = validated(w.TransitionSerializer, request.data)
        try:
            _call_service(
                take_step,
                order_id=order.pk,
                actor=request.user,
                action=data["action"],
                note=data.get("note", ""),
                company_id=data.get("company"),
                team_id=data.get("team"),
                rating=data.get("rating"),
                duplicate_of_id=data.get("duplicate_of"),
                photos=request.FILES.getlist("photos"),
            )
        except NotAllowed as exc:
            return Response(
                {"detail": exc.message, "status": exc.status, "allowed": exc.allowed},
                status=status.HTTP_409_CONFLICT,
            )
        return self._detail(order.pk)


class WorkOrderPhotoView(APIView):
    """One photo of an order, to the callers who may see the order (token or session)."""

    @extend_schema(
        operation_id="work_order_photos_retrieve",
        summary="One work-order photo (the image itself)",
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="JPEG or PNG"),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        row = get_scoped_or_404(Photo.objects.all(), request.user, pk=pk)
        response = FileResponse(row.image.open("rb"), content_type=row.content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response
