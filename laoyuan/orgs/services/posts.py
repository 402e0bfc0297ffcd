"""Posts in a committee, party body or company: appointing a person (a cross-appointment when
they already hold another) and ending a post, which is kept as history."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.core import audit
from laoyuan.orgs.enums import CompanyKind
from laoyuan.orgs.models import Committee, PartyOrg, Post, PropertyCompany
from laoyuan.orgs.queries import active_posts_q
from laoyuan.orgs.services._common import (
    Errors,
    NewPerson,
    _authority,
    _check_person,
    _new_person,
    _raise,
    _require,
)
from laoyuan.people.models import Person
from laoyuan.places.models import Street


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
