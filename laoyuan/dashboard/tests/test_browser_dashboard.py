"""The district view in Chromium: the map draws, its layer switches, a click on a grid drills
into its street and a click on a compound opens the compound's page."""

import pytest

from laoyuan.accounts.enums import Role
from laoyuan.factories import PASSWORD, Cast
from laoyuan.places.models import Compound, Grid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def square(west: float, south: float, size: float) -> list[list[list[float]]]:
    east, north = west + size, south + size
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


def click_map_at(page, lng: float, lat: float) -> None:
    """Click the map where the point is drawn (ECharts says where that is on its canvas)."""
    x, y = page.evaluate(
        """([lng, lat]) => {
            const chart = echarts.getInstanceByDom(document.querySelector('[data-map]'));
            return chart.convertToPixel({seriesIndex: 0}, [lng, lat]);
        }""",
        [lng, lat],
    )
    box = page.locator("[data-map]").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_switch_the_layer_and_drill_from_the_district_to_a_compound(
    browser_page, live_server, cast: Cast
):
    Grid.objects.filter(pk=cast.a.grid.pk).update(boundary=square(113.60, 34.70, 0.04))
    Compound.objects.filter(pk=cast.a.compound.pk).update(boundary=square(113.61, 34.71, 0.01))
    Compound.objects.filter(pk=cast.b.compound.pk).update(boundary=square(113.66, 34.71, 0.01))
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url} {e} {e.stack}"))
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/accounts/login/?next=/dashboard/")
    page.fill("input[name=username]", cast.users[Role.DISTRICT].username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/dashboard/")

    # The district's map: its grid and two compounds, coloured by management mode.
    page.wait_for_selector("[data-map][data-layer-shown=mode]")
    assert page.get_attribute("[data-map]", "data-features") == "3"
    page.get_by_role("button", name="Star level").click()
    page.wait_for_selector("[data-map][data-layer-shown=stars]")
    assert page.get_attribute("button[data-layer=stars]", "aria-pressed") == "true"
    assert page.get_attribute("button[data-layer=mode]", "aria-pressed") == "false"
    # The chosen layer is in the address, so a reload (the wall screen's) keeps it.
    assert page.url.endswith("/dashboard/?layer=stars")
    page.reload()
    page.wait_for_selector("[data-map][data-layer-shown=stars]")
    page.screenshot(path="test-artifacts/dashboard-district.png", full_page=True)

    # A click on the grid, outside its compound, drills into the grid's street.
    click_map_at(page, 113.635, 34.735)
    page.wait_for_url(f"**/dashboard/?street={cast.a.street.pk}")
    page.wait_for_selector("[data-map][data-layer-shown=mode]")
    assert page.get_attribute("[data-map]", "data-features") == "2"
    assert cast.a.street.name in page.locator("[data-scope-name]").inner_text()
    assert page.locator('[data-figure="compounds"]').inner_text() == "2"
    page.screenshot(path="test-artifacts/dashboard-street.png", full_page=True)

    # A click on the compound opens its page.
    click_map_at(page, 113.615, 34.715)
    page.wait_for_url(f"**/places/compounds/{cast.a.compound.pk}/")
    assert cast.a.compound.name in page.locator("h1").inner_text()
    assert errors == []


def test_the_wall_screen_fits_1920_by_1080_without_scrolling(browser_page, live_server, cast):
    Grid.objects.filter(pk=cast.a.grid.pk).update(boundary=square(113.60, 34.70, 0.04))
    Compound.objects.filter(pk=cast.a.compound.pk).update(boundary=square(113.61, 34.71, 0.01))
    page = browser_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server.url}/accounts/login/?next=/dashboard/screen/")
    page.fill("input[name=username]", cast.users[Role.DISTRICT].username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/dashboard/screen/")
    page.wait_for_selector("[data-map][data-layer-shown=mode]")
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size == [1920, 1080]
    # Every panel is on the screen, inside it.
    for box in page.locator("[data-panel]").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().toJSON())"
    ):
        assert box["width"] > 200 and box["height"] > 150, box
        assert box["bottom"] <= 1080 and box["right"] <= 1920, box
    page.screenshot(path="test-artifacts/dashboard-wall.png")
