from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from tests.conftest import World, client_for
from tests.programs.helpers import enrol, make_program
from twoway.accounts.models import Membership, Role, User
from twoway.demo.seed import seed_organization
from twoway.notifications.models import OutboxMessage
from twoway.people.models import Person
from twoway.programs import rounds
from twoway.programs.cohort import pool
from twoway.programs.models import (
    Block,
    Enrolment,
    MatchRound,
    Partnership,
    PartnershipSource,
    PartnershipStatus,
    Program,
    ProgramKind,
    RoundStatus,
)
from twoway.programs.services import ProgramError, partnership_create, partnership_end

TODAY = dt.date(2026, 11, 2)


@dataclass
class Cohort:
    program: Program
    people: list[Person]
    manager: User


@pytest.fixture
def cohort(db: None) -> Cohort:
    """A seeded organization of 61 people, everyone enrolled from their profile."""
    result = seed_organization(people=61, seed=9, slug="north", today=TODAY)
    program = make_program(result.org, name="Peers 2026")
    people = list(
        Person.objects.filter(organization=result.org, is_active=True).prefetch_related("skills")
    )
    for person in people:
        enrol(program, person)
    manager = Membership.objects.get(organization=result.org, role=Role.PROGRAM_MANAGER).user
    return Cohort(program, people, manager)


def run(program: Program, manager: User) -> MatchRound:
    match_round = rounds.round_create(program=program, actor=manager)
    assert rounds.run_pending_rounds() == 1
    match_round.refresh_from_db()
    assert match_round.status == RoundStatus.DRAFT, match_round.error
    return match_round


def publish(match_round: MatchRound, manager: User) -> MatchRound:
    """Queue the draft, then let the worker's job publish it, as `twoway worker` would."""
    rounds.round_publish(match_round=match_round, actor=manager)
    assert rounds.run_pending_publishes() == 1
    match_round.refresh_from_db()
    assert match_round.status == RoundStatus.PUBLISHED, match_round.error
    return match_round


def in_reporting_line(a: Person, b: Person) -> bool:
    return b in a.manager_chain() or a in b.manager_chain()


def test_it_matches_everyone_it_can_and_explains_the_rest(
    cohort: Cohort,
) -> None:
    program, people, manager = cohort.program, cohort.people, cohort.manager
    match_round = run(program, manager)
    result = match_round.result
    grouped = [m for g in result["groups"] for m in g["members"]]
    unmatched = [u["id"] for u in result["unmatched"]]
    assert len(grouped) == len(set(grouped))
    # Nobody is left out silently: everyone in the pool is either in a group or has a reason.
    assert sorted(grouped + unmatched) == sorted(p.pk for p in people)
    assert all(u["why"] for u in result["unmatched"])
    assert result["upper_bound"] >= result["pair_weight"] > 0
    expected_gap = 1 - result["pair_weight"] / result["upper_bound"]
    assert result["gap"] == pytest.approx(expected_gap, abs=1e-6)
    assert all(g["reasons"] for g in result["groups"])


def test_nobody_is_grouped_inside_their_reporting_line_or_with_a_block_or_a_past_partner(
    cohort: Cohort,
) -> None:
    program, people, manager = cohort.program, cohort.people, cohort.manager
    by_id = {
        p.pk: p
        for p in Person.objects.filter(pk__in=[p.pk for p in people]).select_related("manager")
    }
    # Make the constraints bite: block and past-partner pairs that would otherwise score well.
    first = run(program, manager).result["groups"]
    (a, b), (c, d) = first[0]["members"][:2], first[1]["members"][:2]
    Block.objects.create(person=by_id[a], blocked=by_id[b])
    old = partnership_create(
        program=program, people=[by_id[c], by_id[d]], source=PartnershipSource.HAND
    )
    partnership_end(partnership=old, by=by_id[c], completed=True, rematch=True)
    Enrolment.objects.filter(program=program, person_id=d).update(wants_rematch=True)

    result = run(program, manager).result
    for group in result["groups"]:
        for x, y in itertools.combinations(group["members"], 2):
            assert not in_reporting_line(by_id[x], by_id[y]), group
            assert {x, y} != {a, b}, "a blocked pair was matched"
            assert {x, y} != {c, d}, "past partners were matched again"


