import pytest
from django.template import Context, Template
from django.test import RequestFactory

from laoyuan.accounts.enums import Role
from laoyuan.core.models import PersonalDataAccess
from laoyuan.core.personal import encrypt_id_number, id_number_check_char, id_number_hash
from laoyuan.factories import Cast
from laoyuan.people.models import Person


def url(person: Person, field: str) -> str:
    return f"/accounts/people/{person.pk}/reveal/{field}/"


@pytest.mark.parametrize(
    "who", [Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID, Role.COMPANY]
)
def test_reveal_phone_for_phone_roles_logs_one_access(client, cast: Cast, who: str) -> None:
    person = cast.a.resident_person
    viewer = cast.users[who]
    client.force_login(viewer)
    response = client.post(url(person, "phone"))
    assert response.status_code == 200
    assert (
        response.content.decode() == '<span class="revealed" data-field="phone">13812341234</span>'
    )
    assert response["Cache-Control"].startswith("max-age=0")
    assert list(PersonalDataAccess.objects.values_list("viewer_id", "person_id", "field")) == [
        (viewer.pk, person.pk, "phone")
    ]


def test_reveal_id_number_decrypts_and_logs(client, cast: Cast) -> None:
    number = "41010419800101123" + id_number_check_char("41010419800101123")
    person = cast.a.resident_person
    Person.objects.filter(pk=person.pk).update(
        id_number_encrypted=encrypt_id_number(number),
        id_number_hash=id_number_hash(number),
        id_number_tail=number[-4:],
    )
    client.force_login(cast.users[Role.COMPANY])
    assert client.post(url(person, "id_number")).status_code == 404
    client.force_login(cast.users[Role.STREET])
    response = client.post(url(person, "id_number"))
    assert number in response.content.decode()
    assert list(
        PersonalDataAccess.objects.filter(person_id=person.pk).values_list("viewer_id", "field")
    ) == [(cast.users[Role.STREET].pk, "id_number")]


def test_reveal_counts_only_the_scope_of_phone_roles(client, cast: Cast) -> None:
    """A grid worker of street B who is also an inspector in street A may not reveal A's phones."""
    from laoyuan.factories import grant

    user = cast.users[Role.INSPECTOR]
    grant(user, Role.GRID, cast.b.grid)
    client.force_login(user)
    assert client.post(url(cast.a.resident_person, "phone")).status_code == 404
    response = client.post(url(cast.b.resident_person, "phone"))
    assert response.status_code == 200
    assert list(PersonalDataAccess.objects.values_list("person_id", flat=True)) == [
        cast.b.resident_person.pk
    ]


@pytest.mark.parametrize(
    "who", ["outsider", Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.INSPECTOR]
)
def test_reveal_is_404_outside_scope_or_role(client, cast: Cast, who: str) -> None:
    client.force_login(cast.users[who])
    for field in ("phone", "id_number"):
        assert client.post(url(cast.a.resident_person, field)).status_code == 404
    assert PersonalDataAccess.objects.count() == 0


def test_reveal_refuses_get_unknown_fields_and_missing_values(client, cast: Cast) -> None:
    client.force_login(cast.users[Role.COMPANY])
    person = cast.a.resident_person
    assert client.get(url(person, "phone")).status_code == 405
    assert client.post(url(person, "name")).status_code == 404
    assert client.post(url(person, "id_number")).status_code == 404  # none registered
    assert client.post("/accounts/people/999999/reveal/phone/").status_code == 404
    assert PersonalDataAccess.objects.count() == 0


def test_reveal_anonymous_is_sent_to_login(client, cast: Cast) -> None:
    response = client.post(url(cast.a.resident_person, "phone"))
    assert response.status_code == 302
    assert PersonalDataAccess.objects.count() == 0


def test_masked_tag_offers_reveal_only_to_phone_roles(cast: Cast) -> None:
    template = Template("{% load accounts_tags %}{% masked person 'phone' %}")
    person = cast.a.resident_person
    for who, button in [(Role.COMPANY, True), (Role.BRANCH, False)]:
        request = RequestFactory().get("/")
        request.user = cast.users[who]
        html = template.render(Context({"request": request, "person": person}))
        assert "138****1234" in html
        assert "13812341234" not in html
        assert ("hx-post" in html) is button


def test_accounts_menu_tag_per_role(cast: Cast) -> None:
    template = Template(
        "{% load accounts_tags %}{% accounts_menu as m %}"
        "{{ m.users }} {{ m.bind }} {{ m.signup_requests }} {{ m.audit }}"
    )
    expected = {
        Role.DISTRICT: "True True True True",
        Role.STREET: "True True True True",
        Role.COMMUNITY: "True True True False",
        Role.COMPANY: "True True True False",
        Role.GRID: "False False False False",
        Role.RESIDENT: "False False False False",
        Role.INSPECTOR: "False False False False",
    }
    for who, line in expected.items():
        request = RequestFactory().get("/")
        request.user = cast.users[who]
        assert template.render(Context({"request": request})) == line, who
