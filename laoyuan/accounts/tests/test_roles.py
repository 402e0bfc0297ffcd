import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from laoyuan.accounts import queries, services
from laoyuan.accounts.enums import Role, ScopeLevel
from laoyuan.accounts.models import Invitation, RoleAssignment, User
from laoyuan.core.models import AuditEvent
from laoyuan.factories import PASSWORD, Cast, CompanyFactory, UserFactory, user_with
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound
from laoyuan.places.services import change_management_mode


def snapshot():
    return (
        User.objects.count(),
        RoleAssignment.objects.count(),
        RoleAssignment.objects.filter(revoked_at__isnull=False).count(),
        Invitation.objects.count(),
        AuditEvent.objects.count(),
    )


def link(token: str) -> str:
    return f"http://testserver/accounts/invitations/{token}/"


# --- services ------------------------------------------------------------------------------------


def test_grant_role_street_grants_community_in_its_street(cast: Cast) -> None:
    street = cast.users[Role.STREET]
    person = UserFactory(username="newcomer")
    assignment = services.grant_role(
        actor=street, user=person, role=Role.COMMUNITY, scope=cast.a.community
    )
    row = RoleAssignment.objects.get(user=person)
    assert row == assignment
    assert (row.role, row.level, row.community_id, row.granted_by_id, row.revoked_at) == (
        Role.COMMUNITY,
        ScopeLevel.COMMUNITY,
        cast.a.community.pk,
        street.pk,
        None,
    )
    event = AuditEvent.objects.get(action="role.granted")
    assert (event.actor_id, event.target_id, event.street_id) == (
        street.pk,
        row.pk,
        cast.a.street.pk,
    )
    assert event.changes["role"] == "community"


@pytest.mark.parametrize(
    ("role", "scope_name"),
    [
        (Role.COMMUNITY, "b.community"),  # another street's community
        (Role.COMPANY, "a.company"),  # a street may not grant company roles
        (Role.DISTRICT, "district"),  # nor district roles
        (Role.RESIDENT, "b.house"),
        (Role.BRANCH, "a.house"),  # wrong level for the role
    ],
)
def test_grant_role_street_outside_its_powers_writes_nothing(
    cast: Cast, role: str, scope_name: str
) -> None:
    scope = cast
    for part in scope_name.split("."):
        scope = getattr(scope, part)
    person = UserFactory(username="newcomer")
    before = snapshot()
    with pytest.raises(ValidationError):
        services.grant_role(actor=cast.users[Role.STREET], user=person, role=role, scope=scope)
    assert snapshot() == before


def test_grant_role_company_grants_residents_of_compounds_it_serves_only(cast: Cast) -> None:
    company = cast.users[Role.COMPANY]
    person = UserFactory(username="tenant")
    services.grant_role(
        actor=company, user=person, role=Role.RESIDENT, scope=cast.a.neighbour_house
    )
    assert list(RoleAssignment.objects.filter(user=person).values_list("house_id", flat=True)) == [
        cast.a.neighbour_house.pk
    ]
    other_house = cast.a.other_compound.houses.get()
    before = snapshot()
    with pytest.raises(ValidationError):
        services.grant_role(actor=company, user=person, role=Role.RESIDENT, scope=other_house)
    with pytest.raises(ValidationError):
        services.grant_role(actor=company, user=person, role=Role.BRANCH, scope=cast.a.compound)
    assert snapshot() == before


def test_grant_role_company_grants_company_role_for_itself_only(cast: Cast) -> None:
    company = cast.users[Role.COMPANY]
    person = UserFactory(username="clerk")
    services.grant_role(actor=company, user=person, role=Role.COMPANY, scope=cast.a.company)
    with pytest.raises(ValidationError):
        services.grant_role(actor=company, user=person, role=Role.COMPANY, scope=cast.b.company)
    assert RoleAssignment.objects.filter(user=person).count() == 1


def test_grant_role_twice_is_refused(cast: Cast) -> None:
    person = UserFactory(username="twice")
    street = cast.users[Role.STREET]
    services.grant_role(actor=street, user=person, role=Role.GRID, scope=cast.a.grid)
    with pytest.raises(ValidationError):
        services.grant_role(actor=street, user=person, role=Role.GRID, scope=cast.a.grid)
    assert RoleAssignment.objects.filter(user=person).count() == 1