def test_a_rerun_leaves_published_pairs_alone(cohort: Cohort) -> None:
    program, _people, manager = cohort.program, cohort.people, cohort.manager
    first = run(program, manager)
    groups = len(first.result["groups"])
    publish(first, manager)
    published = {
        p.pk: sorted(p.members.values_list("person_id", flat=True))
        for p in Partnership.objects.filter(program=program)
    }
    assert len(published) == groups > 0
    # Intros are queued, once per member, and say why.
    intros = OutboxMessage.objects.filter(kind="introduction")
    assert intros.count() == sum(len(m) for m in published.values())
    assert all(m.context["reasons"] for m in intros)

    late = Person.objects.create(
        organization=program.organization, name="Late Joiner", email="late@x.example", level=3
    )
    enrol(program, late)
    second = run(program, manager)
    in_second = [m for g in second.result["groups"] for m in g["members"]]
    in_second += [u["id"] for u in second.result["unmatched"]]
    # Only the people still waiting take part again: the first round's unmatched and the newcomer.
    assert sorted(in_second) == sorted([late.pk, *(u["id"] for u in first.result["unmatched"])])
    publish(second, manager)
    after = {
        p.pk: sorted(p.members.values_list("person_id", flat=True))
        for p in Partnership.objects.filter(program=program, pk__in=published)
    }
    assert after == published
    assert (
        not Partnership.objects.filter(program=program, pk__in=published)
        .exclude(status=PartnershipStatus.ACTIVE)
        .exists()
    )


def test_a_manager_locks_breaks_and_pairs_by_hand(
    cohort: Cohort,
) -> None:
    program, _people, manager = cohort.program, cohort.people, cohort.manager
    draft = run(program, manager)
    groups = draft.result["groups"]
    keep, broken = groups[0]["members"], groups[1]["members"]
    rounds.round_adjust(match_round=draft, actor=manager, action="lock", people=keep)
    rounds.run_pending_rounds()
    draft.refresh_from_db()
    rounds.round_adjust(match_round=draft, actor=manager, action="break", people=broken)
    rounds.run_pending_rounds()
    draft.refresh_from_db()
    hand = [groups[2]["members"][0], groups[3]["members"][0]]
    rounds.round_adjust(match_round=draft, actor=manager, action="pair", people=hand)
    rounds.run_pending_rounds()
    draft.refresh_from_db()
    member_sets = [set(g["members"]) for g in draft.result["groups"]]
    assert set(keep) in member_sets
    assert set(hand) in member_sets
    assert not any(set(broken[:2]) <= s for s in member_sets)
    locked = [g for g in draft.result["groups"] if g["locked"]]
    assert {frozenset(g["members"]) for g in locked} == {frozenset(keep), frozenset(hand)}


def test_publishing_a_stale_draft_changes_nothing(
    cohort: Cohort,
) -> None:
    program, _people, manager = cohort.program, cohort.people, cohort.manager
    draft = run(program, manager)
    a, b = draft.result["groups"][0]["members"][:2]
    # Someone got a partner by request meanwhile.
    partnership_create(
        program=program,
        people=list(Person.objects.filter(pk__in=[a, b])),
        source=PartnershipSource.REQUEST,
    )
    with pytest.raises(ProgramError, match="run the round again"):
        rounds.round_publish(match_round=draft, actor=manager)
    assert Partnership.objects.filter(program=program).count() == 1
    draft.refresh_from_db()
    assert draft.status == RoundStatus.DRAFT


def test_a_snoozed_person_returns_to_the_pool_by_themselves(world: World) -> None:
    program = make_program(world.acme)
    enrolment = enrol(program, world.alice_person, snoozed_until=dt.date(2026, 12, 1))
    enrol(program, world.bob_person)
    assert enrolment.pk not in set(
        pool(program, today=dt.date(2026, 11, 30)).values_list("pk", flat=True)
    )
    assert enrolment.pk not in set(
        pool(program, today=dt.date(2026, 12, 1)).values_list("pk", flat=True)
    )
    assert enrolment.pk in set(
        pool(program, today=dt.date(2026, 12, 2)).values_list("pk", flat=True)
    )


