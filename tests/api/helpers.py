from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import World
from twoway.accounts.models import Organization
from twoway.api.keys import api_key_create
from twoway.api.models import Scope

ALL_SCOPES = [s.value for s in Scope]


def key_for(world: World, org: Organization | None = None, scopes: list[str] | None = None) -> str:
    made = api_key_create(
        organization=org or world.acme,
        name="HR sync",
        scopes=ALL_SCOPES if scopes is None else scopes,
        expires_at=None,
        actor=world.carol,
    )
    return made.secret


class Api:
    def __init__(self, secret: str | None) -> None:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self.client = Client(headers=headers)

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(f"/api/v1/{path}", query)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(f"/api/v1/{path}", body, content_type="application/json")

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(f"/api/v1/{path}", body, content_type="application/json")
