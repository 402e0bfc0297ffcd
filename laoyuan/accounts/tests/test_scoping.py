import pytest
from django.http import Http404

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import get_scoped_or_404, scoped
from laoyuan.factories import Cast
from laoyuan.orgs.models import PropertyCompany
from laoyuan.people.models import Person
from laoyuan.places.models import Compound, House, Street


def codes(qs):
    return sorted(qs.values_list("name", flat=True))


def test_each_role_sees_its_compounds(cast: Cast) -> None:
    expected = {
        Role.DISTRICT: ["乙一号院", "乙二号院", "甲一号院", "甲二号院"],
        Role.STREET: ["甲一号院", "甲二号院"],
        Role.COMMUNITY: ["甲一号院", "甲二号院"],
        Role.GRID: ["甲一号院", "甲二号院"],
        Role.BRANCH: ["甲一号院"],
        Role.COMPANY: ["甲一号院"],
        Role.COMMITTEE: ["甲一号院"],
        Role.RESIDENT: ["甲一号院"],
        Role.INSPECTOR: ["甲一号院", "甲二号院"],
        "outsider": ["乙一号院", "乙二号院"],
    }
    for role, names in expected.items():
        assert codes(scoped(Compound.objects.all(), cast.users[role])) == names, role


def test_resident_sees_only_own_house_and_self(cast: Cast) -> None:
    resident = cast.users[Role.RESIDENT]
    assert list(scoped(House.objects.all(), resident)) == [cast.a.house]
    assert list(scoped(Person.objects.all(), resident)) == [cast.a.resident_person]


def test_outsider_gets_404_for_other_street(cast: Cast) -> None:
    outsider = cast.users["outsider"]
    with pytest.raises(Http404):
        get_scoped_or_404(Compound.objects.all(), outsider, pk=cast.a.compound.pk)
    with pytest.raises(Http404):
        get_scoped_or_404(Street.objects.all(), outsider, pk=cast.a.street.pk)
    assert get_scoped_or_404(Compound.objects.all(), outsider, pk=cast.b.compound.pk)


def test_company_sees_itself_and_street_sees_its_company(cast: Cast) -> None:
    assert list(scoped(PropertyCompany.objects.all(), cast.users[Role.COMPANY])) == [cast.a.company]
    assert list(scoped(PropertyCompany.objects.all(), cast.users[Role.STREET])) == [cast.a.company]


def test_revoked_role_sees_nothing(cast: Cast) -> None:
    from django.utils import timezone

    user = cast.users[Role.STREET]
    user.assignments.update(revoked_at=timezone.now())
    user.refresh_from_db()
    assert scoped(Compound.objects.all(), user).count() == 0


def test_district_office_sees_only_its_district(cast: Cast) -> None:
    from laoyuan.orgs.models import AgencyBranch, Cadre, Committee, PartyOrg

    district = cast.users[Role.DISTRICT]
    other = cast.users["other_district"]
    assert codes(scoped(Compound.objects.all(), other)) == ["丙一号院", "丙二号院"]
    assert "丙一号院" not in codes(scoped(Compound.objects.all(), district))
    for model in (PropertyCompany, AgencyBranch, Committee, PartyOrg, Street):
        mine = set(scoped(model.objects.all(), district).values_list("name", flat=True))
        theirs = set(scoped(model.objects.all(), other).values_list("name", flat=True))
        assert mine and theirs, model
        assert all(name.startswith(("甲", "乙")) for name in mine), (model, mine)
        assert all(name.startswith("丙") for name in theirs), (model, theirs)
    assert scoped(Cadre.objects.all(), district).count() == 2
    assert list(scoped(Cadre.objects.all(), other).values_list("person__name", flat=True)) == [
        "丙干部"
    ]


def test_company_serving_another_district_is_seen_there_too(cast: Cast) -> None:
    """A company registered in district C that takes over a compound of district A is visible
    to district A's office through the compound it serves, and only that one."""
    from laoyuan.factories import public_takeover

    other_company = cast.c.company
    other_company.street = cast.a.street  # lent to street A for this test
    other_company.save()
    public_takeover(cast.a.other_compound, other_company)
    seen = scoped(PropertyCompany.objects.all(), cast.users[Role.DISTRICT])
    assert other_company in seen


def test_inspector_and_merchant_see_no_residents(cast: Cast) -> None:
    from laoyuan.factories import user_with
    from laoyuan.people.models import Residency

    merchant = user_with(Role.MERCHANT, cast.a.street)
    for user in (cast.users[Role.INSPECTOR], merchant):
        assert scoped(Compound.objects.all(), user).count() == 2
        assert scoped(Person.objects.all(), user).count() == 0
        assert scoped(Residency.objects.all(), user).count() == 0


def test_scope_for_roles_counts_only_those_roles(cast: Cast) -> None:
    from laoyuan.accounts.scoping import scope_for
    from laoyuan.factories import grant

    user = cast.users[Role.INSPECTOR]
    grant(user, Role.GRID, cast.b.grid)
    assert scope_for(user).street == frozenset({cast.a.street.pk})
    assert scope_for(user).grid == frozenset({cast.b.grid.pk})
    grid_only = scope_for(user, [Role.GRID])
    assert grid_only.street == frozenset()
    assert grid_only.grid == frozenset({cast.b.grid.pk})
    assert grid_only.roles == frozenset({Role.GRID})
