import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from laoyuan.accounts import services
from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import RoleAssignment
from laoyuan.accounts.scoping import scoped
from laoyuan.core.models import AuditEvent, PersonalDataAccess
from laoyuan.core.personal import (
    decrypt_id_number,
    encrypt_id_number,
    id_number_check_char,
    id_number_hash,
)
from laoyuan.factories import Cast, UserFactory
from laoyuan.people.models import Person, Residency


def valid_id(first17: str = "41010419800101123") -> str:
    return first17 + id_number_check_char(first17)


def snapshot():
    return (
        Person.objects.count(),
        Residency.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
    )


def test_bind_resident_new_person_with_id_number(cast: Cast) -> None:
    number = valid_id()
    binding = services.bind_resident(
        actor=cast.users[Role.COMPANY],
        house=cast.a.neighbour_house,
        household_role="tenant",
        name="孙七",
        phone="135 1111-2222",
        id_number=number.lower(),
    )
    assert binding.matched_existing is False
    residency = binding.residency
    person = residency.person
    assert (person.name, person.phone, person.street_id) == (
        "孙七",
        "13511112222",
        cast.a.street.pk,
    )
    assert number not in person.id_number_encrypted
    assert decrypt_id_number(person.id_number_encrypted) == number
    assert person.id_number_hash == id_number_hash(number)
    assert person.id_number_tail == number[-4:]
    assert person.masked_id_number == "*" * 14 + number[-4:]
    assert (residency.house, residency.compound, residency.role) == (
        cast.a.neighbour_house,
        cast.a.compound,
        "tenant",
    )
    cast.a.compound.refresh_from_db()
    assert cast.a.compound.residents == 3
    event = AuditEvent.objects.get(action="resident.bound")
    assert (event.target_id, event.street_id) == (residency.pk, cast.a.street.pk)
    assert "孙七" not in event.summary


def give_id_number(person: Person, number: str) -> None:
    Person.objects.filter(pk=person.pk).update(
        id_number_encrypted=encrypt_id_number(number),
        id_number_hash=id_number_hash(number),
        id_number_tail=number[-4:],
    )


def test_bind_resident_known_id_number_links_the_same_person_in_another_street(
    cast: Cast,
) -> None:
    """An owner with a house in street B gets a house in street A: one person, two houses. The
    name must be the registered one (compared without spaces, full-width ones included)."""
    number = valid_id()
    owner = cast.b.resident_person
    give_id_number(owner, number)
    Person.objects.filter(pk=owner.pk).update(street=cast.b.street)
    people = Person.objects.count()
    binding = services.bind_resident(
        actor=cast.users[Role.COMMUNITY],
        house=cast.a.neighbour_house,
        household_role="owner",
        name=" 乙\u3000居民",
        phone="13522223333",
        id_number=number,
    )
    assert binding.matched_existing is True
    assert binding.residency.person_id == owner.pk
    assert Person.objects.count() == people
    # The link to a record found by ID number is logged.
    assert list(
        PersonalDataAccess.objects.values_list("viewer_id", "person_id", "field", "purpose")
    ) == [(cast.users[Role.COMMUNITY].pk, owner.pk, "id_number_match", "bind")]
    owner.refresh_from_db()
    # The record is kept as it was: the phone entered is not used.
    assert (owner.name, owner.phone, owner.street_id) == ("乙居民", "13812341234", cast.b.street.pk)
    assert set(Residency.objects.filter(person=owner).values_list("house_id", flat=True)) == {
        cast.b.house.pk,
        cast.a.neighbour_house.pk,
    }
    cast.a.compound.refresh_from_db()
    assert cast.a.compound.residents == 3
    event = AuditEvent.objects.get(action="resident.bound")
    assert (event.street_id, event.summary) == (
        cast.a.street.pk,
        f"person #{owner.pk} → 甲一号院 1号楼-1-102 (owner)",
    )
    # Each street sees the house in its own street, not the other.
    for who, house in [(Role.COMMUNITY, cast.a.neighbour_house), ("outsider", cast.b.house)]:
        seen = scoped(Residency.objects.filter(person=owner), cast.users[who])
        assert list(seen.values_list("house_id", flat=True)) == [house.pk], who


def test_bind_resident_same_person_twice_in_one_house_is_refused(cast: Cast) -> None:
    number = valid_id()
    first = services.bind_resident(
        actor=cast.users[Role.COMMUNITY],
        house=cast.a.house,
        household_role="family",
        name="周八",
        id_number=number,
    )
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.bind_resident(
            actor=cast.users[Role.COMMUNITY],
            house=cast.a.house,
            household_role="owner",
            name="周八",
            id_number=number,
        )
    assert list(caught.value.message_dict) == ["id_number"]
    assert snapshot() == before
    # The same person in the next house is fine.
    second = services.bind_resident(
        actor=cast.users[Role.COMMUNITY],
        house=cast.a.neighbour_house,
        household_role="owner",
        name="周八",
        id_number=number,
    )
    assert (second.matched_existing, second.residency.person_id) == (
        True,
        first.residency.person_id,
    )


