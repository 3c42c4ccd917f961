"""Running a program through the API: the same services as the pages, the key in the audit, the
program's rules enforced, another organization's objects out of reach (issue 15)."""

from __future__ import annotations

import json

from tests.api.helpers import Api, key_for
from tests.conftest import World
from twoway.accounts.models import AuditEvent
from twoway.api.models import ApiKey
from twoway.programs import rounds
from twoway.programs.models import (
    Enrolment,
    EnrolmentStatus,
    MatchRound,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
    ProgramStatus,
)


def _open_program(api: Api) -> int:
    made = api.post("programs", {"name": "Peers 2027", "term_weeks": 12})
    assert made.status_code == 201, made.content
    program_id: int = made.json()["id"]
    assert made.json()["status"] == "draft"
    opened = api.post(f"programs/{program_id}/status", {"status": "open"})
    assert opened.status_code == 200, opened.content
    return program_id


def test_a_key_runs_a_program_from_creation_to_published_pairs(world: World) -> None:
    api = Api(key_for(world))
    prefix = ApiKey.objects.get().prefix
    program_id = _open_program(api)
    program = Program.objects.get(pk=program_id)
    assert program.organization == world.acme and program.created_by is None
    created = AuditEvent.objects.get(action="program.created")
    assert created.actor is None and created.details["source"] == f"api:{prefix}"
    assert AuditEvent.objects.get(action="program.status_changed").details["new"] == "open"

    # Alice and Bob from their profiles' skills; Carol has none, so she names hers.
    for person in (world.alice_person, world.bob_person):
        enrolled = api.post(f"programs/{program_id}/enrolments", {"person_id": person.pk})
        assert enrolled.status_code == 201, enrolled.content
    carol = api.post(
        f"programs/{program_id}/enrolments",
        {"person_id": world.carol_person.pk, "seeks": [{"skill_id": world.sql.pk}]},
    )
    assert carol.status_code == 201, carol.content
    alice = Enrolment.objects.get(program=program, person=world.alice_person)
    assert alice.offers == {str(world.sql.pk): 3} and alice.seeks == {str(world.sales.pk): 2}

    started = api.post(f"programs/{program_id}/rounds", {})
    assert started.status_code == 202, started.content
    round_id = started.json()["id"]
    assert started.json()["status"] == "queued" and started.json()["draft"] is None
    assert rounds.run_pending_rounds() == 1
    draft = api.get(f"rounds/{round_id}").json()
    assert draft["status"] == "draft"
    groups = draft["draft"]["groups"]
    assert groups and all(g["score"] > 0 and g["reasons"] for g in groups)
    assert draft["draft"]["upper_bound"] >= draft["draft"]["pair_weight"] > 0

    queued = api.post(f"rounds/{round_id}/publish", {})
    assert queued.status_code == 202, queued.content
    assert queued.json()["status"] == "publishing" and queued.json()["progress"] == 0
    # A draft is published once: a second call while it publishes is refused, saying why.
    again = api.post(f"rounds/{round_id}/publish", {})
    assert again.status_code == 409 and "being published" in again.content.decode()
    assert not Partnership.objects.filter(program=program).exists()
    assert rounds.run_pending_publishes() == 1
    published = api.get(f"rounds/{round_id}").json()
    assert published["status"] == "published" and published["progress"] == 100
    assert published["skipped"] == []
    assert Partnership.objects.filter(program=program).count() == len(groups)
    assert AuditEvent.objects.get(action="round.published").details["source"] == f"api:{prefix}"
    assert api.post(f"rounds/{round_id}/publish", {}).status_code == 409


