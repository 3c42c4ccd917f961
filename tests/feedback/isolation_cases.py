"""Feedback, the fit check and the pulse: members only; my wellbeing page: any member (it
shows only their own answers)."""

from tests.isolation import ANY_MEMBER, Case, org_url
from tests.partnerships.factories import pair, past_checkin
from tests.partnerships.isolation_cases import MEMBERS_ONLY

P = {"partnership_id": lambda w: pair(w).pk}

CASES: dict[str, Case] = {
    "partnership_feedback": Case(org_url("partnership_feedback", **P), ANY_MEMBER, MEMBERS_ONLY),
    "fit_check": Case(
        org_url("fit_check", **P),
        ANY_MEMBER,
        MEMBERS_ONLY,
        method="post",
        data=lambda w: {"answer": "good"},
    ),
    "pulse": Case(
        org_url("pulse", **P, checkin_id=lambda w: past_checkin(w).pk), ANY_MEMBER, MEMBERS_ONLY
    ),
    "wellbeing": Case(org_url("wellbeing"), ANY_MEMBER),
}
