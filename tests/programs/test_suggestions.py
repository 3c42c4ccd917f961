"""Self-match suggestions from the program's kept features: the engine's scores and reasons,
the level rule, a query count that does not grow with the pool, and a cache that follows
changes."""

from __future__ import annotations

import datetime as dt
import gc
import time
import weakref

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import World, client_for
from tests.programs.helpers import make_program
from twoway.matching import MatchSettings, Participant, pair_score, suggest
from twoway.matching.engine import suggest_row
from twoway.matching.features import build_cohort
from twoway.people.models import AvailabilityWindow, Person, Skill
from twoway.programs import services, suggestions
from twoway.programs.cohort import engine_settings, participants_for, participants_of, pool
from twoway.programs.models import (
    Block,
    Enrolment,
    EnrolmentStatus,
    PartnershipSource,
    Program,
)
from twoway.programs.suggestions import program_features, suggestions_for

GOALS = [
    "get better at presenting to clients and writing proposals",
    "learn SQL for reporting and dashboards",
    "get better at presenting to clients",
    "grow as a people manager and give feedback",
    "understand pricing and forecasting",
    "",
]


def peers_url(program: Program) -> str:
    return reverse("program_peers", args=["acme", program.pk])


def grow(world: World, program: Program, n: int, start: int = 0) -> list[Person]:
    """n enrolled people with varied skills, goals, levels, teams, calendars and managers."""
    skills = list(Skill.objects.filter(organization=world.acme).order_by("pk"))
    while len(skills) < 6:
        skills.append(
            Skill.objects.create(organization=world.acme, name=f"Skill {len(skills)}", category="x")
        )
    out: list[Person] = []
    for i in range(start, start + n):
        person = Person.objects.create(
            organization=world.acme,
            name=f"Peer {i:03}",
            email=f"peer{i}@acme.example",
            level=2 + i % 5,
            team=world.platform if i % 3 == 0 else None,
            hire_date=dt.date(2015 + i % 8, 1, 1),
            time_zone=("Europe/Berlin", "America/New_York", "UTC")[i % 3],
            location=("Berlin", "Remote")[i % 2],
            manager=out[-3] if i % 7 == 3 and len(out) >= 3 else None,
        )
        if i % 4:
            AvailabilityWindow.objects.create(
                person=person, weekday=i % 5, start=dt.time(9 + i % 3), end=dt.time(12 + i % 4)
            )
        Enrolment.objects.create(
            program=program,
            person=person,
            offers={str(skills[i % 6].pk): 1 + i % 3, str(skills[(i + 2) % 6].pk): 2},
            seeks={str(skills[(i + 1) % 6].pk): 3} if i % 5 else {},
            goals=GOALS[i % len(GOALS)],
            meeting_preference=("either", "video", "in_person")[i % 3],
        )
        out.append(person)
    return out


@pytest.fixture
def program(world: World) -> Program:
    program = make_program(world.acme, matching_mode="self", max_level_gap=1)
    Enrolment.objects.create(
        program=program,
        person=world.alice_person,
        offers={str(world.sql.pk): 3},
        seeks={str(world.sales.pk): 2},
        goals="get better at presenting to clients",
    )
    people = grow(world, program, 30)
    # Everything the rules look at: a request each way, a block, a past partner, a manager.
    services.request_send(
        program=program, sender=world.alice_person, receiver=people[2], note="Hello!"
    )
    services.request_send(
        program=program, sender=people[6], receiver=world.alice_person, note="Hello!"
    )
    Block.objects.create(person=people[7], blocked=world.alice_person)
    world.alice_person.manager = people[11]
    world.alice_person.save()
    services.partnership_create(
        program=program, people=[people[12], people[13]], source=PartnershipSource.HAND
    )
    return program


def everyone(program: Program) -> list[Participant]:
    enrolments = list(
        Enrolment.objects.filter(program=program, status=EnrolmentStatus.ACTIVE)
        .select_related("person", "person__team", "person__department")
        .order_by("person_id")
    )
    return participants_for(program, enrolments)


