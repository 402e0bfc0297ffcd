"""What the time-bank API shows (activities, a household's hours, claims, redemptions) and what it
accepts.

Minutes are whole numbers; money is a string with two decimals; times are ISO 8601 with their
zone. Serializers only shape data and parse input: the views scope every read and call the
time-bank services for every write.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from laoyuan.api.serializers import BoolParam, PlaceRefSerializer, money
from laoyuan.api.workorder_serializers import PhotoUploadField
from laoyuan.timebank.enums import Category, ClaimStatus, HourEntryKind
from laoyuan.timebank.models import Activity, Claim, Redemption

# --- Activities -------------------------------------------------------------------------------


class ActivityFilterSerializer(serializers.Serializer):
    upcoming = BoolParam(
        required=False, help_text=_("Only activities that have not started yet (true or 1).")
    )
    claimable = BoolParam(
        required=False,
        help_text=_(
            "Only activities the caller may claim now as a volunteer: started, ended less than "
            "30 days ago, with places left and not yet claimed (empty for a non-volunteer)."
        ),
    )


class OrgRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ActivitySerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=Category.choices, read_only=True)
    compound = PlaceRefSerializer(read_only=True)
    place = serializers.CharField(read_only=True, help_text=_("Where in the compound."))
    start = serializers.DateTimeField(read_only=True)
    end = serializers.DateTimeField(read_only=True)
    capacity = serializers.IntegerField(read_only=True, help_text=_("How many people."))
    taken = serializers.IntegerField(
        read_only=True, help_text=_("Places taken by claims waiting or verified.")
    )
    places_left = serializers.SerializerMethodField(help_text=_("capacity - taken, at least 0."))
    organisation = OrgRefSerializer(
        source="org", read_only=True, allow_null=True, help_text=_("The volunteer organisation.")
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "title",
            "category",
            "compound",
            "place",
            "start",
            "end",
            "capacity",
            "taken",
            "places_left",
            "organisation",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_places_left(self, activity: Any) -> int:
        return max(activity.capacity - activity.taken, 0)


# --- A household's hours ----------------------------------------------------------------------


class ExpiringSerializer(serializers.Serializer):
    on = serializers.DateField(read_only=True, help_text=_("The first day these minutes are gone."))
    minutes = serializers.IntegerField(read_only=True)


class HourPostingSerializer(serializers.Serializer):
    entry = serializers.IntegerField(source="entry_id", read_only=True)
    kind = serializers.ChoiceField(choices=HourEntryKind.choices, read_only=True)
    category = serializers.CharField(
        read_only=True, help_text=_("The service's category (blank when not earned by service).")
    )
    on = serializers.DateField(read_only=True, help_text=_("The day the minutes count from."))
    minutes = serializers.IntegerField(
        read_only=True, help_text=_("Positive adds to the household's hours, negative takes.")
    )
    memo = serializers.CharField(read_only=True)
    reversal = serializers.BooleanField(
        read_only=True, help_text=_("This line reverses an earlier one.")
    )


class HourAccountSerializer(serializers.Serializer):
    house = serializers.IntegerField(source="house.pk", read_only=True)
    balance_minutes = serializers.IntegerField(read_only=True, help_text=_("Minutes held."))
    expiring = serializers.SerializerMethodField(
        help_text=_("When the oldest minutes held expire and how many; null when none are held.")
    )
    postings = HourPostingSerializer(
        many=True, read_only=True, help_text=_("Newest first, at most 100.")
    )

    @extend_schema_field(ExpiringSerializer(allow_null=True))
    def get_expiring(self, account: Any) -> dict[str, Any] | None:
        expiry = account.next_expiry
        if expiry is None:
            return None
        day, minutes = expiry
        return dict(ExpiringSerializer({"on": day, "minutes": minutes}).data)


# --- Claims -----------------------------------------------------------------------------------


class ClaimRequestSerializer(serializers.Serializer):
    activity = serializers.IntegerField(min_value=1, help_text=_("The activity's id."))
    start = serializers.DateTimeField(help_text=_("Check-in time, ISO 8601 with its zone."))
    end = serializers.DateTimeField(help_text=_("Check-out time, ISO 8601 with its zone."))
    volunteer = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_(
            "The volunteer's id, for staff claiming on a volunteer's behalf; omit to claim "
            "as yourself."
        ),
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text=_("At most 300 characters.")
    )
    photo = PhotoUploadField(
        required=False,
        help_text=_(
            "A photo of the work as a multipart file, an image up to 8 MB; location metadata "
            "is stripped."
        ),
    )


class RejectRequestSerializer(serializers.Serializer):
    # The service checks the reason (required, at most 300 characters) with its own messages.
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Why the claim is rejected (required).")
    )


class ClaimSerializer(serializers.ModelSerializer):
    activity = serializers.IntegerField(source="activity_id", read_only=True)
    volunteer = serializers.IntegerField(source="volunteer_id", read_only=True)
    start = serializers.DateTimeField(read_only=True)
    end = serializers.DateTimeField(read_only=True)
    minutes = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=ClaimStatus.choices, read_only=True)
    needs_second = serializers.BooleanField(
        read_only=True, help_text=_("Two different people must verify it.")
    )
    on_behalf = serializers.BooleanField(
        read_only=True, help_text=_("Claimed by staff on the volunteer's behalf.")
    )
    due_on = serializers.DateField(
        read_only=True, help_text=_("Flagged to the superior when not verified by this day.")
    )
    reason = serializers.CharField(read_only=True, help_text=_("Why it was rejected."))

    class Meta:
        model = Claim
        fields = [
            "id",
            "activity",
            "volunteer",
            "start",
            "end",
            "minutes",
            "status",
            "needs_second",
            "on_behalf",
            "due_on",
            "reason",
        ]
        read_only_fields = fields


# --- Redemptions ------------------------------------------------------------------------------


class RedemptionRequestSerializer(serializers.Serializer):
    house = serializers.IntegerField(min_value=1, help_text=_("The house's id."))
    # The service checks the number (a whole number, at least 1) with its own message.
    minutes = serializers.IntegerField(help_text=_("Minutes to redeem."))
    reference = serializers.CharField(
        max_length=64,
        help_text=_(
            "The caller's unique reference for this redemption: sent again (a retry), it "
            "returns the first redemption and redeems nothing more."
        ),
    )
    pool = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_("The pool to pay from; by default the first serving the house with enough."),
    )


class ReceiptRefSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)


class RedemptionSerializer(serializers.ModelSerializer):
    house = serializers.IntegerField(source="house_id", read_only=True)
    minutes = serializers.IntegerField(read_only=True)
    yuan_per_hour = money(help_text=_("The published rate used, yuan per hour."))
    amount = money(help_text=_("The discount on the household's fees, yuan."))
    pool = OrgRefSerializer(read_only=True, help_text=_("The pool that paid the discount."))
    receipt = ReceiptRefSerializer(source="payment.receipt", read_only=True)
    year = serializers.IntegerField(read_only=True, help_text=_("The year whose cap it counts to."))
    on_behalf = serializers.BooleanField(
        read_only=True, help_text=_("Redeemed by staff on the household's behalf.")
    )
    reference = serializers.CharField(read_only=True)

    class Meta:
        model = Redemption
        fields = [
            "id",
            "house",
            "reference",
            "minutes",
            "yuan_per_hour",
            "amount",
            "pool",
            "receipt",
            "year",
            "on_behalf",
        ]
        read_only_fields = fields
