"""What the API shows of the registry, and the query parameters it accepts.

Serializers only shape data: every queryset they read is built (and scoped) by ``places.queries``
or ``accounts.scoping`` in the views.
"""

import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from laoyuan.dashboard.queries import ARREARS_BUCKETS, MONTH_PATTERN, parse_month
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound, House, ManagementPeriod
from laoyuan.places.queries import COMPOUND_ORDERINGS
from laoyuan.workorders.enums import Status as WorkOrderStatus

# --- Query parameters -------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class IdParam(serializers.RegexField):
    """An id in a query string: ASCII digits only, exactly what the list page accepts."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)  # "?street=" means any street, as on the page
        kwargs.setdefault("error_messages", {"invalid": _("Enter a whole number.")})
        super().__init__(r"^[0-9]{1,18}$", **kwargs)


@extend_schema_field(OpenApiTypes.BOOL)
class BoolParam(serializers.Field):
    """``true``/``false`` (or ``1``/``0``) in a query string, as the list page reads it; blank
    means either."""

    default_error_messages = {"invalid": _("Enter true or false.")}
    VALUES = {"true": True, "1": True, "false": False, "0": False, "": None}

    def to_internal_value(self, data: Any) -> bool | None:
        try:
            return self.VALUES[str(data).strip().lower()]
        except KeyError:
            self.fail("invalid")

    def to_representation(self, value: Any) -> bool:
        return bool(value)


@extend_schema_field(
    {"type": "string", "pattern": MONTH_PATTERN, "example": "2025-03", "description": "YYYY-MM"}
)
class PeriodField(serializers.Field):
    """A billing month: ``YYYY-MM`` in and out, the first of the month inside. With
    ``allow_blank``, an empty string means "not given" (as ``?period=`` in a query string)."""

    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, for example 2025-03.")}

    def __init__(self, *, allow_blank: bool = False, **kwargs: Any) -> None:
        self.allow_blank = allow_blank
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if self.allow_blank and data == "":
            return None
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> datetime.date:
        try:
            return parse_month(data if isinstance(data, str) else "")
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: datetime.date) -> str:
        return f"{value:%Y-%m}"


def money(**kwargs: Any) -> serializers.DecimalField:
    """A read-only amount in yuan, rendered as a string with two decimals ("43.20")."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


class CompoundFilterSerializer(serializers.Serializer):
    """The compound list's filters; the same names and meanings as the compound list page."""

    street = IdParam(help_text=_("Street id."))
    community = IdParam(help_text=_("Community id."))
    grid = IdParam(help_text=_("Grid id."))
    mode = serializers.ChoiceField(
        choices=ManagementMode.choices,
        required=False,
        allow_blank=True,
        help_text=_("Management mode."),
    )
    company = IdParam(help_text=_("Property company id."))
    renovated = BoolParam(required=False, help_text=_("Renovated (已改造) or not."))
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("Search in code, name and address."),
    )
    ordering = serializers.ChoiceField(
        choices=list(COMPOUND_ORDERINGS),
        required=False,
        allow_blank=True,
        help_text=_("Sort order; a leading minus sorts descending. Default: code."),
    )


class HouseFilterSerializer(serializers.Serializer):
    compound = IdParam(help_text=_("Only the houses of this compound (id)."))


# --- Registry ---------------------------------------------------------------------------------


