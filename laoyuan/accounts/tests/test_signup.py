import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from laoyuan.accounts import services
from laoyuan.accounts.enums import Role, SignupStatus
from laoyuan.accounts.models import PhoneCode, RoleAssignment, SignupRequest, User
from laoyuan.accounts.scoping import scoped
from laoyuan.core.models import AuditEvent
from laoyuan.factories import Cast
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import House

PHONE = "13999990000"


def code_in(sms) -> str:
    return re.search(r"\b(\d{6})\b", sms[-1][1]).group(1)


def send(phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.send_phone_code(phone=phone)


def sign_up_through_pages(client, cast: Cast, sms, callbacks, phone=PHONE, house=None):
    house = house or cast.a.neighbour_house
    with callbacks(execute=True):
        response = client.post("/accounts/signup/", {"phone": phone})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/code/"
    response = client.post("/accounts/signup/code/", {"code": code_in(sms)})
    assert response["Location"] == "/accounts/signup/details/"
    search = client.get(f"/accounts/signup/details/?q={house.compound.name}")
    assert f'<option value="{house.compound.pk}">' in search.content.decode()
    response = client.post(
        "/accounts/signup/details/",
        {
            "q": house.compound.name,
            "compound": house.compound.pk,
            "building": house.building.pk,
            "house": house.pk,
            "household_role": "owner",
            "name": "钱十一",
            "password1": "Quiet-River-88",
            "password2": "Quiet-River-88",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/accounts/signup/status/"
    return SignupRequest.objects.get(user__username=phone)


# --- one-time codes ------------------------------------------------------------------------------


def test_send_phone_code_stores_only_a_hash_and_texts_the_code(
    db, sms, django_capture_on_commit_callbacks
) -> None:
    row = send(PHONE, django_capture_on_commit_callbacks)
    code = code_in(sms)
    assert sms[0][0] == PHONE
    assert len(code) == 6
    assert code not in row.code_hash
    assert PhoneCode.objects.get().code_hash == row.code_hash
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - datetime.timedelta(minutes=10)) < datetime.timedelta(seconds=1)


def test_send_phone_code_once_a_minute(db, sms, django_capture_on_commit_callbacks) -> None:
    send(PHONE, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        send(PHONE, django_capture_on_commit_callbacks)
    assert PhoneCode.objects.count() == 1
    assert len(sms) == 1
    send("13999990001", django_capture_on_commit_callbacks)  # another phone is not held up
    PhoneCode.objects.filter(phone=PHONE).update(
        created_at=timezone.now() - datetime.timedelta(seconds=61)
    )
    send(PHONE, django_capture_on_commit_callbacks)
    assert PhoneCode.objects.filter(phone=PHONE).count() == 2


def test_send_phone_code_refuses_bad_numbers(db, sms) -> None:
    with pytest.raises(ValidationError):
        services.send_phone_code(phone="12345")
    assert PhoneCode.objects.count() == 0


def test_verify_phone_code_right_code_once(db, sms, django_capture_on_commit_callbacks) -> None:
    send(PHONE, django_capture_on_commit_callbacks)
    code = code_in(sms)
    assert services.verify_phone_code(phone=PHONE, code=code).status == "ok"
    assert PhoneCode.objects.get().used_at is not None
    assert services.verify_phone_code(phone=PHONE, code=code).status == "no_code"


def test_verify_phone_code_wrong_code_counts_down(
    db, sms, django_capture_on_commit_callbacks
) -> None:
    send(PHONE, django_capture_on_commit_callbacks)
    code = code_in(sms)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    results = [services.verify_phone_code(phone=PHONE, code=wrong) for _ in range(5)]
    assert [(r.status, r.tries_left) for r in results] == [
        ("wrong", 4),
        ("wrong", 3),
        ("wrong", 2),
        ("wrong", 1),
        ("too_many", 0),
    ]
    assert services.verify_phone_code(phone=PHONE, code=code).status == "too_many"
    assert PhoneCode.objects.get().attempts == 5
    assert PhoneCode.objects.get().used_at is None


def test_verify_phone_code_expired(db, sms, django_capture_on_commit_callbacks) -> None:
    send(PHONE, django_capture_on_commit_callbacks)
    PhoneCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.verify_phone_code(phone=PHONE, code=code_in(sms)).status == "expired"
    assert services.verify_phone_code(phone="13999990009", code="123456").status == "no_code"


def test_verify_phone_code_only_the_latest_code_counts(
    db, sms, django_capture_on_commit_callbacks
) -> None:
    send(PHONE, django_capture_on_commit_callbacks)
    first = code_in(sms)
    PhoneCode.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=61))
    send(PHONE, django_capture_on_commit_callbacks)
    second = code_in(sms)
    if first != second:
        assert services.verify_phone_code(phone=PHONE, code=first).status == "wrong"
    assert services.verify_phone_code(phone=PHONE, code=second).status == "ok"


# --- pages ---------------------------------------------------------------------------------------


def test_signup_then_confirm_binds_the_resident(
    client, cast: Cast, sms, django_capture_on_commit_callbacks
) -> None:
    signup = sign_up_through_pages(client, cast, sms, django_capture_on_commit_callbacks)
    user = User.objects.get(username=PHONE)
    assert (user.phone, user.first_name, user.check_password("Quiet-River-88")) == (
        PHONE,
        "钱十一",
        True,
    )
    assert (signup.house, signup.compound, signup.status, signup.household_role) == (
        cast.a.neighbour_house,
        cast.a.compound,
        SignupStatus.PENDING,
        "owner",
    )
    status_page = client.get("/accounts/signup/status/").content.decode()
    assert 'data-status="pending"' in status_page
    assert list(scoped(House.objects.all(), user)) == []

    company = cast.users[Role.COMPANY]
    client.force_login(company)
    queue = client.get("/accounts/signup-requests/").content.decode()
    assert f'data-request="{signup.pk}"' in queue
    assert "139****0000" in queue and PHONE not in queue
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/accounts/signup-requests/{signup.pk}/confirm/")
    assert response.status_code == 302
    signup.refresh_from_db()
    assert (signup.status, signup.decided_by) == (SignupStatus.CONFIRMED, company)
    user = User.objects.get(username=PHONE)
    assert user.person is not None
    assert (user.person.name, user.person.phone, user.person.street_id) == (
        "钱十一",
        PHONE,
        cast.a.street.pk,
    )
    assert list(Residency.objects.filter(person=user.person).values_list("house_id", "role")) == [
        (cast.a.neighbour_house.pk, "owner")
    ]
    assignment = RoleAssignment.objects.get(user=user)
    assert (assignment.role, assignment.house, assignment.granted_by) == (
        Role.RESIDENT,
        cast.a.neighbour_house,
        company,
    )
    assert list(scoped(House.objects.all(), user)) == [cast.a.neighbour_house]
    assert sms[-1][0] == PHONE and cast.a.neighbour_house.label in sms[-1][1]
    assert sorted(
        AuditEvent.objects.filter(street_id=cast.a.street.pk)
        .exclude(action="compound.mode_changed")
        .values_list("action", flat=True)
    ) == ["resident.bound", "role.granted"]
    cast.a.compound.refresh_from_db()
    assert cast.a.compound.residents == 3


def test_confirm_reuses_the_registered_person_with_the_same_phone(
    client, cast: Cast, sms, django_capture_on_commit_callbacks
) -> None:
    neighbour = Person.objects.get(phone="13900001111", residencies__house=cast.a.neighbour_house)
    signup = sign_up_through_pages(
        client, cast, sms, django_capture_on_commit_callbacks, phone="13900001111"
    )
    people = Person.objects.count()
    services.confirm_signup(actor=cast.users[Role.COMMUNITY], signup=signup)
    assert Person.objects.count() == people
    assert User.objects.get(username="13900001111").person == neighbour
    assert Residency.objects.filter(house=cast.a.neighbour_house).count() == 1


def test_reject_signup_with_reason(
    client, cast: Cast, sms, django_capture_on_commit_callbacks
) -> None:
    signup = sign_up_through_pages(client, cast, sms, django_capture_on_commit_callbacks)
    client.force_login(cast.users[Role.COMMUNITY])
    before = (Residency.objects.count(), RoleAssignment.objects.count())
    response = client.post(f"/accounts/signup-requests/{signup.pk}/reject/", {"reason": ""})
    assert response.status_code == 302
    signup.refresh_from_db()
    assert signup.status == SignupStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/accounts/signup-requests/{signup.pk}/reject/", {"reason": "房屋登记的业主不是您"}
        )
    signup.refresh_from_db()
    assert (signup.status, signup.reason, signup.decided_by) == (
        SignupStatus.REJECTED,
        "房屋登记的业主不是您",
        cast.users[Role.COMMUNITY],
    )
    assert sms[-1][0] == PHONE and "房屋登记的业主不是您" in sms[-1][1]
    assert (Residency.objects.count(), RoleAssignment.objects.count()) == before
    assert AuditEvent.objects.filter(action="signup.rejected", target_id=signup.pk).count() == 1
    with pytest.raises(ValidationError):
        services.confirm_signup(actor=cast.users[Role.COMMUNITY], signup=signup)