def test_ending_a_partnership_keeps_the_reason_out_of_every_answer(world: World) -> None:
    api = Api(key_for(world))
    program_id = _open_program(api)
    program = Program.objects.get(pk=program_id)
    from twoway.programs.services import partnership_create

    pair = partnership_create(
        program=program, people=[world.alice_person, world.bob_person], source="hand"
    )
    reason = "Complaint handled by HR case 4411"
    ended = api.post(f"partnerships/{pair.pk}/end", {"reason": reason})
    assert ended.status_code == 200, ended.content
    assert ended.json()["status"] == PartnershipStatus.ENDED
    pair.refresh_from_db()
    assert pair.status == PartnershipStatus.ENDED and pair.ended_by is None
    assert not PartnershipMember.objects.filter(end_reason__contains="4411").exists()
    everything = json.dumps(
        [api.get(f"partnerships/{pair.pk}").json(), api.get("partnerships").json()]
    )
    assert "4411" not in everything and "4411" not in ended.content.decode()
    event = AuditEvent.objects.get(action="partnership.ended_by_admin")
    assert event.details["reason"] == reason
    again = api.post(f"partnerships/{pair.pk}/end", {})
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"


def test_ending_through_the_api_does_what_ending_from_the_page_does(world: World) -> None:
    """Check-ins stop in every calendar, every member is told kindly (without the reason), the
    audit names the key, and webhooks hear `partnership.ended` (issue 15)."""
    from tests.meetings.test_emails import read
    from tests.partnerships.factories import pair, series
    from twoway.integrations.webhooks.services import webhook_endpoint_create
    from twoway.meetings.models import CheckIn, CheckinStatus
    from twoway.notifications.models import OutboxMessage

    partnership, schedule = pair(world), series(world)
    assert CheckIn.objects.filter(series=schedule, status=CheckinStatus.SCHEDULED).exists()
    webhook_endpoint_create(
        organization=world.acme,
        url="https://8.8.8.8/hooks",
        events=["partnership.ended"],
        actor=world.carol,
    )
    api = Api(key_for(world))
    prefix = ApiKey.objects.get().prefix
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    reason = "Reorganisation of team 7"
    ended = api.post(f"partnerships/{partnership.pk}/end", {"reason": reason, "completed": True})
    assert ended.status_code == 200, ended.content
    assert ended.json()["status"] == PartnershipStatus.COMPLETED

    schedule.refresh_from_db()
    assert schedule.cancelled_at is not None
    assert not CheckIn.objects.filter(series=schedule, status=CheckinStatus.SCHEDULED).exists()
    new = OutboxMessage.objects.exclude(pk__in=before)
    for person in (world.alice_person, world.bob_person):
        [note] = new.filter(recipient=person)
        assert note.template == "partnership_ended"
        assert note.context["completed"] is True and note.context["partner"] == ""
        assert "team 7" not in json.dumps(note.context)
        [calendar] = note.attachments
        assert "METHOD:CANCEL" in calendar["content"]
        _, text, _ = read(note)
        assert "The Peer partners program team has marked your partnership as completed" in text
        assert "taken off your calendar" in text
    event = AuditEvent.objects.get(action="partnership.ended_by_admin")
    assert event.details["reason"] == reason and event.details["source"] == f"api:{prefix}"
    [hook] = new.filter(channel="webhook")
    assert hook.context["event"]["type"] == "partnership.ended"
    assert "team 7" not in json.dumps(hook.context)


def test_the_program_rules_hold_and_bad_input_changes_nothing(world: World) -> None:
    api = Api(key_for(world))
    made = api.post(
        "programs",
        {"name": "Backwards", "enrolment_opens": "2027-02-01", "enrolment_closes": "2027-01-01"},
    )
    assert made.status_code == 409
    assert "close after it opens" in made.json()["detail"]
    assert not Program.objects.exists()
    draft_id = api.post("programs", {"name": "Draft"}).json()["id"]
    # Enrolment is not open in a draft.
    refused = api.post(f"programs/{draft_id}/enrolments", {"person_id": world.alice_person.pk})
    assert refused.status_code == 409 and "not open" in refused.json()["detail"]
    assert not Enrolment.objects.exists()
    # draft → paused is not a transition.
    assert api.post(f"programs/{draft_id}/status", {"status": "paused"}).status_code == 409
    assert Program.objects.get(pk=draft_id).status == ProgramStatus.DRAFT
    renamed = api.patch(f"programs/{draft_id}", {"name": "Renamed", "description": None})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    assert api.patch(f"programs/{draft_id}", {"name": None}).status_code == 422
    edited = AuditEvent.objects.get(action="program.edited")
    assert edited.details["changes"]["name"] == ["Draft", "Renamed"]

    program_id = _open_program(api)
    # A skill of another organization is refused by name.
    other = api.post(
        f"programs/{program_id}/enrolments",
        {"person_id": world.carol_person.pk, "offers": [{"skill_id": world.globex_skill.pk}]},
    )
    assert other.status_code == 409 and not Enrolment.objects.exists()
    api.post(f"programs/{program_id}/enrolments", {"person_id": world.alice_person.pk})
    withdrawn = api.post(f"programs/{program_id}/enrolments/{world.alice_person.pk}/withdraw", {})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert Enrolment.objects.get().status == EnrolmentStatus.WITHDRAWN


