"""Small builders for program tests, on top of the shared personas."""

from __future__ import annotations

from typing import Any

from twoway.accounts.models import Organization
from twoway.people.models import Person
from twoway.programs.models import Enrolment, MatchRound, Program, ProgramStatus, RoundStatus


def make_program(org: Organization, **fields: Any) -> Program:
    defaults: dict[str, Any] = {"name": "Peer partners", "status": ProgramStatus.OPEN}
    defaults.update(fields)
    return Program.objects.create(organization=org, **defaults)


def enrol(program: Program, person: Person, **fields: Any) -> Enrolment:
    skills = {s.skill_id: s for s in person.skills.all()}
    defaults: dict[str, Any] = {
        "offers": {str(k): s.strength for k, s in skills.items() if s.direction == "offer"}
        or {"0": 1},
        "seeks": {str(k): s.strength for k, s in skills.items() if s.direction == "seek"},
    }
    defaults.update(fields)
    return Enrolment.objects.create(program=program, person=person, **defaults)


def make_people(org: Organization, n: int, prefix: str = "Person") -> list[Person]:
    """`n` people at once (bulk): a round of thousands must not take minutes to set up."""
    Person.objects.bulk_create(
        Person(organization=org, name=f"{prefix} {i}", email=f"{prefix.lower()}{i}@x.example")
        for i in range(n)
    )
    return list(Person.objects.filter(organization=org, name__startswith=prefix).order_by("pk"))


def make_draft(program: Program, people: list[Person]) -> MatchRound:
    """A draft round pairing `people` two by two, in order, each enrolled: the engine's output
    as publishing reads it, without running the engine (publishing is what is tested)."""
    Enrolment.objects.bulk_create(
        Enrolment(program=program, person=p, offers={"0": 1}, seeks={}) for p in people
    )
    pairs = [people[i : i + 2] for i in range(0, len(people) - 1, 2)]
    return MatchRound.objects.create(
        program=program,
        status=RoundStatus.DRAFT,
        result={
            "groups": [
                {
                    "id": str(i),
                    "members": [a.pk, b.pk],
                    "names": [a.name, b.name],
                    "score": 0.5,
                    "components": {},
                    "reasons": [f"{a.name} can help {b.name} with planning"],
                    "kind": "pair",
                    "locked": False,
                }
                for i, (a, b) in enumerate(pairs)
            ],
            "unmatched": [],
            "n": len(people),
        },
    )
