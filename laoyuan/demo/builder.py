"""Writes the demo district: the plan from ``demo.plan`` turned into rows, fast.

Rows are built in memory and written with ``bulk_create``, a street at a time, so the scale-1
district (about 600,000 rows) takes well under a minute on SQLite and memory stays bounded at
larger scales. Every random choice comes from a ``random.Random`` seeded from the seed and a fixed
label (never the global generator, never ids or set order), so a seed and a date always give the
same district. Management modes change only through ``places.services.change_management_mode``,
as everywhere else: its ~900 calls cost a few seconds, well inside the budget.
"""

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from laoyuan.accounts.enums import Role
from laoyuan.core import audit
from laoyuan.demo import names
from laoyuan.demo.billing import write_billing
from laoyuan.demo.db import analyze
from laoyuan.demo.households import BATCH, write_street
from laoyuan.demo.plan import (
    HISTORY_START,
    TRIAL_MONTHS,
    CompoundPlan,
    DistrictPlan,
    add_years,
    plan_district,
)
from laoyuan.demo.ratings import write_ratings
from laoyuan.demo.shape import shape_for
from laoyuan.demo.timebank import write_timebank
from laoyuan.demo.users import DEFAULT_PASSWORD, DEMO_USERS, write_demo_users
from laoyuan.demo.workorders import write_workorders
from laoyuan.orgs.enums import CompanyKind, PartyLevel
from laoyuan.orgs.models import AgencyBranch, Cadre, PartyOrg, Post, PropertyCompany
from laoyuan.people.models import Person
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Community, Compound, District, Grid, House, Street
from laoyuan.places.services import change_management_mode, refresh_compound_totals

DEFAULT_SEED = 42
# The demo history ends in mid-2023 (service agreements signed by late 2023).
EARLIEST_TODAY = datetime.date(2024, 1, 1)

REASONS = {
    "start": "纳入老旧小区改造管理台账",
    ManagementMode.PUBLIC: "无主管楼院由街道公办物业托底接管",
    "self_to_public": "自管会无力维持，经居民协商由街道公办物业托底",
    ManagementMode.PROFESSIONAL: "业主大会决定选聘专业化物业服务企业",
}


@dataclass
class DemoResult:
    counts: dict[str, int]
    compound: Compound
    seconds: float
    stages: list[tuple[str, float]] = field(default_factory=list)


def registry_is_empty() -> bool:
    """The demo builds only into an empty registry (no places, companies or people)."""
    return not (
        District.objects.exists()
        or Compound.objects.exists()
        or PropertyCompany.objects.exists()
        or Person.objects.exists()
    )


def build_demo(
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    today: datetime.date,
    password: str = DEFAULT_PASSWORD,
    progress: Callable[[str], None] = lambda message: None,
) -> DemoResult:
    """Build the demo district into an empty registry, in one transaction."""
    if today < EARLIEST_TODAY:
        raise ValueError(f"today must be {EARLIEST_TODAY.isoformat()} or later")
    started = time.perf_counter()
    plan = plan_district(seed=seed, shape=shape_for(scale))
    with transaction.atomic():
        writer = Writer(plan=plan, seed=seed, today=today, progress=progress)
        writer.stage("plan", f"{len(plan.compounds)} compounds planned", since=started)
        writer.write_places()
        writer.write_history()
        writer.write_party_tops()
        for street in plan.streets:
            write_street(writer, street)
        writer.write_cadres()
        write_demo_users(
            password=password,
            scopes={
                Role.DISTRICT: writer.district,
                Role.STREET: writer.streets[writer.demo_plan.street_index],
                Role.COMMUNITY: writer.demo_compound.community,
                Role.GRID: writer.demo_compound.grid,
                Role.BRANCH: writer.demo_compound,
                Role.COMPANY: writer.companies[writer.demo_plan.company_index or 0],
                Role.COMMITTEE: writer.demo_compound,
                Role.RESIDENT: writer.demo_house,
                Role.INSPECTOR: writer.streets[writer.demo_plan.street_index],
            },
            person=writer.demo_person,
        )
        demo = writer.demo_compound
        writer.count("users", len(DEMO_USERS))
        writer.stage("users", f"{len(DEMO_USERS)} demo users meeting in {demo.code} {demo.name}")
        refresh_compound_totals()
        writer.stage("totals", "compound totals refreshed")
        write_billing(writer)
        write_workorders(writer)
        write_timebank(writer)
        write_ratings(writer)
        audit.record(
            actor=None,
            action="demo.seeded",
            target=writer.district,
            summary=f"demo district built (seed {seed}, scale {scale}, today {today.isoformat()})",
            changes={"seed": seed, "scale": scale, "today": today, "counts": writer.counts},
            district_id=writer.district.pk,
        )
    return DemoResult(
        counts=writer.counts,
        compound=writer.demo_compound,
        seconds=time.perf_counter() - started,
        stages=writer.stages,
    )


