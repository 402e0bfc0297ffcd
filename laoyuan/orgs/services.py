"""Writes to the organisations: property companies, committees and their members, the five-level
party structure and its posts, agency branches and the cadres they sink into grids.

Every function takes an explicit ``actor``, runs in one transaction, locks what it changes and
writes one audit event (with the district and street it belongs to) per change. Who may do what
is ``orgs.queries.Authority``: a body outside the actor's offices raises ``PermissionDenied``
(pages answer 404), checked before anything else; bad input raises ``ValidationError`` keyed by
field, and then nothing is written.
"""

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.core import audit
from laoyuan.core.personal import PHONE_RE
from laoyuan.orgs.enums import CommitteeKind, CompanyKind, PartyLevel
from laoyuan.orgs.models import AgencyBranch, Cadre, Committee, PartyOrg, Post, PropertyCompany
from laoyuan.orgs.queries import Authority, active_posts_q, authority_for, people_in_reach
from laoyuan.people.models import Person
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Building, Community, Compound, District, Grid, House, Street

# A company's service line may be a landline with an area code (0371-6xxxxxxx).
SERVICE_PHONE_RE = re.compile(r"^[0-9+()\- ]{5,20}$")
Errors = dict[str, str]


@dataclass(frozen=True)
class NewPerson:
    """Someone not yet on record, appointed by name and (mobile) phone. If a person the actor can
    reach has exactly this name and phone, the post goes to them (a cross-appointment)."""

    name: str
    phone: str = ""


def _authority(actor: Any) -> Authority:
    authority = authority_for(actor)
    if authority.is_empty:
        raise PermissionDenied
    return authority


def _require(errors: Errors, field: str, value: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        errors[field] = _("This field is required.")
    elif len(value) > max_length:
        errors[field] = _("At most %(n)d characters.") % {"n": max_length}
    return value


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields that changed, as ``{"before": {...}, "after": {...}}``."""
    changed = [key for key in after if before[key] != after[key]]
    return {
        "before": {key: before[key] for key in changed},
        "after": {key: after[key] for key in changed},
    }


def _check_person(actor: Any, person: "Person | NewPerson", errors: Errors) -> "Person | None":
    """The existing person to appoint, or None when a new one is to be created.

    Choosing someone the actor cannot reach is refused; a new person's name and phone are
    checked, and one matching a reachable person exactly is that person.
    """
    if isinstance(person, Person):
        if not people_in_reach(actor).filter(pk=person.pk).exists():
            raise PermissionDenied
        return person
    name = _require(errors, "name", person.name, 50)
    phone = re.sub(r"[\s-]", "", person.phone)
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("Enter an 11-digit mobile number.")
    if not phone or errors:
        return None
    return people_in_reach(actor).filter(name=name, phone=phone).order_by("pk").first()


def _new_person(person: "Person | NewPerson", street: Street) -> Person:
    if isinstance(person, Person):
        return person
    return Person.objects.create(
        name=person.name.strip(), phone=re.sub(r"[\s-]", "", person.phone), street=street
    )


def _check_code(errors: Errors, model: Any, code: str, exclude_pk: int | None = None) -> str:
    code = _require(errors, "code", code, 32)
    if code and "code" not in errors:
        taken = model.objects.filter(code__iexact=code)
        if exclude_pk is not None:
            taken = taken.exclude(pk=exclude_pk)
        if taken.exists():
            errors["code"] = _("Another record already has this code.")
    return code


def _single_district(authority: Authority, district: District | None, errors: Errors) -> int | None:
    """The district a new district-level record belongs to: the one given, or the actor's own."""
    if district is not None:
        if not authority.over_district(district.pk):
            raise PermissionDenied
        return district.pk
    if len(authority.districts) == 1:
        return next(iter(authority.districts))
    errors["district"] = _("Choose the district.")
    return None


# --- Property companies -----------------------------------------------------------------------


def _check_company(
    authority: Authority,
    *,
    kind: str,
    street: Street | None,
    district: District | None,
    errors: Errors,
) -> int | None:
    """Permission and shape of a company's kind, owning street and district; its district id."""
    if street is not None and not authority.over_street(street.district_id, street.pk):
        raise PermissionDenied
    if kind != CompanyKind.PUBLIC and not authority.is_district:
        # Street offices run their own public companies; the district registers the rest.
        raise PermissionDenied
    if kind not in CompanyKind.values:
        errors["kind"] = _("Choose the kind of company.")
    if kind == CompanyKind.PUBLIC and street is None:
        errors["street"] = _("A public company is owned by a street: choose it.")
    if kind == CompanyKind.PROFESSIONAL and street is not None:
        errors["street"] = _("Only a public company is owned by a street.")
    if street is not None:
        if district is not None and district.pk != street.district_id:
            errors["street"] = _("Choose a street of the company's district.")
        return street.district_id
    if district is None and kind == CompanyKind.PUBLIC:
        return None
    return _single_district(authority, district, errors)


@transaction.atomic
def company_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    street: Street | None = None,
    phone: str = "",
    district: District | None = None,
) -> PropertyCompany:
    """Register a property company in the actor's district (a public one owned by a street)."""
    authority = _authority(actor)
    errors: Errors = {}
    district_id = _check_company(
        authority, kind=kind, street=street, district=district, errors=errors
    )
    code = _check_code(errors, PropertyCompany, code)
    name = _require(errors, "name", name, 100)
    phone = phone.strip()
    if phone and not SERVICE_PHONE_RE.match(phone):
        errors["phone"] = _("Enter a phone number (digits, spaces, + - and brackets).")
    _raise(errors)
    assert district_id is not None
    try:
        with transaction.atomic():
            company = PropertyCompany.objects.create(
                district_id=district_id,
                code=code,
                name=name,
                kind=kind,
                street=street if kind == CompanyKind.PUBLIC else None,
                phone=phone,
            )
    except IntegrityError:
        # Another office registered the same code at the same moment.
        raise ValidationError({"code": _("Another record already has this code.")}) from None
    audit.record(
        actor=actor,
        action="company.created",
        target=company,
        summary=f"{company.code} {company.name} ({company.kind})",
        changes={
            "code": company.code,
            "name": company.name,
            "kind": company.kind,
            "street": street,
            "phone": company.phone,
        },
        district_id=company.district_id,
        street_id=company.street_id,
    )
    return company


