"""Program URLs for the isolation matrix. Objects are made on demand in Acme: a program with alice
and bob enrolled, a request from bob to alice, a round."""

from __future__ import annotations

from tests.conftest import World
from tests.isolation import ANY_MEMBER, PROGRAM_MANAGER, Case, org_url
from tests.programs.helpers import enrol, make_program
from twoway.programs.models import Enrolment, MatchRequest, MatchRound, Program


def program(w: World) -> int:
    existing = Program.objects.filter(organization=w.acme).first()
    if existing:
        return existing.pk
    p = make_program(w.acme)
    for person in (w.alice_person, w.bob_person, w.carol_person):
        enrol(p, person)
    return p.pk


def round_id(w: World) -> int:
    p = Program.objects.get(pk=program(w))
    return MatchRound.objects.get_or_create(program=p, defaults={"status": "draft"})[0].pk


def request_id(w: World) -> int:
    p = Program.objects.get(pk=program(w))
    return MatchRequest.objects.get_or_create(
        program=p, sender=w.bob_person, receiver=w.alice_person, defaults={"note": "Hi!"}
    )[0].pk


def person(w: World) -> int:
    return w.bob_person.pk


P = {"program_id": program}
MEMBERS_ONLY = {"alice": 200, "bob": 200, "carol": 200}

CASES: dict[str, Case] = {
    "programs_list": Case(org_url("programs_list"), ANY_MEMBER),
    "program_new": Case(org_url("program_new"), PROGRAM_MANAGER),
    "program_detail": Case(org_url("program_detail", **P), ANY_MEMBER),
    "program_edit": Case(org_url("program_edit", **P), PROGRAM_MANAGER),
    "program_status": Case(
        org_url("program_status", **P),
        PROGRAM_MANAGER,
        method="post",
        data=lambda w: {"status": "paused"},
    ),
    "program_enrolments": Case(org_url("program_enrolments", **P), PROGRAM_MANAGER),
    "program_enrol": Case(org_url("program_enrol", **P), ANY_MEMBER),
    "program_withdraw": Case(org_url("program_withdraw", **P), ANY_MEMBER, method="post"),
    "program_rematch": Case(
        org_url("program_rematch", **P),
        ANY_MEMBER,
        method="post",
        data=lambda w: {"wants_rematch": "yes"},
    ),
    "program_peers": Case(org_url("program_peers", **P), ANY_MEMBER),
    "request_new": Case(
        org_url("request_new", program_id=program, person_id=lambda w: w.carol_person.pk),
        ANY_MEMBER,
        # carol cannot ask herself: her own id is a 404 for her.
        expect={"carol": 404},
    ),
    "round_create": Case(org_url("round_create", **P), PROGRAM_MANAGER, method="post"),
    "round_detail": Case(
        org_url("round_detail", program_id=program, round_id=round_id), PROGRAM_MANAGER
    ),
    "round_adjust": Case(
        org_url("round_adjust", program_id=program, round_id=round_id),
        PROGRAM_MANAGER,
        method="post",
    ),
    "round_publish": Case(
        org_url("round_publish", program_id=program, round_id=round_id),
        PROGRAM_MANAGER,
        method="post",
    ),
    "round_discard": Case(
        org_url("round_discard", program_id=program, round_id=round_id),
        PROGRAM_MANAGER,
        method="post",
    ),
    "requests": Case(org_url("requests"), ANY_MEMBER),
    # Only the receiver (alice) may answer and only the sender (bob) may withdraw.
    "request_respond": Case(
        org_url("request_respond", request_id=request_id),
        ANY_MEMBER,
        method="post",
        data=lambda w: {"decision": "decline"},
        expect={"alice": 302, "bob": 404, "carol": 404, "dave": 404},
    ),
    "request_withdraw": Case(
        org_url("request_withdraw", request_id=request_id),
        ANY_MEMBER,
        method="post",
        expect={"alice": 404, "bob": 302, "carol": 404, "dave": 404},
    ),
    "my_partnerships": Case(org_url("my_partnerships"), ANY_MEMBER),
    "blocks": Case(org_url("blocks"), ANY_MEMBER),
    "block_add": Case(org_url("block_add", person_id=person), ANY_MEMBER, method="post"),
    "block_remove": Case(org_url("block_remove", person_id=person), ANY_MEMBER, method="post"),
}

__all__ = ["CASES", "Enrolment"]
