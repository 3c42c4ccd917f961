"""Goals in plain words: stems, filler, the similarity threshold and the phrase shown."""

from __future__ import annotations

import pytest

from twoway.matching import Participant, pair_score
from twoway.matching.goals import GOAL_MIN_SIMILARITY, parse, shared_phrase, stem
from twoway.matching.synthetic import company

COHORT = company(300, seed=1)  # idf as in a demo-shaped program

# (goal a, goal b, the phrase shown or None, whether the similarity counts)
EXAMPLES = [
    (
        "executive presence and public speaking",
        "public speaking for leadership meetings",
        "public speaking",
        True,
    ),
    (
        "Get better at presenting to senior leaders",
        "presenting to senior leaders in our quarterly reviews",
        "presenting to senior leaders",
        True,
    ),
    ("Client relationships", "client relationships and negotiation", "Client relationships", True),
    ("Career advice", "career advice and a path to promotion", "Career advice", True),
    # One shared word is not a shared goal.
    ("Understand our clients better", "Client relationships", None, False),
    ("Get honest feedback on how I come across", "Giving and receiving feedback", None, False),
    (
        "Get better at presenting to senior leaders",
        "build confidence presenting to leadership",
        None,
        False,
    ),
    # Filler and words every goal uses ("back", "go", "other", "team", "plan", "work").
    ("Think through whether to go back to study", "go back to basics on SQL", None, False),
    ("Learn how other teams plan their work", "plan my team's work better", None, False),
]


def similarity(a: str, b: str) -> float:
    pa, pb = Participant(id="x", goals=a), Participant(id="y", goals=b)
    return pair_score(pa, pb, cohort=[*COHORT, pa, pb]).components["goals"]


@pytest.mark.parametrize(("a", "b", "phrase", "counts"), EXAMPLES)
def test_goal_similarity_counts_only_for_a_shared_purpose(
    a: str, b: str, phrase: str | None, counts: bool
) -> None:
    assert shared_phrase(parse(a), parse(b)) == phrase
    weight = 1.0  # the default goals weight: components are weighted
    value = similarity(a, b) / weight
    if counts:
        assert value >= GOAL_MIN_SIMILARITY
    else:
        assert value == 0.0


def test_equal_goals_are_quoted_whole_and_stems_meet() -> None:
    goal = "Get better at presenting to senior leaders"
    assert shared_phrase(parse(goal), parse(goal.lower())) == goal
    # Equal goals of filler and everyday words only are still no reason.
    same = "Learn how other teams plan their work"
    assert shared_phrase(parse(same), parse(same)) is None
    assert stem("presenting") == stem("presentation") == stem("presents") == "present"
    assert stem("leaders") == stem("leadership") == stem("leading") == "lead"
    assert stem("planning") == "plan"


def test_a_reason_names_the_shared_phrase_never_single_words() -> None:
    a = Participant(id="a", name="Ana", level=4, goals="Get better at presenting to senior leaders")
    b = Participant(id="b", name="Ben", level=4, goals="presenting to senior leaders, calmly")
    c = Participant(id="c", name="Cy", level=4, goals="Think through whether to go back to study")
    d = Participant(id="d", name="Dee", level=4, goals="go back to work after leave")
    near = pair_score(a, b, cohort=[*COHORT, a, b, c, d]).reasons
    assert 'shared goal: "presenting to senior leaders"' in near
    noise = pair_score(c, d, cohort=[*COHORT, a, b, c, d]).reasons
    assert not any("goal" in r for r in noise)