def test_a_programs_participants_read_as_rows_are_those_read_as_models(
    world: World, program: Program
) -> None:
    """The kept features read a whole program as plain rows (`participants_of`); rounds and
    requests read models (`participants_for`): the engine must get the same people either way,
    teams, departments, calendars, managers, past partners and blocks included."""
    active = Enrolment.objects.filter(program=program, status=EnrolmentStatus.ACTIVE)
    rows = participants_of(program, active.order_by("person_id"))
    assert rows == everyone(program)
    assert any(p.team for p in rows) and any(p.availability for p in rows)
    assert any(p.manager_id for p in rows) and any(p.past_partners for p in rows)
    assert any(p.blocked for p in rows) and any(p.requested for p in rows)


def test_suggestions_are_the_engines_scores_and_reasons(world: World, program: Program) -> None:
    me = Enrolment.objects.select_related("person").get(person=world.alice_person)
    mine = suggestions_for(program, me, k=100).rows
    assert len(mine) >= 5
    cohort = everyone(program)
    settings = engine_settings(program)
    by_id = {p.id: p for p in cohort}
    a = by_id[str(world.alice_person.pk)]
    for person, s in mine:
        engine = pair_score(a, by_id[str(person.pk)], settings, cohort=cohort)
        assert engine.feasible
        assert s.score == engine.score
        assert s.reasons == engine.reasons
        assert {k: round(v, 6) for k, v in s.components.items()} == engine.components
    # And the same list, in the same order, as the engine's own `suggest` over the program,
    # kept to the people waiting to be matched.
    waiting = {str(pid) for pid in pool(program).values_list("person_id", flat=True)}
    expected = [x for x in suggest(a.id, cohort, settings, k=1000) if x.id in waiting]
    assert [(s.id, s.score, s.reasons) for _, s in mine] == [
        (x.id, x.score, x.reasons) for x in expected
    ]
    # The rows the rules remove are really there to remove.
    ids = {s.id for _, s in mine}
    asked = Person.objects.get(name="Peer 002")
    assert str(asked.pk) in ids
    assert any("asked for" in r for _, s in mine for r in s.reasons)
    for name in ("Peer 007", "Peer 011", "Peer 012"):  # blocked, manager, already paired
        assert str(Person.objects.get(name=name).pk) not in ids


def test_suggestions_keep_to_the_level_rule_and_say_so(world: World, program: Program) -> None:
    response = client_for(world.alice).get(peers_url(program))
    rows = response.context["suggestions"]
    assert rows and all(abs((p.level or 0) - 3) <= 1 for p, _, _ in rows)
    me = Enrolment.objects.select_related("person").get(person=world.alice_person)
    everyone_ = suggestions_for(program, me, k=100)
    assert all(abs((p.level or 0) - 3) <= 1 for p, _ in everyone_.rows)
    waiting_far = [
        e for e in pool(program) if e.person.level is not None and abs(e.person.level - 3) > 1
    ]
    assert 0 < everyone_.outside_level_rule <= len(waiting_far)
    html = response.content.decode()
    assert "This program pairs peers at most 1 level apart (yours is L3)." in html
    assert f"So {everyone_.outside_level_rule} people waiting to be matched are not" in html
    # Everyone in the program: a person outside the gap is marked and offered no request.
    far = Person.objects.get(name="Peer 003")  # L5
    near = Person.objects.get(name="Peer 000")  # L2
    all_pages = "".join(
        client_for(world.alice).get(peers_url(program), {"page": n}).content.decode()
        for n in (1, 2)
    )
    assert reverse("request_new", args=["acme", program.pk, far.pk]) not in all_pages
    assert reverse("request_new", args=["acme", program.pk, near.pk]) in all_pages
    assert "outside this program's level gap" in all_pages
    # A wider rule lets them in.
    program.max_level_gap = 3
    program.save()
    wider = suggestions_for(program, me, k=100)
    assert any(abs((p.level or 0) - 3) > 1 for p, _ in wider.rows)


