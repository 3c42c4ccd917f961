from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from tests.conftest import World, client_for, make_member, require_postgres
from tests.programs.helpers import enrol, make_program
from twoway.accounts.models import Role
from twoway.notifications.models import OutboxMessage
from twoway.people.models import Person
from twoway.programs import services
from twoway.programs.models import (
    MatchRequest,
    Partnership,
    PartnershipMember,
    PartnershipSource,
    Program,
    RequestStatus,
)
from twoway.programs.services import ProgramError


@pytest.fixture
def program(world: World) -> Program:
    # Alice (L3) and Carol (L5) are two steps apart: these tests are about requests, not levels.
    program = make_program(world.acme, max_open_requests=2, max_level_gap=2)
    for person in (world.alice_person, world.bob_person, world.carol_person):
        enrol(program, person)
    return program


def open_partners(program: Program, person: Person) -> int:
    return services.partners_in_program(program, person)


def test_it_sends_a_request_and_the_receiver_accepts(world: World, program: Program) -> None:
    request = services.request_send(
        program=program,
        sender=world.bob_person,
        receiver=world.alice_person,
        note="I'd love to learn SQL from you",
    )
    received = OutboxMessage.objects.get(recipient=world.alice_person, template="request_received")
    assert received.context["note"] == "I'd love to learn SQL from you"
    partnership = services.request_accept(
        request=request, by=world.alice_person, response="Happy to!"
    )
    assert partnership.source == PartnershipSource.REQUEST
    assert set(partnership.members.values_list("person_id", flat=True)) == {
        world.alice_person.pk,
        world.bob_person.pk,
    }
    assert partnership.reasons, "a request-made pair still says what each can bring the other"
    told = OutboxMessage.objects.get(recipient=world.bob_person, template="request_accepted")
    assert told.context["response"] == "Happy to!"
    assert OutboxMessage.objects.filter(kind="introduction").count() == 2


