"""Boundaries guide (any member), and per-partnership support (members only)."""

from tests.isolation import ANY_MEMBER, Case, org_url
from tests.partnerships.factories import pair
from tests.partnerships.isolation_cases import MEMBERS_ONLY

P = {"partnership_id": lambda w: pair(w).pk}

CASES: dict[str, Case] = {
    "boundaries": Case(org_url("boundaries"), ANY_MEMBER),
    "partnership_support": Case(org_url("partnership_support", **P), ANY_MEMBER, MEMBERS_ONLY),
    "uncertain_flag": Case(
        org_url("uncertain_flag", **P),
        ANY_MEMBER,
        MEMBERS_ONLY,
        method="post",
        data=lambda w: {"uncertain": "1"},
    ),
}
