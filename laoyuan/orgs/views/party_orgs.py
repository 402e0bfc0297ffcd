"""Pages of the five-level party structure: one street's tree, setting up a body below its
parent and adding a post in a body."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from laoyuan.accounts.scoping import scoped
from laoyuan.orgs import queries, services
from laoyuan.orgs.enums import PartyLevel
from laoyuan.orgs.forms import PartyOrgForm, PostForm
from laoyuan.orgs.models import PartyOrg
from laoyuan.orgs.views._common import (
    _form_page,
    _manage_or_404,
    _manager,
    _number,
    _reader,
    _save,
)
from laoyuan.orgs.views.posts import _post_form_page, _post_kwargs
from laoyuan.places.models import Building, Community, House, Street


@login_required
@require_GET
def party(request: HttpRequest) -> HttpResponse:
    """The five-level structure of one street: down to the compound branches for the whole
    street, and all five levels of a chosen community."""
    user = request.user
    _reader(user)
    visible = scoped(PartyOrg.objects.all(), user, queries.READ_ROLES)
    streets = list(Street.objects.filter(pk__in=visible.values("street_id")).order_by("code"))
    street_id = _number(request, "street")
    street = next((s for s in streets if s.pk == street_id), None)
    if street is None and len(streets) == 1:
        street = streets[0]
    managed_streets = queries.manageable_streets(user)
    context: dict[str, Any] = {
        "missing_community_committees": _missing_community_committees(user),
        "streets": streets,
        "street": street,
        "creatable_streets": list(
            managed_streets.exclude(
                pk__in=PartyOrg.objects.filter(level=PartyLevel.STREET_COMMITTEE).values(
                    "street_id"
                )
            ).order_by("code")
        ),
    }
    if street is not None:
        communities = list(
            Community.objects.filter(
                pk__in=visible.filter(street=street).values("community_id")
            ).order_by("code")
        )
        community_id = _number(request, "community")
        community = next((c for c in communities if c.pk == community_id), None)
        if community is None and len(communities) == 1:
            community = communities[0]
        tree = queries.party_tree(user=user, street=street, community=community)
        shown = queries.party_nodes(tree)
        context.update(
            {
                "communities": communities,
                "community": community,
                "tree": tree,
                "cross": queries.cross_appointed(
                    user=user,
                    person_ids={
                        post.person_id for node in shown for post in queries.node_posts(node)
                    },
                ),
                "managed": set(
                    queries.manageable_party_orgs(user)
                    .filter(pk__in=[node.org.pk for node in shown])
                    .values_list("pk", flat=True)
                ),
                "managed_posts": set(
                    queries.manageable_posts(user)
                    .filter(pk__in=[post.pk for node in shown for post in queries.node_posts(node)])
                    .values_list("pk", flat=True)
                ),
            }
        )
    return render(request, "orgs/party.html", context)


def _parents(user: Any) -> QuerySet[PartyOrg]:
    """Bodies under which the user may set one up: those they manage, and the working committee
    of a street in which they manage a community (a community office sets up its own community
    committee, though it does not read the street's body)."""
    street_committees = Q(
        level=PartyLevel.STREET_COMMITTEE,
        street_id__in=queries.manageable_communities(user).values("street_id"),
    )
    return PartyOrg.objects.filter(
        Q(pk__in=queries.manageable_party_orgs(user).values("pk")) | street_committees
    ).select_related("street")


def _missing_community_committees(user: Any) -> list[tuple[Community, PartyOrg]]:
    """A community office's communities that have no community committee yet, each with its
    street's working committee to set one up under."""
    communities = queries.authority_for(user).communities
    if not communities:
        return []
    rows = list(
        Community.objects.filter(pk__in=communities)
        .exclude(
            pk__in=PartyOrg.objects.filter(level=PartyLevel.COMMUNITY_COMMITTEE).values(
                "community_id"
            )
        )
        .order_by("code")
    )
    tops = {
        org.street_id: org
        for org in PartyOrg.objects.filter(
            level=PartyLevel.STREET_COMMITTEE, street_id__in=[c.street_id for c in rows]
        )
    }
    return [(c, tops[c.street_id]) for c in rows if c.street_id in tops]


def _child_places(parent: PartyOrg, user: Any) -> QuerySet[Any]:
    """The places one level below the parent's that the user manages and that have no body of
    the next level yet."""
    level = parent.level + 1
    taken = PartyOrg.objects.filter(level=level)
    if level == PartyLevel.COMMUNITY_COMMITTEE:
        return (
            queries.manageable_communities(user)
            .filter(street_id=parent.street_id)
            .exclude(pk__in=taken.values("community_id"))
            .order_by("code")
        )
    compounds = queries.manageable_compounds(user)
    if level == PartyLevel.COMPOUND_BRANCH:
        return (
            compounds.filter(Q(community_id=parent.community_id))
            .exclude(pk__in=taken.values("compound_id"))
            .order_by("code")
        )
    if level == PartyLevel.BUILDING_GROUP:
        return (
            Building.objects.filter(Q(compound_id=parent.compound_id), compound__in=compounds)
            .exclude(pk__in=taken.values("building_id"))
            .select_related("compound")
            .order_by("number", "pk")
        )
    return (
        House.objects.filter(Q(building_id=parent.building_id), compound__in=compounds)
        .exclude(pk__in=taken.values("house_id"))
        .select_related("building")
        .order_by("unit", "room", "pk")
    )


@login_required
@require_http_methods(["GET", "POST"])
def party_create(request: HttpRequest) -> HttpResponse:
    """A new body below ``?parent=`` (or a street's working committee with ``?street=``)."""
    user = request.user
    _manager(user)
    parent_id = _number(request, "parent")
    parent: PartyOrg | None = None
    places: QuerySet[Any]
    if parent_id is not None:
        parent = _manage_or_404(_parents(user), parent_id)
        if parent.level >= PartyLevel.CENTRAL_HOUSEHOLD:
            raise Http404
        level = parent.level + 1
        places = _child_places(parent, user)
    else:
        level = PartyLevel.STREET_COMMITTEE
        places = queries.manageable_streets(user).filter(Q(pk=_number(request, "street")))
    if not places.exists():
        raise Http404
    form = PartyOrgForm(request.POST or None, level=level, places=places)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        place_field = services.PLACE_FIELDS[level]
        org = _save(
            request,
            form,
            lambda: services.party_org_create(
                actor=user,
                level=level,
                name=data["name"],
                parent=parent,
                **{place_field: data["place"]},
            ),
            _("The party body was set up."),
        )
        if org:
            return redirect(f"{reverse('orgs:party')}?{_tree_query(org)}")
    street_id = parent.street_id if parent else _number(request, "street")
    return _form_page(
        request,
        form=form,
        title=_("Set up a %(level)s") % {"level": PartyLevel(level).label},
        back=(_("Party structure"), f"{reverse('orgs:party')}?street={street_id}"),
        facts=[(_("Parent body"), parent.name)] if parent else [],
    )


def _tree_query(org: PartyOrg) -> str:
    query = f"street={org.street_id}"
    if org.community_id is not None and org.level > PartyLevel.COMPOUND_BRANCH:
        query += f"&community={org.community_id}"
    return query


@login_required
@require_http_methods(["GET", "POST"])
def party_post_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    org = _manage_or_404(queries.manageable_party_orgs(user), pk)
    form = PostForm(
        request.POST or None, user=user, street_id=org.street_id, compound_id=org.compound_id
    )
    return _post_form_page(
        request,
        form=form,
        body=org,
        back_url=f"{reverse('orgs:party')}?{_tree_query(org)}",
        add=lambda data: services.post_add(actor=user, party_org=org, **_post_kwargs(form, data)),
    )
