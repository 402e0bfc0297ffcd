"""The activity pages: the list with places taken and left, its filters and the claim link for a
volunteer; one activity with its claims (all for the offices, their own for a resident); creating
activities and standing posts with errors on the fields; constant queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.factories import as_user, user_with
from laoyuan.people.models import Person
from laoyuan.timebank.enums import Category
from laoyuan.timebank.models import Activity, Post
from laoyuan.timebank.services import claims, orgs
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

LIST = reverse("timebank:activities")
NEW = reverse("timebank:activity_new")
POST_NEW = reverse("timebank:post_new")
ROW = re.compile(r'data-activity="(\d+)"')


def ids(response) -> list[int]:
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def claim_of(cast, activity, *, volunteer=None):
    return claims.create_claim(
        actor=cast.users[Role.RESIDENT] if volunteer is None else cast.users[Role.COMMUNITY],
        activity=activity,
        start=activity.start,
        end=activity.end,
        volunteer=volunteer,
    )


@pytest.fixture
def acts(cast):
    """Yesterday's cleaning (the resident claimed it, the neighbour too), two days ago patrol
    (claimable), and next week's greening (not yet)."""
    h.volunteer(cast)
    neighbour = orgs.register_volunteer(
        actor=cast.users[Role.COMMUNITY],
        person=Person.objects.get(name="甲邻居"),
        house=cast.a.neighbour_house,
        on=datetime.date(2026, 1, 5),
    )
    cleaning = h.activity(cast, days(-1), 9, 12, capacity=4, title="楼道清扫")
    patrol = h.activity(cast, days(-2), 19, 21, category=Category.PATROL, title="夜间巡逻")
    greening = h.activity(cast, days(7), 9, 11, category=Category.GREENING, title="补种绿化")
    mine = claim_of(cast, cleaning)
    theirs = claim_of(cast, cleaning, volunteer=neighbour)
    return {
        "cleaning": cleaning,
        "patrol": patrol,
        "greening": greening,
        "mine": mine,
        "theirs": theirs,
    }


# --- The list -------------------------------------------------------------------------------


def test_community_lists_every_activity_with_places(cast, acts):
    response = as_user(cast.users[Role.COMMUNITY]).get(LIST)
    assert response.status_code == 200
    assert ids(response) == [acts["greening"].pk, acts["cleaning"].pk, acts["patrol"].pk]
    html = response.content.decode()
    assert 'data-taken="2" data-left="2"' in html
    assert "2 of 4 places taken · 2 left" in html
    assert "0 of 10 places taken · 10 left" in html
    assert "data-new-activity" in html and "data-new-post" in html
    assert "data-claim-link" not in html


def test_a_volunteer_gets_a_claim_link_for_claimable_activities_only(cast, acts):
    response = as_user(cast.users[Role.RESIDENT]).get(LIST)
    assert ids(response) == [acts["greening"].pk, acts["cleaning"].pk, acts["patrol"].pk]
    html = response.content.decode()
    links = re.findall(r'href="([^"]+)" data-claim-link', html)
    assert links == [f"{reverse('timebank:claim_new')}?activity={acts['patrol'].pk}"]
    assert "data-new-activity" not in html


def test_outsider_sees_no_activity_of_side_a_and_company_gets_404(cast, acts):
    response = as_user(cast.users["outsider"]).get(LIST)
    assert response.status_code == 200
    assert ids(response) == []
    assert "No volunteer activities yet." in response.content.decode()
    assert as_user(cast.users[Role.COMPANY]).get(LIST).status_code == 404


def test_filters(cast, acts):
    client = as_user(cast.users[Role.COMMUNITY])
    assert ids(client.get(LIST, {"when": "upcoming"})) == [acts["greening"].pk]
    assert ids(client.get(LIST, {"when": "past"})) == [acts["cleaning"].pk, acts["patrol"].pk]
    assert ids(client.get(LIST, {"category": Category.PATROL})) == [acts["patrol"].pk]
    assert ids(client.get(LIST, {"compound": cast.a.compound.pk})) == [
        acts["greening"].pk,
        acts["cleaning"].pk,
        acts["patrol"].pk,
    ]
    org = h.org(cast)
    assert ids(client.get(LIST, {"org": org.pk})) == []
    empty = client.get(LIST, {"when": "upcoming", "category": Category.PATROL})
    assert "No activities match these filters." in empty.content.decode()


def test_list_reads_a_constant_number_of_queries(cast):
    h.volunteer(cast)
    client = as_user(cast.users[Role.RESIDENT])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    for n in range(2):
        h.activity(cast, days(-1 - n), 9, 11, title=f"活动{n}")
    small = count()
    for n in range(2, 10):
        h.activity(cast, days(-1 - n), 9, 11, title=f"活动{n}")
    assert Activity.objects.count() == 10
    assert count() == small


# --- One activity ---------------------------------------------------------------------------