def test_the_buddy_rule_holds_in_one_row_as_in_a_round() -> None:
    settings = MatchSettings(mode="mentor", mentor_level_range=(1, 2), max_level_gap=None)
    people = [Participant(id="new", level=2, role="mentee", offers={"a": 1}, seeks={"b": 2})]
    people += [
        Participant(id=f"m{lv}", level=lv, role="mentor", offers={"b": 3}, seeks={"a": 1})
        for lv in range(1, 8)
    ]
    cohort = build_cohort(people, settings)
    row = suggest_row(cohort, 0, list(range(1, 8)), k=10)  # type: ignore[arg-type]
    assert sorted(s.id for s in row.suggestions) == ["m3", "m4"]
    assert row.outside_level_rule == 5


def test_the_suggestions_page_reads_as_many_queries_for_a_large_pool(world: World) -> None:
    program = make_program(world.acme, matching_mode="self", max_level_gap=4)
    Enrolment.objects.create(program=program, person=world.alice_person, offers={"1": 1})
    grow(world, program, 6)
    client = client_for(world.alice)
    client.get(peers_url(program))  # builds the program's features
    with CaptureQueriesContext(connection) as small:
        client.get(peers_url(program))
    grow(world, program, 60, start=100)
    client.get(peers_url(program))
    with CaptureQueriesContext(connection) as large:
        response = client.get(peers_url(program))
    assert len(large) == len(small)
    assert len(response.context["suggestions"]) == 6
    # Everyone in the program: a page of 24 by name out of all 66 others, searchable.
    assert response.context["page"].paginator.count == 66
    assert [e.person.name for e in response.context["rows"]][:2] == ["Peer 000", "Peer 001"]
    last = client.get(peers_url(program), {"page": 3}).context["rows"]
    assert [e.person.name for e in last][-1] == "Peer 159" and len(last) == 66 - 48
    found = client.get(peers_url(program), {"q": "peer 10"}).context
    assert [e.person.name for e in found["rows"]] == [f"Peer {i}" for i in range(100, 110)]
    assert found["page"].paginator.count == 10
    by_goal = client.get(peers_url(program), {"q": "pricing"}).context["rows"]
    assert by_goal and all("pricing" in e.goals for e in by_goal)


# Committed for real: the program's version is raised after a commit (twoway.programs.tally).
@pytest.mark.django_db(transaction=True)
def test_the_kept_features_follow_enrolments_and_profiles(world: World, program: Program) -> None:
    me = Enrolment.objects.select_related("person").get(person=world.alice_person)
    before = program_features(program)
    assert program_features(program) is before  # nothing changed: kept
    # A newcomer who seeks exactly what Alice offers and offers what she seeks.
    newcomer = Person.objects.create(
        organization=world.acme, name="Nia New", email="nia@acme.example", level=3
    )
    Enrolment.objects.create(
        program=program,
        person=newcomer,
        offers={str(world.sales.pk): 3},
        seeks={str(world.sql.pk): 3},
        goals="get better at presenting to clients",
    )
    first = suggestions_for(program, me, k=3).rows[0][0]
    assert first == newcomer
    # Her level changes on her profile: now outside the gap, no longer suggested.
    newcomer.level = 6
    newcomer.save()
    assert newcomer not in [p for p, _ in suggestions_for(program, me, k=100).rows]
    # She leaves the program.
    newcomer.level = 3
    newcomer.save()
    assert suggestions_for(program, me, k=1).rows[0][0] == newcomer
    Enrolment.objects.filter(person=newcomer).update(status=EnrolmentStatus.WITHDRAWN)
    assert newcomer not in [p for p, _ in suggestions_for(program, me, k=100).rows]