def test_a_decline_is_kind_and_pairs_nobody(world: World, program: Program) -> None:
    request = services.request_send(
        program=program, sender=world.bob_person, receiver=world.alice_person, note="Hi"
    )
    services.request_decline(
        request=request, by=world.alice_person, response="Not this quarter, sorry!"
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.DECLINED
    assert not Partnership.objects.exists()
    told = OutboxMessage.objects.get(recipient=world.bob_person, template="request_declined")
    assert told.context["response"] == "Not this quarter, sorry!"


def test_only_the_receiver_answers_and_only_the_sender_withdraws(
    world: World, program: Program
) -> None:
    request = services.request_send(
        program=program, sender=world.bob_person, receiver=world.alice_person, note="Hi"
    )
    with pytest.raises(ProgramError):
        services.request_accept(request=request, by=world.bob_person)
    with pytest.raises(ProgramError):
        services.request_withdraw(request=request, by=world.alice_person)
    services.request_withdraw(request=request, by=world.bob_person)
    with pytest.raises(ProgramError, match="no longer open"):
        services.request_accept(request=request, by=world.alice_person)


def test_requests_asking_for_each_other_pair_at_once(world: World, program: Program) -> None:
    services.request_send(
        program=program, sender=world.bob_person, receiver=world.alice_person, note="Hi Alice"
    )
    services.request_send(
        program=program, sender=world.alice_person, receiver=world.bob_person, note="Hi Bob"
    )
    assert Partnership.objects.count() == 1
    assert set(MatchRequest.objects.values_list("status", flat=True)) == {RequestStatus.ACCEPTED}
    # Nobody was told their request was withdrawn: both were accepted.
    assert not OutboxMessage.objects.filter(template="request_withdrawn").exists()


def test_there_is_a_limit_on_open_requests(world: World, program: Program) -> None:
    dan = make_member(world.acme, "dan@acme.example", "Dan Dietz", Role.PARTICIPANT)[1]
    enrol(program, dan)
    services.request_send(
        program=program, sender=world.alice_person, receiver=world.bob_person, note="1"
    )
    services.request_send(
        program=program, sender=world.alice_person, receiver=world.carol_person, note="2"
    )
    with pytest.raises(ProgramError, match="2 requests waiting"):
        services.request_send(program=program, sender=world.alice_person, receiver=dan, note="3")
    with pytest.raises(ProgramError, match="still waiting"):
        services.request_send(
            program=program, sender=world.alice_person, receiver=world.bob_person, note="again"
        )
    assert MatchRequest.objects.filter(sender=world.alice_person).count() == 2


def test_reaching_capacity_withdraws_other_requests_and_tells_their_senders(
    world: World, program: Program
) -> None:
    to_carol_from_alice = services.request_send(
        program=program, sender=world.alice_person, receiver=world.carol_person, note="a"
    )
    services.request_send(
        program=program, sender=world.bob_person, receiver=world.carol_person, note="b"
    )
    services.request_accept(request=to_carol_from_alice, by=world.carol_person)
    from_bob = MatchRequest.objects.get(sender=world.bob_person)
    assert from_bob.status == RequestStatus.WITHDRAWN
    assert (
        OutboxMessage.objects.filter(
            recipient=world.bob_person, template="request_withdrawn"
        ).count()
        == 1
    )
    assert open_partners(program, world.carol_person) == 1


@pytest.mark.parametrize("rule", ["block", "manager", "past", "self"])
def test_hard_rules_stop_a_request(world: World, program: Program, rule: str) -> None:
    from twoway.programs.models import Block

    receiver = world.alice_person
    if rule == "block":
        Block.objects.create(person=world.alice_person, blocked=world.bob_person)
        message = "reporting line"
    elif rule == "manager":
        Person.objects.filter(pk=world.alice_person.pk).update(manager=world.bob_person)
        receiver.refresh_from_db()
        message = "reporting line"
    elif rule == "past":
        old = services.partnership_create(
            program=program,
            people=[world.alice_person, world.bob_person],
            source=PartnershipSource.HAND,
        )
        services.partnership_end(partnership=old, by=world.alice_person, completed=True)
        message = "partners before"
    else:
        receiver = world.bob_person
        message = "yourself"
    with pytest.raises(ProgramError, match=message):
        services.request_send(
            program=program, sender=world.bob_person, receiver=receiver, note="Hi"
        )
    assert not MatchRequest.objects.filter(status=RequestStatus.OPEN).exists()


def test_a_block_does_not_tell_who_blocked_whom(world: World, program: Program) -> None:
    from twoway.programs.models import Block

    Block.objects.create(person=world.alice_person, blocked=world.bob_person)
    with pytest.raises(ProgramError) as raised:
        services.request_send(
            program=program, sender=world.bob_person, receiver=world.alice_person, note="Hi"
        )
    assert "block" not in str(raised.value).lower()


def test_it_tells_a_blocked_person_exactly_what_a_reporting_line_conflict_says(
    world: World, program: Program
) -> None:
    """The README promises the blocked person is never told: Bob, blocked by Alice, reads the
    same words as Bob asking his own manager Carol."""
    from twoway.programs.models import Block

    Block.objects.create(person=world.alice_person, blocked=world.bob_person)
    with pytest.raises(ProgramError) as blocked:
        services.request_send(
            program=program, sender=world.bob_person, receiver=world.alice_person, note="Hi"
        )
    Block.objects.all().delete()
    Person.objects.filter(pk=world.bob_person.pk).update(manager=world.alice_person)
    world.bob_person.refresh_from_db()
    with pytest.raises(ProgramError) as reporting_line:
        services.request_send(
            program=program, sender=world.bob_person, receiver=world.alice_person, note="Hi"
        )
    assert str(blocked.value) == str(reporting_line.value)


def test_the_request_pages_take_a_participant_from_request_to_partner(
    world: World, program: Program
) -> None:
    bob = client_for(world.bob)
    url = reverse(
        "request_new",
        kwargs={"org_slug": "acme", "program_id": program.pk, "person_id": world.alice_person.pk},
    )
    page = bob.get(url).content.decode()
    assert "Why you two could work" in page
    response = bob.post(url, {"note": ""})
    assert response.status_code == 400 and not MatchRequest.objects.exists()
    bob.post(url, {"note": "Would love your SQL tips"})
    request = MatchRequest.objects.get()
    alice = client_for(world.alice)
    assert (
        "Would love your SQL tips"
        in alice.get(reverse("requests", kwargs={"org_slug": "acme"})).content.decode()
    )
    alice.post(
        reverse("request_respond", kwargs={"org_slug": "acme", "request_id": request.pk}),
        {"decision": "accept"},
    )
    assert PartnershipMember.objects.filter(person=world.alice_person).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_accepts_never_overfill_anyone(world: World) -> None:
    """Erin (capacity 1) asked two peers; both accept at the same moment on PostgreSQL."""
    require_postgres()
    program = make_program(world.acme, max_open_requests=5)
    erin = make_member(world.acme, "erin@acme.example", "Erin Ek", Role.PARTICIPANT)[1]
    for person in (erin, world.alice_person, world.bob_person, world.carol_person):
        enrol(program, person)
    requests = [
        services.request_send(program=program, sender=erin, receiver=receiver, note="Hi")
        for receiver in (world.alice_person, world.bob_person, world.carol_person)
    ]
    barrier = threading.Barrier(len(requests))
    outcomes: list[str] = []

    def accept(request: MatchRequest) -> None:
        try:
            barrier.wait()
            services.request_accept(request=request, by=request.receiver)
            outcomes.append("accepted")
        except ProgramError as exc:
            outcomes.append(f"refused: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("accepted") == 1, outcomes
    assert len(outcomes) == 3
    assert open_partners(program, erin) == 1
    assert Partnership.objects.filter(program=program).count() == 1


def test_a_request_reads_the_reporting_line_not_the_whole_org(
    world: World, program: Program
) -> None:
    """Checking two people's manager chains must not load every person of the organization."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from twoway.programs.cohort import participants_for

    Person.objects.filter(pk=world.alice_person.pk).update(manager=world.carol_person)
    Person.objects.bulk_create(
        Person(organization=world.acme, name=f"Other {i}", email=f"o{i}@acme.example")
        for i in range(300)
    )
    enrolments = list(
        program.enrolments.filter(person__in=[world.alice_person, world.bob_person]).select_related(
            "person"
        )
    )
    with CaptureQueriesContext(db) as queries:
        participants_for(program, enrolments)
    person_reads = [q["sql"] for q in queries if 'FROM "people_person"' in q["sql"]]
    assert person_reads and all('"people_person"."id" IN' in sql for sql in person_reads), (
        person_reads
    )
    # Carol is above Alice: the chain is still followed when Carol is enrolled too.
    all_three = list(program.enrolments.all())
    by_id = {p.id: p for p in participants_for(program, all_three)}
    assert by_id[str(world.alice_person.pk)].manager_id == str(world.carol_person.pk)
