"""The API docs page in a real browser: every script runs under the site's CSP, offline."""

from typing import Any

import pytest


@pytest.mark.browser
def test_docs_page_renders_the_api_without_csp_errors(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    messages: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.on(
        "request",
        lambda r: None if r.url.startswith((live_server.url, "data:")) else outside.append(r.url),
    )

    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path")

    assert page.locator(".opblock-summary-path").all_inner_texts() == [
        "/api/v1/auth/token/",
        "/api/v1/billing-runs/",
        "/api/v1/billing-runs/",
        "/api/v1/billing-runs/{id}/",
        "/api/v1/compounds/",
        "/api/v1/compounds/{id}/",
        "/api/v1/fee-schemes/",
        "/api/v1/houses/",
        "/api/v1/houses/{id}/",
        "/api/v1/houses/{id}/account/",
        "/api/v1/overview/",
        "/api/v1/payments/",
        "/api/v1/ratings/",
        "/api/v1/ratings/{id}/",
        "/api/v1/receipts/{number}/",
        "/api/v1/subsidies/",
        "/api/v1/timebank/accounts/{house}/",
        "/api/v1/timebank/activities/",
        "/api/v1/timebank/claims/",
        "/api/v1/timebank/claims/{id}/reject/",
        "/api/v1/timebank/claims/{id}/verify/",
        "/api/v1/timebank/redemptions/",
        "/api/v1/work-orders/",
        "/api/v1/work-orders/",
        "/api/v1/work-orders/{id}/",
        "/api/v1/work-orders/{id}/transition/",
        "/api/v1/work-orders/photos/{id}/",
    ]
    # A blocked inline script or style shows up here as a console error.
    assert messages == []
    assert outside == []
