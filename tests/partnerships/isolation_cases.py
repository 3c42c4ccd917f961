"""The partnership space: its members (alice and bob) open it; carol, an org admin who is not
a member, gets 404 like dave from Globex — nobody else reads a pair's space."""

from tests.isolation import ANY_MEMBER, Case, org_url
from tests.partnerships.factories import pair

MEMBERS_ONLY = {"alice": 200, "bob": 200, "carol": 404, "dave": 404}
P = {"partnership_id": lambda w: pair(w).pk}

CASES: dict[str, Case] = {
    "partnership_home": Case(org_url("partnership_home", **P), ANY_MEMBER, MEMBERS_ONLY),
    "partnership_end": Case(org_url("partnership_end", **P), ANY_MEMBER, MEMBERS_ONLY),
    "partnership_reflection": Case(
        org_url("partnership_reflection", **P), ANY_MEMBER, MEMBERS_ONLY
    ),
}