@pytest.mark.parametrize("who", ["outsider", Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT])
def test_signup_requests_of_another_scope_are_404(
    client, cast: Cast, sms, django_capture_on_commit_callbacks, who: str
) -> None:
    signup = sign_up_through_pages(client, cast, sms, django_capture_on_commit_callbacks)
    client.force_login(cast.users[who])
    before = (Residency.objects.count(), RoleAssignment.objects.count(), AuditEvent.objects.count())
    assert client.post(f"/accounts/signup-requests/{signup.pk}/confirm/").status_code == 404
    assert (
        client.post(f"/accounts/signup-requests/{signup.pk}/reject/", {"reason": "x"}).status_code
        == 404
    )
    signup.refresh_from_db()
    assert signup.status == SignupStatus.PENDING
    assert (
        Residency.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
    ) == before
    queue = client.get("/accounts/signup-requests/")
    if who == "outsider":
        assert f'data-request="{signup.pk}"' not in queue.content.decode()
    else:
        assert queue.status_code == 404


def test_confirm_signup_service_refuses_outsider(
    client, cast: Cast, sms, django_capture_on_commit_callbacks
) -> None:
    signup = sign_up_through_pages(client, cast, sms, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        services.confirm_signup(actor=cast.users["outsider"], signup=signup)
    with pytest.raises(PermissionDenied):
        services.reject_signup(actor=cast.users["outsider"], signup=signup, reason="x")


def test_signup_requests_page_lists_only_requests_in_scope(
    client, cast: Cast, sms, django_capture_on_commit_callbacks
) -> None:
    a = sign_up_through_pages(client, cast, sms, django_capture_on_commit_callbacks)
    client.logout()
    b = sign_up_through_pages(
        client,
        cast,
        sms,
        django_capture_on_commit_callbacks,
        phone="13999990002",
        house=cast.b.house,
    )
    for who, shown in [
        (Role.COMPANY, [a]),
        (Role.COMMUNITY, [a]),
        (Role.STREET, [a]),
        (Role.DISTRICT, [b, a]),
        ("outsider", [b]),
    ]:
        client.force_login(cast.users[who])
        text = client.get("/accounts/signup-requests/").content.decode()
        assert re.findall(r'data-request="(\d+)"', text) == [str(r.pk) for r in shown], who
        assert f'data-count-status="pending">{len(shown)}<' in text, who


def test_signup_code_page_wrong_code_then_too_many(
    client, db, sms, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"phone": PHONE})
    code = code_in(sms)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    text = client.post("/accounts/signup/code/", {"code": wrong}).content.decode()
    assert "4 tries left" in text
    for _ in range(4):
        client.post("/accounts/signup/code/", {"code": wrong})
    response = client.post("/accounts/signup/code/", {"code": code})
    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/accounts/signup/details/")["Location"] == "/accounts/signup/"


