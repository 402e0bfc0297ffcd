"""The REST API (``/api/v1/``): thin views over ``places.queries``, ``accounts.scoping`` and
``dashboard.queries``, so the API shows exactly what the pages show to the same user."""

from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, ValidationError
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from laoyuan.accounts.scoping import get_scoped_or_404
from laoyuan.accounts.services import sign_in_attempt
from laoyuan.api import serializers as s
from laoyuan.api.exceptions import SignInLocked
from laoyuan.api.services import token_issue
from laoyuan.dashboard.queries import overview, places_or_404
from laoyuan.places.models import Compound, House, ManagementPeriod
from laoyuan.places.queries import CompoundFilters, compound_list, house_list

UNAUTHENTICATED = OpenApiResponse(s.ErrorSerializer, description="No or bad credentials.")
NOT_FOUND = OpenApiResponse(
    s.ErrorSerializer, description="No such object in the caller's scope (missing or not theirs)."
)
ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
BAD_REQUEST = OpenApiResponse(
    s.ValidationErrorSerializer, description="Invalid input or a refusal, with messages by field."
)


def validated(serializer_class: type[BaseSerializer], params: Any) -> dict[str, Any]:
    """The parameters or body as ``serializer_class`` reads them; invalid input is a 400."""
    serializer = serializer_class(data=params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ObtainTokenView(APIView):
    """Exchange a username and password for the token used as ``Authorization: Token <key>``.

    The sign-in page's lockout applies: failures here count towards it, and a locked user name or
    address is refused (429) before its password is checked.
    """

    # No session or token here: a browser's session must not turn this into a CSRF target.
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        request=s.TokenRequestSerializer,
        responses={
            200: s.TokenSerializer,
            400: BAD_REQUEST,
            429: OpenApiResponse(
                s.ErrorSerializer,
                description="Too many failed sign-ins for this user name or address; "
                "the Retry-After header says when to try again.",
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = s.TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = sign_in_attempt(
            request=request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if result.locked_until is not None:
            raise SignInLocked(until=result.locked_until)
        if result.user is None or not result.user.is_active:
            raise ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        _("Unable to sign in with these credentials.")
                    ]
                },
                code="authorization",
            )
        token = token_issue(user=result.user, request=request._request)
        return Response({"token": token.key})


@extend_schema_view(
    list=extend_schema(
        summary="Compounds in the caller's scope",
        parameters=[s.CompoundFilterSerializer],
        responses={200: s.CompoundSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED},
    ),
    retrieve=extend_schema(
        summary="One compound, with its building count and management-mode history",
        parameters=[ID],
        responses={200: s.CompoundDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
)
class CompoundViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = "[0-9]{1,18}"
    queryset = Compound.objects.none()  # only for schema generation; see get_queryset

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "retrieve":
            return s.CompoundDetailSerializer
        return s.CompoundSerializer

    def get_queryset(self) -> QuerySet[Compound]:
        filters = CompoundFilters.from_params(self.request.query_params)
        return compound_list(user=self.request.user, filters=filters)

    def get_object(self) -> Compound:
        queryset = (
            Compound.objects.select_related("street", "community", "grid", "company")
            .annotate(buildings_count=Count("buildings"))
            .prefetch_related(
                Prefetch(
                    "mode_history",
                    queryset=ManagementPeriod.objects.select_related("company").order_by(
                        "started_on", "id"
                    ),
                )
            )
        )
        return get_scoped_or_404(queryset, self.request.user, pk=self.kwargs["pk"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The page quietly ignores a malformed filter; an API client is told which one it was.
        validated(s.CompoundFilterSerializer, request.query_params)
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(
        summary="Houses in the caller's scope (a resident: their own)",
        parameters=[s.HouseFilterSerializer],
        responses={200: s.HouseSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED},
    ),
    retrieve=extend_schema(
        summary="One house",
        parameters=[ID],
        responses={200: s.HouseSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
)
class HouseViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = "[0-9]{1,18}"
    serializer_class = s.HouseSerializer
    queryset = House.objects.none()  # only for schema generation; see get_queryset

    def get_queryset(self) -> QuerySet[House]:
        compound = self.request.query_params.get("compound", "")
        compound_id = int(compound) if compound.isascii() and compound.isdigit() else None
        return house_list(user=self.request.user, compound_id=compound_id)

    def get_object(self) -> House:
        queryset = House.objects.select_related("compound", "building")
        return get_scoped_or_404(queryset, self.request.user, pk=self.kwargs["pk"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        validated(s.HouseFilterSerializer, request.query_params)
        return super().list(request, *args, **kwargs)


class OverviewView(APIView):
    """The figures of the caller's scope, the same numbers the pages and ``manage.py overview``
    show: the registry, and collection and arrears by age for a month."""

    @extend_schema(
        operation_id="overview_retrieve",
        parameters=[s.OverviewFilterSerializer],
        responses={200: s.OverviewSerializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        params = validated(s.OverviewFilterSerializer, request.query_params)
        street, community = places_or_404(
            request.user, street_id=params.get("street"), community_id=params.get("community")
        )
        return Response(
            overview(
                user=request.user,
                period=params.get("period"),
                street_id=None if street is None else street.pk,
                community_id=None if community is None else community.pk,
            )
        )


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's static files: no CDN, and no inline script or style, so the
    site's content security policy holds on this page too."""

    template_name = "api/swagger_ui.html"
    url_name = "api:schema"


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Unknown paths under the API answer JSON too (with the usual slash redirect for reads)."""
    if request.method in ("GET", "HEAD") and not request.path.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(
                request.path + "/" + (f"?{query}" if query else "")
            )
    return JsonResponse(
        {"detail": str(exceptions.NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND
    )
