"""Bad input gets a clear answer and changes nothing, never a 500. Issue 12 item 16.

The property test finds the forms by reading the pages: every page of the isolation matrix is
opened as the first persona allowed to see it, every POST form on it is read (fields, hidden
values, choices), and hypothesis posts generated values to it: text with NUL and control
characters, huge numbers, far dates, empty and very long strings. A 500 fails (the test client
raises it); a refusal (4xx, or the form shown again with errors) must not have written anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin

import pytest
from django.db import connection, transaction
from django.http.response import HttpResponseBase
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import World, client_for
from tests.isolation import Case
from tests.partnerships.factories import goal, pair, past_checkin, program
from tests.test_isolation import CASES
from twoway.goals.models import Milestone
from twoway.meetings.models import CheckIn, CheckinSeries


@dataclass
class Form:
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> values seen
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type
    multipart: bool = False

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)


# A plausible value for an empty input of each type, so that one bad field at a time reaches
# the code past the form's other checks (a far date only overflows once the rest is valid).
PLAUSIBLE = {
    "number": "30",
    "date": "2027-01-04",
    "time": "10:00",
    "datetime-local": "2027-01-04T10:00",
    "email": "someone@acme.example",
    "url": "https://example.com/",
    "checkbox": "on",
}


class FormReader(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self.current = Form(
                    urljoin(self.page_url, a.get("action") or self.page_url),
                    multipart=a.get("enctype", "") == "multipart/form-data",
                )
            return
        if self.current is None:
            return
        name = a.get("name", "")
        kind = a.get("type", "text")
        if tag in ("input", "textarea", "button") and name and kind != "file":
            if name != "csrfmiddlewaretoken":
                self.current.kinds[name] = kind
                self.current.add(name, a.get("value", "") or a.get("min", ""))
                self.current.add(name, PLAUSIBLE.get(kind, "Plain words"))
        elif tag == "select" and name:
            self.select = name
            self.current.fields.setdefault(name, [])
        elif tag == "option" and self.select:
            self.current.fields[self.select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None
        elif tag == "select":
            self.select = None


PERSONAS = ("carol", "alice", "bob")  # the admin first: admin pages carry the most forms
FORM_PAGES = sorted(
    name
    for name, case in CASES.items()
    if case.method == "get" and any(case.expected(p) == 200 for p in PERSONAS)
)

# Pages on which the first persona allowed to open them sees no POST form with a field to fill:
# reads, downloads, redirects for a signed-in person, and forms of buttons only. The walk below
# checks this stays true, so a form added to one of them is fuzzed instead of passed over.
NO_FORM_PAGES = frozenset(
    {
        "admin",
        "blocks",
        "boundaries",
        "checkin_series_ics",
        "directory",
        "directory_import_errors",
        "directory_invitations",
        "healthz",
        "home",
        "login",
        "logout",
        "my_insights",
        "my_partnerships",
        "my_profile",
        "notification_outbox",
        "notifications_unsubscribe",
        "openapi-json",
        "openapi-view",
        "org_home",
        "partnership_home",
        "password_change_done",
        "password_reset_complete",
        "password_reset_confirm",
        "password_reset_done",
        "person_detail",
        "program_enrolments",
        "program_insights",
        "program_insights_csv",
        "program_peers",
        "programs_list",
        "request_new",
        "requests",
        "round_detail",
        "slack_oauth_callback",
        "slack_settings",
        "wellbeing",
    }
)

NASTY = st.sampled_from(
    [
        "",
        "abc",
        "9999-12-31",
        "0001-01-01",
        "9999-12-31T23:59",
        "0001-01-01T00:00",
        "9999-12-31 23:59",
        "1e309",
        "nan",
        "-1",
        "99999999999999999999",
        "x" * 5000,
    ]
)
# The worst values for each type of input, drawn as often as all the others together.
FOR_KIND = {
    "date": ["9999-12-31", "0001-01-01", "2027-02-30"],
    "datetime-local": ["9999-12-31T23:59", "0001-01-01T00:00", "2027-01-04T25:00"],
    "time": ["24:00", "23:59:60"],
    "number": ["99999999999999999999", "-99999999999999999999", "1e309", "nan", "-1", "0"],
    "hidden": ["abc", "-1", "99999999999999999999", "0"],
}


def spoil(kind: str) -> st.SearchStrategy[str]:
    worst = FOR_KIND.get(kind, ["x" * 5000, "a\x00b", "\x1b[31m"])
    return st.one_of(st.sampled_from(worst), WEIRD)


# NASTY three times: one_of picks a branch evenly, and these are the values that found 500s.
WEIRD = st.one_of(
    NASTY,
    NASTY,
    NASTY,
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.text(alphabet=st.sampled_from("\x00\x01\x08\x0b\x1b\r\n\t\u2028a"), max_size=10),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


def values_for(seen: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from([v for v in seen if v] or [""])


URLENCODED = "application/x-www-form-urlencoded"
WRITES = ("INSERT", "UPDATE", "DELETE")
NOT_DATA = ("django_session", "axes_")  # the session and sign-in bookkeeping are not the data


def writes_in(queries: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(WRITES) and not any(t in q["sql"] for t in NOT_DATA)
    ]


def refused(response: HttpResponseBase) -> bool:
    """A 4xx, or the page shown again with a form's errors (a 200 alone can be a success, such
    as a new API key shown once)."""
    if response.status_code >= 400:
        return True
    return response.status_code == 200 and b'class="errorlist' in getattr(response, "content", b"")


def forms_on(case: Case, world: World) -> tuple[Client, list[Form]]:
    persona = next(p for p in PERSONAS if case.expected(p) == 200)
    client = client_for(getattr(world, persona))
    url = case.build(world)
    page = client.get(url)
    if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
        return client, []
    reader = FormReader("http://testserver" + url)
    reader.feed(page.content.decode())
    return client, [f for f in reader.forms if f.fields]


@pytest.mark.parametrize("name", FORM_PAGES)
def test_no_form_answers_500_or_writes_when_it_refuses(world: World, name: str) -> None:
    # The goal has a milestone so that its toggle is on the page.
    Milestone.objects.get_or_create(goal=goal(world), title="First step")
    pair(world)
    client, forms = forms_on(CASES[name], world)
    if name in NO_FORM_PAGES:
        assert not forms, f"{name} has a form to fill now: take it out of NO_FORM_PAGES"
        return
    assert forms, f"{name} shows no form to fill: add it to NO_FORM_PAGES if that is right"

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.data())
    def post_something(data: st.DataObject) -> None:
        form = data.draw(st.sampled_from(forms))
        names = sorted(form.fields)
        spoilt = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=2), label="bad")
        payload = {
            k: data.draw(
                spoil(form.kinds.get(k, "")) if k in spoilt else values_for(form.fields[k]),
                label=k,
            )
            for k in names
        }
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                if form.multipart:
                    response = client.post(form.action, payload)
                else:  # as a browser sends a form without enctype
                    response = client.post(form.action, urlencode(payload), content_type=URLENCODED)
            if refused(response):
                assert not writes_in(queries.captured_queries), (form.action, payload)
            transaction.set_rollback(True)

    post_something()


def test_a_milestone_that_is_not_a_number_is_a_400(world: World) -> None:
    Milestone.objects.create(goal=goal(world), title="First step")
    g = goal(world)
    url = reverse(
        "goal_detail",
        kwargs={"org_slug": "acme", "partnership_id": g.partnership_id, "goal_id": g.pk},
    )
    response = client_for(world.alice).post(url, {"action": "toggle", "milestone": "abc"})
    assert response.status_code == 400
    assert not Milestone.objects.filter(done_at__isnull=False).exists()


@pytest.mark.parametrize("url_name", ["program_peers", "directory", "directory_invitations"])
def test_a_nul_byte_in_a_search_is_a_clear_400(world: World, url_name: str) -> None:
    kwargs: dict[str, object] = {"org_slug": "acme"}
    if url_name == "program_peers":
        kwargs["program_id"] = program(world).pk
    response = client_for(world.carol).get(reverse(url_name, kwargs=kwargs), {"q": "\x00"})
    assert response.status_code == 400
    assert b"NUL character" in response.content


@pytest.mark.parametrize("path", ["/calendar/%00abc.ics", "/unsubscribe/%00abc/", "/invite/%00/"])
def test_a_nul_byte_in_an_address_is_a_404(world: World, path: str) -> None:
    assert Client().get(path).status_code == 404


def test_a_far_date_is_refused_with_a_message(world: World) -> None:
    p = pair(world)
    client = client_for(world.alice)
    url = reverse("checkin_schedule", kwargs={"org_slug": "acme", "partnership_id": p.pk})
    schedule = {
        "weekday": "1",
        "local_time": "10:00",
        "time_zone": "Pacific/Kiritimati",
        "every_weeks": "1",
        "duration_minutes": "30",
        "mode": "video",
        "location": "",
        "start_on": "9999-12-31",
    }
    response = client.post(url, schedule)
    assert response.status_code in (200, 400)
    assert b"Choose a date between 1900 and 2199" in response.content
    assert not CheckinSeries.objects.exists()
    checkin = past_checkin(world)
    url = reverse(
        "checkin_detail",
        kwargs={"org_slug": "acme", "partnership_id": p.pk, "checkin_id": checkin.pk},
    )
    response = client.post(url, {"action": "next", "next-start": "9999-12-31T23:59"})
    assert response.status_code in (200, 400)
    assert CheckIn.objects.count() == 1
