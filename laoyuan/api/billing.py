"""The billing API: fee schemes, billing runs, a house's account, payments and receipts.

Thin views, scoped like the pages: every read goes through ``accounts.scoping`` or
``billing.queries``, every write is one billing service, and a service's refusal (a Django
``ValidationError`` naming the field) answers 400 with the same ``{detail, errors}`` shape as any
other invalid input. An object outside the caller's scope is a 404, exactly like a missing one.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import ValidationError, as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scope_q, scoped
from laoyuan.api import billing_serializers as b
from laoyuan.api import serializers as s
from laoyuan.api.views import BAD_REQUEST, ID, NOT_FOUND, UNAUTHENTICATED, validated
from laoyuan.billing.enums import SchemeStatus
from laoyuan.billing.models import BillingRun, FeeScheme, Payment, Receipt
from laoyuan.billing.queries import house_account, money_house_or_404, schemes_for
from laoyuan.billing.scoping import CASHIER_ROLES
from laoyuan.billing.services.payments import take_payment
from laoyuan.billing.services.runs import request_run
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import Compound, House, Street

FORBIDDEN = OpenApiResponse(s.ErrorSerializer, description="The caller's roles cannot do this.")

# Who sees a scheme before it is posted: those who propose, co-sign and oversee it.
SCHEME_DRAFT_ROLES = frozenset({Role.COMPANY, Role.STREET, Role.COMMITTEE})
# Who requests billing runs (``services.runs.may_bill``): a company for the compounds it serves,
# a street office for its street, the district office for its district.
RUN_ROLES = frozenset({Role.COMPANY, Role.STREET, Role.DISTRICT})


def _in_scope_or_404[M: Model](
    queryset: QuerySet[M], user: Any, roles: frozenset[str] | None, **lookup: Any
) -> M:
    """One object the user reaches through ``roles`` (any role when None), else 404."""
    found = scoped(queryset, user, roles).filter(**lookup).first()
    if found is None:
        raise Http404
    return found


def _by_code_or_id[M: Model](queryset: QuerySet[M], value: str) -> QuerySet[M]:
    """Rows whose code is ``value``, or else whose id is (codes win: a code may be all digits)."""
    by_code = queryset.filter(code=value)
    if value.isascii() and value.isdigit() and not by_code.exists():
        return queryset.filter(pk=int(value))
    return by_code


def _call_service[T](service: Callable[..., T], **kwargs: Any) -> T:
    """Run a billing service; its ValidationError becomes the API's 400 with errors by field."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        errors = as_serializer_error(exc)
        if NON_FIELD_ERRORS in errors:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
        raise ValidationError(errors) from None


def visible_schemes(user: Any) -> QuerySet[FeeScheme]:
    """The schemes the pages show the user (``billing.queries.schemes_for``), of which those not
    yet posted only to the company, the street and the compound's committee, who propose,
    co-sign and oversee them."""
    drafts_seen = scope_q(FeeScheme, user, SCHEME_DRAFT_ROLES)
    return schemes_for(user=user).filter(Q(status=SchemeStatus.POSTED) | drafts_seen)


@extend_schema_view(
    list=extend_schema(
        summary="Fee schemes of the compounds in the caller's scope, newest first",
        description=(
            "Posted schemes (公示) for anyone who sees the compound; proposed, co-signed and "
            "withdrawn ones only for its company, street office and committee."
        ),
        parameters=[b.FeeSchemeFilterSerializer],
        responses={200: b.FeeSchemeSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED},
    )
)
class FeeSchemeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = b.FeeSchemeSerializer
    queryset = FeeScheme.objects.none()  # only for schema generation; see get_queryset

    def get_queryset(self) -> QuerySet[FeeScheme]:
        params = validated(b.FeeSchemeFilterSerializer, self.request.query_params)
        schemes = visible_schemes(self.request.user)
        if params.get("compound"):
            compounds = _by_code_or_id(Compound.objects.all(), params["compound"])
            schemes = schemes.filter(compound__in=compounds.values("pk"))
        return schemes


