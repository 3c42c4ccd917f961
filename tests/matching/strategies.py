"""Hypothesis strategies for small random cohorts with integer-valued scores."""

from __future__ import annotations

from hypothesis import strategies as st

from twoway.matching import MatchSettings, Participant, Weights

SKILLS = ("sql", "sales", "design", "python", "speaking")

# Integer weights with each component taking few values keep every score on a coarse grid,
# so comparing totals with networkx is exact after the engine's 1e-6 integer scaling.
INT_WEIGHTS = Weights(
    reciprocity=0, mutual=3, level=2, tenure=0, cross_team=2, time=0, meeting=1, goals=0, request=1
)


@st.composite
def cohorts(draw: st.DrawFn, max_size: int = 24) -> list[Participant]:
    n = draw(st.integers(min_value=0, max_value=max_size))
    ids = [f"u{i:03d}" for i in range(n)]
    people = []
    for i, pid in enumerate(ids):
        others = [x for x in ids if x != pid]
        pick = st.sampled_from(others) if others else st.nothing()
        people.append(
            Participant(
                id=pid,
                level=draw(st.integers(1, 6)),
                department=draw(st.sampled_from(["A", "B", "C"])),
                team=draw(st.sampled_from(["t1", "t2", "t3", "t4"])),
                manager_id=draw(st.sampled_from(ids[:i])) if i and draw(st.booleans()) else "",
                location=draw(st.sampled_from(["Berlin", "Lisbon"])),
                meeting_preference=draw(st.sampled_from(["in_person", "video", "either"])),
                offers=draw(
                    st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=2)
                ),
                seeks=draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=2)),
                past_partners=frozenset(draw(st.lists(pick, max_size=1)))
                if others
                else frozenset(),
                blocked=frozenset(draw(st.lists(pick, max_size=1))) if others else frozenset(),
                requested=frozenset(draw(st.lists(pick, max_size=1))) if others else frozenset(),
            )
        )
    return people


def settings(**kw: object) -> MatchSettings:
    return MatchSettings(weights=INT_WEIGHTS, **kw)  # type: ignore[arg-type]