@transaction.atomic
def company_update(
    *,
    actor: Any,
    company: PropertyCompany,
    code: str,
    name: str,
    kind: str,
    street: Street | None = None,
    phone: str = "",
) -> PropertyCompany:
    """Change a company's code, name, kind, owning street or service phone.

    Its kind cannot change while it serves compounds (their mode names the kind), nor can a
    public company be handed to another street while it runs public compounds elsewhere.
    """
    authority = _authority(actor)
    company = (
        PropertyCompany.objects.select_for_update(of=("self",))
        .select_related("street", "district")
        .get(pk=company.pk)
    )
    if not authority.over_company(company):
        raise PermissionDenied
    errors: Errors = {}
    _check_company(authority, kind=kind, street=street, district=company.district, errors=errors)
    code = _check_code(errors, PropertyCompany, code, exclude_pk=company.pk)
    name = _require(errors, "name", name, 100)
    phone = phone.strip()
    if phone and not SERVICE_PHONE_RE.match(phone):
        errors["phone"] = _("Enter a phone number (digits, spaces, + - and brackets).")
    served = Compound.objects.filter(company=company)
    if kind != company.kind and "kind" not in errors and served.exists():
        errors["kind"] = _(
            "The company serves compounds; change their management mode before its kind."
        )
    if (
        kind == CompanyKind.PUBLIC
        and street is not None
        and "street" not in errors
        and served.filter(management_mode=ManagementMode.PUBLIC).exclude(street=street).exists()
    ):
        errors["street"] = _(
            "The company runs public compounds of its street; a new owner must be their street."
        )
    _raise(errors)
    new_street = street if kind == CompanyKind.PUBLIC else None
    before = {
        "code": company.code,
        "name": company.name,
        "kind": company.kind,
        "street": company.street,
        "phone": company.phone,
    }
    after = {"code": code, "name": name, "kind": kind, "street": new_street, "phone": phone}
    if before == after:
        return company
    company.code, company.name, company.kind, company.street, company.phone = (
        code,
        name,
        kind,
        new_street,
        phone,
    )
    try:
        with transaction.atomic():
            company.save(update_fields=["code", "name", "kind", "street", "phone"])
    except IntegrityError:
        raise ValidationError({"code": _("Another record already has this code.")}) from None
    audit.record(
        actor=actor,
        action="company.updated",
        target=company,
        summary=f"{company.code} {company.name}",
        changes=_changes(before, after),
        district_id=company.district_id,
        street_id=company.street_id,
    )
    return company