def test_grant_role_needs_the_granting_role_itself(cast: Cast) -> None:
    """A street officer who is also a resident elsewhere gains no power there as a resident."""
    officer = cast.users[Role.STREET]
    RoleAssignment.objects.create(
        user=officer, role=Role.RESIDENT, level=ScopeLevel.HOUSE, house=cast.b.house
    )
    person = UserFactory(username="b-person")
    with pytest.raises(ValidationError):
        services.grant_role(actor=officer, user=person, role=Role.RESIDENT, scope=cast.b.house)
    assert not queries.may_grant(officer, role=Role.BRANCH, scope=cast.b.compound)
    assert not queries.may_grant(officer, role=Role.RESIDENT, scope=cast.b.neighbour_house)
    assert queries.may_grant(officer, role=Role.RESIDENT, scope=cast.a.neighbour_house)


@pytest.mark.parametrize(
    "role", [Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.INSPECTOR]
)
def test_grant_role_by_non_granting_roles_is_refused(cast: Cast, role: str) -> None:
    person = UserFactory(username="someone")
    before = snapshot()
    with pytest.raises(ValidationError):
        services.grant_role(
            actor=cast.users[role], user=person, role=Role.RESIDENT, scope=cast.a.house
        )
    assert snapshot() == before


def test_grant_scopes_per_role(cast: Cast) -> None:
    street = cast.users[Role.STREET]
    assert list(queries.grant_scopes(street, role=Role.COMMUNITY, level="community")) == [
        cast.a.community
    ]
    assert set(queries.grant_scopes(street, role=Role.BRANCH, level="compound")) == {
        cast.a.compound,
        cast.a.other_compound,
    }
    assert list(queries.grant_scopes(street, role=Role.INSPECTOR, level="street")) == [
        cast.a.street
    ]
    assert list(queries.grant_scopes(street, role=Role.INSPECTOR, level="district")) == []
    community = cast.users[Role.COMMUNITY]
    assert list(queries.grant_scopes(community, role=Role.GRID, level="grid")) == [cast.a.grid]
    assert list(queries.grant_scopes(community, role=Role.STREET, level="street")) == []
    company = cast.users[Role.COMPANY]
    assert set(queries.grant_scopes(company, role=Role.RESIDENT, level="house")) == {
        cast.a.house,
        cast.a.neighbour_house,
    }
    district = cast.users[Role.DISTRICT]
    assert queries.grant_scopes(district, role=Role.COMPANY, level="company").count() == 2


def test_revoke_role_keeps_the_row_and_audits(cast: Cast) -> None:
    street = cast.users[Role.STREET]
    target = RoleAssignment.objects.get(user=cast.users[Role.GRID])
    services.revoke_role(actor=street, assignment=target)
    target.refresh_from_db()
    assert target.revoked_by_id == street.pk
    assert target.revoked_at is not None
    assert RoleAssignment.objects.filter(pk=target.pk).exists()
    event = AuditEvent.objects.get(action="role.revoked")
    assert (event.target_id, event.street_id) == (target.pk, cast.a.street.pk)


def test_revoke_role_refused_for_outsider_own_role_and_twice(cast: Cast) -> None:
    target = RoleAssignment.objects.get(user=cast.users[Role.GRID])
    own = RoleAssignment.objects.get(user=cast.users[Role.STREET])
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.revoke_role(actor=cast.users["outsider"], assignment=target)
    with pytest.raises(PermissionDenied):
        services.revoke_role(actor=cast.users[Role.COMPANY], assignment=target)
    with pytest.raises(ValidationError):
        services.revoke_role(actor=cast.users[Role.STREET], assignment=own)
    assert snapshot() == before
    services.revoke_role(actor=cast.users[Role.STREET], assignment=target)
    with pytest.raises(ValidationError):
        services.revoke_role(actor=cast.users[Role.STREET], assignment=target)