class PlaceRefSerializer(serializers.Serializer):
    """A street, community, grid or compound as a reference."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class CompanyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = PropertyCompany
        fields = ["id", "code", "name", "kind"]
        read_only_fields = fields


class CompoundSerializer(serializers.ModelSerializer):
    street = PlaceRefSerializer(read_only=True)
    community = PlaceRefSerializer(read_only=True)
    grid = PlaceRefSerializer(read_only=True)
    company = CompanyRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Compound
        fields = [
            "id",
            "code",
            "name",
            "address",
            "street",
            "community",
            "grid",
            "management_mode",
            "company",
            "area_m2",
            "households",
            "residents",
            "renovated",
            "build_year",
            "latitude",
            "longitude",
        ]
        read_only_fields = fields


class ManagementPeriodSerializer(serializers.ModelSerializer):
    company = CompanyRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ManagementPeriod
        fields = ["mode", "company", "started_on", "ended_on", "reason"]
        read_only_fields = fields


class CompoundDetailSerializer(CompoundSerializer):
    buildings = serializers.IntegerField(
        source="buildings_count", read_only=True, help_text=_("Number of buildings.")
    )
    mode_history = ManagementPeriodSerializer(many=True, read_only=True)

    class Meta(CompoundSerializer.Meta):
        fields = [*CompoundSerializer.Meta.fields, "buildings", "mode_history"]
        read_only_fields = fields


class HouseSerializer(serializers.ModelSerializer):
    compound = PlaceRefSerializer(read_only=True)
    building = serializers.CharField(
        source="building.number", read_only=True, help_text=_("Building number.")
    )
    area_m2 = serializers.DecimalField(
        source="area",
        max_digits=9,
        decimal_places=2,
        read_only=True,
        help_text=_("Registered floor area (建筑面积) in m²."),
    )

    class Meta:
        model = House
        fields = ["id", "compound", "building", "unit", "floor", "room", "area_m2", "status"]
        read_only_fields = fields


# --- Figures (documentation of dashboard.queries.overview; the view returns its dict as is) ----


class FiguresSerializer(serializers.Serializer):
    compounds = serializers.IntegerField()
    area_m2 = serializers.FloatField()
    households = serializers.IntegerField()


class PublicCompaniesSerializer(FiguresSerializer):
    count = serializers.IntegerField(help_text=_("Public companies serving these compounds."))


class StreetFiguresSerializer(FiguresSerializer):
    code = serializers.CharField()
    name = serializers.CharField()


ByModeSerializer = type(
    "ByModeSerializer",
    (serializers.Serializer,),
    {mode: FiguresSerializer() for mode in ManagementMode.values},
)


class OverviewFilterSerializer(serializers.Serializer):
    period = PeriodField(
        required=False,
        allow_blank=True,
        help_text=_(
            "The month of the collection and arrears figures, YYYY-MM. Default: the latest "
            "month billed in the caller's scope. Also the month of the work-order figures "
            "(default: this month)."
        ),
    )
    street = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("A street's id: the figures of that street of the caller's scope."),
    )
    community = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "A community's id: the figures of that community of the caller's scope (without "
            "collection and arrears, reckoned by street and compound)."
        ),
    )


class CollectionSerializer(serializers.Serializer):
    period = PeriodField(
        allow_null=True, help_text=_("The month, YYYY-MM; null when nothing has been billed.")
    )
    billed = money(help_text=_("Sum of the month's bills, trial months left out."))
    paid = money(help_text=_("Paid towards those bills."))
    rate = serializers.CharField(
        allow_null=True,
        help_text=_('paid ÷ billed with four decimals ("0.8750"); null when nothing billed.'),
    )


class ArrearsBucketSerializer(serializers.Serializer):
    households = serializers.IntegerField(help_text=_("Households with arrears of this age."))
    amount = money(help_text=_("What they owe from bills of this age."))


ArrearsByAgeSerializer = type(
    "ArrearsByAgeSerializer",
    (serializers.Serializer,),
    {bucket: ArrearsBucketSerializer() for bucket in ARREARS_BUCKETS},
)


WorkOrderStatusSerializer = type(
    "WorkOrderStatusSerializer",
    (serializers.Serializer,),
    {status: serializers.IntegerField() for status in WorkOrderStatus.values},
)


def _rate(text: Any) -> serializers.CharField:
    return serializers.CharField(allow_null=True, help_text=text)


class WorkOrderFiguresSerializer(serializers.Serializer):
    period = serializers.CharField(help_text=_("The month, YYYY-MM."))
    created = serializers.IntegerField(help_text=_("Orders reported in the month."))
    open = serializers.IntegerField(
        help_text=_("Orders not yet verified, as of now, whenever reported.")
    )
    overdue = serializers.IntegerField(
        help_text=_("Open orders past their response or resolution target, as of now.")
    )
    by_status = WorkOrderStatusSerializer(
        help_text=_("Orders reported in the month, by their status now.")
    )
    response_rate = _rate(
        _(
            "Orders reported in the month and accepted by their response target ÷ orders "
            'reported, four decimals ("0.8750"); null when none.'
        )
    )
    resolution_rate = _rate(
        _(
            "Orders verified by their resolution target ÷ orders whose target fell in the "
            "month and has passed; null when none."
        )
    )
    satisfaction_rate = _rate(_("Orders rated 4 or 5 ÷ orders rated in the month; null when none."))
    avg_hours_to_verify = _rate(
        _(
            "Mean hours from report to verification of the orders verified in the month, one "
            'decimal ("26.5"); null when none.'
        )
    )


class TimebankFiguresSerializer(serializers.Serializer):
    period = serializers.CharField(help_text=_("The month, YYYY-MM."))
    volunteer_orgs = serializers.IntegerField(
        help_text=_("Active volunteer organisations, as of now.")
    )
    volunteers = serializers.IntegerField(help_text=_("Active volunteers, as of now."))
    minutes_verified = serializers.IntegerField(
        help_text=_(
            "Minutes of verified service posted to households with their day in the month, "
            "less the reversals dated in the month."
        )
    )
    offsets_yuan = serializers.CharField(
        help_text=_('Property-fee discounts granted for hours in the month, yuan ("60.00").')
    )
    pool_balance = serializers.CharField(
        help_text=_('What the offset pools serving the place have left to grant, now ("940.00").')
    )


StarCountsSerializer = type(
    "StarCountsSerializer",
    (serializers.Serializer,),
    {level: serializers.IntegerField() for level in ("0", "1", "2", "3", "4", "5")},
)


class SubsidyFiguresSerializer(serializers.Serializer):
    period = serializers.CharField(help_text=_("The month, YYYY-MM."))
    amount = serializers.CharField(help_text=_('Subsidies posted for the month, yuan ("2500.00").'))
    compounds = serializers.IntegerField(help_text=_("Compounds paid for the month."))


class WorkOrderMonthSerializer(serializers.Serializer):
    period = serializers.CharField(help_text=_("The month, YYYY-MM."))
    created = serializers.IntegerField(help_text=_("Orders reported in the month."))
    resolution_rate = _rate(_("As in work_orders, for this month."))
    avg_hours_to_verify = _rate(_("As in work_orders, for this month."))


class QuarterSerializer(serializers.Serializer):
    period = serializers.CharField(help_text=_("The three months, YYYY-MM_YYYY-MM."))
    verified = serializers.IntegerField(help_text=_("Orders verified in them."))
    avg_hours_to_verify = _rate(_("Mean hours from report to verification; null when none."))


class HandlingSerializer(serializers.Serializer):
    first = QuarterSerializer(help_text=_("The first three of the twelve months."))
    last = QuarterSerializer(help_text=_("The last three."))
    gain = _rate(
        _(
            '(first − last) ÷ first of the average hours, four decimals ("0.6700": 67 per cent '
            "faster); null when either quarter verified nothing."
        )
    )


class WorkOrderTrendSerializer(serializers.Serializer):
    months = WorkOrderMonthSerializer(many=True, help_text=_("Oldest first."))
    handling = HandlingSerializer()


class TrendsSerializer(serializers.Serializer):
    collection = CollectionSerializer(
        many=True,
        allow_null=True,
        help_text=_(
            "The twelve months ending with the collection month, oldest first; null narrowed "
            "to a community or with nothing billed."
        ),
    )
    work_orders = WorkOrderTrendSerializer(
        allow_null=True,
        help_text=_(
            "The twelve months ending with the work-order month; null for a caller who reads "
            "no work-order rates."
        ),
    )


TakeoverBeforeSerializer = type(
    "TakeoverBeforeSerializer",
    (serializers.Serializer,),
    {key: serializers.IntegerField() for key in (*ManagementMode.values, "unrecorded")},
)


class TakeoversSerializer(FiguresSerializer):
    before = TakeoverBeforeSerializer(
        help_text=_(
            "How each compound was managed before its latest takeover; unrecorded when the "
            "takeover opened its history."
        )
    )


class OverviewSerializer(serializers.Serializer):
    compounds = serializers.IntegerField()
    area_m2 = serializers.FloatField(help_text=_("Sum of the houses' floor areas, m²."))
    households = serializers.IntegerField(help_text=_("Houses."))
    residents = serializers.IntegerField()
    by_mode = ByModeSerializer()
    public_companies = PublicCompaniesSerializer()
    takeovers = TakeoversSerializer(
        help_text=_("Compounds taken over by a public company (公办物业托底), and from what.")
    )
    committees = serializers.IntegerField()
    party_branches = serializers.IntegerField(help_text=_("Compound party branches."))
    agency_branches = serializers.IntegerField()
    cadres = serializers.IntegerField()
    by_street = StreetFiguresSerializer(many=True)
    collection = CollectionSerializer(
        help_text=_("Collection for the month: paid ÷ billed over its non-trial bills.")
    )
    arrears_by_age = ArrearsByAgeSerializer(
        help_text=_(
            "Unpaid bills up to the month, by months overdue (1-3, 4-6, 7-12, 13+); the month "
            "itself is not overdue."
        )
    )
    work_orders = WorkOrderFiguresSerializer(
        allow_null=True,
        help_text=_(
            "Work orders of the month, the same figures as the work-order rates page; null "
            "for a caller who reads no work-order rates (grid workers, residents, inspectors)."
        ),
    )
    timebank = TimebankFiguresSerializer(
        allow_null=True,
        help_text=_(
            "The time bank in the month, the same figures as the time-bank report; null for "
            "a caller who reads no time-bank reports (everyone but the district, street and "
            "community offices)."
        ),
    )
    stars = StarCountsSerializer(
        help_text=_(
            "Compounds at each star level 0–5 by their latest final rating; unrated compounds "
            "are not counted."
        )
    )
    subsidies = SubsidyFiguresSerializer(
        allow_null=True,
        help_text=_(
            "Star-rating subsidies posted for the month; null for a caller who reads no "
            "subsidies (residents, inspectors, merchants)."
        ),
    )
    trends = TrendsSerializer()


# --- Tokens and errors ------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# Named through inline_serializer: a declared field called "errors" would shadow Serializer.errors.
ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text=_("Messages by field; errors of the whole request under non_field_errors."),
        ),
    },
)
