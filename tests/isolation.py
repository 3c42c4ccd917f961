"""The isolation matrix's building blocks.

Each app lists its URLs in `tests/<app>/isolation_cases.py` as `CASES: dict[str, Case]` (URL name →
Case); `tests/test_isolation.py` gathers them all and fails when a named URL of the app has no
case. A Case says how to build the URL for the shared personas (creating whatever objects it
needs) and what each persona gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

from tests.conftest import World

# Who may open a URL, from least to most privileged.
PUBLIC = "public"
SIGNED_IN = "signed_in"
ANY_MEMBER = "participant"
PROGRAM_MANAGER = "program_manager"
ORG_ADMIN = "org_admin"
STAFF = "staff"

ROLE_LEVEL = {ANY_MEMBER: 0, PROGRAM_MANAGER: 1, ORG_ADMIN: 2}
PERSONA_LEVEL = {"alice": 0, "bob": 1, "carol": 2}


@dataclass
class Case:
    """`build(world)` returns the URL; `needs` sets the default expectations per persona, and
    `expect` overrides them (e.g. a partnership page: its members 200, everyone else 404).

    `method="post"` cases are sent as POST with `data`; for those, the expectation for allowed
    personas is any status below 400 (a redirect after a change is fine).
    """

    build: Callable[[World], str]
    needs: str
    expect: dict[str, int] = field(default_factory=dict)
    method: str = "get"
    data: Callable[[World], dict[str, str]] | None = None

    def expected(self, persona: str) -> int:
        if persona in self.expect:
            return self.expect[persona]
        if self.needs in ROLE_LEVEL:
            if persona == "dave":
                return 404
            return 200 if PERSONA_LEVEL[persona] >= ROLE_LEVEL[self.needs] else 403
        return 200


def org_url(name: str, **extra: Callable[[World], object]) -> Callable[[World], str]:
    """A URL under /o/acme/, with extra kwargs computed from the world (and created on demand)."""

    def build(w: World) -> str:
        kwargs = {"org_slug": w.acme.slug, **{k: f(w) for k, f in extra.items()}}
        return reverse(name, kwargs=kwargs)

    return build


def plain(name: str, **kwargs: str) -> Callable[[World], str]:
    return lambda w: reverse(name, kwargs=kwargs or None)
