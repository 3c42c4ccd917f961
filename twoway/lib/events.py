"""Domain events for listeners outside the domain (webhooks).

A service that changes something an organization's other systems care about says so in one line,
`event_publish(organization_id=…, name="partnership.created", payload={…})`, inside its own
transaction. Listeners register themselves when their app is ready (`event_listen`), so the
domain apps import no integration. The payload carries ids, statuses and dates only: it leaves
the building.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[[int, str, dict[str, Any]], None]

EVENTS = (
    "partnership.created",
    "partnership.ended",
    "checkin.held",
    "round.published",
    "person.deactivated",
)

_listeners: list[Listener] = []


def event_listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def event_publish(*, organization_id: int, name: str, payload: dict[str, Any]) -> None:
    """Tell every listener; `payload["id"]` names the object, so a listener can deduplicate."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")
    if "id" not in payload:
        raise ValueError("an event's payload names its object's id")
    for listener in list(_listeners):
        listener(organization_id, name, payload)
