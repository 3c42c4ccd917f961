"""Requests answered at the same moment, on PostgreSQL: no deadlock, no pair left half-made.

Each test runs real transactions in threads (one connection each) and is bounded in time: a
thread still running after the timeout fails the test instead of hanging the suite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from tests.conftest import World, make_member, require_postgres
from tests.programs.helpers import enrol, make_program
from twoway.accounts.models import Role
from twoway.people.models import Person
from twoway.programs import rounds, services
from twoway.programs.models import (
    Enrolment,
    MatchRequest,
    MatchRound,
    Partnership,
    PartnershipMember,
    Program,
    RequestStatus,
)
from twoway.programs.services import ProgramError

# Threads on PostgreSQL, bounded at a minute each.
pytestmark = pytest.mark.slow

TIMEOUT = 60


def run_together(jobs: list[Callable[[], None]]) -> list[str]:
    """Start every job at the same instant; return each one's outcome ("ok", a refusal, or the
    name of the database error)."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job: Callable[[], None]) -> None:
        try:
            barrier.wait()
            job()
            outcome = "ok"
        except ProgramError as exc:
            outcome = f"refused: {exc}"
        except Exception as exc:
            outcome = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a request answer hung"
    return outcomes


def people(world: World, program: Program, n: int, **enrolment: object) -> list[Person]:
    found = []
    for i in range(n):
        person = make_member(world.acme, f"p{i}@acme.example", f"Peer {i:02}", Role.PARTICIPANT)[1]
        enrol(program, person, **enrolment)
        found.append(person)
    return found


@pytest.mark.django_db(transaction=True)
def test_it_answers_crossing_requests_at_once_without_a_deadlock(world: World) -> None:
    """Twelve people in a ring, each asked by both neighbours: every accept and decline runs at
    once, so each transaction shares a person (and the program) with two others. Locking the
    joined Program, Organization and Person rows made these deadlock; now each is answered."""
    require_postgres()
    program = make_program(world.acme, max_open_requests=5, max_level_gap=5)
    ring = people(world, program, 12, capacity=3)
    requests = []
    for i, person in enumerate(ring):
        for neighbour in (ring[(i + 1) % len(ring)], ring[(i + 5) % len(ring)]):
            requests.append(
                services.request_send(program=program, sender=person, receiver=neighbour, note="Hi")
            )

    def answer(request: MatchRequest, accept: bool) -> Callable[[], None]:
        def job() -> None:
            if accept:
                services.request_accept(request=request, by=request.receiver)
            else:
                services.request_decline(request=request, by=request.receiver)

        return job

    outcomes = run_together([answer(r, k % 3 != 2) for k, r in enumerate(requests)])
    errors = [o for o in outcomes if o.startswith("error")]
    assert errors == [], errors
    assert len(outcomes) == len(requests)
    assert not MatchRequest.objects.filter(program=program, status=RequestStatus.OPEN).exists()
    for person in ring:
        assert PartnershipMember.objects.filter(person=person).count() <= 3


@pytest.mark.django_db(transaction=True)
def test_it_pairs_two_people_who_ask_each_other_at_the_same_moment(world: World) -> None:
    """Alice asks Bob while Bob asks Alice: they become partners, not two open requests.

    A third transaction holds both enrolments for a moment, so that both requests are waiting at
    the same point and go on together when it lets go: the race, every time."""
    require_postgres()
    program = make_program(world.acme, max_level_gap=5)
    alice, bob = world.alice_person, world.bob_person
    enrol(program, alice)
    enrol(program, bob)

    def gate() -> None:
        with transaction.atomic():
            list(Enrolment.objects.select_for_update().filter(program=program))
            time.sleep(0.5)

    def ask(sender: Person, receiver: Person) -> Callable[[], None]:
        def job() -> None:
            time.sleep(0.1)  # let the gate take its locks first
            services.request_send(program=program, sender=sender, receiver=receiver, note="Hi")

        return job

    for _ in range(3):
        outcomes = run_together([gate, ask(alice, bob), ask(bob, alice)])
        assert [o for o in outcomes if o.startswith("error")] == []
        assert not MatchRequest.objects.filter(program=program, status=RequestStatus.OPEN).exists()
        partnership = Partnership.objects.get(program=program)
        assert set(partnership.members.values_list("person_id", flat=True)) == {alice.pk, bob.pk}
        MatchRequest.objects.filter(program=program).delete()
        partnership.delete()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_capacity_when_a_round_is_published_while_a_request_is_accepted(
    world: World,
) -> None:
    """The round no longer locks the program row (which made every answer wait on it), so its
    publishing batch locks the enrolments of its people as an answer does: whichever comes
    second sees the other's partnership and steps back (the accept is refused, or the batch
    leaves the two groups out and says so)."""
    require_postgres()
    program = make_program(world.acme, max_open_requests=5, max_level_gap=5)
    four = [world.alice_person, world.bob_person, world.carol_person]
    four.append(make_member(world.acme, "erin@acme.example", "Erin Ek", Role.PARTICIPANT)[1])
    for person in four:
        enrol(program, person, capacity=1)
    match_round = rounds.round_create(program=program, actor=world.bob)
    assert rounds.run_pending_rounds() == 1
    match_round.refresh_from_db()
    groups = [g["members"] for g in match_round.result["groups"]]
    assert len(groups) == 2, match_round.result
    by_id = {p.pk: p for p in four}
    sender, receiver = by_id[groups[0][0]], by_id[groups[1][0]]
    request = services.request_send(program=program, sender=sender, receiver=receiver, note="Hi")
    rounds.round_publish(match_round=match_round, actor=world.bob)

    def gate() -> None:
        # Holds the round too, so that publish and accept both wait here and go on together.
        with transaction.atomic():
            list(MatchRound.objects.select_for_update().filter(pk=match_round.pk))
            list(Enrolment.objects.select_for_update().filter(program=program))
            time.sleep(0.5)

    def publish() -> None:
        time.sleep(0.1)
        assert rounds.run_pending_publishes() == 1

    def accept() -> None:
        time.sleep(0.1)
        services.request_accept(request=request, by=receiver)

    outcomes = run_together([gate, publish, accept])
    assert [o for o in outcomes if o.startswith("error")] == [], outcomes
    match_round.refresh_from_db()
    assert match_round.status == "published", match_round.error
    skipped = [g["members"] for g in match_round.publish_skipped]
    refused = sum(o.startswith("refused") for o in outcomes)
    # Exactly one side stepped back: the accept, or the batch (both groups of the new pair).
    assert (refused, len(skipped)) in {(1, 0), (0, 2)}, (outcomes, skipped)
    for person in four:
        assert PartnershipMember.objects.filter(person=person).count() <= 1, person
