"""Reading ids from query strings and forms."""

from typing import Any


def parse_id(value: Any) -> int | None:
    """A row id from a request parameter: ASCII digits that fit a database bigint, else None.
    Never raises: ``str.isdigit`` alone lets "²" through (``int`` refuses it) and a number too
    long for the database's integer."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)
