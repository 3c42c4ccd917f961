"""Properties of what the engine forms and says, on random cohorts.

- No peer group holds two people further apart than the level gap; no mentor is outside the
  step range; a person the rule leaves out is told so.
- Every reason is one of the engine's sentence shapes *and* names something real about the
  two people: a skill one offers and the other seeks, their levels, departments or teams,
  shared time, a meeting place, a request, or a goal phrase of at least two meaningful words
  found in both goals. Checked here from the participants, not from the engine's own tables.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twoway.matching import AvailabilityWindow, MatchSettings, Participant, match

SKILLS = ("SQL", "sales", "design", "python", "public speaking", "negotiation")
GOALS = (
    "Get better at presenting to senior leaders",
    "presenting to senior leaders in reviews",
    "Think through whether to go back to study",
    "Learn how other teams plan their work",
    "career advice and a path to promotion",
    "Career advice",
    "public speaking and executive presence",
    "",
)
NAMES = ("Ana", "Ben", "Cy", "Dee", "Eli", "Fay")
# Independent of the engine's lists: words that never make a goal phrase meaningful.
FILLER = set(
    """a an and are as at back be better for from get go how i in into is it learn learning
    more my of on or other our plan so team teams the their to want with work""".split()
)
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
# Property tests: many generated cohorts each.
pytestmark = pytest.mark.slow

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cohorts(draw: st.DrawFn) -> list[Participant]:
    n = draw(st.integers(min_value=2, max_value=18))
    ids = [f"u{i:02d}" for i in range(n)]
    people = []
    for i, pid in enumerate(ids):
        skills = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=2)
        windows = st.lists(
            st.tuples(st.integers(0, 4), st.sampled_from([540, 600, 840])), max_size=2
        )
        people.append(
            Participant(
                id=pid,
                name=f"{NAMES[i % len(NAMES)]} {i}",
                level=draw(st.one_of(st.none(), st.integers(1, 7))),
                department=draw(st.sampled_from(["Sales", "Engineering", ""])),
                team=draw(st.sampled_from(["t1", "t2", "t3", ""])),
                manager_id=draw(st.sampled_from(ids[:i])) if i and draw(st.booleans()) else "",
                location=draw(st.sampled_from(["Berlin", "Lisbon"])),
                availability=tuple(
                    AvailabilityWindow(d, s, s + 120) for d, s in sorted(set(draw(windows)))
                ),
                meeting_preference=draw(st.sampled_from(["in_person", "video", "either"])),
                offers=draw(skills),
                seeks=draw(skills),
                goals=draw(st.sampled_from(GOALS)),
                requested=frozenset(draw(st.lists(st.sampled_from(ids), max_size=1))) - {pid},
                capacity=draw(st.integers(1, 2)),
                role=draw(st.sampled_from(["peer", "mentor", "mentee"])),
            )
        )
    return people


@FAST
@given(people=cohorts(), gap=st.integers(0, 3), trios=st.booleans())
def test_no_peer_group_exceeds_the_level_gap(
    people: list[Participant], gap: int, trios: bool
) -> None:
    result = match(people, MatchSettings(max_level_gap=gap, allow_trios=trios))
    by_id = {p.id: p for p in people}
    for g in result.groups:
        levels = [lv for m in g.members if (lv := by_id[m].level) is not None]
        if len(levels) >= 2:
            assert max(levels) - min(levels) <= gap, (g.members, levels)
    for u in result.unmatched:
        if u.reason == "level_gap":
            assert "level gap" in u.message


@FAST
@given(people=cohorts(), lo=st.integers(0, 2), width=st.integers(0, 2))
def test_no_mentor_is_outside_the_step_range(
    people: list[Participant], lo: int, width: int
) -> None:
    result = match(people, MatchSettings(mode="mentor", mentor_level_range=(lo, lo + width)))
    by_id = {p.id: p for p in people}
    for g in result.groups:
        # (Mutual requests are locked first, whatever the roles: only mentor pairs count.)
        found = {by_id[m].role: by_id[m] for m in g.members}
        if g.kind == "mentor":
            assert set(found) == {"mentor", "mentee"}
        if set(found) != {"mentor", "mentee"}:
            continue
        mentor, mentee = found["mentor"], found["mentee"]
        if mentor.level is not None and mentee.level is not None:
            assert lo <= mentor.level - mentee.level <= lo + width


def meaningful(words: list[str]) -> list[str]:
    return [w for w in words if w.strip(",.").lower() not in FILLER]


def check_reason(text: str, a: Participant, b: Participant) -> None:
    """Fail unless `text` is a known sentence naming something real about a and b."""
    names = {a.display_name: a, b.display_name: b}
    other = {a.display_name: b, b.display_name: a}
    if m := re.fullmatch(r"both L(\d+)", text):
        assert a.level == b.level == int(m[1])
        return
    if m := re.fullmatch(r"(.+) is (\w+) steps? ahead \(L(\d+) and L(\d+)\)(, though .+)?", text):
        ahead, behind = names[m[1]], other[m[1]]
        assert (ahead.level, behind.level) == (int(m[3]), int(m[4]))
        assert int(m[3]) - int(m[4]) == NUMBERS.get(m[2], 0) or m[2].isdigit()
        return
    if m := re.fullmatch(r"level not known for (.+)", text):
        assert names[m[1]].level is None
        return
    if text == "levels not known":
        assert a.level is None and b.level is None
        return
    if text.count(" can help ") >= 1 and " with " in text and "no skill" not in text:
        for part in text.split("; "):
            m = re.fullmatch(r"(.+) can help (.+) with (.+)", part)
            assert m, text
            giver, taker = names[m[1]], names[m[2]]
            for skill in m[3].split(" and "):
                assert skill in {s.lower() for s in giver.offers}, (skill, giver.offers)
                assert skill in {s.lower() for s in taker.seeks}, (skill, taker.seeks)
        return
    if m := re.fullmatch(r"no skill exchange between (.+) and (.+): matched on (.+)", text):
        x, y = names[m[1]], names[m[2]]
        xo, yo = {s.lower() for s in x.offers}, {s.lower() for s in y.offers}
        assert not (xo & {s.lower() for s in y.seeks}) and not (yo & {s.lower() for s in x.seeks})
        return
    if m := re.fullmatch(r"different teams \((.+) and (.+)\)", text):
        assert {m[1], m[2]} == {a.team, b.team}
        return
    if m := re.fullmatch(r"([\d.]+) h of shared availability a week", text):
        assert float(m[1]) > 0 and a.availability and b.availability
        return
    if m := re.fullmatch(r'shared goal: "(.+)"', text):
        phrase = m[1].lower()
        assert phrase in a.goals.lower() or phrase in b.goals.lower()
        assert len(meaningful(phrase.split())) >= 2, phrase
        return
    if text == "asked for each other":
        assert b.id in a.requested and a.id in b.requested
        return
    if m := re.fullmatch(r"(.+) asked for (.+)", text):
        assert other[m[1]].id in names[m[1]].requested
        return
    if m := re.fullmatch(r"both can meet in person in (.+)", text):
        assert a.location == b.location == m[1]
        return
    if m := re.fullmatch(r"(.+) and (.+)", text):  # departments
        assert {m[1], m[2]} == {a.department, b.department}
        return
    raise AssertionError(f"unknown reason {text!r}")


@FAST
@given(people=cohorts(), gap=st.sampled_from([1, None]), mentor=st.booleans())
def test_every_reason_names_something_real(
    people: list[Participant], gap: int | None, mentor: bool
) -> None:
    s = MatchSettings(mode="mentor" if mentor else "peer", max_level_gap=gap)
    result = match(people, s)
    by_id = {p.id: p for p in people}
    for g in result.groups:
        assert g.reasons
        members = [by_id[m] for m in g.members]
        pairs = [(x, y) for k, x in enumerate(members) for y in members[k + 1 :]]
        for text in g.reasons:
            # A reason belongs to one pair of the group; at least one must make it true.
            errors = []
            for x, y in pairs:
                try:
                    check_reason(text, x, y)
                    break
                except (AssertionError, KeyError) as exc:
                    errors.append(exc)
            else:
                raise AssertionError(f"{text!r} is true of no pair in {g.members}: {errors}")
        if len(members) == 2:
            assert any(r.startswith(("both L", "level")) or " ahead " in r for r in g.reasons)
        assert abs(g.fit * len(pairs) - g.score) < 1e-4
        if g.kind == "trio":
            assert "trio" in g.note