@pytest.mark.django_db(transaction=True)
def test_the_kept_features_follow_renamed_teams_and_skills(world: World, program: Program) -> None:
    """Suggestions show teams and name skills in their reasons: renaming either in the
    organization rebuilds the features (a rename changes no count the old check looked at)."""
    before = program_features(program)
    assert program_features(program) is before
    world.platform.name = "Core platform"
    world.platform.save()
    renamed = program_features(program)
    assert renamed is not before
    assert "Core platform" in {p.team for p in renamed.cohort.people}
    world.sql.name = "Structured queries"
    world.sql.save()
    again = program_features(program)
    assert again is not renamed
    alice = again.cohort.people[again.cohort.index[str(world.alice_person.pk)]]
    assert "Structured queries" in alice.offers


@pytest.mark.django_db(transaction=True)
def test_a_large_programs_features_are_rebuilt_behind_and_never_suggest_the_matched(
    world: World, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rebuilding a 20,000-person program's features takes seconds: after a change elsewhere
    the page goes on with the kept ones while a thread rebuilds them, and checks the people it
    suggests against who is waiting now."""
    monkeypatch.setattr(suggestions, "REBUILD_BEHIND_FROM", 10)
    me = Enrolment.objects.select_related("person").get(person=world.alice_person)
    before = program_features(program, viewer=me)
    top = suggestions_for(program, me, k=1).rows[0][0]
    # Someone else matches Alice's best suggestion: a change that is not about Alice.
    other = Enrolment.objects.filter(program=program).exclude(person__in=[top, me.person])
    partner = next(
        e.person
        for e in other
        if e.person_id in set(pool(program).values_list("person_id", flat=True))
    )
    services.partnership_create(
        program=program, people=[top, partner], source=PartnershipSource.HAND
    )
    shown = suggestions_for(program, me, k=5).rows
    assert top not in [p for p, _ in shown] and len(shown) == 5
    for _ in range(200):  # the rebuild's thread
        if not suggestions._rebuilding:
            break
        time.sleep(0.05)
    after = program_features(program, viewer=me)
    assert after is not before and not after.stale
    assert str(top.pk) not in {after.cohort.ids[i] for i in after.pool}
    # Alice edits her intake: she waits for features that know it, not the kept ones.
    me.goals = "learn about pricing"
    me.save()
    me.refresh_from_db()
    assert not program_features(program, viewer=me).stale


def test_the_suggestions_speak_to_their_reader(world: World, program: Program) -> None:
    """The engine writes reasons about both people ("Alice Example can help Peer 003 with …");
    the page shows Alice hers in the second person, as her introduction would."""
    response = client_for(world.alice).get(peers_url(program))
    name = world.alice_person.name
    rows = response.context["suggestions"]
    engine_reasons = [r for _, s, _ in rows for r in s.reasons]
    assert any(name in r for r in engine_reasons), "the fixture's reasons name Alice"
    shown = [r for _, _, reasons in rows for r in reasons]
    assert shown and not any(name in r for r in shown)
    html = response.content.decode()
    assert not any(f"<li>{r}</li>" in html for r in engine_reasons if name in r)


def test_a_large_programs_kept_features_are_out_of_the_collectors_sight(
    world: World, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hundreds of thousands of kept objects made every full garbage collection of the web
    process take 30 → 140 ms (and the API people list's p95 350 ms): a large program's
    features are frozen out of collections once built, and what was frozen and has become
    cyclic garbage since is let go at the next build."""

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    monkeypatch.setattr(suggestions, "REBUILD_BEHIND_FROM", 10)
    gc.unfreeze()
    try:
        alive_then = Cycle()
        gone = weakref.ref(alive_then)
        features = suggestions._build(program, ("test",))
        suggestions._keep(program.pk, features)
        assert gc.get_freeze_count() > 0
        assert id(features.cohort.people[0]) not in {id(o) for o in gc.get_objects()}
        del alive_then
        gc.collect()
        assert gone() is not None  # frozen: a collection does not see it
        suggestions._keep(program.pk, suggestions._build(program, ("test", 2)))
        assert gone() is None
    finally:
        gc.unfreeze()
