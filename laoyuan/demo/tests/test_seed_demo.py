"""The demo district at a small scale (2%): its shape, its demo users, determinism and refusals."""

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import User
from laoyuan.accounts.scoping import scoped
from laoyuan.demo.geometry import DISTRICT_BOX
from laoyuan.demo.shape import shape_for
from laoyuan.demo.users import DEMO_USERS
from laoyuan.factories import Cast
from laoyuan.orgs.enums import CommitteeKind, CompanyKind, PartyLevel
from laoyuan.orgs.models import AgencyBranch, Cadre, Committee, PartyOrg, Post, PropertyCompany
from laoyuan.people.models import Person, Residency
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Building, Compound, Grid, House, ManagementPeriod, Takeover
from laoyuan.ratings.models import Evaluation, SurveySample
from laoyuan.workorders.models import WorkOrder

SCALE = "0.02"
TODAY = "2026-11-27"


def seed(*extra: str, scale: str = SCALE, seed_value: int = 42) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "seed_demo",
        "--seed",
        str(seed_value),
        "--scale",
        scale,
        "--today",
        TODAY,
        *extra,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def fingerprint() -> dict[str, list[Any]]:
    return {
        "compounds": list(
            Compound.objects.order_by("code").values_list(
                "code", "name", "area_m2", "management_mode"
            )
        ),
        "people": list(Person.objects.order_by("id").values_list("name", "phone")),
        "houses": list(
            House.objects.order_by("id").values_list("compound__code", "room", "area", "status")
        ),
        "work_orders": list(
            WorkOrder.objects.order_by("compound__code", "created_at", "token").values_list(
                "compound__code",
                "created_at",
                "category__code",
                "channel",
                "status",
                "rating",
                "token",
                "updated_at",
            )
        ),
        "ratings": list(
            Evaluation.objects.order_by("compound__code", "period").values_list(
                "compound__code", "period", "state", "total_score", "stars"
            )
        ),
        "samples": list(
            SurveySample.objects.order_by(
                "survey__evaluation__compound__code", "survey__evaluation__period", "position"
            ).values_list(
                # The house by its address, not its id: PostgreSQL does not roll sequences back.
                "house__compound__code",
                "house__building__number",
                "house__unit",
                "house__room",
                "answers",
            )
        ),
    }


def build_and_forget(seed_value: int) -> dict[str, list[Any]]:
    """Build, read the fingerprint, and roll the build back so the next one starts empty."""
    with transaction.atomic():
        seed(seed_value=seed_value)
        result = fingerprint()
        transaction.set_rollback(True)
    return result