def test_bind_resident_known_id_number_under_another_name_is_refused(cast: Cast) -> None:
    """ID numbers can be enumerated: a number alone does not hand over another street's
    resident record."""
    number = valid_id()
    owner = cast.b.resident_person
    give_id_number(owner, number)
    before = snapshot()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.bind_resident(
            actor=cast.users[Role.COMMUNITY],
            house=cast.a.neighbour_house,
            household_role="owner",
            name="郑十",
            phone="13522223333",
            id_number=number,
        )
    assert caught.value.message_dict == {
        "id_number": [
            "This ID number is registered under another name. Check the name and the number; "
            "a correction goes through the office that registered the resident."
        ]
    }
    assert snapshot() == before
    assert not PersonalDataAccess.objects.exists()
    assert list(Residency.objects.filter(person=owner).values_list("house_id", flat=True)) == [
        cast.b.house.pk
    ]
    # The community still sees nothing of the record.
    assert not scoped(Person.objects.filter(pk=owner.pk), cast.users[Role.COMMUNITY]).exists()


def test_bind_resident_new_person_is_not_logged_as_a_match(cast: Cast) -> None:
    services.bind_resident(
        actor=cast.users[Role.COMMUNITY],
        house=cast.a.neighbour_house,
        household_role="owner",
        name="钱五",
        id_number=valid_id(),
    )
    assert not PersonalDataAccess.objects.exists()


def test_bind_resident_errors_do_not_tell_whether_an_id_number_is_on_record(cast: Cast) -> None:
    known = valid_id()
    unknown = valid_id("41010419900101123")
    give_id_number(cast.b.resident_person, known)
    before = snapshot()
    answers = []
    for number in (known, unknown):
        with pytest.raises(ValidationError) as caught:
            services.bind_resident(
                actor=cast.users[Role.COMMUNITY],
                house=cast.a.neighbour_house,
                household_role="owner",
                name="",
                phone="123",
                id_number=number,
            )
        answers.append(caught.value.message_dict)
    assert answers[0] == answers[1]
    assert set(answers[0]) == {"name", "phone"}
    assert snapshot() == before


def test_bind_resident_invalid_id_and_missing_name_write_nothing(cast: Cast) -> None:
    number = valid_id()
    wrong_check = number[:17] + ("1" if number[17] == "0" else "0")
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.bind_resident(
            actor=cast.users[Role.COMPANY],
            house=cast.a.house,
            household_role="owner",
            name="",
            phone="123",
            id_number=wrong_check,
        )
    assert set(caught.value.message_dict) == {"name", "phone", "id_number"}
    assert snapshot() == before


@pytest.mark.parametrize("who", ["outsider", Role.GRID, Role.BRANCH, Role.RESIDENT])
def test_bind_resident_outside_powers_writes_nothing(cast: Cast, who: str) -> None:
    before = snapshot()
    with pytest.raises(ValidationError):
        services.bind_resident(
            actor=cast.users[who], house=cast.a.house, household_role="owner", name="x"
        )
    assert snapshot() == before


def test_bind_resident_company_cannot_bind_in_compound_it_does_not_serve(cast: Cast) -> None:
    before = snapshot()
    with pytest.raises(ValidationError):
        services.bind_resident(
            actor=cast.users[Role.COMPANY],
            house=cast.a.other_compound.houses.get(),
            household_role="owner",
            name="x",
        )
    assert snapshot() == before


def test_bind_resident_existing_person_with_account(cast: Cast) -> None:
    account = UserFactory(username="13812341234", phone="13812341234")
    person = cast.a.resident_person
    services.bind_resident(
        actor=cast.users[Role.COMPANY],
        house=cast.a.neighbour_house,
        household_role="owner",
        person=person,
        user=account,
    )
    assert set(Residency.objects.filter(person=person).values_list("house_id", flat=True)) == {
        cast.a.house.pk,
        cast.a.neighbour_house.pk,
    }
    account.refresh_from_db()
    assert account.person == person
    assert list(RoleAssignment.objects.filter(user=account).values_list("role", "house_id")) == [
        ("resident", cast.a.neighbour_house.pk)
    ]
    assert sorted(
        AuditEvent.objects.filter(action__in=["resident.bound", "role.granted"]).values_list(
            "action", flat=True
        )
    ) == [
        "resident.bound",
        "role.granted",
    ]
    with pytest.raises(ValidationError):
        services.bind_resident(
            actor=cast.users[Role.COMPANY],
            house=cast.a.neighbour_house,
            household_role="owner",
            person=person,
        )


