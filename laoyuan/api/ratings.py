"""The ratings API: star evaluations (with scores by section) and subsidies, read-only and
scoped like the pages (a street sees its own compounds'; a compound's residents see its published
and final results; merchants see none). Any rating or subsidy outside the caller's scope is a 404,
like a missing one."""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from laoyuan.accounts.scoping import scoped
from laoyuan.api import ratings_serializers as r
from laoyuan.api.views import BAD_REQUEST, ID, NOT_FOUND, UNAUTHENTICATED, validated
from laoyuan.ratings.models import Evaluation, SectionScore, Subsidy

RATING_FILTERS = tuple(r.RatingFilterSerializer._declared_fields)
SUBSIDY_FILTERS = tuple(r.SubsidyFilterSerializer._declared_fields)


@extend_schema_view(
    list=extend_schema(
        summary="Star ratings the caller may see, newest period first",
        parameters=[r.RatingFilterSerializer],
        responses={200: r.RatingSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED},
    ),
    retrieve=extend_schema(
        summary="One star rating with its scores by section",
        parameters=[ID],
        responses={200: r.RatingSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
)
class RatingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = r.RatingSerializer
    queryset = Evaluation.objects.none()  # only for schema generation; see get_queryset
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Evaluation]:
        ratings = scoped(Evaluation.objects.all(), self.request.user)
        if self.action == "list":
            query = self.request.query_params
            if any(name in query for name in RATING_FILTERS):
                params = validated(r.RatingFilterSerializer, query)
                if params.get("compound"):
                    ratings = ratings.filter(compound_id=int(params["compound"]))
        return (
            ratings.select_related("compound")
            .prefetch_related(
                Prefetch(
                    "section_scores",
                    queryset=SectionScore.objects.select_related("section").order_by(
                        "section__position", "section_id"
                    ),
                )
            )
            .order_by("-period", "compound__name", "id")
        )


@extend_schema_view(
    list=extend_schema(
        summary="Star-rating subsidies the caller may see, newest month first",
        description=(
            "Computed (waiting for the district's approval), posted, or cancelled. The offices "
            "see their places', a company the subsidies paid to it, a compound's committee, "
            "branch and grid worker their compound's."
        ),
        parameters=[r.SubsidyFilterSerializer],
        responses={200: r.SubsidySerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHENTICATED},
    )
)
class SubsidyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = r.SubsidySerializer
    queryset = Subsidy.objects.none()  # only for schema generation; see get_queryset

    def get_queryset(self) -> QuerySet[Subsidy]:
        rows = scoped(Subsidy.objects.all(), self.request.user)
        query = self.request.query_params
        if any(name in query for name in SUBSIDY_FILTERS):
            params = validated(r.SubsidyFilterSerializer, query)
            if params.get("period"):
                rows = rows.filter(period=params["period"])
        return rows.select_related("compound").order_by("-period", "compound__name", "id")
