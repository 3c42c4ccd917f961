"""The public API at /api/v1/: keys, scopes, isolation, paging, writes through the services,
problem details and the rate limit (issue 15)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.helpers import Api, key_for
from tests.conftest import World, client_for, make_member
from tests.programs.helpers import make_people, make_program
from twoway.accounts.models import AuditEvent, Role
from twoway.api.models import ApiKey
from twoway.people.models import Person
from twoway.programs.models import Enrolment, EnrolmentStatus

PROBLEM = "application/problem+json"


def test_it_refuses_no_key_a_wrong_key_a_revoked_and_an_expired_key(world: World) -> None:
    response = Api(None).get("people")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["status"] == 401
    assert Api("twapi_0000_nope").get("people").status_code == 401
    secret = key_for(world)
    assert Api(secret).get("people").status_code == 200
    key = ApiKey.objects.get()
    assert secret not in key.key_hash and len(key.key_hash) == 64
    assert key.last_used is not None
    client_for(world.carol).post(f"/o/acme/settings/api-keys/{key.pk}/revoke/")
    assert Api(secret).get("people").status_code == 401
    assert AuditEvent.objects.filter(action="api.key_revoke").exists()
    expiring = key_for(world)
    ApiKey.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert Api(expiring).get("people").status_code == 401


def test_a_key_needs_the_scope_of_the_operation(world: World) -> None:
    reader = Api(key_for(world, scopes=["directory:read"]))
    assert reader.get("people").status_code == 200
    refused = reader.post("people", {"email": "new@acme.example", "name": "New"})
    assert refused.status_code == 403
    assert "directory:write" in refused.json()["detail"]
    assert reader.get("programs").status_code == 403
    assert not Person.objects.filter(email="new@acme.example").exists()


def test_a_key_of_one_organization_reaches_nothing_of_another(world: World) -> None:
    globex = Api(key_for(world, org=world.globex))
    alice = world.alice_person
    listed = globex.get("people").json()
    assert [p["email"] for p in listed["items"]] == ["dave@globex.example"]
    assert globex.get(f"people/{alice.pk}").status_code == 404
    assert globex.patch(f"people/{alice.pk}", {"title": "Hacked"}).status_code == 404
    assert globex.post(f"people/{alice.pk}/deactivate", {}).status_code == 404
    alice.refresh_from_db()
    assert alice.is_active and alice.title != "Hacked"
    assert "Acme" not in json.dumps(globex.get("skills").json())


def test_it_pages_people_with_a_cursor_and_filters(world: World) -> None:
    for n in range(7):
        make_member(world.acme, f"p{n}@acme.example", f"Person {n}", Role.PARTICIPANT)
    api = Api(key_for(world))
    seen: list[int] = []
    cursor = None
    while True:
        page = api.get("people", limit=3, **({"cursor": cursor} if cursor else {})).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = list(
        Person.objects.filter(organization=world.acme).order_by("pk").values_list("pk", flat=True)
    )
    assert seen == expected
    only = api.get("people", email="ALICE@acme.example").json()["items"]
    assert [p["id"] for p in only] == [world.alice_person.pk]
    bad = api.get("people", cursor="forged")
    assert bad.status_code == 422 and bad["Content-Type"] == PROBLEM
    naive = api.get("people", updated_since="2026-01-01T00:00:00")
    assert naive.status_code == 422
    assert api.get("people", updated_since="-9532909").status_code == 422
    assert api.get("people", updated_since="2026-01-01T00:00:00Z").status_code == 200
    far_offset = api.get("people", updated_since="2014-12-26T14:26:56.582271-21:20")
    assert far_offset.status_code == 200
    ancient = api.get("people", updated_since="0312-11-28T01:47:14-23:47")
    assert ancient.status_code == 200 and len(ancient.json()["items"]) == len(expected)
    assert api.get("people", limit=0).status_code == 422


def test_listing_people_costs_the_same_queries_for_any_number_of_people(world: World) -> None:
    api = Api(key_for(world))
    api.get("people", limit=100)  # the key's first use writes last_used
    with CaptureQueriesContext(connection) as few:
        assert api.get("people", limit=100).status_code == 200
    for n in range(40):
        make_member(world.acme, f"q{n}@acme.example", f"Quinn {n}", Role.PARTICIPANT)
    with CaptureQueriesContext(connection) as many:
        body = api.get("people", limit=100).json()
    assert len(body["items"]) > 40
    assert len(many.captured_queries) == len(few.captured_queries)


def test_it_creates_updates_and_deactivates_through_the_directory(world: World) -> None:
    api = Api(key_for(world))
    made = api.post(
        "people",
        {
            "email": "Erin@Acme.example",
            "name": "Erin Example",
            "department": "Finance",
            "manager": "bob@acme.example",
            "employee_id": "E-9",
        },
    )
    assert made.status_code == 201, made.content
    erin = Person.objects.get(organization=world.acme, email="erin@acme.example")
    assert erin.manager_id == world.bob_person.pk and erin.employee_id == "E-9"
    again = api.post(
        "people", {"email": "erin@acme.example", "name": "Erin Example", "title": "Analyst"}
    )
    assert again.status_code == 200 and again.json()["id"] == erin.pk
    changed = api.patch(f"people/{erin.pk}", {"title": "Senior analyst", "level": 3})
    assert changed.status_code == 200
    assert changed.json()["title"] == "Senior analyst"
    left = api.post(f"people/{erin.pk}/deactivate", {"left_on": "2026-11-30"})
    assert left.status_code == 200
    assert left.json()["is_active"] is False and left.json()["left_on"] == "2026-11-30"


def test_bad_input_is_a_problem_and_changes_nothing(world: World) -> None:
    api = Api(key_for(world))
    before = Person.objects.count()
    for body, status in (
        ({"email": "not-an-email", "name": "X"}, 422),
        ({"email": "x@acme.example"}, 422),
        ({"email": "x@acme.example", "name": "Two\nlines"}, 422),
        ({"email": "x@acme.example", "name": "X", "level": 0}, 422),
        ({"email": "x@acme.example", "name": "X", "time_zone": "Mars/Olympus"}, 422),
        ({"email": "x@acme.example", "name": "X", "manager": "nobody@acme.example"}, 409),
    ):
        response = api.post("people", body)
        assert response.status_code == status, (body, response.content)
        assert response["Content-Type"] == PROBLEM
    assert api.patch(f"people/{world.alice_person.pk}", {"name": None}).status_code == 422
    assert api.patch(f"people/{world.alice_person.pk}", {"titel": "typo"}).status_code == 422
    garbage = api.client.post("/api/v1/people", b"{nope", content_type="application/json")
    assert garbage.status_code in (400, 422)
    assert Person.objects.count() == before


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_it_limits_each_key_and_says_when_to_retry(world: World) -> None:
    busy, other = Api(key_for(world)), Api(key_for(world))
    statuses = [busy.get("skills").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = busy.get("skills")
    assert limited["Content-Type"] == PROBLEM
    assert 0 < int(limited["Retry-After"]) <= 60
    assert other.get("skills").status_code == 200


def test_partnerships_show_counts_and_never_what_a_pair_wrote(world: World) -> None:
    from tests.partnerships.factories import pair, past_checkin

    partnership = pair(world)
    past_checkin(world)
    api = Api(key_for(world))
    body = api.get(f"partnerships/{partnership.pk}").json()
    assert {m["person_id"] for m in body["members"]} >= {world.alice_person.pk}
    assert set(body["checkins"]) == {"held", "missed", "cancelled", "scheduled", "last_held"}
    assert "notes" not in json.dumps(body) and "reason" not in json.dumps(body)
    listed = api.get("partnerships", program_id=partnership.program_id).json()
    assert [p["id"] for p in listed["items"]] == [partnership.pk]
    globex = Api(key_for(world, org=world.globex))
    assert globex.get(f"partnerships/{partnership.pk}").status_code == 404


def test_the_key_page_shows_a_new_key_once_and_refuses_bad_input(world: World) -> None:
    carol = client_for(world.carol)
    refused = carol.post("/o/acme/settings/api-keys/", {"name": "Workday"})
    assert refused.status_code == 400 and not ApiKey.objects.exists()
    past = carol.post(
        "/o/acme/settings/api-keys/",
        {"name": "Workday", "scopes": ["directory:read"], "expires_on": "2020-01-01"},
    )
    assert past.status_code == 400 and not ApiKey.objects.exists()
    made = carol.post(
        "/o/acme/settings/api-keys/", {"name": "Workday", "scopes": ["directory:read"]}
    )
    key = ApiKey.objects.get()
    assert f"twapi_{key.prefix}_".encode() in made.content
    assert f"twapi_{key.prefix}_".encode() not in carol.get("/o/acme/settings/api-keys/").content
    assert AuditEvent.objects.filter(action="api.key_create").exists()
    assert client_for(world.bob).get("/o/acme/settings/api-keys/").status_code == 403


def test_the_committed_openapi_document_is_the_generated_one() -> None:
    """A change to the API shows in review as a change to docs/openapi.json
    (`twoway openapi > docs/openapi.json` writes it)."""
    from twoway.api.urls import api

    committed = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
    generated = api.get_openapi_schema(path_prefix="/api/v1/")
    assert json.loads(committed.read_text()) == json.loads(json.dumps(generated)), (
        "docs/openapi.json is stale: run `twoway openapi > docs/openapi.json`"
    )


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_the_schema_and_docs_are_public(db: None, path: str) -> None:
    assert Client().get(path).status_code == 200


def test_a_write_only_key_can_write_but_not_list(world: World) -> None:
    writer = Api(key_for(world, scopes=["directory:write"]))
    assert writer.get("people").status_code == 403
    made = writer.post("people", {"email": "wo@acme.example", "name": "Write Only"})
    assert made.status_code == 201
    assert writer.patch(f"people/{made.json()['id']}", {"title": "T"}).status_code == 200


def test_unknown_and_repeated_query_parameters_are_refused(world: World) -> None:
    api = Api(key_for(world))
    assert api.get("people", limt=10).status_code == 422
    assert api.client.get("/api/v1/people?team=a&team=b").status_code == 422
    assert api.get(f"people/{world.alice_person.pk}", extra=1).status_code == 422


def test_an_unknown_path_or_method_is_a_problem_too(world: World) -> None:
    client = Api(key_for(world)).client
    unknown = client.get("/api/v1/nope")
    assert unknown.status_code == 404 and unknown["Content-Type"] == PROBLEM
    assert unknown.json()["instance"] == "/api/v1/nope"
    wrong = client.delete("/api/v1/people")
    assert wrong.status_code == 405 and wrong["Content-Type"] == PROBLEM
    assert set(wrong["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert wrong.json()["status"] == 405 and "GET" in wrong.json()["detail"]
    # The pages keep their own 404 page.
    page = client_for(world.alice).get("/o/nope/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_it_pages_a_programs_enrolments_and_the_queries_do_not_grow(world: World) -> None:
    """A 20,000-person program answered 2.2 MB in one response before (bench/pages.py)."""
    program = make_program(world.acme, name="Paged")
    api = Api(key_for(world, scopes=["programs:read"]))
    people = make_people(world.acme, 3, prefix="Few")
    Enrolment.objects.bulk_create(Enrolment(program=program, person=p) for p in people)
    path = f"programs/{program.pk}/enrolments"
    api.get(path)  # the key's first use writes last_used
    with CaptureQueriesContext(connection) as few:
        assert api.get(path, limit=100).status_code == 200
    more = make_people(world.acme, 130, prefix="Many")
    Enrolment.objects.bulk_create(Enrolment(program=program, person=p) for p in more)
    with CaptureQueriesContext(connection) as many:
        first = api.get(path, limit=100).json()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(first["items"]) == 100 and first["next_cursor"]
    rest = api.get(path, limit=100, cursor=first["next_cursor"]).json()
    assert rest["next_cursor"] is None
    listed = [e["person_id"] for e in first["items"] + rest["items"]]
    assert listed == [p.pk for p in people + more]
    Enrolment.objects.filter(person=people[0]).update(status=EnrolmentStatus.WITHDRAWN)
    withdrawn = api.get(path, status="withdrawn").json()["items"]
    assert [e["person_id"] for e in withdrawn] == [people[0].pk]
    assert api.get(path, limt=10).status_code == 422
