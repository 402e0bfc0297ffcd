"""A person's path through the registry in a real browser: sign in, filter, open a compound."""

import pytest

from laoyuan.accounts.enums import Role
from laoyuan.factories import PASSWORD, Cast
from laoyuan.places.enums import ManagementMode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_street_officer_signs_in_filters_and_opens_a_compound(
    browser_page, live_server, cast: Cast
) -> None:
    page = browser_page
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("input[name=username]", cast.users[Role.STREET].username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/places/compounds/")
    rows = page.locator("tr[data-compound]")
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.compound)")) == sorted(
        [cast.a.compound.code, cast.a.other_compound.code]
    )

    page.select_option("select[name=mode]", ManagementMode.PUBLIC)
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url("**mode=public**")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.compound)") == [cast.a.compound.code]
    page.screenshot(path="test-artifacts/compound-list-filtered.png", full_page=True)

    rows.first.locator("a").nth(1).click()
    page.wait_for_url(f"**/places/compounds/{cast.a.compound.pk}/")
    assert page.locator("h1").inner_text().strip().startswith(cast.a.compound.name)
    assert cast.a.company.name in page.content()
    # Residents are listed with masked phones only.
    assert "138****1234" in page.content()
    assert "13812341234" not in page.content()
    page.screenshot(path="test-artifacts/compound-page.png", full_page=True)
    assert errors == []
