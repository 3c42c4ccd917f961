"""Goals of a partnership: members only; only the goal's owner (alice) changes it."""

from tests.isolation import ANY_MEMBER, Case, org_url
from tests.partnerships.factories import goal, pair
from tests.partnerships.isolation_cases import MEMBERS_ONLY

P = {"partnership_id": lambda w: pair(w).pk}

CASES: dict[str, Case] = {
    "goal_create": Case(org_url("goal_create", **P), ANY_MEMBER, MEMBERS_ONLY),
    "goal_detail": Case(
        org_url("goal_detail", **P, goal_id=lambda w: goal(w).pk), ANY_MEMBER, MEMBERS_ONLY
    ),
    "goal_edit": Case(
        org_url("goal_edit", **P, goal_id=lambda w: goal(w).pk),
        ANY_MEMBER,
        {**MEMBERS_ONLY, "bob": 404},
    ),
}
