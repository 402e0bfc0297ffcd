"""Volunteer organisations, volunteers, posts and activities: created and changed by the
community (or the street and district offices above it), each with an audit event."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.core import audit
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import Community, Compound, House
from laoyuan.timebank.enums import Category, MemberRole
from laoyuan.timebank.models import Activity, Membership, Post, Volunteer, VolunteerOrg
from laoyuan.timebank.scoping import MANAGER_ROLES, TIMEBANK_ROLES, holds
from laoyuan.workorders.scoping import place_covers

MAX_ACTIVITY = datetime.timedelta(hours=24)


def _place(community: Community) -> dict[str, int]:
    return {
        "district_id": community.district_id,
        "street_id": community.street_id,
        "community_id": community.pk,
    }


def may_manage(user: Any, row: Any) -> bool:
    """The community's, street's or district's office of ``row``'s place."""
    return holds(user, MANAGER_ROLES, row)


def _require(user: Any, row: Any) -> None:
    if not may_manage(user, row):
        raise PermissionDenied


def _text(errors: dict[str, str], field: str, value: Any, limit: int, *, required: bool) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("At most %(limit)s characters.") % {"limit": limit}
    return value


def _compound_in(errors: dict[str, str], compound: Compound | None, community: Community) -> None:
    if compound is not None and compound.community_id != community.pk:
        errors["compound"] = _("This compound is not in the community.")


@transaction.atomic
def create_org(
    *,
    actor: Any,
    community: Community,
    name: Any,
    compound: Compound | None = None,
    founded_on: datetime.date | None = None,
    description: Any = "",
) -> VolunteerOrg:
    org = VolunteerOrg(**_place(community), compound=compound, founded_on=founded_on)
    _require(actor, org)
    errors: dict[str, str] = {}
    org.name = _text(errors, "name", name, 100, required=True)
    org.description = _text(errors, "description", description, 300, required=False)
    _compound_in(errors, compound, community)
    if not errors and VolunteerOrg.objects.filter(community=community, name=org.name).exists():
        errors["name"] = _("The community has an organisation of this name already.")
    if errors:
        raise ValidationError(errors)
    org.save()
    audit.record(
        actor=actor,
        action="timebank.org",
        target=org,
        summary=f"volunteer organisation {org.name}",
        changes={"name": org.name, "community": community.pk, "compound": org.compound_id},
        district_id=org.district_id,
        street_id=org.street_id,
    )
    return org


@transaction.atomic
def register_volunteer(
    *, actor: Any, person: Person, house: House, on: datetime.date | None = None
) -> Volunteer:
    """Register a resident of ``house`` as a volunteer earning hours for that household."""
    compound = house.compound
    volunteer = Volunteer(
        person=person,
        house=house,
        compound=compound,
        district_id=compound.district_id,
        street_id=compound.street_id,
        community_id=compound.community_id,
        registered_on=on or timezone.localdate(),
    )
    _require(actor, volunteer)
    errors: dict[str, str] = {}
    if not Residency.objects.filter(person=person, house=house).exists():
        errors["person"] = _("This person does not live in the household.")
    elif Volunteer.objects.filter(person=person).exists():
        errors["person"] = _("This person is a registered volunteer already.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            volunteer.save()
    except IntegrityError as error:
        raise ValidationError(
            {"person": _("This person is a registered volunteer already.")}
        ) from error
    audit.record(
        actor=actor,
        action="timebank.volunteer",
        target=volunteer,
        summary=f"volunteer registered for house {house.label}",
        changes={"person": person.pk, "house": house.label, "low_income": person.low_income},
        district_id=volunteer.district_id,
        street_id=volunteer.street_id,
    )
    return volunteer


@transaction.atomic
def add_member(
    *,
    actor: Any,
    org: VolunteerOrg,
    volunteer: Volunteer,
    role: str = MemberRole.MEMBER,
    on: datetime.date | None = None,
) -> Membership:
    _require(actor, org)
    errors: dict[str, str] = {}
    if volunteer.community_id != org.community_id:
        errors["volunteer"] = _("This volunteer lives in another community.")
    elif Membership.objects.filter(org=org, volunteer=volunteer).exists():
        errors["volunteer"] = _("This volunteer is a member already.")
    if role not in MemberRole.values:
        errors["role"] = _("Choose a role.")
    if errors:
        raise ValidationError(errors)
    membership = Membership.objects.create(
        org=org, volunteer=volunteer, role=role, joined_on=on or timezone.localdate()
    )
    audit.record(
        actor=actor,
        action="timebank.member",
        target=org,
        summary=f"volunteer {volunteer.pk} joined {org.name} as {role}",
        changes={"volunteer": volunteer.pk, "role": role},
        district_id=org.district_id,
        street_id=org.street_id,
    )
    return membership


@transaction.atomic
def create_post(
    *,
    actor: Any,
    community: Community,
    name: Any,
    category: Any,
    org: VolunteerOrg | None = None,
    compound: Compound | None = None,
    description: Any = "",
) -> Post:
    post = Post(**_place(community), org=org, compound=compound)
    _require(actor, post)
    errors: dict[str, str] = {}
    post.name = _text(errors, "name", name, 100, required=True)
    post.description = _text(errors, "description", description, 300, required=False)
    if category not in Category.values:
        errors["category"] = _("Choose a category.")
    post.category = category
    _compound_in(errors, compound, community)
    if org is not None and org.community_id != community.pk:
        errors["org"] = _("This organisation is in another community.")
    if errors:
        raise ValidationError(errors)
    post.save()
    audit.record(
        actor=actor,
        action="timebank.post",
        target=post,
        summary=f"volunteer post {post.name}",
        changes={"name": post.name, "category": category},
        district_id=post.district_id,
        street_id=post.street_id,
    )
    return post


def may_organise(user: Any, activity: Activity) -> bool:
    """An organiser verifies the activity's claims, so only someone who works at its place (an
    office, grid worker, party branch or committee whose scope covers the compound) or a leader of
    its organisation may be one."""
    if user is None:
        return False
    compound = activity.compound
    if place_covers(
        scope_for(user, TIMEBANK_ROLES - {Role.RESIDENT}),
        district_id=compound.district_id,
        street_id=compound.street_id,
        community_id=compound.community_id,
        grid_id=compound.grid_id,
        compound_id=compound.pk,
    ):
        return True
    person_id = getattr(user, "person_id", None)
    return (
        activity.org_id is not None
        and person_id is not None
        and Membership.objects.filter(
            org_id=activity.org_id, role=MemberRole.LEADER, volunteer__person_id=person_id
        ).exists()
    )


@transaction.atomic
def create_activity(
    *,
    actor: Any,
    compound: Compound,
    title: Any,
    category: Any,
    start: Any,
    end: Any,
    capacity: Any,
    place: Any = "",
    org: VolunteerOrg | None = None,
    post: Post | None = None,
    organiser: Any = None,
) -> Activity:
    """An activity in ``compound``: what, where, when, how many people, who organises it (the
    organiser verifies its claims; the community's office always may)."""
    activity = Activity(
        district_id=compound.district_id,
        street_id=compound.street_id,
        community_id=compound.community_id,
        compound=compound,
        org=org,
        post=post,
        organiser=organiser or actor,
        created_by=actor,
    )
    _require(actor, activity)
    errors: dict[str, str] = {}
    activity.title = _text(errors, "title", title, 100, required=True)
    activity.place = _text(errors, "place", place, 100, required=False)
    if category not in Category.values:
        errors["category"] = _("Choose a category.")
    activity.category = category
    if not isinstance(start, datetime.datetime):
        errors["start"] = _("Enter when it starts.")
    if not isinstance(end, datetime.datetime):
        errors["end"] = _("Enter when it ends.")
    elif isinstance(start, datetime.datetime):
        if end <= start:
            errors["end"] = _("It must end after it starts.")
        elif end - start > MAX_ACTIVITY:
            errors["end"] = _("An activity lasts at most 24 hours; make one per day.")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 1000:
        errors["capacity"] = _("Enter how many people, from 1 to 1000.")
    if org is not None and org.community_id != compound.community_id:
        errors["org"] = _("This organisation is in another community.")
    elif not may_organise(activity.organiser, activity):
        errors["organiser"] = _(
            "The organiser must work at this compound (its offices, grid, party branch or "
            "committee) or lead the organisation."
        )
    if post is not None and post.community_id != compound.community_id:
        errors["post"] = _("This post is in another community.")
    if errors:
        raise ValidationError(errors)
    activity.start, activity.end, activity.capacity = start, end, capacity
    activity.save()
    audit.record(
        actor=actor,
        action="timebank.activity",
        target=activity,
        summary=f"activity {activity.title}, {start:%Y-%m-%d %H:%M}–{end:%H:%M}",
        changes={
            "title": activity.title,
            "category": category,
            "start": start,
            "end": end,
            "capacity": capacity,
            "organiser": activity.organiser_id,
        },
        district_id=activity.district_id,
        street_id=activity.street_id,
    )
    return activity
