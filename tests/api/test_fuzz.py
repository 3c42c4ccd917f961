"""schemathesis fuzzes every operation of the live schema, with every check, in both directions:
valid data (no server error, every response inside the schema) and invalid data (refused, never
accepted). It runs on SQLite and on PostgreSQL in CI (issue 15)."""

from __future__ import annotations

from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from tests.api.helpers import key_for
from tests.conftest import World

EXAMPLES = 25


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_holds_its_schema(
    world: World, wsgi_app: Any, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    headers = {"Authorization": f"Bearer {key_for(world)}"}
    operations = [cast(Any, result).ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        # Derandomized: every run sends the examples the suite was checked with (set it to
        # False locally to explore new ones).
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers)

        fuzz()
