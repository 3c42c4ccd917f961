"""The skill vocabulary's pages for the isolation matrix: org admins only, Acme's skills only."""

from __future__ import annotations

from tests.conftest import World
from tests.isolation import ORG_ADMIN, Case, org_url


def merge_preview(w: World) -> str:
    return org_url("skill_merge")(w) + "?source=sql&target=Client+relationships"


CASES: dict[str, Case] = {
    "skill_vocabulary": Case(org_url("skill_vocabulary"), ORG_ADMIN),
    "skill_merge": Case(merge_preview, ORG_ADMIN),
    "skill_rename": Case(
        org_url("skill_rename", skill_id=lambda w: w.sql.pk),
        ORG_ADMIN,
        method="post",
        data=lambda w: {"name": "SQL"},
    ),
}
