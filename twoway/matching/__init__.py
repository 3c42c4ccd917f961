"""Twoway's matching engine: optimal, reciprocal, explained peer matching.

A pure Python package (NumPy, SciPy, rustworkx; no Django). Public API:

- `Participant`, `AvailabilityWindow`: inputs (skills are mappings name -> strength 1..3);
- `MatchSettings`, `Weights`: a program's rules and score weights;
- `match(participants, settings, progress=None) -> MatchResult`: the whole cohort at once;
- `suggest(person_id, participants, settings, k=10) -> list[Suggestion]`: self-match page;
- `pair_score(a, b, settings, cohort=None) -> PairScore`: one pair's breakdown;
- `read_people`, `read_pairs`, `write_groups`: CSV/JSON readers and the GROUPS.csv writer;
- `match_weights(...)`: bring-your-own-scores matching of a listed graph.
"""

from .engine import match, pair_score, suggest
from .io import InputError, read_pairs, read_people, write_groups
from .model import (
    COMPONENTS,
    UNMATCHED_REASONS,
    AvailabilityWindow,
    Group,
    MatchResult,
    MatchSettings,
    PairScore,
    Participant,
    Suggestion,
    Unmatched,
    Weights,
)
from .weights import match_weights

__all__ = [
    "COMPONENTS",
    "UNMATCHED_REASONS",
    "AvailabilityWindow",
    "Group",
    "InputError",
    "MatchResult",
    "MatchSettings",
    "PairScore",
    "Participant",
    "Suggestion",
    "Unmatched",
    "Weights",
    "match",
    "match_weights",
    "pair_score",
    "read_pairs",
    "read_people",
    "suggest",
    "write_groups",
]
