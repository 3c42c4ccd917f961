"""Check-ins of a partnership (members only) and the personal calendar feed."""

from tests.isolation import ANY_MEMBER, PUBLIC, Case, org_url
from tests.partnerships.factories import pair, past_checkin, series
from tests.partnerships.isolation_cases import MEMBERS_ONLY

P = {"partnership_id": lambda w: pair(w).pk}

CASES: dict[str, Case] = {
    "checkin_schedule": Case(org_url("checkin_schedule", **P), ANY_MEMBER, MEMBERS_ONLY),
    "checkin_series_ics": Case(
        org_url("checkin_series_ics", partnership_id=lambda w: series(w).partnership_id),
        ANY_MEMBER,
        MEMBERS_ONLY,
    ),
    "checkin_informal": Case(org_url("checkin_informal", **P), ANY_MEMBER, MEMBERS_ONLY),
    "checkin_detail": Case(
        org_url("checkin_detail", **P, checkin_id=lambda w: past_checkin(w).pk),
        ANY_MEMBER,
        MEMBERS_ONLY,
    ),
    "calendar_settings": Case(org_url("calendar_settings"), ANY_MEMBER),
    # A public secret URL: an unknown token is a 404 for everyone (tests/meetings/test_feed.py
    # shows that a real token works without signing in, and a revoked one does not).
    "calendar_feed": Case(
        lambda w: "/calendar/not-a-real-token.ics",
        PUBLIC,
        {"alice": 404, "bob": 404, "carol": 404, "dave": 404},
    ),
}
