"""What the work-order API shows (orders, their timeline and photos) and what it accepts.

Serializers only shape data and parse input: the views scope every read, resolve every id in
the caller's scope and call ``workorders.services`` for every write. Lists carry no requester
names or phones; a timeline names the actor only to staff (``context["staff"]``).
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from laoyuan.api.serializers import BoolParam, CompanyRefSerializer, IdParam, PlaceRefSerializer
from laoyuan.core.personal import mask_phone
from laoyuan.workorders.enums import Action, Channel, Status
from laoyuan.workorders.models import Event, Photo, WorkOrder
from laoyuan.workorders.services.orders import MAX_DESCRIPTION
from laoyuan.workorders.services.photos import MAX_PHOTOS
from laoyuan.workorders.services.transitions import USER_ACTIONS

PHOTOS_HELP = _(
    "Photos as multipart files (repeat the field), at most %(n)d, each an image up to 8 MB; "
    "location metadata is stripped."
) % {"n": MAX_PHOTOS}


@extend_schema_field(OpenApiTypes.BINARY)
class PhotoUploadField(serializers.FileField):
    """One uploaded photo (a multipart file); ``services.photos`` checks that it is an image."""


def photos_field() -> serializers.ListField:
    return serializers.ListField(
        child=PhotoUploadField(),
        required=False,
        max_length=MAX_PHOTOS,
        help_text=PHOTOS_HELP,
    )


# --- Query parameters -------------------------------------------------------------------------


class WorkOrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Status.choices, required=False, allow_blank=True, help_text=_("Only this status.")
    )
    category = serializers.SlugField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=_("Only this category (its service code, e.g. repair)."),
    )
    compound = IdParam(help_text=_("Only this compound's orders (id)."))
    company = IdParam(help_text=_("Only the orders with this property company (id)."))
    overdue = BoolParam(
        required=False,
        help_text=_("true: only orders past their response or resolution target; false: none."),
    )
    created_after = serializers.DateTimeField(
        required=False,
        help_text=_("Reported at or after this time (a date means its midnight, local time)."),
    )
    created_before = serializers.DateTimeField(
        required=False,
        help_text=_("Reported before this time (a date means its midnight, local time)."),
    )


# --- Input ------------------------------------------------------------------------------------


class WorkOrderCreateSerializer(serializers.Serializer):
    compound = serializers.IntegerField(min_value=1, help_text=_("The compound (id)."))
    house = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_(
            "The household asking (id): a resident's own house. Optional for staff taking an "
            "order on a resident's behalf."
        ),
    )
    category = serializers.SlugField(
        max_length=40, help_text=_("The category's service code, e.g. repair.")
    )
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION, help_text=_("What is wrong, in the reporter's words.")
    )
    place = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Where in the compound, e.g. building 1, unit 2 stairwell."),
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        allow_blank=True,
        help_text=_(
            "How the problem came in; by default app for a resident, phone for staff and grid "
            "for a grid worker (open311 is for partners' requests at /open311/v2/)."
        ),
    )

    def validate_channel(self, value: str) -> str:
        if value == Channel.OPEN311:
            raise serializers.ValidationError(_("Open311 requests come through /open311/v2/."))
        return value

    photos = photos_field()


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[(a, Action(a).label) for a in USER_ACTIONS], help_text=_("The step to take.")
    )
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Required for finish (the work done), return and send_back (why) and not_ours "
            "(who is responsible); the rating's comment for rate."
        ),
    )
    company = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_(
            "dispatch and transfer: the property company (id); the compound's managing "
            "company by default."
        ),
    )
    team = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_("dispatch and transfer: a team of the order's street (id)."),
    )
    rating = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("rate: 1 to 5 (4 and 5 count as satisfied).")
    )
    duplicate_of = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_("mark_duplicate: the original order (id) in the same compound."),
    )
    photos = photos_field()


# --- Output -----------------------------------------------------------------------------------


class CategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text=_("The service code."))
    name = serializers.CharField(
        source="shown_name", read_only=True, help_text=_("In the request's language.")
    )


class OrderHouseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    # A declared field of this name replaces Field.label (DRF's metaclass moves declared fields
    # into _declared_fields), which the stubs cannot know.
    label = serializers.CharField(  # type: ignore[assignment]
        read_only=True, help_text=_("Building-unit-room.")
    )


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)


class WorkOrderSerializer(serializers.ModelSerializer):
    """An order as lists show it; ``allowed_actions`` come from the view (``context["actions"]``,
    by order id) so a page costs a constant number of queries."""

    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    category = CategoryRefSerializer(read_only=True)
    compound = PlaceRefSerializer(read_only=True)
    house = OrderHouseSerializer(read_only=True, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    company = CompanyRefSerializer(read_only=True, allow_null=True)
    team = TeamRefSerializer(read_only=True, allow_null=True)
    escalation = serializers.IntegerField(
        read_only=True, help_text=_("0 with the branch, 1 raised to the community, 2 the street.")
    )
    overdue = serializers.SerializerMethodField(
        help_text=_("Past its response target unaccepted, or its resolution target unverified.")
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text=_("The actions the caller may take on the order now.")
    )

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "status",
            "status_label",
            "category",
            "compound",
            "house",
            "place",
            "channel",
            "description",
            "company",
            "team",
            "created_at",
            "response_due",
            "resolution_due",
            "accepted_at",
            "verified_at",
            "rating",
            "escalation",
            "overdue",
            "allowed_actions",
        ]
        read_only_fields = fields

    def get_overdue(self, order: WorkOrder) -> bool:
        return order.is_overdue(self.context.get("now"))

    def get_allowed_actions(self, order: WorkOrder) -> list[str]:
        actions: dict[int, list[str]] = self.context.get("actions", {})
        return actions.get(order.pk, [])


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "url", "content_type", "width", "height"]
        read_only_fields = fields

    def get_url(self, photo: Photo) -> str:
        # Through the scoped photo endpoint: residents' photos are never public media files.
        return reverse("api:work-order-photo", args=[photo.pk])


class EventSerializer(serializers.ModelSerializer):
    action = serializers.ChoiceField(choices=Action.choices, read_only=True)
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    role = serializers.CharField(
        read_only=True,
        help_text=_(
            "The role the step was taken in (system for escalation and automatic closing, "
            "partner for Open311, staff for staff acting as the requester)."
        ),
    )
    actor = serializers.SerializerMethodField(
        help_text=_("Who took the step, by display name: shown to staff only.")
    )
    # Declared fields move into _declared_fields: this does not replace Serializer.data.
    data = serializers.JSONField(  # type: ignore[assignment]
        read_only=True, help_text=_("The step's details: company, team, rating, level…")
    )
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "action",
            "action_label",
            "from_status",
            "to_status",
            "role",
            "on_behalf",
            "actor",
            "at",
            "note",
            "data",
            "photos",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, event: Event) -> str | None:
        if not self.context.get("staff") or event.actor is None:
            return None
        return str(event.actor.display_name)


class WorkOrderDetailSerializer(WorkOrderSerializer):
    """One order with its timeline and photos."""

    contact_phone = serializers.SerializerMethodField(
        help_text=_("The contact phone given with the order, masked; staff only, else null.")
    )
    timeline = EventSerializer(source="events", many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta(WorkOrderSerializer.Meta):
        fields = [
            *WorkOrderSerializer.Meta.fields,
            "dispatched_at",
            "done_at",
            "supervised_at",
            "rated_at",
            "closed_at",
            "responsible",
            "duplicate_of",
            "reopened",
            "contact_phone",
            "photos",
            "timeline",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_contact_phone(self, order: WorkOrder) -> str | None:
        if not self.context.get("staff") or not order.contact_phone:
            return None
        return mask_phone(order.contact_phone)


class NotAllowedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.ChoiceField(
        choices=Status.choices, help_text=_("The order's current status.")
    )
    allowed = serializers.ListField(
        child=serializers.CharField(), help_text=_("The actions its status allows.")
    )
