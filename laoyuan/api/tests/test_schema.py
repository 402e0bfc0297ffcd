import re
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

PATHS = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/compounds/": {"get"},
    "/api/v1/compounds/{id}/": {"get"},
    "/api/v1/houses/": {"get"},
    "/api/v1/houses/{id}/": {"get"},
    "/api/v1/overview/": {"get"},
    "/api/v1/fee-schemes/": {"get"},
    "/api/v1/billing-runs/": {"get", "post"},
    "/api/v1/billing-runs/{id}/": {"get"},
    "/api/v1/houses/{id}/account/": {"get"},
    "/api/v1/payments/": {"post"},
    "/api/v1/receipts/{number}/": {"get"},
    "/api/v1/work-orders/": {"get", "post"},
    "/api/v1/work-orders/{id}/": {"get"},
    "/api/v1/work-orders/{id}/transition/": {"post"},
    "/api/v1/work-orders/photos/{id}/": {"get"},
    "/api/v1/timebank/activities/": {"get"},
    "/api/v1/timebank/accounts/{house}/": {"get"},
    "/api/v1/timebank/claims/": {"post"},
    "/api/v1/timebank/claims/{id}/verify/": {"post"},
    "/api/v1/timebank/claims/{id}/reject/": {"post"},
    "/api/v1/timebank/redemptions/": {"post"},
    "/api/v1/ratings/": {"get"},
    "/api/v1/ratings/{id}/": {"get"},
    "/api/v1/subsidies/": {"get"},
}


def test_schema_command_validates_without_warnings(db: None, tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    text = target.read_text()
    assert text.startswith("openapi: 3.0.3")
    for path in PATHS:
        assert f"  {path}:\n" in text


def test_schema_endpoint_lists_the_api(db: None, api_client: APIClient) -> None:
    response = api_client.get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert {path: set(ops) for path, ops in schema["paths"].items()} == PATHS
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    compound = schema["components"]["schemas"]["Compound"]["properties"]
    assert list(compound) == [
        "id",
        "code",
        "name",
        "address",
        "street",
        "community",
        "grid",
        "management_mode",
        "company",
        "area_m2",
        "households",
        "residents",
        "renovated",
        "build_year",
        "latitude",
        "longitude",
    ]
    token_op = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "security" not in token_op or token_op["security"] == [{}]


def script_and_style_tags(html: str) -> tuple[list[str], list[str]]:
    """The script sources of a page, and the bodies of any inline scripts."""
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    sources = [src for attrs, _body in scripts for src in re.findall(r'src="([^"]+)"', attrs)]
    inline = [body for attrs, body in scripts if "src=" not in attrs or body.strip()]
    return sources, inline


def test_docs_page_has_no_inline_script_or_style(db: None, api_client: APIClient) -> None:
    response = api_client.get("/api/v1/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    html = response.content.decode()
    sources, inline = script_and_style_tags(html)
    assert inline == []
    assert "<style" not in html
    assert " style=" not in html
    assert sources == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "/api/v1/docs/?script=",
    ]
    assert all(not src.startswith(("http:", "https:", "//")) for src in sources)


def test_docs_page_scripts_and_styles_load(db: None, settings: Any) -> None:
    # Serve static files from the finders, as `runserver` does, so every asset is fetched.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()
    html = client.get("/api/v1/docs/").content.decode()
    sources, _inline = script_and_style_tags(html)
    styles = re.findall(r'<link rel="(?:stylesheet|icon)" href="([^"]+)"', html)
    assert styles == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "/static/api/docs.css",
    ]

    for url in sources + styles:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, url

    init = client.get("/api/v1/docs/?script=")
    assert init["Content-Type"].startswith("application/javascript")
    script = init.content.decode()
    assert 'url: "/api/v1/schema/",' in script
    assert '"validatorUrl": null' in script
    assert "SwaggerUIBundle({" in script


def test_unknown_api_path_is_json_404(db: None, api_client: APIClient) -> None:
    response = api_client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_api_path_without_slash_redirects_for_reads(db: None, api_client: APIClient) -> None:
    response = api_client.get("/api/v1/compounds?mode=public")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/compounds/?mode=public"
    assert api_client.post("/api/v1/auth/token").status_code == 404