def test_signup_code_page_expired_code(client, db, sms, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"phone": PHONE})
    PhoneCode.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    text = client.post("/accounts/signup/code/", {"code": code_in(sms)}).content.decode()
    assert "The code has expired" in text


def test_signup_pages_without_a_phone_go_back_to_step_one(client, db) -> None:
    assert client.get("/accounts/signup/code/")["Location"] == "/accounts/signup/"
    assert client.get("/accounts/signup/details/")["Location"] == "/accounts/signup/"
    assert client.get("/accounts/signup/").status_code == 200


def test_signup_for_a_phone_with_an_account_goes_to_sign_in(
    client, cast: Cast, sms, django_capture_on_commit_callbacks
) -> None:
    User.objects.create_user(username=PHONE, phone=PHONE, password="x-Quiet-River-88")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"phone": PHONE})
    client.post("/accounts/signup/code/", {"code": code_in(sms)})
    response = client.get("/accounts/signup/details/")
    assert response["Location"] == "/accounts/login/"
    assert SignupRequest.objects.count() == 0


def test_signup_details_refresh_shows_buildings_and_rooms(
    client, cast: Cast, sms, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"phone": PHONE})
    client.post("/accounts/signup/code/", {"code": code_in(sms)})
    response = client.post(
        "/accounts/signup/details/",
        {
            "_refresh": "1",
            "q": cast.a.compound.code,
            "compound": cast.a.compound.pk,
            "building": cast.a.building.pk,
            "password1": "secret-never-echoed",
        },
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert text.startswith("<form")
    assert f'<option value="{cast.a.house.pk}">1-101</option>' in text
    assert f'<option value="{cast.a.neighbour_house.pk}">1-102</option>' in text
    assert "secret-never-echoed" not in text
    assert User.objects.filter(username=PHONE).count() == 0


def test_signup_details_weak_password_is_refused(
    client, cast: Cast, sms, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"phone": PHONE})
    client.post("/accounts/signup/code/", {"code": code_in(sms)})
    house = cast.a.house
    response = client.post(
        "/accounts/signup/details/",
        {
            "compound": house.compound.pk,
            "building": house.building.pk,
            "house": house.pk,
            "household_role": "owner",
            "name": "钱十一",
            "password1": "123",
            "password2": "123",
        },
    )
    assert response.status_code == 200
    assert User.objects.filter(username=PHONE).count() == 0
    assert SignupRequest.objects.count() == 0


def test_signup_requests_page_query_count_does_not_grow_with_rows(client, cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n: int) -> None:
        user = User.objects.create_user(username=f"1370000{n:04d}", phone=f"1370000{n:04d}")
        SignupRequest.objects.create(
            user=user,
            house=cast.a.house,
            compound=cast.a.compound,
            name=f"居民{n}",
            household_role="owner",
        )

    add(0)
    client.force_login(cast.users[Role.COMPANY])
    client.get("/accounts/signup-requests/")
    with CaptureQueriesContext(connection) as one:
        client.get("/accounts/signup-requests/")
    add(1)
    add(2)
    with CaptureQueriesContext(connection) as three:
        response = client.get("/accounts/signup-requests/")
    assert len(re.findall(r'data-request="', response.content.decode())) == 3
    assert len(three.captured_queries) == len(one.captured_queries)
