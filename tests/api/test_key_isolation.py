"""Every API operation against the three keys that must not get through (issue 15): no key
(401), a key of the organization lacking the operation's scope (403), and a key of another
organization with every scope (404 for an object of the first, or a list without its objects).
None of them changes anything. A new operation without a row here fails the test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.helpers import ALL_SCOPES, Api, key_for
from tests.conftest import World
from twoway.api.models import Scope
from twoway.people.models import Person, Skill
from twoway.programs import rounds
from twoway.programs.models import (
    Enrolment,
    MatchRound,
    Partnership,
    Program,
    ProgramStatus,
)
from twoway.programs.services import enrolment_save, partnership_create


@dataclass
class Acme:
    program: Program
    match_round: MatchRound
    partnership: Partnership
    alice: int


def acme(world: World) -> Acme:
    program = Program.objects.create(
        organization=world.acme, name="Peers", status=ProgramStatus.OPEN
    )
    for person in (world.alice_person, world.bob_person):
        enrolment_save(
            program=program,
            person=person,
            offers={world.sql.pk: 2},
            seeks={world.sales.pk: 2},
            goals="",
            meeting_preference="either",
            capacity=1,
        )
    match_round = rounds.round_create(program=program, actor=None)
    partnership = partnership_create(
        program=program, people=[world.carol_person, world.bob_person], source="hand"
    )
    return Acme(program, match_round, partnership, world.alice_person.pk)


@dataclass
class Op:
    scope: Scope
    path: Callable[[Acme], str]
    body: dict[str, Any] | Callable[[Acme], dict[str, Any]] | None = None
    # A list of the key's own organization (another organization's key sees none of Acme's);
    # otherwise the path names an Acme object (another organization's key gets a 404), or a
    # create, which for another organization's key makes its own.
    lists: bool = False
    creates: bool = False


R, W = Scope.DIRECTORY_READ, Scope.DIRECTORY_WRITE
PR, PW, IR = Scope.PROGRAMS_READ, Scope.PROGRAMS_WRITE, Scope.INSIGHTS_READ

OPS: dict[tuple[str, str], Op] = {
    ("get", "/people"): Op(R, lambda a: "people", lists=True),
    ("post", "/people"): Op(
        W, lambda a: "people", {"email": "alice@acme.example", "name": "Alice Hijack"}, creates=True
    ),
    ("get", "/people/{person_id}"): Op(R, lambda a: f"people/{a.alice}"),
    ("patch", "/people/{person_id}"): Op(W, lambda a: f"people/{a.alice}", {"title": "Hacked"}),
    ("post", "/people/{person_id}/deactivate"): Op(W, lambda a: f"people/{a.alice}/deactivate", {}),
    ("get", "/skills"): Op(R, lambda a: "skills", lists=True),
    ("get", "/programs"): Op(PR, lambda a: "programs", lists=True),
    ("post", "/programs"): Op(PW, lambda a: "programs", {"name": "Elsewhere"}, creates=True),
    ("get", "/programs/{program_id}"): Op(PR, lambda a: f"programs/{a.program.pk}"),
    ("patch", "/programs/{program_id}"): Op(
        PW, lambda a: f"programs/{a.program.pk}", {"name": "Hacked"}
    ),
    ("post", "/programs/{program_id}/status"): Op(
        PW, lambda a: f"programs/{a.program.pk}/status", {"status": "closed"}
    ),
    ("get", "/programs/{program_id}/enrolments"): Op(
        PR, lambda a: f"programs/{a.program.pk}/enrolments"
    ),
    ("post", "/programs/{program_id}/enrolments"): Op(
        PW,
        lambda a: f"programs/{a.program.pk}/enrolments",
        lambda a: {"person_id": a.alice, "capacity": 3},
    ),
    ("post", "/programs/{program_id}/enrolments/{person_id}/withdraw"): Op(
        PW, lambda a: f"programs/{a.program.pk}/enrolments/{a.alice}/withdraw", {}
    ),
    ("get", "/programs/{program_id}/insights"): Op(
        IR, lambda a: f"programs/{a.program.pk}/insights"
    ),
    ("post", "/programs/{program_id}/rounds"): Op(
        PW, lambda a: f"programs/{a.program.pk}/rounds", {}
    ),
    ("get", "/rounds/{round_id}"): Op(PR, lambda a: f"rounds/{a.match_round.pk}"),
    ("post", "/rounds/{round_id}/publish"): Op(
        PW, lambda a: f"rounds/{a.match_round.pk}/publish", {}
    ),
    ("get", "/partnerships"): Op(PR, lambda a: "partnerships", lists=True),
    ("get", "/partnerships/{partnership_id}"): Op(PR, lambda a: f"partnerships/{a.partnership.pk}"),
    ("post", "/partnerships/{partnership_id}/end"): Op(
        PW, lambda a: f"partnerships/{a.partnership.pk}/end", {"reason": "x"}
    ),
}


def test_every_operation_has_a_row() -> None:
    from twoway.api.urls import api

    schema = api.get_openapi_schema(path_prefix="")
    operations = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    assert operations == set(OPS)


def snapshot(world: World, a: Acme) -> Any:
    """What any of the refused calls could have changed in Acme."""
    return (
        list(
            Person.objects.filter(organization=world.acme)
            .order_by("pk")
            .values_list("pk", "name", "title", "email", "is_active")
        ),
        list(Program.objects.filter(organization=world.acme).values_list("pk", "name", "status")),
        list(Enrolment.objects.order_by("pk").values_list("pk", "status", "capacity")),
        list(MatchRound.objects.order_by("pk").values_list("pk", "status")),
        list(Partnership.objects.order_by("pk").values_list("pk", "status")),
    )


def call(api: Api, method: str, op: Op, a: Acme) -> Any:
    path = op.path(a)
    if method == "get":
        return api.get(path)
    return getattr(api, method)(path, op.body(a) if callable(op.body) else op.body)


@pytest.mark.parametrize(("method", "path"), list(OPS))
def test_no_key_a_key_without_the_scope_and_another_organizations_key_get_nothing(
    world: World, method: str, path: str
) -> None:
    op = OPS[(method, path)]
    a = acme(world)
    before = snapshot(world, a)

    assert call(Api(None), method, op, a).status_code == 401

    lacking = Api(key_for(world, scopes=[s for s in ALL_SCOPES if s != op.scope.value]))
    refused = call(lacking, method, op, a)
    assert refused.status_code == 403, refused.content
    assert op.scope.value in refused.json()["detail"]

    globex = Api(key_for(world, org=world.globex))
    answer = call(globex, method, op, a)
    if op.lists:
        assert answer.status_code == 200
        body = answer.json()
        items = body["items"] if isinstance(body, dict) else body
        acme_ids = {
            "people": {p[0] for p in before[0]},
            "skills": set(
                Skill.objects.filter(organization=world.acme).values_list("pk", flat=True)
            ),
            "programs": {a.program.pk},
            "partnerships": {a.partnership.pk},
        }[op.path(a)]
        assert not {item["id"] for item in items} & acme_ids
    elif op.creates:
        assert answer.status_code == 201, answer.content
        model: Any = Person if op.path(a) == "people" else Program
        made = model.objects.get(pk=answer.json()["id"])
        assert made.organization_id == world.globex.pk
    else:
        assert answer.status_code == 404, answer.content
    assert snapshot(world, a) == before
