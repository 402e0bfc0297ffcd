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
