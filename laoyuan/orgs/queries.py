"""Reads of the organisations: who may manage which body, and the lists the pages show.

Reading goes through ``accounts.scoping`` (the bodies a user sees). Managing is narrower and
belongs to three offices, each over its own places (``Authority``):

- the district office: every company, committee, party body, post, agency branch and cadre of
  its district;
- a street office: its own public companies, and the committees, party bodies, posts and cadres
  of its street;
- a community office: the committees, party bodies and posts of its community.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import compound_q, scope_for, scoped
from laoyuan.core.params import parse_id
from laoyuan.orgs.enums import CommitteeKind, CompanyKind, PartyLevel
from laoyuan.orgs.models import AgencyBranch, Cadre, Committee, PartyOrg, Post, PropertyCompany
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import Community, Compound, Grid, Street

# Roles that read the organisation pages (names of office holders, phones masked). A resident,
# an inspector or a merchant has no business with the rosters.
READ_ROLES = frozenset(
    {
        Role.DISTRICT,
        Role.STREET,
        Role.COMMUNITY,
        Role.GRID,
        Role.BRANCH,
        Role.COMPANY,
        Role.COMMITTEE,
    }
)
MANAGE_ROLES = frozenset({Role.DISTRICT, Role.STREET, Role.COMMUNITY})
# A committee whose term ends within this many days is flagged on the list.
TERM_WARNING_DAYS = 90
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Authority:
    """The places over which a user manages organisations, by the office they hold there."""

    everything: bool = False
    districts: frozenset[int] = frozenset()
    streets: frozenset[int] = frozenset()
    communities: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.districts or self.streets or self.communities)

    @property
    def is_district(self) -> bool:
        return self.everything or bool(self.districts)

    def over_district(self, district_id: int | None) -> bool:
        return self.everything or district_id in self.districts

    def over_street(self, district_id: int | None, street_id: int | None) -> bool:
        return self.over_district(district_id) or street_id in self.streets

    def over_community(
        self, district_id: int | None, street_id: int | None, community_id: int | None
    ) -> bool:
        return self.over_street(district_id, street_id) or community_id in self.communities

    def over_company(self, company: PropertyCompany) -> bool:
        """The district office over its district's companies; a street office over the public
        companies it owns."""
        return self.over_district(company.district_id) or (
            company.kind == CompanyKind.PUBLIC and company.street_id in self.streets
        )

    def over_committee(self, committee: Committee) -> bool:
        compound = committee.compound
        return self.over_community(compound.district_id, compound.street_id, compound.community_id)

    def over_party_org(self, party_org: PartyOrg) -> bool:
        return self.over_community(
            party_org.street.district_id, party_org.street_id, party_org.community_id
        )

    def over_post(self, post: Post) -> bool:
        if post.committee is not None:
            return self.over_committee(post.committee)
        if post.party_org is not None:
            return self.over_party_org(post.party_org)
        return post.company is not None and self.over_company(post.company)

    def over_grid(self, grid: Grid) -> bool:
        return self.over_street(grid.district_id, grid.street_id)


def authority_for(user: Any) -> Authority:
    """The offices the user holds, each over its own place."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Authority()
    if user.is_superuser:
        return Authority(everything=True)
    return Authority(
        districts=scope_for(user, [Role.DISTRICT]).district,
        streets=scope_for(user, [Role.STREET]).street,
        communities=scope_for(user, [Role.COMMUNITY]).community,
    )


def reads_organisations(user: Any) -> bool:
    return not scope_for(user, READ_ROLES).is_empty


def _in(path: str, ids: frozenset[int]) -> Q:
    return Q(**{f"{path}__in": ids}) if ids else NOTHING


def _place_q(a: Authority, district: str, street: str, community: str | None = None) -> Q:
    """The rows whose district, street or community column is under the authority."""
    if a.everything:
        return Q()
    q = _in(district, a.districts) | _in(street, a.streets)
    if community is not None:
        q |= _in(community, a.communities)
    return q


# --- What a user may manage (forms offer these; anything else is a 404) -----------------------


