"""The five hands in a real browser: a resident reports a roof leak with a photo from a phone;
the branch dispatches, the company accepts, starts and finishes with a photo, the committee
supervises, the community verifies and the resident rates it 5."""

import io
import re

import pytest
from django.utils import translation
from PIL import Image

from laoyuan.accounts.enums import Role
from laoyuan.factories import PASSWORD, Cast
from laoyuan.workorders.enums import Status
from laoyuan.workorders.models import Category, Event, Photo, WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 120, 140)).save(out, "JPEG")
    return out.getvalue()


def sign_in(page, live_server, user, next_url: str, language: str = "en") -> None:
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**{next_url}")


def take_step(page, action: str, button: str, *, note: str = "", photo: bool = False) -> None:
    form = page.locator(f"form#act-{action}")
    if note:
        form.locator("textarea[name=note]").fill(note)
    if photo:
        form.locator("input[name=photos]").set_input_files(
            files=[{"name": "done.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
        )
    if action in ("dispatch", "finish"):
        page.screenshot(path=f"test-artifacts/workorder-{action}.png", full_page=True)
    form.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def test_a_roof_leak_through_five_hands_in_chromium(browser_page, live_server, cast: Cast):
    # Transactional tests flush the seeded categories; make sure the one used here exists.
    Category.objects.get_or_create(
        code="repair",
        defaults={
            "name": "维修",
            "name_en": "Repair",
            "kind": "repair",
            "response_hours": 24,
            "resolution_hours": 120,
        },
    )
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    users = cast.users

    # 1. The resident reports from a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, users[Role.RESIDENT], "/workorders/report/")
    page.locator("label[for=category-repair]").click()
    page.fill("textarea[name=description]", "屋顶漏水")
    page.select_option("select[name=building]", label=cast.a.building.number)
    page.fill("input[name=place]", "顶层")
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}],
    )
    page.screenshot(path="test-artifacts/workorder-report-phone.png", full_page=True)
    page.get_by_role("button", name="Send my report").click()
    page.wait_for_url(re.compile(r".*/workorders/\d+/$"))
    order = WorkOrder.objects.get()
    detail = f"/workorders/{order.pk}/"
    assert page.locator("[data-status]").get_attribute("data-status") == Status.ORDERED
    assert page.locator("img.wo-thumb").count() == 1
    page.screenshot(path="test-artifacts/workorder-reported-phone.png", full_page=True)

    # 2-6. Each hand takes its step on the order page.
    page.set_viewport_size({"width": 1280, "height": 900})
    steps = [
        (Role.BRANCH, "dispatch", "Dispatch", {}),
        (Role.COMPANY, "accept", "Accept", {}),
        (Role.COMPANY, "start", "Start work", {}),
        (Role.COMPANY, "finish", "Finish", {"note": "更换防水卷材", "photo": True}),
        (Role.COMMITTEE, "supervise", "Pass supervision", {}),
        (Role.COMMUNITY, "verify", "Verify", {}),
    ]
    signed_in = None
    for role, action, button, extra in steps:
        if signed_in != role:
            sign_in(page, live_server, users[role], detail)
            signed_in = role
        take_step(page, action, button, **extra)
        assert page.locator("[role=status] .alert-success").inner_text() == f"Done: {button}."
    page.screenshot(path="test-artifacts/workorder-verified.png", full_page=True)

    # 7. The resident rates it 5 from the phone, through My orders.
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, users[Role.RESIDENT], "/workorders/mine/")
    page.screenshot(path="test-artifacts/workorder-mine-phone.png", full_page=True)
    page.get_by_role("link", name="Rate it").click()
    page.locator("label[for=rating-5]").click()
    page.locator("form#act-rate textarea[name=note]").fill("修得很好")
    page.locator("form#act-rate").get_by_role("button", name="Send my rating").click()
    page.wait_for_load_state()

    assert page.locator("[data-status]").get_attribute("data-status") == Status.RATED
    assert page.locator("[data-rating]").inner_text() == "5 stars · 修得很好"
    steps_shown = page.locator("li.wo-step").evaluate_all(
        "items => items.map(i => i.dataset.action)"
    )
    assert steps_shown == [
        "create",
        "dispatch",
        "accept",
        "start",
        "finish",
        "supervise",
        "verify",
        "rate",
    ]
    roles_shown = page.locator("li.wo-step [data-role]").evaluate_all(
        "items => items.map(i => i.dataset.role)"
    )
    assert roles_shown == [
        "resident",
        "branch",
        "company",
        "company",
        "company",
        "committee",
        "community",
        "resident",
    ]
    # A resident reads roles, never the staff's names.
    assert page.locator("[data-actor]").count() == 0
    assert page.locator("img.wo-thumb").count() == 2
    page.screenshot(path="test-artifacts/workorder-rated-phone.png", full_page=True)

    order.refresh_from_db()
    assert (order.status, order.rating, order.rating_comment, order.company) == (
        Status.RATED,
        5,
        "修得很好",
        cast.a.company,
    )
    assert list(Event.objects.filter(order=order).values_list("action", flat=True)) == steps_shown
    assert Photo.objects.filter(order=order).count() == 2

    # The same page in Chinese, for the record.
    sign_in(page, live_server, users[Role.RESIDENT], detail, language="zh-hans")
    with translation.override("zh-hans"):
        assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.screenshot(path="test-artifacts/workorder-rated-phone-zh.png", full_page=True)
    assert errors == []