def test_invite_user_creates_account_role_and_link(
    cast: Cast, sms, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    street = cast.users[Role.STREET]
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invite_user(
            actor=street,
            name="王芳",
            phone="13700001234",
            email="wangfang@example.com",
            role=Role.COMMUNITY,
            scope=cast.a.community,
            accept_url=link,
        )
    user = User.objects.get(username="13700001234")
    assert (user.phone, user.email, user.first_name, user.has_usable_password()) == (
        "13700001234",
        "wangfang@example.com",
        "王芳",
        False,
    )
    assert invitation.assignment.user == user
    assert invitation.assignment.community == cast.a.community
    assert invitation.token != token and len(invitation.token) == 64
    assert timezone.now() + datetime.timedelta(days=6, hours=23) < invitation.expires_at
    assert len(sms) == 1 and sms[0][0] == "13700001234" and link(token) in sms[0][1]
    assert len(mailoutbox) == 1 and link(token) in mailoutbox[0].body
    assert list(
        AuditEvent.objects.values_list("action", "street_id").filter(action__startswith="role")
    ) == [("role.invited", cast.a.street.pk)]


def test_invite_user_refuses_existing_account_and_foreign_scope(cast: Cast, sms) -> None:
    before = snapshot()
    with pytest.raises(ValidationError):
        services.invite_user(
            actor=cast.users[Role.STREET],
            name="x",
            phone="",
            email="",
            role=Role.COMMUNITY,
            scope=cast.a.community,
            accept_url=link,
        )
    UserFactory(username="13700009999")
    before = snapshot()
    with pytest.raises(ValidationError):
        services.invite_user(
            actor=cast.users[Role.STREET],
            name="x",
            phone="13700009999",
            email="",
            role=Role.COMMUNITY,
            scope=cast.a.community,
            accept_url=link,
        )
    with pytest.raises(ValidationError):
        services.invite_user(
            actor=cast.users[Role.STREET],
            name="x",
            phone="13700008888",
            email="",
            role=Role.COMMUNITY,
            scope=cast.b.community,
            accept_url=link,
        )
    assert snapshot() == before
    assert sms == []


# --- pages ---------------------------------------------------------------------------------------


def usernames(response) -> list[str]:
    return re.findall(r'data-user="([^"]+)"', response.content.decode())


def test_users_page_lists_people_with_roles_in_scope(client, cast: Cast) -> None:
    expected = {
        Role.DISTRICT: [
            "branch",
            "committee",
            "community",
            "company",
            "district",
            "grid",
            "inspector",
            "outsider",
            "resident",
            "street",
        ],
        Role.STREET: [
            "branch",
            "committee",
            "community",
            "company",
            "grid",
            "inspector",
            "resident",
            "street",
        ],
        # A company serving the community's compounds is not the community's to manage.
        Role.COMMUNITY: ["branch", "committee", "community", "grid", "resident"],
        Role.COMPANY: ["branch", "committee", "company", "resident"],
        "outsider": ["outsider"],
    }
    for role, names in expected.items():
        client.force_login(cast.users[role])
        response = client.get("/accounts/users/")
        assert response.status_code == 200, role
        assert usernames(response) == names, role
        assert f'data-count="{len(names)}"' in response.content.decode()


def test_users_page_shows_only_in_scope_roles_of_a_person(client, cast: Cast) -> None:
    both = user_with(Role.GRID, cast.a.grid, "two-streets")
    RoleAssignment.objects.create(
        user=both, role=Role.GRID, level=ScopeLevel.GRID, grid=cast.b.grid
    )
    client.force_login(cast.users["outsider"])
    text = client.get("/accounts/users/?q=two-streets").content.decode()
    assert cast.b.grid.name in text
    assert cast.a.grid.name not in text


@pytest.mark.parametrize(
    "role", [Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.INSPECTOR]
)
def test_user_pages_are_404_for_roles_that_do_not_grant(client, cast: Cast, role: str) -> None:
    client.force_login(cast.users[role])
    for url in ("/accounts/users/", "/accounts/users/grant/", "/accounts/users/invite/"):
        assert client.get(url).status_code == 404, url


def test_user_pages_send_anonymous_to_login(client, cast: Cast) -> None:
    for url in ("/accounts/users/", "/accounts/users/grant/", "/accounts/users/invite/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_users_page_query_count_does_not_grow_with_rows(
    client, cast: Cast, django_assert_num_queries
) -> None:
    client.force_login(cast.users[Role.STREET])
    client.get("/accounts/users/")  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/accounts/users/")
    for n in range(3):
        user_with(Role.RESIDENT, cast.a.neighbour_house, f"extra{n}")
        user_with(Role.BRANCH, cast.a.other_compound, f"branch{n}")
    with CaptureQueriesContext(connection) as more:
        response = client.get("/accounts/users/")
    assert len(usernames(response)) == 14
    assert len(more.captured_queries) == len(one.captured_queries)


def test_grant_page_street_grants_a_role(client, cast: Cast) -> None:
    person = UserFactory(username="newbie")
    client.force_login(cast.users[Role.STREET])
    response = client.post(
        "/accounts/users/grant/",
        {"account": "newbie", "role": "grid", "scope": f"grid:{cast.a.grid.pk}"},
    )
    assert response.status_code == 302
    assert list(RoleAssignment.objects.filter(user=person).values_list("role", "grid_id")) == [
        ("grid", cast.a.grid.pk)
    ]


def test_grant_page_lists_only_scopes_the_actor_may_use(client, cast: Cast) -> None:
    client.force_login(cast.users[Role.STREET])
    text = client.get("/accounts/users/grant/?role=community").content.decode()
    assert f'value="community:{cast.a.community.pk}"' in text
    assert f'value="community:{cast.b.community.pk}"' not in text
    assert 'value="company"' not in text
    assert 'value="district"' not in text


def test_grant_page_crafted_foreign_scope_is_a_form_error(client, cast: Cast) -> None:
    UserFactory(username="newbie")
    client.force_login(cast.users[Role.STREET])
    before = snapshot()
    for data in (
        {"role": "community", "scope": f"community:{cast.b.community.pk}"},
        {"role": "company", "scope": f"company:{cast.a.company.pk}"},
        {"role": "resident", "compound": cast.b.compound.pk, "house": cast.b.house.pk},
        {"role": "resident", "compound": cast.a.compound.pk, "house": cast.b.house.pk},
        {"role": "grid", "scope": f"community:{cast.a.community.pk}"},
    ):
        response = client.post("/accounts/users/grant/", {"account": "newbie", **data})
        assert response.status_code == 200, data
        assert "invalid-feedback" in response.content.decode(), data
    assert snapshot() == before


def test_grant_page_refresh_redraws_choices_without_writing(client, cast: Cast) -> None:
    client.force_login(cast.users[Role.COMPANY])
    before = snapshot()
    response = client.post(
        "/accounts/users/grant/",
        {"_refresh": "1", "account": "x", "role": "resident", "compound": cast.a.compound.pk},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert text.startswith("<form")
    assert f'value="{cast.a.house.pk}"' in text
    assert f'value="{cast.a.neighbour_house.pk}"' in text
    assert "invalid-feedback" not in text
    assert snapshot() == before


def test_invite_page_sends_link_and_link_sets_password(
    client, cast: Cast, sms, django_capture_on_commit_callbacks
) -> None:
    client.force_login(cast.users[Role.COMMUNITY])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/users/invite/",
            {
                "name": "李娜",
                "phone": "13600002222",
                "email": "",
                "role": "committee",
                "scope": f"compound:{cast.a.compound.pk}",
            },
        )
    assert response.status_code == 302
    url = re.search(r"http://testserver(\S+)", sms[0][1]).group(1)
    client.logout()
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"new_password1": "Quiet-River-88", "new_password2": "Quiet-River-88"}
    )
    assert response.status_code == 302
    user = User.objects.get(username="13600002222")
    assert user.check_password("Quiet-River-88")
    assert Invitation.objects.get().accepted_at is not None
    assert client.get(url).status_code == 404  # the link works once
    client.logout()
    login = client.post(
        "/accounts/login/", {"username": "13600002222", "password": "Quiet-River-88"}
    )
    assert login.status_code == 302


