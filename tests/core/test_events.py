"""Domain events: a listener hears each object once, whether the change made one or hundreds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from twoway.lib import events

# The webhooks app listens too (it looks its endpoints up): the database is needed.
pytestmark = pytest.mark.django_db


@pytest.fixture
def heard() -> Iterator[list[tuple[str, Any]]]:
    """Two listeners, one with a batch form; removed again after the test."""
    got: list[tuple[str, Any]] = []

    def one(organization_id: int, name: str, payload: dict[str, Any]) -> None:
        got.append(("one", payload["id"]))

    def each(organization_id: int, name: str, payload: dict[str, Any]) -> None:
        got.append(("each", payload["id"]))

    def many(organization_id: int, name: str, payloads: list[dict[str, Any]]) -> None:
        got.append(("many", [p["id"] for p in payloads]))

    events.event_listen(one)
    events.event_listen(each, many=many)
    yield got
    events._listeners.remove(one)
    events._listeners.remove(each)
    del events._many[each]


def test_a_batch_reaches_a_batch_listener_once_and_the_others_per_object(
    heard: list[tuple[str, Any]],
) -> None:
    payloads = [{"id": 1}, {"id": 2}, {"id": 3}]
    events.event_publish_many(organization_id=1, name="partnership.created", payloads=payloads)
    assert heard == [("one", 1), ("one", 2), ("one", 3), ("many", [1, 2, 3])]
    heard.clear()
    events.event_publish(organization_id=1, name="partnership.created", payload={"id": 4})
    assert ("each", 4) in heard and ("one", 4) in heard


def test_a_batch_of_an_unknown_event_or_without_ids_is_refused(
    heard: list[tuple[str, Any]],
) -> None:
    with pytest.raises(ValueError, match="unknown event"):
        events.event_publish_many(organization_id=1, name="nope", payloads=[{"id": 1}])
    with pytest.raises(ValueError, match="names its object's id"):
        events.event_publish_many(
            organization_id=1, name="partnership.created", payloads=[{"id": 1}, {}]
        )
    assert heard == []
