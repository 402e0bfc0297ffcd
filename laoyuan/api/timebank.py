"""The time-bank API: activities, a household's hours, claims (made, verified, rejected) and
redemptions of hours for a discount on the property fee.

Thin views, scoped like the pages: every read goes through ``accounts.scoping`` or
``timebank.queries``, every write is one time-bank service. A household is addressed by its
house id. An activity, claim or house outside the caller's scope is a 404, exactly like a missing
one (also when named in a request body, as the billing and work-order endpoints do); in scope but
not the caller's to act on is a 403; a service's refusal is a 400 naming the field with its
reason, and writes nothing.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import ValidationError, as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from laoyuan.accounts.scoping import scoped
from laoyuan.api import serializers as s
from laoyuan.api import timebank_serializers as t
from laoyuan.api.views import BAD_REQUEST, ID, NOT_FOUND, UNAUTHENTICATED, validated
from laoyuan.places.models import House
from laoyuan.timebank import queries
from laoyuan.timebank.models import Activity, Claim, Pool, Redemption, Volunteer
from laoyuan.timebank.scoping import TIMEBANK_ROLES
from laoyuan.timebank.services.claims import create_claim, reject_claim, verify_claim, volunteer_of
from laoyuan.timebank.services.exchange import redeem

FORBIDDEN = OpenApiResponse(
    s.ErrorSerializer, description="In the caller's scope, but not the caller's to act on."
)
HOUSE_PARAM = OpenApiParameter("house", int, OpenApiParameter.PATH, description="The house's id.")


def _in_scope_or_404[M: Model](
    queryset: QuerySet[M], user: Any, roles: frozenset[str] | None, **lookup: Any
) -> M:
    """One object the user reaches through ``roles`` (any role when None), else 404."""
    found = scoped(queryset, user, roles).filter(**lookup).first()
    if found is None:
        raise Http404
    return found


def _call_service[T](service: Callable[..., T], **kwargs: Any) -> T:
    """Run a time-bank service: its ValidationError is a 400 with the reason by field, its
    PermissionDenied a 403."""
    try:
        return service(**kwargs)
    except DjangoPermissionDenied:
        raise PermissionDenied from None
    except DjangoValidationError as exc:
        errors = as_serializer_error(exc)
        if NON_FIELD_ERRORS in errors:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
        raise ValidationError(errors) from None


# Each filter's parameter names: validated only when one is given (``page`` is the paginator's).
ACTIVITY_FILTERS = tuple(t.ActivityFilterSerializer._declared_fields)


@extend_schema_view(
    list=extend_schema(
        summary="Time-bank activities the caller may see, newest first",
        description=(
            "A community's notice board: its offices, the compounds' roles and residents see "
            "the activities of their communities; property companies, inspectors and merchants "
            "see none. `taken` counts the claims waiting or verified."
        ),
        parameters=[t.ActivityFilterSerializer],
        responses={200: t.ActivitySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED},
    )
)
class ActivityViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = t.ActivitySerializer
    queryset = Activity.objects.none()  # only for schema generation; see get_queryset

    def get_queryset(self) -> QuerySet[Activity]:
        query = self.request.query_params
        given = any(name in query for name in ACTIVITY_FILTERS)
        params = validated(t.ActivityFilterSerializer, query) if given else {}
        user = self.request.user
        activities = queries.activities_for(user).select_related("compound", "org")
        if params.get("upcoming"):
            activities = activities.filter(start__gt=timezone.now())
        if params.get("claimable"):
            volunteer = volunteer_of(user)
            if volunteer is None:
                return activities.none()
            activities = activities.filter(pk__in=queries.claimable(volunteer).values("pk"))
        return activities.order_by("-start", "-id")


class HourAccountView(APIView):
    """A household's hours: balance, the next expiry and its postings."""

    @extend_schema(
        operation_id="timebank_accounts_retrieve",
        summary="A household's time-bank hours (balance, next expiry, postings)",
        description=(
            "For the household's residents and the offices and compound roles whose scope "
            "covers the house; another house (or a property company, inspector or merchant) "
            "is a 404. Postings newest first, at most 100."
        ),
        parameters=[HOUSE_PARAM],
        responses={200: t.HourAccountSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, house: str) -> Response:
        # House scoping through the time bank's roles: a resident reaches only their own house.
        found = _in_scope_or_404(
            House.objects.select_related("compound"), request.user, TIMEBANK_ROLES, pk=int(house)
        )
        return Response(t.HourAccountSerializer(queries.account(found)).data)


@extend_schema_view(
    create=extend_schema(
        summary="Claim hours for an activity",
        description=(
            "A volunteer claims for themself (omit `volunteer`); the community or the "
            "activity's organiser may claim on a volunteer's behalf (logged as such). Refused "
            "with the reason (400) when the times overlap another claim, lie outside the "
            "activity or in the future, the activity is full or already claimed, or (for a "
            "volunteer's own claim) the activity ended more than 30 days ago. An activity "
            "or volunteer outside the caller's scope is a 404."
        ),
        request={
            "application/json": t.ClaimRequestSerializer,
            "multipart/form-data": t.ClaimRequestSerializer,
        },
        responses={
            201: t.ClaimSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
    verify=extend_schema(
        summary="Verify a claim",
        description=(
            "The activity's organiser or the community (the street office once the claim is "
            "flagged to it), never the volunteer's household. The hours post at once, or after "
            "a second, different verifier when `needs_second`."
        ),
        parameters=[ID],
        request=None,
        responses={
            200: t.ClaimSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
    reject=extend_schema(
        summary="Reject a claim with a reason",
        description="The same verifiers as verify; nothing posts.",
        parameters=[ID],
        request=t.RejectRequestSerializer,
        responses={
            200: t.ClaimSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
)
class ClaimViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = "[0-9]{1,18}"
    serializer_class = t.ClaimSerializer
    queryset = Claim.objects.none()  # only for schema generation

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(t.ClaimRequestSerializer, request.data)
        user = request.user
        activity = _in_scope_or_404(Activity.objects.all(), user, None, pk=data["activity"])
        volunteer = None
        if data.get("volunteer") is not None:
            volunteer = _in_scope_or_404(Volunteer.objects.all(), user, None, pk=data["volunteer"])
        claim = _call_service(
            create_claim,
            actor=user,
            activity=activity,
            volunteer=volunteer,
            start=data["start"],
            end=data["end"],
            note=data.get("note", ""),
            photo=data.get("photo"),
        )
        return Response(t.ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)

    def _claim(self, pk: str) -> Claim:
        # The page's rule: by scope, or as the activity's organiser while they may organise it.
        return get_object_or_404(
            queries.claims_for(self.request.user).select_related("activity", "volunteer"), pk=pk
        )

    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str) -> Response:
        claim = _call_service(verify_claim, actor=request.user, claim=self._claim(pk))
        return Response(t.ClaimSerializer(claim).data)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        claim = self._claim(pk)
        data = validated(t.RejectRequestSerializer, request.data)
        claim = _call_service(
            reject_claim, actor=request.user, claim=claim, reason=data.get("reason", "")
        )
        return Response(t.ClaimSerializer(claim).data)


class RedemptionView(APIView):
    """Redeem a household's hours for a discount on its property fees."""

    @extend_schema(
        operation_id="timebank_redemptions_create",
        summary="Redeem hours for a property-fee discount",
        description=(
            "The household itself, or the community on its behalf (logged as such). The "
            "minutes leave the household's hours and the discount (at the published rate in "
            "force, to the fen) pays its open bills from a pool, with a receipt showing a "
            "time-bank discount. Refused with the reason (400) and nothing written beyond the "
            "hours held, the year's cap, what the household owes or what the pool has left. "
            "A house outside the caller's scope is a 404; one in scope the caller may not "
            "redeem for is a 403. No cash-out. The same `reference` for the house again "
            "answers 200 with the first redemption and redeems nothing more."
        ),
        request=t.RedemptionRequestSerializer,
        responses={
            201: OpenApiResponse(t.RedemptionSerializer, description="Redeemed."),
            200: OpenApiResponse(
                t.RedemptionSerializer,
                description="This reference was redeemed before: that redemption.",
            ),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(t.RedemptionRequestSerializer, request.data)
        user = request.user
        house = _in_scope_or_404(
            House.objects.select_related("compound"), user, TIMEBANK_ROLES, pk=data["house"]
        )
        pool = None
        if data.get("pool") is not None:
            # Pools are read by their managers only; any pool not serving the house reads the
            # same, existing or not.
            pool = Pool.objects.filter(pk=data["pool"]).first()
            if pool is None:
                raise ValidationError({"pool": [_("This pool does not serve this household.")]})
        # Only the status code rests on this read: redeem itself is idempotent by reference,
        # also against a concurrent retry (it reads again under the household's lock).
        seen = Redemption.objects.filter(house=house, reference=data["reference"].strip()).exists()
        redemption = _call_service(
            redeem,
            actor=user,
            house=house,
            minutes=data["minutes"],
            pool=pool,
            reference=data["reference"],
        )
        redemption = Redemption.objects.select_related("pool", "payment__receipt").get(
            pk=redemption.pk
        )
        return Response(
            t.RedemptionSerializer(redemption).data,
            status=status.HTTP_200_OK if seen else status.HTTP_201_CREATED,
        )