def test_invite_link_expired_or_revoked_is_404(client, cast: Cast, sms) -> None:
    invitation, token = services.invite_user(
        actor=cast.users[Role.STREET],
        name="赵六",
        phone="13600003333",
        email="",
        role=Role.GRID,
        scope=cast.a.grid,
        accept_url=link,
    )
    url = f"/accounts/invitations/{token}/"
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"new_password1": "Quiet-River-88", "new_password2": "Quiet-River-88"}
    )
    assert response.status_code == 404
    assert not User.objects.get(username="13600003333").has_usable_password()
    Invitation.objects.update(expires_at=timezone.now() + datetime.timedelta(days=1))
    services.revoke_role(actor=cast.users[Role.STREET], assignment=invitation.assignment)
    assert client.get(url).status_code == 404
    assert client.get("/accounts/invitations/not-a-token/").status_code == 404


def test_invite_page_outside_scope_writes_nothing(client, cast: Cast, sms) -> None:
    client.force_login(cast.users["outsider"])
    before = snapshot()
    response = client.post(
        "/accounts/users/invite/",
        {"name": "x", "phone": "13600004444", "role": "grid", "scope": f"grid:{cast.a.grid.pk}"},
    )
    assert response.status_code == 200
    assert snapshot() == before
    assert sms == []