# --- Committees -------------------------------------------------------------------------------


def _check_committee(
    errors: Errors, *, kind: str, name: str, term_start: datetime.date, term_end: datetime.date
) -> str:
    if kind not in CommitteeKind.values:
        errors["kind"] = _("Choose the kind of committee.")
    name = _require(errors, "name", name, 100)
    if term_end <= term_start:
        errors["term_end"] = _("The term must end after it starts.")
    return name


@transaction.atomic
def committee_create(
    *,
    actor: Any,
    compound: Compound,
    kind: str,
    name: str,
    term_start: datetime.date,
    term_end: datetime.date,
) -> Committee:
    """Form a committee of a compound (a compound may have several)."""
    authority = _authority(actor)
    if not authority.over_community(
        compound.district_id, compound.street_id, compound.community_id
    ):
        raise PermissionDenied
    errors: Errors = {}
    name = _check_committee(errors, kind=kind, name=name, term_start=term_start, term_end=term_end)
    _raise(errors)
    committee = Committee.objects.create(
        compound=compound,
        street_id=compound.street_id,
        kind=kind,
        name=name,
        term_start=term_start,
        term_end=term_end,
    )
    audit.record(
        actor=actor,
        action="committee.created",
        target=committee,
        summary=f"{compound.code}: {name} ({kind}) {term_start.isoformat()}–{term_end.isoformat()}",
        changes={
            "compound": compound,
            "kind": kind,
            "name": name,
            "term_start": term_start,
            "term_end": term_end,
        },
        district_id=compound.district_id,
        street_id=compound.street_id,
    )
    return committee


@transaction.atomic
def committee_update(
    *,
    actor: Any,
    committee: Committee,
    kind: str,
    name: str,
    term_start: datetime.date,
    term_end: datetime.date,
) -> Committee:
    """Change a committee's kind, name or term (its compound stays)."""
    authority = _authority(actor)
    committee = (
        Committee.objects.select_for_update(of=("self",))
        .select_related("compound")
        .get(pk=committee.pk)
    )
    if not authority.over_committee(committee):
        raise PermissionDenied
    errors: Errors = {}
    name = _check_committee(errors, kind=kind, name=name, term_start=term_start, term_end=term_end)
    _raise(errors)
    before = {
        "kind": committee.kind,
        "name": committee.name,
        "term_start": committee.term_start,
        "term_end": committee.term_end,
    }
    after = {"kind": kind, "name": name, "term_start": term_start, "term_end": term_end}
    if before == after:
        return committee
    committee.kind, committee.name = kind, name
    committee.term_start, committee.term_end = term_start, term_end
    committee.save(update_fields=["kind", "name", "term_start", "term_end"])
    audit.record(
        actor=actor,
        action="committee.updated",
        target=committee,
        summary=f"{committee.compound.code}: {committee.name}",
        changes=_changes(before, after),
        district_id=committee.compound.district_id,
        street_id=committee.compound.street_id,
    )
    return committee


# --- Posts ------------------------------------------------------------------------------------