def test_enrolling_and_withdrawing_through_the_api_are_audited(world: World) -> None:
    """A key acting for a person is on record, as a program manager's change is; the person's
    own words (the intake's goals) are not."""
    api = Api(key_for(world))
    source = f"api:{ApiKey.objects.get().prefix}"
    program_id = _open_program(api)
    alice = world.alice_person
    assert api.post(f"programs/{program_id}/enrolments", {"person_id": alice.pk}).status_code == 201
    Enrolment.objects.filter(person=alice).update(goals="Get over my fear of speaking")
    again = api.post(f"programs/{program_id}/enrolments", {"person_id": alice.pk, "capacity": 2})
    assert again.status_code == 201
    path = f"programs/{program_id}/enrolments/{alice.pk}/withdraw"
    assert api.post(path, {}).status_code == 200
    assert api.post(path, {}).status_code == 200  # already withdrawn: nothing new on record
    rows = list(
        AuditEvent.objects.filter(action__startswith="enrolment.")
        .order_by("pk")
        .values_list("action", "actor", "details")
    )
    assert [(action, actor) for action, actor, _ in rows] == [
        ("enrolment.created", None),
        ("enrolment.updated", None),
        ("enrolment.withdrawn", None),
    ]
    for _, _, details in rows:
        assert details["source"] == source and details["person_id"] == alice.pk
        assert details["id"] == program_id and "fear" not in json.dumps(details)
    assert rows[1][2]["capacity"] == 2


def test_writes_need_the_scope_and_stay_in_the_organization(world: World) -> None:
    reader = Api(key_for(world, scopes=["programs:read"]))
    assert reader.post("programs", {"name": "Nope"}).status_code == 403
    assert not Program.objects.exists()
    acme = Api(key_for(world))
    program_id = _open_program(acme)
    # A round needs two people waiting.
    for person in (world.alice_person, world.bob_person):
        acme.post(f"programs/{program_id}/enrolments", {"person_id": person.pk})
    round_id = acme.post(f"programs/{program_id}/rounds", {}).json()["id"]
    globex = Api(key_for(world, org=world.globex))
    assert globex.patch(f"programs/{program_id}", {"name": "Hacked"}).status_code == 404
    assert globex.post(f"programs/{program_id}/status", {"status": "closed"}).status_code == 404
    assert globex.post(f"programs/{program_id}/rounds", {}).status_code == 404
    assert globex.get(f"rounds/{round_id}").status_code == 404
    assert globex.post(f"rounds/{round_id}/publish", {}).status_code == 404
    # A person of another organization cannot be enrolled in one's own program either.
    own = Api(key_for(world, org=world.globex)).post("programs", {"name": "Globex peers"})
    assert own.status_code == 201
    stranger = globex.post(
        f"programs/{own.json()['id']}/enrolments", {"person_id": world.alice_person.pk}
    )
    assert stranger.status_code == 404
    program = Program.objects.get(pk=program_id)
    assert program.name == "Peers 2027" and program.status == ProgramStatus.OPEN
    assert MatchRound.objects.filter(program=program).count() == 1
