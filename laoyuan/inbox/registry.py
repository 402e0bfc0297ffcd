"""Labels of notification events. Apps register theirs in ``AppConfig.ready`` so the bell shows
each event in the reader's language without the inbox importing the apps to its right."""

from typing import Any

LABELS: dict[str, Any] = {}


def register(labels: dict[str, Any]) -> None:
    LABELS.update(labels)


def label(event: str) -> Any:
    return LABELS.get(event, event)