def manageable_companies(user: Any) -> QuerySet[PropertyCompany]:
    a = authority_for(user)
    if a.everything:
        return PropertyCompany.objects.all()
    return PropertyCompany.objects.filter(
        _in("district_id", a.districts) | (Q(kind=CompanyKind.PUBLIC) & _in("street_id", a.streets))
    )


def manageable_streets(user: Any) -> QuerySet[Street]:
    """Streets where the user runs companies, party bodies and cadres (district or street)."""
    a = authority_for(user)
    return Street.objects.filter(_place_q(a, "district_id", "id"))


def manageable_communities(user: Any) -> QuerySet[Community]:
    a = authority_for(user)
    return Community.objects.filter(_place_q(a, "district_id", "street_id", "id"))


def manageable_compounds(user: Any) -> QuerySet[Compound]:
    a = authority_for(user)
    return Compound.objects.filter(_place_q(a, "district_id", "street_id", "community_id"))


def manageable_grids(user: Any) -> QuerySet[Grid]:
    a = authority_for(user)
    return Grid.objects.filter(_place_q(a, "district_id", "street_id"))


def manageable_committees(user: Any) -> QuerySet[Committee]:
    a = authority_for(user)
    return Committee.objects.filter(
        _place_q(a, "compound__district_id", "compound__street_id", "compound__community_id")
    )


def manageable_party_orgs(user: Any) -> QuerySet[PartyOrg]:
    a = authority_for(user)
    return PartyOrg.objects.filter(_place_q(a, "street__district_id", "street_id", "community_id"))


def manageable_posts(user: Any) -> QuerySet[Post]:
    a = authority_for(user)
    if a.everything:
        return Post.objects.all()
    street_bodies = Q(company__isnull=True) | Q(company__street_id__in=a.streets)
    return Post.objects.filter(
        _in("street__district_id", a.districts)
        | (_in("street_id", a.streets) & street_bodies)
        | _in("committee__compound__community_id", a.communities)
        | _in("party_org__community_id", a.communities)
    )


def manageable_cadres(user: Any) -> QuerySet[Cadre]:
    a = authority_for(user)
    return Cadre.objects.filter(_place_q(a, "grid__district_id", "grid__street_id"))


def manageable_agency_branches(user: Any) -> QuerySet[AgencyBranch]:
    """Agency branches whose cadres the user may sink into grids: those of the user's district,
    or of the district of the user's street."""
    a = authority_for(user)
    if a.everything:
        return AgencyBranch.objects.all()
    street_districts = Street.objects.filter(id__in=a.streets).values("district_id")
    return AgencyBranch.objects.filter(
        _in("district_id", a.districts) | Q(district_id__in=street_districts)
    )


def active_posts_q(today: datetime.date | None = None, prefix: str = "") -> Q:
    """Posts not ended before ``today``."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}term_end__isnull": True}) | Q(**{f"{prefix}term_end__gte": today})


def people_in_reach(user: Any) -> QuerySet[Person]:
    """People a user may appoint by choosing them: residents in the user's scope, and holders of
    posts and cadres the user sees."""
    holders = scoped(Post.objects.all(), user, MANAGE_ROLES).values("person_id")
    cadres = scoped(Cadre.objects.all(), user, MANAGE_ROLES).values("person_id")
    residents = scoped(Residency.objects.all(), user, MANAGE_ROLES).values("person_id")
    return Person.objects.filter(
        Q(pk__in=holders) | Q(pk__in=cadres) | Q(pk__in=residents)
    ).distinct()


def person_candidates(
    *, user: Any, street_id: int, compound_id: int | None = None
) -> QuerySet[Person]:
    """People to offer for a post in a body of ``street_id``: the street's office holders and
    cadres, and the residents of ``compound_id`` (committee members are mostly owners)."""
    holders = scoped(
        Post.objects.filter(active_posts_q(), street_id=street_id), user, MANAGE_ROLES
    ).values("person_id")
    cadres = scoped(Cadre.objects.filter(street_id=street_id), user, MANAGE_ROLES).values(
        "person_id"
    )
    condition = Q(pk__in=holders) | Q(pk__in=cadres)
    if compound_id is not None:
        residents = scoped(
            Residency.objects.filter(compound_id=compound_id), user, MANAGE_ROLES
        ).values("person_id")
        condition |= Q(pk__in=residents)
    return Person.objects.filter(condition).order_by("name", "pk")


# --- Lists ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyFilters:
    search: str = ""
    kind: str = ""
    street: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> "CompanyFilters":
        street = (params.get("street") or "").strip()
        kind = params.get("kind") or ""
        return cls(
            search=(params.get("q") or "").strip()[:100],
            kind=kind if kind in CompanyKind.values else "",
            street=parse_id(street),
        )


def company_list(*, user: Any, filters: CompanyFilters) -> QuerySet[PropertyCompany]:
    """Companies the user sees, with the compounds they serve in the user's scope (a company
    serving several streets shows a street office only its own street's compounds)."""
    scope = scope_for(user, READ_ROLES)
    qs = scoped(PropertyCompany.objects.all(), user, READ_ROLES)
    if filters.search:
        qs = qs.filter(Q(name__icontains=filters.search) | Q(code__icontains=filters.search))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.street is not None:
        qs = qs.filter(street_id=filters.street)
    served = None if scope.everything else compound_q(scope, "compounds__", with_houses=False)
    return (
        qs.select_related("district", "street")
        .annotate(
            compound_count=Count("compounds", filter=served),
            household_count=Sum("compounds__households", filter=served, default=0),
            area=Sum("compounds__area_m2", filter=served, default=0),
        )
        .order_by("code")
    )


