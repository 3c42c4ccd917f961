"""Scoring and explanations on hand-made cases that follow the articles."""

from __future__ import annotations

import datetime as dt

from twoway.matching import AvailabilityWindow, MatchSettings, Participant, pair_score, suggest
from twoway.matching.synthetic import company

MON_9_12 = (AvailabilityWindow(0, 9 * 60, 12 * 60),)


def person(pid: str, **kw: object) -> Participant:
    base: dict[str, object] = {"id": pid, "name": pid.capitalize(), "level": 4}
    base.update(kw)
    return Participant(**base)  # type: ignore[arg-type]


def test_it_ranks_a_two_way_street_above_a_one_sided_pair() -> None:
    ana = person("ana", offers={"client relationships": 3}, seeks={"sql": 3})
    ben = person("ben", offers={"sql": 3}, seeks={"client relationships": 3})
    cy = person("cy", offers={}, seeks={"client relationships": 3})  # only takes
    both = pair_score(ana, ben)
    one = pair_score(ana, cy)
    assert both.score > one.score
    assert both.components["mutual"] > 0
    assert one.components["mutual"] == 0
    assert both.components["reciprocity"] > one.components["reciprocity"]


def test_it_explains_both_directions_in_plain_words() -> None:
    ana = person("ana", offers={"client relationships": 3}, seeks={"sql": 2}, department="Sales")
    ben = person("ben", offers={"sql": 3}, seeks={"client relationships": 2}, department="Eng")
    reasons = pair_score(ana, ben).reasons
    assert "Ana can help Ben with client relationships; Ben can help Ana with sql" in reasons
    assert "Sales and Eng" in reasons


def test_it_prefers_close_levels_for_peers_and_the_target_gap_for_mentors() -> None:
    a = person("a", level=4)
    close = person("b", level=5)
    far = person("c", level=8)
    assert pair_score(a, close).components["level"] > pair_score(a, far).components["level"]
    mentor = MatchSettings(mode="mentor", level_gap=(1, 2))
    senior = person("m", level=6, role="mentor")
    mentee_ok = person("e", level=5, role="mentee")
    mentee_same = person("f", level=6, role="mentee")
    ok = pair_score(senior, mentee_ok, mentor).components["level"]
    same = pair_score(senior, mentee_same, mentor).components["level"]
    assert ok > same


def test_it_rewards_another_team_and_department() -> None:
    a = person("a", team="t1", department="Sales")
    same = person("b", team="t1", department="Sales")
    other_team = person("c", team="t2", department="Sales")
    other_dept = person("d", team="t3", department="Eng")
    s0 = pair_score(a, same).components["cross_team"]
    s1 = pair_score(a, other_team).components["cross_team"]
    s2 = pair_score(a, other_dept).components["cross_team"]
    assert s0 < s1 < s2


def test_it_counts_shared_time_across_time_zones() -> None:
    # 09:00-12:00 in Berlin (UTC+1 in January) is 08:00-11:00 UTC; London 10:00-13:00 is
    # 10:00-13:00 UTC: one shared hour.
    berlin = person("a", timezone="Europe/Berlin", availability=MON_9_12)
    london = person("b", timezone="Europe/London", availability=(AvailabilityWindow(0, 600, 780),))
    tokyo = person("c", timezone="Asia/Tokyo", availability=MON_9_12)
    near = pair_score(berlin, london)
    apart = pair_score(berlin, tokyo)
    assert near.components["time"] > 0
    assert apart.components["time"] == 0
    assert "1 h of shared availability a week" in near.reasons


def test_it_needs_the_same_location_for_in_person() -> None:
    a = person("a", meeting_preference="in_person", location="Berlin")
    b = person("b", meeting_preference="in_person", location="Berlin")
    c = person("c", meeting_preference="in_person", location="Lisbon")
    v = person("d", meeting_preference="video", location="Berlin")
    assert pair_score(a, b).components["meeting"] > 0
    assert pair_score(a, c).components["meeting"] == 0
    assert pair_score(a, v).components["meeting"] == 0


def test_it_scores_similar_goals_higher() -> None:
    a = person("a", goals="executive presence and public speaking")
    b = person("b", goals="public speaking for leadership meetings")
    c = person("c", goals="kubernetes on-call rotations")
    # Goal words are weighed by their rarity in the program (here a demo-shaped one).
    program = [*company(200, seed=1), a, b, c]
    assert pair_score(a, b, cohort=program).components["goals"] > 0
    assert pair_score(a, c, cohort=program).components["goals"] == 0
    assert 'shared goal: "public speaking"' in pair_score(a, b, cohort=program).reasons


def test_it_reports_a_manager_pair_as_infeasible() -> None:
    boss = person("boss")
    report = person("rep", manager_id="boss")
    result = pair_score(boss, report, cohort=[boss, report])
    assert not result.feasible
    assert "reporting_line" in result.violations


def test_it_suggests_feasible_partners_best_first_with_reasons() -> None:
    me = person("me", offers={"sql": 3}, seeks={"negotiation": 3}, manager_id="boss")
    good = person("good", offers={"negotiation": 3}, seeks={"sql": 3})
    meh = person("meh", offers={"negotiation": 1}, seeks={})
    boss = person("boss", offers={"negotiation": 3}, seeks={"sql": 3})
    blocked = person("bl", offers={"negotiation": 3}, seeks={"sql": 3}, blocked=frozenset({"me"}))
    people = [me, good, meh, boss, blocked]
    out = suggest("me", people, MatchSettings(), k=10)
    ids = [s.id for s in out]
    assert ids[0] == "good"
    assert "boss" not in ids and "bl" not in ids
    assert [s.score for s in out] == sorted((s.score for s in out), reverse=True)
    assert out[0].reasons


def test_it_keeps_tenure_as_a_small_tie_breaker() -> None:
    a = person("a", hire_date=dt.date(2020, 1, 1))
    b = person("b", hire_date=dt.date(2021, 1, 1))
    c = person("c", hire_date=dt.date(2010, 1, 1))
    tb, tc = pair_score(a, b), pair_score(a, c)
    assert tb.components["tenure"] > tc.components["tenure"]
    assert tb.score - tc.score <= MatchSettings().weights.tenure