def test_the_office_sees_every_claim_the_resident_their_own(cast, acts):
    url = reverse("timebank:activity_detail", args=[acts["cleaning"].pk])
    office = as_user(cast.users[Role.COMMUNITY]).get(url).content.decode()
    assert re.findall(r'<tr data-claim="(\d+)"', office) == [
        str(acts["mine"].pk),
        str(acts["theirs"].pk),
    ]
    assert "甲邻居" in office
    assert 'data-taken="2" data-left="2"' in office
    resident = as_user(cast.users[Role.RESIDENT]).get(url).content.decode()
    assert re.findall(r'<tr data-claim="(\d+)"', resident) == [str(acts["mine"].pk)]
    assert "甲邻居" not in resident
    assert "data-claim-link" not in resident
    patrol = as_user(cast.users[Role.RESIDENT]).get(
        reverse("timebank:activity_detail", args=[acts["patrol"].pk])
    )
    assert "data-claim-link" in patrol.content.decode()
    assert "You have not claimed hours for this activity." in patrol.content.decode()


def test_activity_out_of_scope_is_404(cast, acts):
    url = reverse("timebank:activity_detail", args=[acts["cleaning"].pk])
    assert as_user(cast.users["outsider"]).get(url).status_code == 404
    assert as_user(cast.users[Role.COMPANY]).get(url).status_code == 404


# --- Creating -------------------------------------------------------------------------------


def form_data(cast, **changes):
    data = {
        "compound": cast.a.compound.pk,
        "title": "敬老院陪护",
        "category": Category.ELDER,
        "place": "社区养老服务站",
        "start": f"{days(3).isoformat()}T09:00",
        "end": f"{days(3).isoformat()}T11:30",
        "capacity": "6",
        "org": "",
        "post": "",
        "organiser": "",
    }
    data.update(changes)
    return data


def test_create_an_activity(cast):
    client = as_user(cast.users[Role.COMMUNITY])
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, form_data(cast))
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("timebank:activity_detail", args=[activity.pk])
    assert (activity.title, activity.category, activity.capacity, activity.minutes) == (
        "敬老院陪护",
        Category.ELDER,
        6,
        150,
    )
    assert activity.start == h.at(days(3), 9)
    assert activity.organiser == cast.users[Role.COMMUNITY]


def test_choose_another_community_officer_as_organiser(cast):
    second = h.organiser(cast)
    client = as_user(cast.users[Role.COMMUNITY])
    response = client.post(NEW, form_data(cast, organiser=second.pk))
    assert response.status_code == 302
    assert Activity.objects.get().organiser == second
    other = user_with(Role.COMMUNITY, cast.b.community, "community_b")
    refused = client.post(NEW, form_data(cast, organiser=other.pk, title="第二场"))
    assert refused.status_code == 200
    assert 'data-error="organiser"' in refused.content.decode()
    assert Activity.objects.count() == 1


def test_activity_errors_are_on_the_fields(cast):
    client = as_user(cast.users[Role.COMMUNITY])
    day = days(3).isoformat()
    response = client.post(NEW, form_data(cast, title="", end=f"{day}T08:00"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-error="title">This field is required.' in html
    # The form passed the title check for the end: the service names the end.
    response = client.post(NEW, form_data(cast, end=f"{day}T08:00"))
    assert 'data-error="end">It must end after it starts.</div>' in response.content.decode()
    response = client.post(NEW, form_data(cast, capacity="0"))
    assert 'data-error="capacity">' in response.content.decode()
    response = client.post(NEW, form_data(cast, compound=cast.b.compound.pk))
    assert 'data-error="compound">' in response.content.decode()
    assert Activity.objects.count() == 0


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.COMMITTEE, Role.COMPANY])
def test_only_offices_create_activities_and_posts(cast, role):
    client = as_user(cast.users[role])
    assert client.get(NEW).status_code == 404
    assert client.post(NEW, form_data(cast)).status_code == 404
    assert client.get(POST_NEW).status_code == 404
    assert Activity.objects.count() == 0


def test_create_a_post_then_an_activity_of_it(cast):
    client = as_user(cast.users[Role.COMMUNITY])
    assert client.get(POST_NEW).status_code == 200
    refused = client.post(
        POST_NEW, {"community": cast.a.community.pk, "name": "", "category": Category.PATROL}
    )
    assert 'data-error="name">This field is required.' in refused.content.decode()
    response = client.post(
        POST_NEW,
        {
            "community": cast.a.community.pk,
            "compound": cast.a.compound.pk,
            "name": "东门晚间巡逻",
            "category": Category.PATROL,
        },
    )
    post = Post.objects.get()
    assert response["Location"] == f"{NEW}?post={post.pk}"
    page = client.get(response["Location"]).content.decode()
    assert 'value="东门晚间巡逻"' in page
    created = client.post(
        NEW, form_data(cast, post=post.pk, title="东门晚间巡逻", category=Category.PATROL)
    )
    assert created.status_code == 302
    assert Activity.objects.get().post == post