def test_revoke_page_street_revokes(client, cast: Cast) -> None:
    target = RoleAssignment.objects.get(user=cast.users[Role.BRANCH])
    client.force_login(cast.users[Role.STREET])
    response = client.post(f"/accounts/roles/{target.pk}/revoke/")
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.revoked_by == cast.users[Role.STREET]


@pytest.mark.parametrize("who", ["outsider", Role.COMPANY, Role.GRID, Role.RESIDENT])
def test_revoke_page_is_404_for_others(client, cast: Cast, who: str) -> None:
    target = RoleAssignment.objects.get(user=cast.users[Role.BRANCH])
    client.force_login(cast.users[who])
    before = snapshot()
    assert client.post(f"/accounts/roles/{target.pk}/revoke/").status_code == 404
    assert snapshot() == before


def test_revoke_page_answers_post_only(client, cast: Cast) -> None:
    target = RoleAssignment.objects.get(user=cast.users[Role.BRANCH])
    client.force_login(cast.users[Role.STREET])
    assert client.get(f"/accounts/roles/{target.pk}/revoke/").status_code == 405


def test_revoke_own_role_is_refused_with_a_message(client, cast: Cast) -> None:
    own = RoleAssignment.objects.get(user=cast.users[Role.STREET])
    client.force_login(cast.users[Role.STREET])
    before = snapshot()
    response = client.post(f"/accounts/roles/{own.pk}/revoke/", follow=True)
    assert "You cannot revoke your own role" in response.content.decode()
    assert snapshot() == before


def test_password_constant_is_used(cast: Cast) -> None:
    assert cast.users[Role.STREET].check_password(PASSWORD)


def foreign_company_serving_c(cast: Cast) -> PropertyCompany:
    """A professional company of district A serving a compound of A and one of district C."""
    company = CompanyFactory(district=cast.district, name="甲区专业物业")
    change_management_mode(
        compound=cast.a.other_compound,
        mode=ManagementMode.PROFESSIONAL,
        company=company,
        effective_on=datetime.date(2022, 1, 1),
        reason="contract",
        actor=None,
    )
    # The service refuses a first compound outside the company's district; such links come
    # from older records, so the test writes it directly.
    Compound.objects.filter(pk=cast.c.other_compound.pk).update(
        management_mode=ManagementMode.PROFESSIONAL, company=company
    )
    return company


def test_grant_role_company_of_another_district_is_refused(cast: Cast) -> None:
    company = foreign_company_serving_c(cast)
    other = cast.users["other_district"]
    assert company not in queries.grant_scopes(other, role=Role.COMPANY, level="company")
    person = UserFactory(username="intruder")
    before = snapshot()
    with pytest.raises(ValidationError):
        services.grant_role(actor=other, user=person, role=Role.COMPANY, scope=company)
    assert snapshot() == before
    services.grant_role(
        actor=cast.users[Role.DISTRICT], user=person, role=Role.COMPANY, scope=company
    )
    assert RoleAssignment.objects.filter(user=person, company=company).count() == 1


def test_users_and_revoke_pages_hide_company_of_another_district(client, cast: Cast) -> None:
    company = foreign_company_serving_c(cast)
    manager = user_with(Role.COMPANY, company, "pro-manager")
    target = RoleAssignment.objects.get(user=manager)
    client.force_login(cast.users["other_district"])
    assert "pro-manager" not in usernames(client.get("/accounts/users/"))
    before = snapshot()
    assert client.post(f"/accounts/roles/{target.pk}/revoke/").status_code == 404
    assert snapshot() == before
    client.force_login(cast.users[Role.DISTRICT])
    assert "pro-manager" in usernames(client.get("/accounts/users/"))
    assert client.post(f"/accounts/roles/{target.pk}/revoke/").status_code == 302
    target.refresh_from_db()
    assert target.revoked_by == cast.users[Role.DISTRICT]
