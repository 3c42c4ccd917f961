"""The rough edges a first-time user hit in programs (issue 14), one test each."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import World, client_for
from tests.programs.helpers import enrol, make_program
from twoway.notifications.models import OutboxMessage
from twoway.programs import rounds, services
from twoway.programs.models import (
    MatchRequest,
    MatchRound,
    PartnershipSource,
    Program,
    RequestStatus,
    RoundStatus,
)


@pytest.fixture
def program(world: World) -> Program:
    program = make_program(world.acme, max_level_gap=2)
    for person in (world.alice_person, world.bob_person, world.carol_person):
        enrol(program, person)
    return program


def test_everyone_in_the_program_shows_who_is_full_and_offers_them_no_request(
    world: World, program: Program
) -> None:
    services.partnership_create(
        program=program,
        people=[world.bob_person, world.carol_person],
        source=PartnershipSource.HAND,
    )
    page = client_for(world.alice).get(reverse("program_peers", args=[world.acme.slug, program.pk]))
    html = page.content.decode()
    to_bob = reverse("request_new", args=[world.acme.slug, program.pk, world.bob_person.pk])
    to_carol = reverse("request_new", args=[world.acme.slug, program.pk, world.carol_person.pk])
    assert to_bob not in html and to_carol not in html
    assert html.count("no room for another partner") == 2


def test_someone_with_room_is_still_offered_a_request(world: World, program: Program) -> None:
    page = client_for(world.alice).get(reverse("program_peers", args=[world.acme.slug, program.pk]))
    to_bob = reverse("request_new", args=[world.acme.slug, program.pk, world.bob_person.pk])
    assert to_bob in page.content.decode()
    assert "no room for another partner" not in page.content.decode()


def test_a_round_withdraws_the_open_requests_of_the_people_it_fills_kindly(
    world: World, program: Program
) -> None:
    # Alice asked Carol; then a round pairs them both elsewhere or together: either way the
    # request can no longer be accepted, so it is closed and Alice is told.
    waiting = services.request_send(
        program=program, sender=world.alice_person, receiver=world.carol_person, note="Hi!"
    )
    match_round = rounds.round_create(program=program, actor=world.bob)
    assert rounds.run_pending_rounds() == 1
    match_round.refresh_from_db()
    assert match_round.status == RoundStatus.DRAFT, match_round.error
    matched = {m for g in match_round.result["groups"] for m in g["members"]}
    assert world.alice_person.pk in matched or world.carol_person.pk in matched
    rounds.round_publish_now(match_round=match_round, actor=world.bob)
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.WITHDRAWN
    if world.carol_person.pk in matched:
        assert OutboxMessage.objects.filter(
            recipient=world.alice_person, template="request_withdrawn"
        ).exists()
    assert not MatchRequest.objects.filter(status=RequestStatus.OPEN).exists()


def test_a_round_leaves_the_requests_of_people_who_still_have_room(
    world: World, program: Program
) -> None:
    program.enrolments.filter(person=world.carol_person).update(capacity=2)
    program.enrolments.filter(person=world.alice_person).update(capacity=2)
    program.enrolments.filter(person=world.bob_person).update(capacity=2)
    waiting = services.request_send(
        program=program, sender=world.alice_person, receiver=world.carol_person, note="Hi!"
    )
    match_round = rounds.round_create(program=program, actor=world.bob)
    rounds.run_pending_rounds()
    match_round.refresh_from_db()
    rounds.round_publish_now(match_round=match_round, actor=world.bob)
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.OPEN


def test_a_round_on_nobody_waiting_is_refused_with_a_clear_message(world: World) -> None:
    empty = make_program(world.acme, name="Nobody yet")
    response = client_for(world.bob).post(
        reverse("round_create", args=[world.acme.slug, empty.pk]), follow=True
    )
    assert "Nobody to match" in response.content.decode()
    assert not MatchRound.objects.filter(program=empty).exists()
    enrol(empty, world.alice_person)
    with pytest.raises(services.ProgramError, match="only one person is waiting"):
        rounds.round_create(program=empty, actor=world.bob)
    page = client_for(world.bob).get(reverse("program_detail", args=[world.acme.slug, empty.pk]))
    assert "Run a matching round" not in page.content.decode()


def test_the_program_page_says_its_waiting_figure_is_live(world: World, program: Program) -> None:
    page = client_for(world.bob).get(reverse("program_detail", args=[world.acme.slug, program.pk]))
    html = page.content.decode()
    assert "Waiting to be matched right now</dt><dd>3</dd>" in html
    assert "counted live" in html and "Insights page shows figures as of its last update" in html


def test_how_good_says_within_a_whole_per_cent_when_not_proven_best() -> None:
    from twoway.programs.views.rounds import how_good

    heuristic = {"gap": 0.0042, "solver": "assignment cycle cover + pair swaps", "n": 9000}
    assert how_good(heuristic) == {"best": False, "exact": False, "within": 1, "joined": 0}
    assert how_good({**heuristic, "gap": 0.0231})["within"] == 3
    exact_small = {"gap": 0.08096, "solver": "exact (rustworkx blossom)", "n": 3, "groups": []}
    assert how_good(exact_small)["best"] is True
    assert how_good({**exact_small, "n": 5000})["best"] is False  # pruned: the gap counts
    with_trio = {**exact_small, "groups": [{"kind": "trio"}]}
    assert how_good(with_trio) == {"best": True, "exact": True, "within": 9, "joined": 1}


def test_the_hand_pairing_list_tells_people_with_the_same_name_apart(
    world: World, program: Program
) -> None:
    from tests.conftest import make_member

    _, twin = make_member(world.acme, "alice2@acme.example", "Alice Archer", "participant", level=5)
    enrol(program, twin)
    match_round = rounds.round_create(program=program, actor=world.bob)
    rounds.run_pending_rounds()
    url = reverse("round_detail", args=[world.acme.slug, program.pk, match_round.pk])
    client = client_for(world.bob)
    html = client.get(url).content.decode()
    # In the groups and the unmatched list, the repeated name carries team and level; a name
    # that appears once stays bare.
    level = world.acme.level_label(3)
    assert f"Alice Archer (Platform, {level})" in html
    assert "Alice Archer (no team, " in html
    assert "Carol Chen (" not in html
    # The hand-pairing search lists both, each with team and level.
    found = client.get(url, {"who": "alice"}).content.decode()
    people = found[found.index('aria-label="People found"') :]
    assert f'<strong>Alice Archer</strong> <span class="muted">· Platform, {level}' in people
    assert '<strong>Alice Archer</strong> <span class="muted">· no team, ' in people


def test_a_request_across_more_levels_than_the_program_allows_is_refused(
    world: World, program: Program
) -> None:
    program.max_level_gap = 1
    program.save()
    with pytest.raises(services.ProgramError, match=r"2 levels apart; .* at most 1 level apart"):
        services.request_send(
            program=program, sender=world.alice_person, receiver=world.carol_person, note="Hi"
        )
    assert not MatchRequest.objects.exists()
    services.request_send(
        program=program, sender=world.alice_person, receiver=world.bob_person, note="Hi"
    )


def test_the_program_form_saves_the_level_rules_and_checks_the_buddy_range(
    world: World, program: Program
) -> None:
    from tests.programs.test_program_settings import edit_url, form

    client = client_for(world.bob)
    bad = client.post(edit_url(program), form(buddy_level_min="3", buddy_level_max="1"))
    assert (
        bad.status_code == 400 and "At most must not be less than at least" in bad.content.decode()
    )
    ok = client.post(
        edit_url(program), form(max_level_gap="0", buddy_level_min="2", buddy_level_max="3")
    )
    assert ok.status_code == 302
    program.refresh_from_db()
    assert (program.max_level_gap, program.buddy_level_min, program.buddy_level_max) == (0, 2, 3)
    from twoway.programs.cohort import engine_settings

    assert engine_settings(program).level_gap == (2, 3)
