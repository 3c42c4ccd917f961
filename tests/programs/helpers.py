"""Small builders for program tests, on top of the shared personas."""

from __future__ import annotations

from typing import Any

from twoway.accounts.models import Organization
from twoway.people.models import Person
from twoway.programs.models import Enrolment, Program, ProgramStatus


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