@transaction.atomic
def post_add(
    *,
    actor: Any,
    person: Person | NewPerson,
    title: str,
    term_start: datetime.date,
    term_end: datetime.date | None = None,
    committee: Committee | None = None,
    party_org: PartyOrg | None = None,
    company: PropertyCompany | None = None,
    street: Street | None = None,
) -> Post:
    """Appoint a person to a post in one committee, party body or company.

    A professional company's post needs the ``street`` it works in (a public company's is its
    owning street). A person may hold posts in several bodies (交叉任职), but not the same
    post twice at once.
    """
    authority = _authority(actor)
    if sum(body is not None for body in (committee, party_org, company)) != 1:
        raise ValidationError(_("A post belongs to exactly one committee, party body or company."))
    errors: Errors = {}
    body: Committee | PartyOrg | PropertyCompany
    if committee is not None:
        body = committee = (
            Committee.objects.select_for_update(of=("self",))
            .select_related("compound", "street")
            .get(pk=committee.pk)
        )
        allowed = authority.over_committee(committee)
        post_street: Street | None = committee.street
    elif party_org is not None:
        body = party_org = (
            PartyOrg.objects.select_for_update(of=("self",))
            .select_related("street")
            .get(pk=party_org.pk)
        )
        allowed = authority.over_party_org(party_org)
        post_street = party_org.street
    else:
        assert company is not None
        body = company = (
            PropertyCompany.objects.select_for_update(of=("self",))
            .select_related("street")
            .get(pk=company.pk)
        )
        allowed = authority.over_company(company)
        post_street = company.street
        if company.kind == CompanyKind.PROFESSIONAL:
            post_street = street
            if street is None:
                errors["street"] = _("Choose the street where this post works.")
            elif street.district_id != company.district_id:
                errors["street"] = _("Choose a street of the company's district.")
    if not allowed:
        raise PermissionDenied
    existing = _check_person(actor, person, errors)
    title = _require(errors, "title", title, 50)
    if term_end is not None and term_end < term_start:
        errors["term_end"] = _("The term cannot end before it starts.")
    body_field = {Committee: "committee", PartyOrg: "party_org", PropertyCompany: "company"}[
        type(body)
    ]
    if (
        existing is not None
        and title
        and Post.objects.filter(
            active_posts_q(), person=existing, title=title, **{body_field: body}
        ).exists()
    ):
        errors["person" if isinstance(person, Person) else "name"] = _(
            "%(name)s already holds this post."
        ) % {"name": existing.name}
    _raise(errors)
    assert post_street is not None
    appointee = existing or _new_person(person, post_street)
    post = Post.objects.create(
        person=appointee,
        title=title,
        street=post_street,
        term_start=term_start,
        term_end=term_end,
        **{body_field: body},
    )
    audit.record(
        actor=actor,
        action="post.added",
        target=post,
        summary=f"{appointee.name}: {title}, {body}",
        changes={
            "person": appointee,
            "title": title,
            body_field: body,
            "term_start": term_start,
            "term_end": term_end,
        },
        district_id=post_street.district_id,
        street_id=post_street.pk,
    )
    return post


def committee_member_add(
    *,
    actor: Any,
    committee: Committee,
    person: Person | NewPerson,
    title: str,
    term_start: datetime.date,
    term_end: datetime.date | None = None,
) -> Post:
    """Appoint a member of a committee (a post in it)."""
    return post_add(
        actor=actor,
        person=person,
        title=title,
        term_start=term_start,
        term_end=term_end,
        committee=committee,
    )


@transaction.atomic
def post_end(*, actor: Any, post: Post, ended_on: datetime.date) -> Post:
    """End a post on ``ended_on`` (its last day). The post is kept, as history."""
    authority = _authority(actor)
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("committee__compound", "party_org__street", "company", "street", "person")
        .get(pk=post.pk)
    )
    if not authority.over_post(post):
        raise PermissionDenied
    today = timezone.localdate()
    errors: Errors = {}
    if post.term_end is not None and post.term_end < today:
        errors["ended_on"] = _("This post already ended on %(date)s.") % {
            "date": post.term_end.isoformat()
        }
    elif ended_on < post.term_start:
        errors["ended_on"] = _("The post cannot end before it started (%(date)s).") % {
            "date": post.term_start.isoformat()
        }
    elif ended_on > today:
        errors["ended_on"] = _("Record the end once it has happened; the date is in the future.")
    elif post.term_end is not None and ended_on > post.term_end:
        errors["ended_on"] = _("The term already ends on %(date)s.") % {
            "date": post.term_end.isoformat()
        }
    _raise(errors)
    before = post.term_end
    post.term_end = ended_on
    post.save(update_fields=["term_end"])
    audit.record(
        actor=actor,
        action="post.ended",
        target=post,
        summary=f"{post.person.name}: {post.title} until {ended_on.isoformat()}",
        changes={"before": {"term_end": before}, "after": {"term_end": ended_on}},
        district_id=post.street.district_id,
        street_id=post.street_id,
    )
    return post


# --- The five-level party structure -----------------------------------------------------------