def test_the_round_pages_walk_a_manager_from_draft_to_published(world: World) -> None:
    # Carol is two levels from Alice: a wide enough gap lets the round make its trio.
    program = make_program(world.acme, max_level_gap=3)
    for person in (world.alice_person, world.bob_person, world.carol_person):
        enrol(program, person)
    client = client_for(world.bob)
    response = client.post(
        reverse("round_create", kwargs={"org_slug": "acme", "program_id": program.pk})
    )
    round_url = response["Location"]
    assert "Waiting for the worker" in client.get(round_url).content.decode()
    rounds.run_pending_rounds()
    page = client.get(round_url).content.decode()
    # Three people, solved exactly: the best possible, with no (loose-bound) gap shown, and
    # one group in the singular.
    assert "This is the best possible pairing of these people." in page
    assert (
        not re.search(r"within \d", page) and "certified bound" not in page and "% gap" not in page
    )
    assert "Publish 1 group</button>" in page
    assert "Edmonds" in page  # the method, inside <details>
    assert "1 person was left over after the pairs" in page
    match_round = MatchRound.objects.get(program=program)
    response = client.post(
        reverse(
            "round_publish",
            kwargs={"org_slug": "acme", "program_id": program.pk, "round_id": match_round.pk},
        )
    )
    assert response.status_code == 302
    assert response["Location"] == round_url
    page = client.get(round_url).content.decode()
    # Queued: the page says so, refreshes itself, and offers no more changes.
    assert "Waiting for the worker to start publishing 1 group…" in page
    assert 'http-equiv="refresh"' in page
    assert "Publish 1 group</button>" not in page
    assert not Partnership.objects.filter(program=program).exists()
    assert rounds.run_pending_publishes() == 1
    assert Partnership.objects.filter(program=program, source=PartnershipSource.ROUND).exists()
    match_round.refresh_from_db()
    assert match_round.status == RoundStatus.PUBLISHED
    assert 'http-equiv="refresh"' not in client.get(round_url).content.decode()


def test_a_circles_program_makes_groups_of_three_and_four(cohort: Cohort) -> None:
    program, people, manager = cohort.program, cohort.people, cohort.manager
    program.kind = ProgramKind.CIRCLES
    program.save()
    result = run(program, manager).result
    by_id = {
        p.pk: p
        for p in Person.objects.filter(pk__in=[p.pk for p in people]).select_related("manager")
    }
    sizes = [len(g["members"]) for g in result["groups"]]
    grouped = [m for g in result["groups"] for m in g["members"]]
    assert len(grouped) == len(set(grouped))
    assert sorted(grouped + [u["id"] for u in result["unmatched"]]) == sorted(p.pk for p in people)
    assert set(sizes) <= {2, 3, 4}
    assert sizes.count(4) >= 0.8 * len(sizes), sizes
    for group in result["groups"]:
        for x, y in itertools.combinations(group["members"], 2):
            assert not in_reporting_line(by_id[x], by_id[y]), group
    circle = next(g for g in result["groups"] if g["kind"] == "circle")
    assert len(circle["reasons"]) >= 2


@pytest.mark.parametrize("gap", [0, 1])
def test_a_round_keeps_peers_within_the_programs_level_gap(cohort: Cohort, gap: int) -> None:
    """The program's largest level gap is a rule the engine applies, not a preference."""
    program, manager = cohort.program, cohort.manager
    program.max_level_gap = gap
    program.save(update_fields=["max_level_gap"])
    result = run(program, manager).result
    levels = dict(
        Person.objects.filter(pk__in=[p.pk for p in cohort.people]).values_list("pk", "level")
    )
    groups = [g["members"] for g in result["groups"]]
    assert groups
    for members in groups:
        known = [level for m in members if (level := levels[m]) is not None]
        assert not known or max(known) - min(known) <= gap, (members, known)