def company_compounds(*, user: Any, company: PropertyCompany) -> QuerySet[Compound]:
    """The compounds the company serves, in the user's scope."""
    return (
        scoped(Compound.objects.filter(company=company), user, READ_ROLES)
        .select_related("street", "community")
        .order_by("code")
    )


def company_posts(*, user: Any, company: PropertyCompany) -> QuerySet[Post]:
    """The company's staff posts the user sees, current first: a company serving several streets
    shows a street office only the staff working in its street."""
    return (
        scoped(Post.objects.filter(company=company), user, READ_ROLES)
        .select_related("person", "street")
        .order_by("-term_start", "-id")
    )


@dataclass(frozen=True)
class CommitteeFilters:
    search: str = ""
    street: int | None = None
    community: int | None = None
    kind: str = ""
    ending: bool = False

    @classmethod
    def from_params(cls, params: Any) -> "CommitteeFilters":
        def number(name: str) -> int | None:
            return parse_id(params.get(name))

        kind = params.get("kind") or ""
        return cls(
            search=(params.get("q") or "").strip()[:100],
            street=number("street"),
            community=number("community"),
            kind=kind if kind in CommitteeKind.values else "",
            ending=params.get("ending") in {"1", "true", "on"},
        )


def term_warning_date(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) + datetime.timedelta(days=TERM_WARNING_DAYS)


def committee_list(*, user: Any, filters: CommitteeFilters) -> QuerySet[Committee]:
    """Committees the user sees, with their compound and the count of current members."""
    qs = scoped(Committee.objects.all(), user, READ_ROLES)
    if filters.search:
        qs = qs.filter(
            Q(name__icontains=filters.search)
            | Q(compound__name__icontains=filters.search)
            | Q(compound__code__icontains=filters.search)
        )
    if filters.street is not None:
        qs = qs.filter(street_id=filters.street)
    if filters.community is not None:
        qs = qs.filter(compound__community_id=filters.community)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.ending:
        qs = qs.filter(term_end__lte=term_warning_date())
    return (
        qs.select_related("compound__community", "street")
        .annotate(member_count=Count("members", filter=active_posts_q(prefix="members__")))
        .order_by("compound__code", "kind", "id")
    )


def committee_members(*, committee: Committee) -> QuerySet[Post]:
    return (
        Post.objects.filter(committee=committee)
        .select_related("person")
        .order_by("-term_start", "id")
    )