def test_bind_resident_refuses_person_outside_scope(cast: Cast) -> None:
    before = snapshot()
    with pytest.raises(ValidationError):
        services.bind_resident(
            actor=cast.users[Role.COMPANY],
            house=cast.a.neighbour_house,
            household_role="owner",
            person=cast.b.resident_person,
        )
    assert snapshot() == before


# --- page ----------------------------------------------------------------------------------------


def test_bind_page_company_binds_new_resident(client, cast: Cast) -> None:
    client.force_login(cast.users[Role.COMPANY])
    page = client.get(f"/accounts/residents/bind/?compound={cast.a.compound.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert cast.a.compound.name in text
    assert cast.b.compound.name not in text
    assert f'<option value="{cast.a.neighbour_house.pk}">1号楼-1-102</option>' in text
    assert "138****1234" in text  # the compound's residents, masked
    response = client.post(
        "/accounts/residents/bind/",
        {
            "compound": cast.a.compound.pk,
            "house": cast.a.neighbour_house.pk,
            "name": "吴九",
            "phone": "13522223333",
            "id_number": "",
            "household_role": "owner",
        },
    )
    assert response.status_code == 302
    assert Residency.objects.filter(house=cast.a.neighbour_house, person__name="吴九").count() == 1


def test_bind_page_known_id_number_says_only_that_it_matched(client, cast: Cast) -> None:
    number = valid_id()
    give_id_number(cast.b.resident_person, number)
    client.force_login(cast.users[Role.COMMUNITY])
    response = client.post(
        "/accounts/residents/bind/",
        {
            "compound": cast.a.compound.pk,
            "house": cast.a.neighbour_house.pk,
            "name": "乙居民",
            "id_number": number,
            "household_role": "owner",
        },
        follow=True,
    )
    assert response.redirect_chain == [("/accounts/residents/bind/", 302)]
    text = response.content.decode()
    assert (
        "The ID number matched an existing resident record, which is kept as it is and is now "
        "linked to 1号楼-1-102."
    ) in text
    # Nothing of the record or where else the person lives.
    for secret in ("乙居民", cast.b.compound.name, cast.b.street.name, number):
        assert secret not in text, secret
    assert Residency.objects.filter(
        person=cast.b.resident_person, house=cast.a.neighbour_house
    ).exists()


def test_bind_page_known_id_number_under_another_name_is_a_form_error(client, cast: Cast) -> None:
    number = valid_id()
    give_id_number(cast.b.resident_person, number)
    client.force_login(cast.users[Role.COMMUNITY])
    before = snapshot()
    response = client.post(
        "/accounts/residents/bind/",
        {
            "compound": cast.a.compound.pk,
            "house": cast.a.neighbour_house.pk,
            "name": "郑十",
            "id_number": number,
            "household_role": "owner",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "This ID number is registered under another name." in text
    for secret in ("乙居民", cast.b.compound.name, cast.b.street.name):
        assert secret not in text, secret
    assert snapshot() == before
    assert not PersonalDataAccess.objects.exists()


def test_bind_page_new_resident_is_named_in_the_message(client, cast: Cast) -> None:
    client.force_login(cast.users[Role.COMMUNITY])
    response = client.post(
        "/accounts/residents/bind/",
        {
            "compound": cast.a.compound.pk,
            "house": cast.a.neighbour_house.pk,
            "name": "郑十",
            "id_number": valid_id(),
            "household_role": "owner",
        },
        follow=True,
    )
    assert "郑十 is now linked to 1号楼-1-102." in response.content.decode()


def test_bind_page_crafted_foreign_house_is_a_form_error(client, cast: Cast) -> None:
    client.force_login(cast.users[Role.COMPANY])
    before = snapshot()
    for data in (
        {"compound": cast.b.compound.pk, "house": cast.b.house.pk},
        {"compound": cast.a.compound.pk, "house": cast.b.house.pk},
        {
            "compound": cast.a.compound.pk,
            "house": cast.a.house.pk,
            "person": cast.b.resident_person.pk,
        },
    ):
        response = client.post(
            "/accounts/residents/bind/", {"name": "x", "household_role": "owner", **data}
        )
        assert response.status_code == 200, data
    assert snapshot() == before


@pytest.mark.parametrize(
    "who", [Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.INSPECTOR]
)
def test_bind_page_is_404_for_other_roles(client, cast: Cast, who: str) -> None:
    client.force_login(cast.users[who])
    before = snapshot()
    assert client.get("/accounts/residents/bind/").status_code == 404
    assert client.post("/accounts/residents/bind/", {"name": "x"}).status_code == 404
    assert snapshot() == before


def test_bind_page_outsider_sees_no_houses_of_street_a(client, cast: Cast) -> None:
    client.force_login(cast.users["outsider"])
    text = client.get(f"/accounts/residents/bind/?compound={cast.a.compound.pk}").content.decode()
    assert cast.a.compound.name not in text
    assert f'value="{cast.b.compound.pk}"' in text
