"""The interface speaks Chinese by default and English completely."""

import re
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.utils import translation

PO = Path(settings.BASE_DIR) / "laoyuan" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _unquote(lines: list[str]) -> str:
    text = "".join(
        re.match(r'^\s*(?:msg\w+(?:\[\d\])?\s+)?"(.*)"\s*$', line).group(1) for line in lines
    )
    return text.encode("raw_unicode_escape").decode("unicode_escape")


def po_entries() -> list[tuple[str, str, str]]:
    """(msgctxt, msgid, msgstr or msgstr[0]) for each entry but the header and obsolete ones."""
    entries: list[tuple[str, str, str]] = []
    current: dict[str, list[str]] = {}
    key = ""

    def flush() -> None:
        if "msgid" in current:
            msgid = _unquote(current["msgid"])
            msgstr = _unquote(current.get("msgstr", current.get("msgstr[0]", [])))
            if msgid:
                entries.append((_unquote(current.get("msgctxt", [])), msgid, msgstr))
        current.clear()

    for line in PO.read_text(encoding="utf-8").splitlines():
        if line.startswith("#~"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?)\s", line)
        if match:
            key = match.group(1)
            if key in ("msgctxt", "msgid") and ("msgstr" in current or "msgstr[0]" in current):
                flush()
            current[key] = [line]
        elif line.startswith('"') and key:
            current[key].append(line)
        elif not line.strip():
            flush()
            key = ""
    flush()
    return entries


def test_every_message_has_a_chinese_translation() -> None:
    entries = po_entries()
    assert len(entries) > 500
    missing = [msgid for _ctx, msgid, msgstr in entries if not msgstr]
    assert missing == []


def test_compiled_catalogue_matches_the_po_file() -> None:
    with translation.override("zh-hans"):
        stale = [
            msgid
            for ctx, msgid, msgstr in po_entries()
            if "%(" not in msgid
            and (translation.pgettext(ctx, msgid) if ctx else translation.gettext(msgid)) != msgstr
        ]
    assert stale == [], "run `make messages` (compilemessages) after editing django.po"


def test_pages_are_chinese_by_default_and_english_on_request(db: None) -> None:
    client = Client(headers={"accept-language": "en-US,en"})
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in page.content.decode()
    assert "登录" in page.content.decode()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/login/")
    assert '<html lang="en">' in page.content.decode()
    assert "Sign in" in page.content.decode()
    assert "登录" not in page.content.decode()


def test_language_switch_sets_the_cookie(db: None) -> None:
    client = Client()
    response = client.post("/language/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