# The place each level is attached to, by the keyword argument that names it.
PLACE_FIELDS: dict[int, str] = {
    PartyLevel.STREET_COMMITTEE: "street",
    PartyLevel.COMMUNITY_COMMITTEE: "community",
    PartyLevel.COMPOUND_BRANCH: "compound",
    PartyLevel.BUILDING_GROUP: "building",
    PartyLevel.CENTRAL_HOUSEHOLD: "house",
}


@dataclass(frozen=True)
class _Place:
    """Where a party body sits: its district, street and the places below them."""

    district_id: int
    street_id: int
    community_id: int | None = None
    compound_id: int | None = None
    building_id: int | None = None
    house_id: int | None = None


def _place_of(place: Street | Community | Compound | Building | House) -> _Place:
    if isinstance(place, Street):
        return _Place(district_id=place.district_id, street_id=place.pk)
    if isinstance(place, Community):
        return _Place(place.district_id, place.street_id, place.pk)
    if isinstance(place, Compound):
        return _Place(place.district_id, place.street_id, place.community_id, place.pk)
    compound = Compound.objects.get(pk=place.compound_id)
    if isinstance(place, Building):
        return _Place(
            compound.district_id, compound.street_id, compound.community_id, compound.pk, place.pk
        )
    return _Place(
        compound.district_id,
        compound.street_id,
        compound.community_id,
        compound.pk,
        place.building_id,
        place.pk,
    )


def _under_parent(level: int, place: _Place, parent: PartyOrg) -> bool:
    """Whether the new body's place lies in its parent body's place."""
    if level == PartyLevel.COMMUNITY_COMMITTEE:
        return place.street_id == parent.street_id
    if level == PartyLevel.COMPOUND_BRANCH:
        return place.community_id == parent.community_id
    if level == PartyLevel.BUILDING_GROUP:
        return place.compound_id == parent.compound_id
    return place.building_id == parent.building_id


@transaction.atomic
def party_org_create(
    *,
    actor: Any,
    level: int,
    name: str,
    parent: PartyOrg | None = None,
    street: Street | None = None,
    community: Community | None = None,
    compound: Compound | None = None,
    building: Building | None = None,
    house: House | None = None,
) -> PartyOrg:
    """Set up one body of the five-level structure under its parent one level up: a street's
    working committee (no parent), a community committee, a compound branch, a building group or
    a central household, each attached to its place (one body per place)."""
    authority = _authority(actor)
    if level not in PartyLevel.values:
        raise ValidationError({"level": _("Choose a level from 1 to 5.")})
    field = PLACE_FIELDS[level]
    given: dict[str, Any] = {
        "street": street,
        "community": community,
        "compound": compound,
        "building": building,
        "house": house,
    }
    place_object = given[field]
    if parent is not None:
        parent = (
            PartyOrg.objects.select_for_update(of=("self",))
            .select_related("street")
            .get(pk=parent.pk)
        )
    place = _place_of(place_object) if place_object is not None else None
    if place is not None:
        if not authority.over_community(place.district_id, place.street_id, place.community_id):
            raise PermissionDenied
    elif parent is None or not authority.over_party_org(parent):
        raise PermissionDenied
    errors: Errors = {}
    name = _require(errors, "name", name, 100)
    if place is None:
        errors[field] = _("Choose the place this body serves.")
    if level == PartyLevel.STREET_COMMITTEE:
        if parent is not None:
            errors["parent"] = _("A street working committee has no parent body.")
    elif parent is None or parent.level != level - 1:
        errors["parent"] = _("Choose a parent body one level up.")
    elif place is not None and not _under_parent(level, place, parent):
        errors[field] = _("Choose a place within the parent body's place.")
    if place is not None and field not in errors:
        taken = PartyOrg.objects.filter(
            level=level, **{f"{field}_id": getattr(place, f"{field}_id")}
        )
        if taken.exists():
            errors[field] = _("This place already has a body of this level.")
    _raise(errors)
    assert place is not None
    org = PartyOrg.objects.create(
        level=level,
        parent=parent,
        name=name,
        street_id=place.street_id,
        community_id=place.community_id,
        compound_id=place.compound_id,
        building_id=place.building_id,
        house_id=place.house_id,
    )
    audit.record(
        actor=actor,
        action="party_org.created",
        target=org,
        summary=f"{name} (level {level})",
        changes={"level": level, "name": name, "parent": parent, field: place_object},
        district_id=place.district_id,
        street_id=place.street_id,
    )
    return org