@pytest.mark.django_db
def test_seed_demo_small_scale_has_the_seed_shape() -> None:
    shape = shape_for(0.02)

    out, err = seed()

    assert "Demo district built" in out
    for stage in ("places:", "mode history:", "street 1/1 北下街街道:", "cadres:", "users:"):
        assert stage in err
    assert Compound.objects.count() == shape.compounds == 12
    assert dict(
        Compound.objects.values_list("management_mode").annotate(n=Count("id")).order_by()
    ) == {ManagementMode.PROFESSIONAL: 4, ManagementMode.OWNER_SELF: 1, ManagementMode.PUBLIC: 7}
    assert House.objects.count() == shape.households == 1420
    assert (
        Compound.objects.filter(management_mode=ManagementMode.PUBLIC).aggregate(n=Count("houses"))[
            "n"
        ]
        == shape.public_households
        == 772
    )
    assert sum(Compound.objects.values_list("residents", flat=True)) == shape.residents == 4400
    assert not House.objects.filter(area__lte=0).exists()
    assert not Compound.objects.filter(buildings__isnull=True).exists()
    assert not Compound.objects.filter(houses__isnull=True).exists()
    assert not Building.objects.filter(houses__isnull=True).exists()
    branches = dict(
        PartyOrg.objects.filter(level=PartyLevel.COMPOUND_BRANCH)
        .values_list("compound_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    assert branches == {pk: 1 for pk in Compound.objects.values_list("pk", flat=True)}
    # Rows keep their district and street, and they agree with the compound's.
    assert not House.objects.exclude(street_id=F("compound__street_id")).exists()
    assert not Residency.objects.exclude(compound_id=F("house__compound_id")).exists()
    assert not Compound.objects.exclude(street_id=F("grid__street_id")).exists()
    phones = list(Person.objects.exclude(phone="").values_list("phone", flat=True))
    assert len(phones) == len(set(phones))
    assert all(len(p) == 11 and p[0] == "1" and p[1] in "3456789" for p in phones)


@pytest.mark.django_db
def test_seed_demo_small_scale_history_starts_from_the_seed_modes() -> None:
    seed()

    first = {}
    for period in ManagementPeriod.objects.order_by("compound_id", "started_on", "id"):
        first.setdefault(period.compound_id, period.mode)
    assert sorted(first.values()) == sorted(
        [ManagementMode.PROFESSIONAL] * 3
        + [ManagementMode.OWNER_SELF] * 3
        + [ManagementMode.UNMANAGED] * 6
    )
    assert ManagementPeriod.objects.filter(ended_on__isnull=True).count() == 12
    public = Compound.objects.filter(management_mode=ManagementMode.PUBLIC)
    assert Takeover.objects.count() == 7
    assert set(Takeover.objects.values_list("trial_months", flat=True)) == {3}
    assert not Takeover.objects.filter(
        Q(service_agreement_signed_on__isnull=True) | Q(entrustment_party="")
    ).exists()
    assert not public.exclude(company__kind=CompanyKind.PUBLIC).exists()
    assert not Compound.objects.filter(
        management_mode=ManagementMode.PROFESSIONAL, company__kind=CompanyKind.PUBLIC
    ).exists()
    # Public companies serve only compounds of the street that owns them.
    assert not public.exclude(street_id=F("company__street_id")).exists()


@pytest.mark.django_db
def test_seed_demo_small_scale_organisations() -> None:
    seed()

    kinds = dict(Committee.objects.values_list("kind").annotate(n=Count("id")).order_by())
    # One committee per compound, by mode, and one public compound with a second (owners').
    assert kinds == {
        CommitteeKind.OWNERS: 4 + 1,
        CommitteeKind.SELF_MANAGEMENT: 1,
        CommitteeKind.PROPERTY_MANAGEMENT: 7,
    }
    assert not Committee.objects.filter(members__isnull=True).exists()
    assert PropertyCompany.objects.filter(kind=CompanyKind.PUBLIC).count() == 1
    assert PartyOrg.objects.filter(level=PartyLevel.STREET_COMMITTEE).count() == 1
    assert PartyOrg.objects.filter(level=PartyLevel.BUILDING_GROUP).count() == (
        Building.objects.count()
    )
    centres = PartyOrg.objects.filter(level=PartyLevel.CENTRAL_HOUSEHOLD)
    assert centres.count() == Building.objects.count()
    assert not centres.filter(Q(house__isnull=True) | Q(parent__level__lt=4)).exists()
    assert not centres.exclude(house__building_id=F("building_id")).exists()
    # Cross-appointments: people with a post in a committee and one in a party body.
    assert (
        Person.objects.filter(posts__committee__isnull=False, posts__party_org__isnull=True)
        .filter(posts__party_org__isnull=False)
        .exists()
    )
    assert AgencyBranch.objects.count() == 3
    assert Cadre.objects.count() == 11
    assert not AgencyBranch.objects.filter(cadres__isnull=True).exists()
    public_grids = set(
        Grid.objects.filter(compounds__management_mode=ManagementMode.PUBLIC).values_list(
            "pk", flat=True
        )
    )
    assert set(Cadre.objects.values_list("grid_id", flat=True)) <= public_grids
    assert not Post.objects.exclude(street_id=F("person__street_id")).exists()


@pytest.mark.django_db
def test_seed_demo_small_scale_places_have_map_shapes() -> None:
    seed()

    west, south, east, north = DISTRICT_BOX
    for model in (Grid, Compound):
        for row in model.objects.all():
            assert south <= row.latitude <= north and west <= row.longitude <= east
            ring = row.boundary[0]
            assert ring[0] == ring[-1] and len(ring) == 5
            lngs = [point[0] for point in ring]
            lats = [point[1] for point in ring]
            assert min(lngs) < row.longitude < max(lngs)
            assert min(lats) < row.latitude < max(lats)
    # Compound rectangles never overlap.
    boxes = [
        (
            min(p[0] for p in c.boundary[0]),
            min(p[1] for p in c.boundary[0]),
            max(p[0] for p in c.boundary[0]),
            max(p[1] for p in c.boundary[0]),
        )
        for c in Compound.objects.all()
    ]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


@pytest.mark.django_db
def test_seed_demo_users_meet_in_one_public_compound() -> None:
    seed()

    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    assert sorted(users) == sorted(name for name, _ in DEMO_USERS)
    resident = users["demo-resident"]
    house = resident.assignments.get().house
    compound = house.compound
    assert compound.management_mode == ManagementMode.PUBLIC
    assert compound.company.kind == CompanyKind.PUBLIC
    assert compound.company.name == "郑州隆美物业服务有限公司"
    assert compound.street.name == "北下街街道"
    assert compound == (
        Compound.objects.filter(street__name="北下街街道", company=compound.company)
        .order_by("code")
        .first()
    )
    for username, role in DEMO_USERS:
        user = users[username]
        assert user.check_password("laoyuan-demo")
        assert list(user.assignments.values_list("role", flat=True)) == [role]
        assert scoped(Compound.objects.all(), user).filter(pk=compound.pk).exists(), username
    assert Residency.objects.filter(person=resident.person, house=house).exists()
    assert users["demo-district"].assignments.get().district is not None
    assert users["demo-inspector"].assignments.get().street == compound.street
    assert users["demo-grid"].assignments.get().grid == compound.grid
    assert users["demo-community"].assignments.get().community == compound.community
    assert users["demo-company"].assignments.get().company == compound.company
    assert users["demo-branch"].assignments.get().compound == compound
    assert users["demo-committee"].assignments.get().compound == compound
    assert not User.objects.filter(assignments__role=Role.MERCHANT).exists()


@pytest.mark.django_db
def test_seed_demo_password_option_sets_the_demo_password() -> None:
    seed("--password", "another-pass-9")

    user = User.objects.get(username="demo-branch")
    assert user.check_password("another-pass-9")
    assert not user.check_password("laoyuan-demo")


@pytest.mark.django_db
def test_seed_demo_same_seed_and_date_is_deterministic() -> None:
    first = build_and_forget(42)
    second = build_and_forget(42)
    other = build_and_forget(7)

    assert first == second
    assert len(first["work_orders"]) == 565
    assert first["work_orders"] != other["work_orders"]
    assert first["compounds"] != other["compounds"]
    assert first["people"] != other["people"]


@pytest.mark.django_db
def test_seed_demo_if_empty_leaves_a_built_registry_alone() -> None:
    seed()
    before = (Compound.objects.count(), Person.objects.count(), User.objects.count())

    out, _ = seed("--if-empty")

    assert "already has data (12 compounds)" in out
    assert (Compound.objects.count(), Person.objects.count(), User.objects.count()) == before


@pytest.mark.django_db
def test_seed_demo_if_empty_builds_into_an_empty_registry() -> None:
    out, _ = seed("--if-empty")

    assert "Demo district built" in out
    assert Compound.objects.count() == 12


def test_seed_demo_refuses_a_registry_that_is_not_empty(cast: Cast) -> None:
    before = (Compound.objects.count(), Person.objects.count(), User.objects.count())

    with pytest.raises(CommandError, match="not empty"):
        seed()

    assert (Compound.objects.count(), Person.objects.count(), User.objects.count()) == before


def test_seed_demo_if_empty_skips_other_data_quietly(cast: Cast) -> None:
    before = (Compound.objects.count(), Person.objects.count(), User.objects.count())

    out, _ = seed("--if-empty")

    assert "already has data (6 compounds)" in out
    assert (Compound.objects.count(), Person.objects.count(), User.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--today", "2023-12-31"], "2024-01-01 or later"),
        (["--today", "27/11/2026"], "YYYY-MM-DD"),
        (["--scale", "0.001"], "at least 0.01"),
    ],
)
def test_seed_demo_rejects_bad_options(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", *args, stdout=io.StringIO(), stderr=io.StringIO())

    assert not Compound.objects.exists()


@pytest.mark.django_db
def test_demo_logins_lists_users_scopes_and_password() -> None:
    seed()
    out = io.StringIO()

    call_command("demo_logins", stdout=out)

    text = out.getvalue()
    assert "password: laoyuan-demo" in text
    assert "http://127.0.0.1:8000/" in text
    for username, _ in DEMO_USERS:
        assert username in text
    assert "北下街街道" in text
    assert "郑州隆美物业服务有限公司" in text


@pytest.mark.django_db
def test_demo_logins_with_another_password_does_not_print_it() -> None:
    seed("--password", "another-pass-9")
    out = io.StringIO()

    call_command("demo_logins", stdout=out)

    assert "the password given to seed_demo" in out.getvalue()
    assert "another-pass-9" not in out.getvalue()


@pytest.mark.django_db
def test_demo_logins_without_demo_users_says_how_to_build_them() -> None:
    out = io.StringIO()

    call_command("demo_logins", stdout=out)

    assert "run `python manage.py seed_demo` first" in out.getvalue()


def test_seed_demo_refuses_the_published_password_outside_debug(db: None, settings) -> None:
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError, match="--password"):
        call_command("seed_demo", "--scale", "0.02", "--today", "2026-11-27")
    assert Compound.objects.count() == 0