def cross_appointed(*, user: Any, person_ids: set[int]) -> set[int]:
    """Of these people, those holding current posts in more than one body the user sees
    (双向进入、交叉任职)."""
    if not person_ids:
        return set()
    rows = (
        scoped(Post.objects.filter(active_posts_q(), person_id__in=person_ids), user, READ_ROLES)
        .values_list("person_id", "committee_id", "party_org_id", "company_id")
        .distinct()
    )
    bodies: dict[int, set[tuple[int | None, int | None, int | None]]] = defaultdict(set)
    for person_id, *body in rows:
        bodies[person_id].add((body[0], body[1], body[2]))
    return {person_id for person_id, held in bodies.items() if len(held) > 1}


@dataclass
class PartyNode:
    org: PartyOrg
    children: list["PartyNode"]
    # Bodies below this one that the page leaves out (a street's tree stops at the compound
    # branches unless a community is chosen).
    hidden_below: int = 0


def party_tree(*, user: Any, street: Street, community: Community | None = None) -> list[PartyNode]:
    """The street's party bodies the user sees, as a tree with their current posts prefetched.

    Without ``community`` the tree stops at the compound branches (a street has hundreds of
    building groups and central households); with it, the community's five levels are shown
    under the street's working committee.
    """
    orgs = scoped(PartyOrg.objects.filter(street=street), user, READ_ROLES)
    if community is not None:
        orgs = orgs.filter(Q(community=community) | Q(level=PartyLevel.STREET_COMMITTEE))
    else:
        orgs = orgs.filter(level__lte=PartyLevel.COMPOUND_BRANCH)
    # Each body's current posts, as ``org.current_posts``.
    posts = Post.objects.filter(active_posts_q()).select_related("person").order_by("id")
    rows = list(
        orgs.select_related("community", "compound", "building", "house__building")
        .prefetch_related(Prefetch("posts", queryset=posts, to_attr="current_posts"))
        .order_by("level", "name", "id")
    )
    hidden: dict[int, int] = {}
    if community is None:
        below = scoped(
            PartyOrg.objects.filter(street=street, level__gt=PartyLevel.COMPOUND_BRANCH),
            user,
            READ_ROLES,
        )
        hidden = dict(
            below.order_by()
            .values_list("compound_id")
            .annotate(n=Count("id"))
            .values_list("compound_id", "n")
        )
    nodes = {org.pk: PartyNode(org=org, children=[]) for org in rows}
    roots: list[PartyNode] = []
    for org in rows:
        node = nodes[org.pk]
        if org.level == PartyLevel.COMPOUND_BRANCH and org.compound_id is not None:
            node.hidden_below = hidden.get(org.compound_id, 0)
        parent = nodes.get(org.parent_id) if org.parent_id is not None else None
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    return roots


def node_posts(node: PartyNode) -> list[Post]:
    """The current posts ``party_tree`` prefetched for a node's body."""
    posts: list[Post] = getattr(node.org, "current_posts", [])
    return posts


def party_nodes(roots: list[PartyNode]) -> list[PartyNode]:
    """Every node of the tree, parents before children."""
    nodes: list[PartyNode] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(reversed(node.children))
    return nodes


@dataclass(frozen=True)
class CadreFilters:
    street: int | None = None
    branch: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> "CadreFilters":
        def number(name: str) -> int | None:
            return parse_id(params.get(name))

        return cls(street=number("street"), branch=number("branch"))


def cadre_list(*, user: Any, filters: CadreFilters) -> QuerySet[Cadre]:
    """Cadres in grids the user sees, grouped by grid."""
    qs = scoped(Cadre.objects.all(), user, READ_ROLES)
    if filters.street is not None:
        qs = qs.filter(street_id=filters.street)
    if filters.branch is not None:
        qs = qs.filter(branch_id=filters.branch)
    return qs.select_related("person", "branch", "grid__community").order_by(
        "grid__code", "since", "id"
    )


def agency_branch_list(*, user: Any) -> QuerySet[AgencyBranch]:
    """Agency branches the user sees, with the cadres they have in the user's grids."""
    scope = scope_for(user, READ_ROLES)
    counted = Count(
        "cadres",
        filter=None
        if scope.everything
        else Q(cadres__grid__in=scoped(Grid.objects.all(), user, READ_ROLES)),
    )
    return (
        scoped(AgencyBranch.objects.all(), user, READ_ROLES)
        .annotate(cadre_count=counted)
        .order_by("code")
    )