# --- Agency branches and cadres ---------------------------------------------------------------


@transaction.atomic
def agency_branch_create(
    *, actor: Any, code: str, name: str, agency: str, district: District | None = None
) -> AgencyBranch:
    """Register an agency party branch of the actor's district (the district office only)."""
    authority = _authority(actor)
    if not authority.is_district:
        raise PermissionDenied
    errors: Errors = {}
    district_id = _single_district(authority, district, errors)
    code = _check_code(errors, AgencyBranch, code)
    name = _require(errors, "name", name, 100)
    agency = _require(errors, "agency", agency, 100)
    _raise(errors)
    assert district_id is not None
    try:
        with transaction.atomic():
            branch = AgencyBranch.objects.create(
                district_id=district_id, code=code, name=name, agency=agency
            )
    except IntegrityError:
        raise ValidationError({"code": _("Another record already has this code.")}) from None
    audit.record(
        actor=actor,
        action="agency_branch.created",
        target=branch,
        summary=f"{code} {name} ({agency})",
        changes={"code": code, "name": name, "agency": agency},
        district_id=district_id,
        street_id=None,
    )
    return branch


@transaction.atomic
def cadre_assign(
    *,
    actor: Any,
    branch: AgencyBranch,
    grid: Grid,
    person: Person | NewPerson,
    since: datetime.date,
) -> Cadre:
    """Record that an agency branch sinks a cadre into a grid (下沉干部)."""
    authority = _authority(actor)
    grid = Grid.objects.select_for_update().get(pk=grid.pk)
    if not authority.over_grid(grid):
        raise PermissionDenied
    errors: Errors = {}
    if branch.district_id != grid.district_id:
        errors["branch"] = _("Choose an agency branch of the grid's district.")
    if since > timezone.localdate():
        errors["since"] = _("Record the cadre once they have started; the date is in the future.")
    existing = _check_person(actor, person, errors)
    if existing is not None and Cadre.objects.filter(person=existing, grid=grid).exists():
        errors["person" if isinstance(person, Person) else "name"] = _(
            "%(name)s is already a cadre in this grid."
        ) % {"name": existing.name}
    _raise(errors)
    street = Street.objects.get(pk=grid.street_id)
    cadre = Cadre.objects.create(
        person=existing or _new_person(person, street),
        branch=branch,
        grid=grid,
        street_id=grid.street_id,
        since=since,
    )
    audit.record(
        actor=actor,
        action="cadre.assigned",
        target=cadre,
        summary=f"{cadre.person.name}: {branch.name} → {grid.name} from {since.isoformat()}",
        changes={"person": cadre.person, "branch": branch, "grid": grid, "since": since},
        district_id=grid.district_id,
        street_id=grid.street_id,
    )
    return cadre


@transaction.atomic
def cadre_end(*, actor: Any, cadre: Cadre, ended_on: datetime.date) -> None:
    """A cadre leaves their grid on ``ended_on``.

    ``Cadre`` has no end date, so the row goes and the audit event keeps its whole record
    (person, branch, grid, since, until); the person stays.
    """
    authority = _authority(actor)
    cadre = (
        Cadre.objects.select_for_update(of=("self",))
        .select_related("grid", "branch", "person")
        .get(pk=cadre.pk)
    )
    if not authority.over_grid(cadre.grid):
        raise PermissionDenied
    errors: Errors = {}
    if ended_on < cadre.since:
        errors["ended_on"] = _("The cadre cannot leave before they started (%(date)s).") % {
            "date": cadre.since.isoformat()
        }
    elif ended_on > timezone.localdate():
        errors["ended_on"] = _("Record the end once it has happened; the date is in the future.")
    _raise(errors)
    audit.record(
        actor=actor,
        action="cadre.ended",
        target=cadre,
        summary=(
            f"{cadre.person.name}: {cadre.branch.name} → {cadre.grid.name} "
            f"{cadre.since.isoformat()}–{ended_on.isoformat()}"
        ),
        changes={
            "person": cadre.person,
            "branch": cadre.branch,
            "grid": cadre.grid,
            "since": cadre.since,
            "ended_on": ended_on,
        },
        district_id=cadre.grid.district_id,
        street_id=cadre.grid.street_id,
    )
    cadre.delete()