@extend_schema_view(
    list=extend_schema(
        summary="Billing runs in the caller's scope, newest first",
        responses={200: b.BillingRunSerializer(many=True), 401: UNAUTHENTICATED},
    ),
    retrieve=extend_schema(
        summary="One billing run, with its progress",
        parameters=[ID],
        responses={200: b.BillingRunSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Request a billing run for a month",
        description=(
            "Bills every house of the named street, company or compound (when none is named: "
            "the caller's own company, street or district) for the month; one bill per house "
            "and month, so a rerun adds nothing. The run proceeds in the background: read its "
            "progress with GET. A place outside the caller's scope is a 404."
        ),
        request=b.RunRequestSerializer,
        responses={
            201: b.BillingRunSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
)
class BillingRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = "[0-9]{1,18}"
    serializer_class = b.BillingRunSerializer
    queryset = BillingRun.objects.none()  # only for schema generation; see get_queryset

    def get_queryset(self) -> QuerySet[BillingRun]:
        return scoped(BillingRun.objects.all(), self.request.user).select_related(
            "street", "company", "compound"
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(b.RunRequestSerializer, request.data)
        if scope_for(request.user, RUN_ROLES).is_empty:
            raise PermissionDenied(
                _("Only a property company, a street office or the district office runs billing.")
            )
        targets: dict[str, Any] = {}
        models: tuple[tuple[str, type[Model]], ...] = (
            ("street", Street),
            ("company", PropertyCompany),
            ("compound", Compound),
        )
        for name, model in models:
            if data.get(name):
                within = scoped(model._default_manager.all(), request.user, RUN_ROLES)
                found = _by_code_or_id(within, data[name]).first()
                if found is None:
                    raise Http404
                targets[name] = found
        run = _call_service(request_run, period=data["period"], actor=request.user, **targets)
        run = BillingRun.objects.select_related("street", "company", "compound").get(pk=run.pk)
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)


class HouseAccountView(APIView):
    """A house's fee account: what it owes, its bills and every posting."""

    @extend_schema(
        operation_id="houses_account_retrieve",
        summary="A house's fee account (balance, bills, postings)",
        parameters=[ID],
        responses={200: b.HouseAccountSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: str) -> Response:
        house = money_house_or_404(request.user, pk=int(pk))
        return Response(b.HouseAccountSerializer(house_account(house)).data)


RECEIPT_QUERYSET = Receipt.objects.select_related("payment", "house__building", "house__compound")


class PaymentView(APIView):
    """Take a payment for a house; answers with its receipt."""

    @extend_schema(
        operation_id="payments_create",
        summary="Take a payment (the company's cashier)",
        description=(
            "Credits the house's account and allocates the money to its oldest open bills; the "
            "rest stays as credit. Prepayment may cover at most 12 months ahead (Zhengzhou "
            "regulation art. 42). The same reference again answers 200 with the first receipt "
            "and credits nothing; a refusal writes nothing."
        ),
        request=b.PaymentRequestSerializer,
        responses={
            201: OpenApiResponse(b.ReceiptSerializer, description="Paid; the new receipt."),
            200: OpenApiResponse(
                b.ReceiptSerializer, description="This reference was paid before: its receipt."
            ),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(b.PaymentRequestSerializer, request.data)
        house = _in_scope_or_404(
            House.objects.select_related("compound", "building"),
            request.user,
            CASHIER_ROLES,
            pk=data["house"],
        )
        # Only the status code rests on this read: take_payment itself is idempotent, also
        # against a concurrent payment with the same reference (it locks and reads again).
        seen = Payment.objects.filter(
            company_id=house.compound.company_id, reference=data["reference"]
        ).exists()
        receipt = _call_service(
            take_payment,
            house=house,
            amount=data["amount"],
            channel=data["channel"],
            reference=data["reference"],
            actor=request.user,
        )
        receipt = RECEIPT_QUERYSET.get(pk=receipt.pk)
        return Response(
            b.ReceiptSerializer(receipt).data,
            status=status.HTTP_200_OK if seen else status.HTTP_201_CREATED,
        )


class ReceiptView(APIView):
    @extend_schema(
        operation_id="receipts_retrieve",
        summary="One receipt by its number",
        parameters=[OpenApiParameter("number", str, OpenApiParameter.PATH)],
        responses={200: b.ReceiptSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, number: str) -> Response:
        receipt = _in_scope_or_404(RECEIPT_QUERYSET, request.user, None, number=number)
        return Response(b.ReceiptSerializer(receipt).data)