class Writer:
    """Writes a plan's rows, stage by stage, and remembers what the later stages need."""

    def __init__(
        self,
        *,
        plan: DistrictPlan,
        seed: int,
        today: datetime.date,
        progress: Callable[[str], None],
    ) -> None:
        self.plan = plan
        self.seed = seed
        self.today = today
        self.progress = progress
        self.phones = names.PhoneBook()
        self.counts: dict[str, int] = {}
        self.stages: list[tuple[str, float]] = []
        self._clock = time.perf_counter()
        # Filled as rows are written.
        self.district: District
        self.streets: list[Street] = []
        self.communities: dict[str, Community] = {}
        self.grids: dict[str, Grid] = {}
        self.companies: list[PropertyCompany] = []
        self.compounds: dict[str, Compound] = {}
        self.street_orgs: list[PartyOrg] = []
        self.community_orgs: dict[str, PartyOrg] = {}
        # The compound every demo user's scope covers: the first public compound of the first
        # street served by its first public company (北下街, 隆美).
        self.demo_plan = next(
            c for c in plan.compounds if c.public and c.street_index == 0 and c.company_index == 0
        )
        self.demo_compound: Compound
        self.demo_house: House
        self.demo_person: Person

    # -- helpers ---------------------------------------------------------------------------

    def rng(self, label: str) -> random.Random:
        return random.Random(f"laoyuan-demo:{self.seed}:{label}")

    def stage(self, name: str, detail: str, since: float | None = None) -> None:
        now = time.perf_counter()
        seconds = now - (self._clock if since is None else since)
        self._clock = now
        self.stages.append((name, seconds))
        self.progress(f"{name}: {detail} ({seconds:.1f} s)")
        analyze()

    def count(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def person(
        self,
        rng: random.Random,
        street: Street,
        *,
        family: str | None = None,
        female: bool | None = None,
        phone: bool = True,
        low_income: bool = False,
    ) -> Person:
        return Person(
            name=names.person_name(rng, family=family, female=female),
            phone=self.phones.new(rng) if phone else "",
            street_id=street.pk,
            low_income=low_income,
        )

    def since(
        self, rng: random.Random, start: datetime.date, latest_days_ago: int = 30
    ) -> datetime.date:
        """A day from ``start`` until ``latest_days_ago`` days before today."""
        end = self.today - datetime.timedelta(days=latest_days_ago)
        start = min(start, end)
        return start + datetime.timedelta(days=rng.randint(0, (end - start).days))

    # -- places and companies --------------------------------------------------------------

    def write_places(self) -> None:
        plan = self.plan
        self.district = District.objects.create(code=names.DISTRICT_CODE, name=names.DISTRICT_NAME)
        self.streets = Street.objects.bulk_create(
            [Street(district=self.district, code=s.code, name=s.name) for s in plan.streets]
        )
        communities = []
        for street_plan, street in zip(plan.streets, self.streets, strict=True):
            for c in street_plan.communities:
                communities.append(
                    Community(district=self.district, street=street, code=c.code, name=c.name)
                )
        Community.objects.bulk_create(communities, batch_size=BATCH)
        self.communities = {c.code: c for c in communities}
        grids = []
        for street_plan, street in zip(plan.streets, self.streets, strict=True):
            for community_plan in street_plan.communities:
                community = self.communities[community_plan.code]
                for g in community_plan.grids:
                    grids.append(
                        Grid(
                            district=self.district,
                            street=street,
                            community=community,
                            code=g.code,
                            name=g.name,
                            latitude=g.rect.latitude,
                            longitude=g.rect.longitude,
                            boundary=g.rect.polygon(),
                        )
                    )
        Grid.objects.bulk_create(grids, batch_size=BATCH)
        self.grids = {g.code: g for g in grids}

        rng = self.rng("companies")
        self.companies = PropertyCompany.objects.bulk_create(
            [
                PropertyCompany(
                    district=self.district,
                    code=c.code,
                    name=c.name,
                    kind=CompanyKind.PUBLIC if c.public else CompanyKind.PROFESSIONAL,
                    street=None if c.street_index is None else self.streets[c.street_index],
                    phone=f"0371-6{rng.randrange(10_000_000):07d}",
                )
                for c in plan.companies
            ]
        )

        compounds = []
        for cp in plan.compounds:
            assert cp.grid is not None and cp.rect is not None and cp.community is not None
            street = self.streets[cp.street_index]
            compounds.append(
                Compound(
                    district=self.district,
                    street=street,
                    community=self.communities[cp.community.code],
                    grid=self.grids[cp.grid.code],
                    code=cp.code,
                    name=cp.name,
                    address=cp.address,
                    build_year=cp.build_year,
                    renovated=True,
                    renovated_on=cp.renovated_on,
                    open_space=cp.open_space,
                    parking_motor=cp.parking_motor,
                    parking_non_motor=cp.parking_non_motor,
                    latitude=cp.rect.latitude,
                    longitude=cp.rect.longitude,
                    boundary=cp.rect.polygon(),
                )
            )
        Compound.objects.bulk_create(compounds, batch_size=BATCH)
        self.compounds = {c.code: c for c in compounds}
        self.demo_compound = self.compounds[self.demo_plan.code]
        self.count("streets", len(self.streets))
        self.count("communities", len(communities))
        self.count("grids", len(grids))
        self.count("companies", len(self.companies))
        self.count("compounds", len(compounds))
        self.stage(
            "places",
            f"1 district, {len(self.streets)} streets, {len(communities)} communities, "
            f"{len(grids)} grids, {len(compounds)} compounds, {len(self.companies)} companies",
        )

    def _company(self, plan: CompoundPlan) -> PropertyCompany | None:
        return None if plan.company_index is None else self.companies[plan.company_index]

    def write_history(self) -> None:
        """Every compound's mode in 2018, then the changes of 2020-2023, through the service."""
        rng = self.rng("history")
        changes = takeovers = 0
        for plan in self.plan.compounds:
            compound = self.compounds[plan.code]
            first_company = None
            if plan.before == ManagementMode.PROFESSIONAL:
                first_company = self._company(plan)
            change_management_mode(
                compound=compound,
                mode=plan.before,
                company=first_company,
                effective_on=HISTORY_START,
                reason=REASONS["start"],
                actor=None,
            )
            if not plan.changed:
                continue
            assert plan.change_on is not None and plan.community is not None
            takeover = None
            reason = REASONS[plan.after]
            if plan.after == ManagementMode.PUBLIC:
                if plan.before == ManagementMode.OWNER_SELF:
                    reason = REASONS["self_to_public"]
                takeover = {
                    "trial_months": TRIAL_MONTHS,
                    "entrustment_signed_on": plan.change_on
                    - datetime.timedelta(days=rng.randint(7, 45)),
                    "entrustment_party": plan.rights_unit or f"{plan.community.name}居民委员会",
                    "service_agreement_signed_on": plan.change_on
                    + datetime.timedelta(days=rng.randint(90, 120)),
                }
                takeovers += 1
            change_management_mode(
                compound=compound,
                mode=plan.after,
                company=self._company(plan),
                effective_on=plan.change_on,
                reason=reason,
                actor=None,
                takeover=takeover,
            )
            changes += 1
        self.count("mode_changes", changes)
        self.count("takeovers", takeovers)
        self.stage(
            "mode history",
            f"{len(self.plan.compounds)} first periods from {HISTORY_START.isoformat()}, "
            f"{changes} changes, {takeovers} public takeovers",
        )

    # -- the top of the party structure ----------------------------------------------------

    def write_party_tops(self) -> None:
        """Street working committees and community committees, with their office holders (street
        and community staff, who live elsewhere); a public company's manager also sits on its
        street's working committee (交叉任职)."""
        rng = self.rng("party-tops")
        people: list[Person] = []
        # (person index, title, body kind, body key, street)
        posts: list[tuple[int, str, str, Any, Street]] = []
        for street_plan, street in zip(self.plan.streets, self.streets, strict=True):
            for title in ("书记", "副书记", "委员"):
                people.append(self.person(rng, street))
                posts.append((len(people) - 1, title, "street", street_plan.index, street))
            for c in street_plan.communities:
                people.append(self.person(rng, street))
                posts.append((len(people) - 1, "书记", "community", c.code, street))
        for index, company in enumerate(self.companies):
            if company.kind != CompanyKind.PUBLIC:
                continue
            assert company.street is not None
            people.append(self.person(rng, company.street))
            street_index = self.streets.index(company.street)
            posts.append((len(people) - 1, "总经理", "company", index, company.street))
            posts.append((len(people) - 1, "委员", "street", street_index, company.street))
        Person.objects.bulk_create(people, batch_size=BATCH)

        self.street_orgs = PartyOrg.objects.bulk_create(
            [
                PartyOrg(level=PartyLevel.STREET_COMMITTEE, name=f"{s.name}党工委", street=s)
                for s in self.streets
            ]
        )
        community_orgs = []
        for street_plan, street_org in zip(self.plan.streets, self.street_orgs, strict=True):
            for c in street_plan.communities:
                community = self.communities[c.code]
                community_orgs.append(
                    PartyOrg(
                        level=PartyLevel.COMMUNITY_COMMITTEE,
                        parent=street_org,
                        name=f"{community.name}党委",
                        street_id=community.street_id,
                        community=community,
                    )
                )
        PartyOrg.objects.bulk_create(community_orgs, batch_size=BATCH)
        self.community_orgs = {org.community.code: org for org in community_orgs if org.community}

        start = self.since(rng, self.today - datetime.timedelta(days=3 * 365), 60)
        rows = []
        for person_index, title, kind, key, street in posts:
            post = Post(
                person=people[person_index],
                title=title,
                street=street,
                term_start=start,
                term_end=add_years(start, 5),
            )
            if kind == "street":
                post.party_org = self.street_orgs[key]
            elif kind == "community":
                post.party_org = self.community_orgs[key]
            else:
                post.company = self.companies[key]
                post.term_end = None
            rows.append(post)
        Post.objects.bulk_create(rows, batch_size=BATCH)
        self.count("people", len(people))
        self.count("posts", len(rows))
        self.count("party_orgs", len(self.street_orgs) + len(community_orgs))
        self.stage(
            "party structure",
            f"{len(self.street_orgs)} street working committees, {len(community_orgs)} "
            f"community committees, {len(people)} office holders",
        )

    # -- agencies and cadres ---------------------------------------------------------------

    def write_cadres(self) -> None:
        """Agency party branches, and the cadres they sink into the grids of public compounds
        (下沉无主管楼院网格); every branch sends at least one."""
        rng = self.rng("cadres")
        shape = self.plan.shape
        branches = AgencyBranch.objects.bulk_create(
            [
                AgencyBranch(
                    district=self.district, code=f"JG{index + 1:04d}", name=name, agency=agency
                )
                for index, (agency, name) in enumerate(self.plan.agency_branches)
            ]
        )
        grid_codes = sorted(
            {c.grid.code for c in self.plan.compounds if c.public and c.grid is not None}
        )
        rng.shuffle(grid_codes)
        people: list[Person] = []
        cadres: list[tuple[int, AgencyBranch, Grid, datetime.date]] = []
        for index in range(shape.cadres):
            branch = branches[index] if index < len(branches) else rng.choice(branches)
            grid = self.grids[grid_codes[index % len(grid_codes)]]
            people.append(self.person(rng, grid.street))
            since = self.since(rng, datetime.date(2021, 3, 1), 60)
            cadres.append((len(people) - 1, branch, grid, since))
        Person.objects.bulk_create(people, batch_size=BATCH)
        Cadre.objects.bulk_create(
            [
                Cadre(
                    person_id=people[p].pk,
                    branch=branch,
                    grid=grid,
                    street_id=grid.street_id,
                    since=since,
                )
                for p, branch, grid, since in cadres
            ],
            batch_size=BATCH,
        )
        self.count("agency_branches", len(branches))
        self.count("cadres", len(cadres))
        self.count("people", len(people))
        self.stage(
            "cadres",
            f"{len(branches)} agency branches, {len(cadres)} cadres in {len(grid_codes)} grids",
        )
