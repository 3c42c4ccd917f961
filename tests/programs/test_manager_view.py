from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import World, client_for, make_member
from tests.programs.helpers import enrol, make_program
from twoway.accounts.models import Role
from twoway.people.models import Person
from twoway.programs.models import PartnershipSource
from twoway.programs.services import partnership_create, partnership_end
from twoway.support.models import UncertainFlag


def detail(program_id: int) -> str:
    return reverse("program_detail", kwargs={"org_slug": "acme", "program_id": program_id})


def test_the_manager_sees_which_pair_feels_uncertain_but_not_who_said_so(world: World) -> None:
    program = make_program(world.acme)
    partnership = partnership_create(
        program=program,
        people=[world.alice_person, world.carol_person],
        source=PartnershipSource.HAND,
    )
    UncertainFlag.objects.create(partnership=partnership, person=world.alice_person)
    page = client_for(world.bob).get(detail(program.pk)).content.decode()
    section = page.split("Pairs that feel uncertain", 1)[1].split("Active partnerships", 1)[0]
    assert "Alice Archer" in section and "Carol Chen" in section and "1 uncertain" in section
    assert "Alice Archer flagged" not in page and "uncertain_flags" not in page
    # Participants never see the manager's view, not even a member of the pair.
    assert (
        "Pairs that feel uncertain"
        not in client_for(world.alice).get(detail(program.pk)).content.decode()
    )


def test_fit_ratings_show_only_as_an_average_over_enough_answers(world: World) -> None:
    program = make_program(world.acme)
    people = [world.alice_person, world.carol_person]
    for i in range(5):
        extra = make_member(world.acme, f"p{i}@acme.example", f"Pat {i}", Role.PARTICIPANT)[1]
        p = partnership_create(
            program=program, people=[extra, people[i % 2]], source=PartnershipSource.HAND
        )
        partnership_end(partnership=p, by=extra, completed=True, fit_rating=(i % 3) + 3)
        page = client_for(world.bob).get(detail(program.pk)).content.decode()
        if i < 4:
            assert "not enough answers yet" in page
    assert "3.8 from 5 answers" in page  # (3 + 4 + 5 + 3 + 4) / 5


def test_the_manager_page_query_count_does_not_grow_with_pairs(world: World) -> None:
    program = make_program(world.acme)
    for person in (world.alice_person, world.carol_person):
        enrol(program, person)
    client = client_for(world.bob)
    partnership_create(
        program=program,
        people=[world.alice_person, world.carol_person],
        source=PartnershipSource.HAND,
    )
    with CaptureQueriesContext(connection) as few:
        client.get(detail(program.pk))
    for i in range(8):
        a = make_member(world.acme, f"a{i}@acme.example", f"A {i}", Role.PARTICIPANT)[1]
        b = make_member(world.acme, f"b{i}@acme.example", f"B {i}", Role.PARTICIPANT)[1]
        partnership_create(program=program, people=[a, b], source=PartnershipSource.HAND)
    with CaptureQueriesContext(connection) as many:
        client.get(detail(program.pk))
    assert len(many) == len(few)


def test_the_operators_admin_never_shows_a_private_reason_for_ending(world: World) -> None:
    from django.contrib.admin.sites import site

    from twoway.accounts.models import User

    program = make_program(world.acme)
    partnership = partnership_create(
        program=program,
        people=[world.alice_person, world.carol_person],
        source=PartnershipSource.HAND,
    )
    partnership_end(
        partnership=partnership, by=world.alice_person, completed=False, reason="SECRET-REASON-42"
    )
    operator = User.objects.create_superuser("ops@twoway.example", "x")
    client = client_for(operator)
    page = client.get(
        reverse("admin:programs_partnership_change", args=[partnership.pk])
    ).content.decode()
    assert "Alice Archer" in page and "SECRET-REASON-42" not in page
    assert "programs.partnershipmember" not in {
        f"{m._meta.app_label}.{m._meta.model_name}" for m in site._registry
    }


def test_a_manager_in_a_pair_never_sees_that_their_own_partner_feels_uncertain(
    world: World,
) -> None:
    """Bob manages the program and is Alice's partner: the support page promised Alice "your
    partner will not know". Another manager still sees the pair."""
    program = make_program(world.acme)
    partnership = partnership_create(
        program=program,
        people=[world.alice_person, world.bob_person],
        source=PartnershipSource.HAND,
    )
    UncertainFlag.objects.create(partnership=partnership, person=world.alice_person)
    bob_page = client_for(world.bob).get(detail(program.pk)).content.decode()
    assert "Pairs that feel uncertain" not in bob_page
    assert "1 uncertain" not in bob_page
    erin = make_member(world.acme, "erin@acme.example", "Erin Ek", Role.PROGRAM_MANAGER)[0]
    erin_page = client_for(erin).get(detail(program.pk)).content.decode()
    section = erin_page.split("Pairs that feel uncertain", 1)[1].split("Active partnerships", 1)[0]
    assert "Alice Archer" in section and "Bob Baker" in section


def test_org_admins_do_not_see_which_pairs_feel_uncertain(world: World) -> None:
    """The list is for the program's managers, as the support page says; org admins see the
    program's aggregates."""
    program = make_program(world.acme)
    finn = Person.objects.create(organization=world.acme, name="Finn Fox", email="f@acme.example")
    partnership = partnership_create(
        program=program, people=[world.alice_person, finn], source=PartnershipSource.HAND
    )
    UncertainFlag.objects.create(partnership=partnership, person=world.alice_person)
    page = client_for(world.carol).get(detail(program.pk)).content.decode()
    assert "Active partnerships" in page  # carol does see the manager's view
    assert "Pairs that feel uncertain" not in page
