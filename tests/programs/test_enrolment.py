from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from tests.conftest import PASSWORD, World, client_for, make_member
from tests.programs.helpers import enrol, make_program
from twoway.accounts.models import Role, User
from twoway.notifications.models import OutboxMessage
from twoway.people.models import Department, Person
from twoway.programs import services
from twoway.programs.eligibility import programs_open_to
from twoway.programs.models import (
    Enrolment,
    EnrolmentStatus,
    MatchRequest,
    PartnershipMember,
    PartnershipSource,
    Program,
    ProgramKind,
    ProgramStatus,
    RequestStatus,
)
from twoway.programs.onboarding import onboarding_start


def enrol_url(program: Program) -> str:
    return reverse("program_enrol", kwargs={"org_slug": "acme", "program_id": program.pk})


def test_the_intake_is_prefilled_from_the_profile_and_saved_in_my_words(world: World) -> None:
    program = make_program(world.acme)
    client = client_for(world.alice)
    form = client.get(enrol_url(program)).context["form"]
    assert form[f"offer_{world.sql.pk}"].value() == "3"
    assert form[f"seek_{world.sales.pk}"].value() == "2"
    response = client.post(
        enrol_url(program),
        {
            f"offer_{world.sql.pk}": "3",
            f"seek_{world.sales.pk}": "3",
            "goals": "Get better at client calls",
            "meeting_preference": "video",
            "capacity": "2",
        },
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(program=program, person=world.alice_person)
    assert enrolment.seeks == {str(world.sales.pk): 3}
    assert (enrolment.goals, enrolment.capacity) == ("Get better at client calls", 2)


def test_bad_intake_changes_nothing_and_keeps_what_was_typed(world: World) -> None:
    program = make_program(world.acme)
    client = client_for(world.alice)
    base = {"goals": "My long goals text", "meeting_preference": "video", "capacity": "1"}
    for bad in (
        {},
        {"snoozed_until": "2001-01-01", f"offer_{world.sql.pk}": "2"},
        {"capacity": "9"},
    ):
        response = client.post(enrol_url(program), {**base, **bad})
        assert response.status_code == 400, bad
        assert "My long goals text" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_eligibility_closes_programs_to_people_outside_it(world: World) -> None:
    sales = Department.objects.get(organization=world.acme, name="Sales")
    program = make_program(world.acme, eligible_levels=[4, 5])
    program.eligible_departments.add(sales)
    assert (
        client_for(world.alice).get(enrol_url(program)).status_code == 404
    )  # level 3, Engineering
    assert client_for(world.bob).get(enrol_url(program)).status_code == 200  # level 4, Sales
    draft = make_program(world.acme, name="Draft", status=ProgramStatus.DRAFT)
    detail = reverse("program_detail", kwargs={"org_slug": "acme", "program_id": draft.pk})
    assert client_for(world.alice).get(detail).status_code == 404
    assert client_for(world.bob).get(detail).status_code == 200  # program managers see drafts


def test_withdrawing_closes_open_requests(world: World) -> None:
    program = make_program(world.acme)
    for person in (world.alice_person, world.bob_person):
        enrol(program, person)
    services.request_send(
        program=program, sender=world.bob_person, receiver=world.alice_person, note="Hi"
    )
    enrolment = Enrolment.objects.get(program=program, person=world.alice_person)
    services.enrolment_withdraw(enrolment=enrolment)
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.WITHDRAWN
    assert MatchRequest.objects.get().status == RequestStatus.WITHDRAWN


def test_an_ended_partnerships_reason_stays_with_the_one_who_ended_it(world: World) -> None:
    program = make_program(world.acme)
    for person in (world.alice_person, world.bob_person):
        enrol(program, person)
    partnership = services.partnership_create(
        program=program,
        people=[world.alice_person, world.bob_person],
        source=PartnershipSource.HAND,
    )
    services.partnership_end(
        partnership=partnership,
        by=world.alice_person,
        completed=False,
        reason="We never found a time; also he talks over me",
        fit_rating=2,
        rematch=True,
    )
    secret = "talks over me"
    for user in (world.bob, world.carol, world.alice):
        for name in ("my_partnerships", "requests", "programs_list"):
            body = client_for(user).get(reverse(name, kwargs={"org_slug": "acme"})).content.decode()
            assert secret not in body
        detail = reverse("program_detail", kwargs={"org_slug": "acme", "program_id": program.pk})
        assert secret not in client_for(user).get(detail).content.decode()
    # The partner is offered a rematch instead of being put back in the pool unasked.
    bob_enrolment = Enrolment.objects.get(program=program, person=world.bob_person)
    assert bob_enrolment.wants_rematch is False
    assert (
        "would you like to be matched with someone new"
        in client_for(world.bob)
        .get(reverse("my_partnerships", kwargs={"org_slug": "acme"}))
        .content.decode()
    )
    assert Enrolment.objects.get(program=program, person=world.alice_person).wants_rematch is True


def test_a_program_manager_creates_and_opens_a_program(world: World) -> None:
    client = client_for(world.bob)
    data = {
        "name": "Sales & Engineering peers",
        "description": "Two-way learning",
        "kind": ProgramKind.PEER_PAIRS,
        "matching_mode": "both",
        "term_weeks": "26",
        "checkin_every_weeks": "2",
        "checkin_minutes": "30",
        "allow_trios": "on",
        "max_open_requests": "3",
        "goal_templates_text": "Career advice\nA new skill",
        "min_fit": "0.5",
        **{
            f"weight_{n}": "1"
            for n in (
                "reciprocity",
                "mutual",
                "level",
                "tenure",
                "cross_team",
                "time",
                "meeting",
                "goals",
                "request",
            )
        },
    }
    bad = client.post(
        reverse("program_new", kwargs={"org_slug": "acme"}), {**data, "term_weeks": "0"}
    )
    assert bad.status_code == 400 and not Program.objects.exists()
    response = client.post(reverse("program_new", kwargs={"org_slug": "acme"}), data)
    assert response.status_code == 302
    program = Program.objects.get()
    assert program.status == ProgramStatus.DRAFT
    assert program.goal_templates == ["Career advice", "A new skill"]
    assert program.matching_settings["min_fit"] == 0.5
    client.post(
        reverse("program_status", kwargs={"org_slug": "acme", "program_id": program.pk}),
        {"status": "open"},
    )
    program.refresh_from_db()
    assert program.status == ProgramStatus.OPEN
    assert program in programs_open_to(world.alice_person)


def new_hire(world: World, name: str, **fields: Any) -> Person:
    return Person.objects.create(
        organization=world.acme,
        name=name,
        email=f"{name.split()[0].lower()}@acme.example",
        level=3,
        hire_date=dt.date.today() - dt.timedelta(days=3),
        **fields,
    )


def test_a_new_hire_gets_an_onboarding_buddy(world: World) -> None:
    program = make_program(
        world.acme, name="Welcome buddies", kind=ProgramKind.ONBOARDING, max_tenure_days=60
    )
    buddy = enrol(program, world.bob_person, role="mentor", capacity=2)  # level 4
    newbie = new_hire(world, "Nina New")
    onboarding_start(organization=world.acme, people=[newbie])
    enrolment = Enrolment.objects.get(program=program, person=newbie)
    assert enrolment.role == "mentee"
    pairs = PartnershipMember.objects.filter(
        partnership__source=PartnershipSource.ONBOARDING, partnership__program=program
    )
    assert set(pairs.values_list("person_id", "role")) == {
        (buddy.person_id, "mentor"),
        (newbie.pk, "mentee"),
    }
    assert OutboxMessage.objects.filter(recipient=newbie, kind="introduction").exists()


def test_saving_a_person_row_starts_no_matching_by_itself(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """No signal per row: a bulk import makes its people, then starts onboarding once."""
    program = make_program(world.acme, kind=ProgramKind.ONBOARDING, max_tenure_days=60)
    enrol(program, world.bob_person, role="mentor", capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        new_hire(world, "Nina New")
    assert not Enrolment.objects.filter(program=program, role="mentee").exists()


def test_it_pairs_a_whole_import_in_one_call(world: World) -> None:
    program = make_program(world.acme, kind=ProgramKind.ONBOARDING, max_tenure_days=60)
    enrol(program, world.bob_person, role="mentor", capacity=2)
    enrol(program, world.carol_person, role="mentor", capacity=2)
    hires = [new_hire(world, name) for name in ("Nina New", "Omar Odd", "Pia Pan")]
    made = onboarding_start(organization=world.acme, people=hires)
    assert len(made) == 3
    mentees = PartnershipMember.objects.filter(partnership__program=program, role="mentee")
    assert set(mentees.values_list("person_id", flat=True)) == {h.pk for h in hires}
    # A second call for the same people changes nothing: they are enrolled already.
    assert onboarding_start(organization=world.acme, people=hires) == []


def test_an_admin_adding_a_person_starts_their_onboarding_once(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = make_program(world.acme, kind=ProgramKind.ONBOARDING, max_tenure_days=60)
    enrol(program, world.bob_person, role="mentor", capacity=2)
    operator = User.objects.create_superuser("op@twoway.example", PASSWORD)
    hired = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator).post(
            reverse("admin:people_person_add"),
            {
                "organization": world.acme.pk,
                "name": "Nina New",
                "email": "nina@acme.example",
                "level": "3",
                "hire_date": hired,
                "time_zone": "UTC",
                "meeting_preference": "either",
                "is_active": "on",
                "created_0": hired,
                "created_1": "09:00:00",
                "skills-TOTAL_FORMS": "0",
                "skills-INITIAL_FORMS": "0",
                "availability-TOTAL_FORMS": "0",
                "availability-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    nina = Person.objects.get(email="nina@acme.example")
    assert PartnershipMember.objects.filter(person=nina, role="mentee").count() == 1


def test_an_old_hire_is_not_enrolled_as_a_new_teammate(world: World) -> None:
    program = make_program(world.acme, kind=ProgramKind.ONBOARDING, max_tenure_days=60)
    old = make_member(
        world.acme, "old@acme.example", "Olga Old", Role.PARTICIPANT, hire_date=dt.date(2015, 1, 1)
    )[1]
    assert onboarding_start(organization=world.acme, people=[old]) == []
    assert not Enrolment.objects.filter(program=program, person=old).exists()


def test_an_invite_only_program_is_open_to_its_invitees_only(world: World) -> None:
    client = client_for(world.bob)
    data = {
        "name": "Invited peers",
        "kind": ProgramKind.PEER_PAIRS,
        "matching_mode": "both",
        "term_weeks": "26",
        "checkin_every_weeks": "2",
        "checkin_minutes": "30",
        "max_open_requests": "3",
        "min_fit": "0",
        "invite_only": "on",
        "invite_emails": "alice@acme.example\nnobody@acme.example",
    }
    response = client.post(reverse("program_new", kwargs={"org_slug": "acme"}), data)
    assert response.status_code == 400
    assert "nobody@acme.example" in response.content.decode()
    assert not Program.objects.exists()
    data["invite_emails"] = "Alice@Acme.example"
    assert client.post(reverse("program_new", kwargs={"org_slug": "acme"}), data).status_code == 302
    program = Program.objects.get()
    assert list(program.invitees.all()) == [world.alice_person]
    program.status = ProgramStatus.OPEN
    program.save()
    assert client_for(world.alice).get(enrol_url(program)).status_code == 200
    assert client_for(world.carol).get(enrol_url(program)).status_code == 404
    assert program not in programs_open_to(world.carol_person)
