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
# The same listener for many objects at once (a round's partnerships, hundreds per batch).
ManyListener = Callable[[int, str, list[dict[str, Any]]], None]

EVENTS = (
    "partnership.created",
    "partnership.ended",
    "checkin.held",
    "round.published",
    "person.deactivated",
)

_listeners: list[Listener] = []
_many: dict[Listener, ManyListener] = {}


def event_listen(listener: Listener, *, many: ManyListener | None = None) -> None:
    """`many`, if given, hears `event_publish_many` in one call instead of one per object."""
    if listener not in _listeners:
        _listeners.append(listener)
    if many is not None:
        _many[listener] = many


def event_publish(*, organization_id: int, name: str, payload: dict[str, Any]) -> None:
    """Tell every listener; `payload["id"]` names the object, so a listener can deduplicate."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")
    if "id" not in payload:
        raise ValueError("an event's payload names its object's id")
    for listener in list(_listeners):
        listener(organization_id, name, payload)


def event_publish_many(*, organization_id: int, name: str, payloads: list[dict[str, Any]]) -> None:
    """`event_publish` of the same event for many objects, in the change's transaction."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")
    if any("id" not in payload for payload in payloads):
        raise ValueError("an event's payload names its object's id")
    for listener in list(_listeners):
        many = _many.get(listener)
        if many is not None:
            many(organization_id, name, payloads)
        else:
            for payload in payloads:
                listener(organization_id, name, payload)
