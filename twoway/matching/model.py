"""Inputs and outputs of the matching engine: plain, frozen dataclasses.

Nothing here knows about Django. The web app builds `Participant` objects from its models and
reads `MatchResult` back; the command line builds them from CSV/JSON (see `io.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["peer", "mentor"]
Role = Literal["peer", "mentor", "mentee"]
MeetingPreference = Literal["in_person", "video", "either"]

ROLES: tuple[str, ...] = ("peer", "mentor", "mentee")
MEETING_PREFERENCES: tuple[str, ...] = ("in_person", "video", "either")
MODES: tuple[str, ...] = ("peer", "mentor")

# The score components, in the order they are reported and explained.
COMPONENTS: tuple[str, ...] = (
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


@dataclass(frozen=True)
class AvailabilityWindow:
    """A weekly window in the participant's own IANA time zone.

    `weekday` is 0 (Monday) to 6 (Sunday); `start` and `end` are minutes after midnight,
    0 <= start < end <= 1440.
    """

    weekday: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if not 0 <= self.start < self.end <= 1440:
            raise ValueError(
                f"window must satisfy 0 <= start < end <= 1440: {self.start}-{self.end}"
            )


@dataclass(frozen=True)
class Participant:
    """One person in a matching round.

    `offers` and `seeks` map a skill name to a strength 1..3 (names are compared lower-cased).
    `past_partners`, `blocked` and `requested` hold participant ids. `capacity` is how many
    partners a mentor takes at once (mentor mode); peer mode gives everyone one group.
    """

    id: str
    name: str = ""
    level: int | None = None
    hire_date: dt.date | None = None
    department: str = ""
    team: str = ""
    manager_id: str = ""
    location: str = ""
    timezone: str = "UTC"
    availability: tuple[AvailabilityWindow, ...] = ()
    meeting_preference: MeetingPreference = "either"
    offers: Mapping[str, int] = field(default_factory=dict)
    seeks: Mapping[str, int] = field(default_factory=dict)
    goals: str = ""
    past_partners: frozenset[str] = frozenset()
    blocked: frozenset[str] = frozenset()
    requested: frozenset[str] = frozenset()
    capacity: int = 1
    role: Role = "peer"

    @property
    def display_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Weights:
    """How much each score component counts. Every component itself lies in [0, 1]."""

    reciprocity: float = 3.0  # what each can teach the other, averaged over both directions
    mutual: float = 3.0  # bonus when both directions are non-zero: the two-way street
    level: float = 1.5  # close levels (peer) or the target gap (mentor)
    tenure: float = 0.25  # a tie-breaker: similar hire years
    cross_team: float = 1.0  # half for another team, half for another department
    time: float = 1.0  # how well the weekly calendars line up (in UTC)
    meeting: float = 0.5  # compatible meeting preference (in person needs one location)
    goals: float = 1.0  # similarity of the free-text goals
    request: float = 0.5  # one asked for the other by name

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in COMPONENTS}


@dataclass(frozen=True)
class MatchSettings:
    """A program's matching rules.

    - `mode`: "peer" (pairs, trios for the odd one out) or "mentor" (mentor -> mentees, each
      mentor up to their `capacity`).
    - `level_gap`: (lo, hi) target of mentor level minus mentee level in mentor mode (a
      weight: the fit falls by half a level outside it).
    - `peer_level_tolerance`: in peer mode the level fit falls linearly to 0 at this gap + 1.
    - `max_level_gap`: a rule, not a weight: in peer mode no two people in a group are more
      than this many levels apart (default 1: same level or one step; None: no rule).
    - `mentor_level_range`: a rule in mentor mode: (lo, hi) steps the mentor must be ahead of
      the mentee, inclusive (None: no rule). A person with no level is not held to either rule.
    - `min_fit`: no pair below this score is ever formed (and a pair must score above 0).
    - `allow_trios`: attach a person left over to the pair where they add the most.
    - `allow_repeats`: past partners become possible again, but only for someone who has no
      other feasible partner (the pool is exhausted for them).
    - `locked_groups`: groups forced together (a hand-pairing by a program manager); mutual
      requests are locked too unless a hard constraint forbids them.
    - `forbidden_pairs`: pairs a manager broke; never formed again.
    - `top_k`: candidate partners kept per person on cohorts too big for every pair.
    - `seed`: recorded with the result; the engine itself has no randomness (ties are broken
      by input order), so the same input and settings always give the same output.
    """

    mode: Mode = "peer"
    weights: Weights = field(default_factory=Weights)
    level_gap: tuple[int, int] = (1, 2)
    peer_level_tolerance: int = 2
    max_level_gap: int | None = 1
    mentor_level_range: tuple[int, int] | None = None
    min_fit: float = 0.0
    allow_trios: bool = True
    allow_repeats: bool = False
    locked_groups: tuple[tuple[str, ...], ...] = ()
    forbidden_pairs: tuple[tuple[str, str], ...] = ()
    top_k: int = 16
    seed: int = 0
    # DST differs across the year; availability is converted to UTC for the week of this date.
    reference_date: dt.date = dt.date(2025, 1, 6)
    # Above EXACT_LIMIT people the pair-swap search runs `swap_rounds` rounds (a work budget:
    # the same input gives the same result on a busy or an idle machine). The time limit is a
    # safety cap only; a result it cut short says so in `MatchResult.time_capped`.
    swap_rounds: int = 50
    time_limit_seconds: float = 300.0


@dataclass(frozen=True)
class PairScore:
    """The score of one pair with each weighted component and plain-language reasons."""

    a: str
    b: str
    score: float
    components: Mapping[str, float]
    reasons: tuple[str, ...]
    feasible: bool = True
    violations: tuple[str, ...] = ()


Exchange = Literal["both", "one", "none"]


@dataclass(frozen=True)
class Group:
    """A formed group: a pair, a trio, or a mentor with one mentee.

    `score` sums every pair inside the group (what the totals add up); `fit` is the mean of
    those pairs, so a trio's fit compares with a pair's. `exchange` says whether skills flow
    both ways ("both": in a pair each can teach the other something they seek; in a larger
    group everyone teaches someone and learns from someone), one way only, or not at all.
    `note` says why a group is not a plain pair (a trio's third member and why).
    """

    id: int
    members: tuple[str, ...]
    score: float
    components: Mapping[str, float]
    reasons: tuple[str, ...]
    kind: Literal["pair", "trio", "mentor", "circle"] = "pair"
    locked: bool = False
    fit: float = 0.0
    exchange: Exchange = "none"
    note: str = ""


# Reason codes for people left without a group.
UNMATCHED_REASONS: dict[str, str] = {
    "no_feasible_partner": "no one in the cohort passes the hard constraints and minimum fit",
    "odd_one_out": "the cohort count is odd and trios are not allowed",
    "no_trio_fit": "no pair could take them as a third member within the constraints",
    "not_chosen": "their feasible partners were all better used elsewhere",
    "role_not_in_mode": "their role does not take part in this mode",
    "capacity_full": "every feasible mentor is at capacity",
    "no_feasible_mentor": "no mentor passes the hard constraints and minimum fit",
    "mentor_unused": "no mentee was assigned to this mentor",
    "level_gap": "no one within the program's level gap passes the other rules",
    "no_mentor_in_level_range": "no mentor the program's number of steps ahead passes the rules",
}


@dataclass(frozen=True)
class Unmatched:
    id: str
    reason: str
    message: str


@dataclass(frozen=True)
class MatchResult:
    """What `match()` returns.

    `total_weight` sums every pair inside every group (a trio counts its three pairs).
    `pair_weight` is the part from the maximum-weight matching (pairs, or mentor edges).
    `upper_bound` is a certified upper bound on the best possible `pair_weight` for the same
    constraints (see `solvers.py` for why it is valid); `gap` = 1 - pair_weight / upper_bound.
    `bound_scope` says what the bound covers ("pairs" or "mentor").
    `heuristic` is True when the pairing is not a proven optimum of its candidate graph (large
    cohorts: a cycle cover polished by pair swaps); `gap` is then the only guarantee.
    `time_capped` is True when the safety time limit stopped the local search before its
    work budget: only then may the same input give a different result on another run.
    """

    groups: tuple[Group, ...]
    unmatched: tuple[Unmatched, ...]
    total_weight: float
    pair_weight: float
    upper_bound: float
    gap: float
    seconds: float
    solver: str
    bound_method: str
    bound_scope: str
    mode: str
    n: int
    heuristic: bool = False
    time_capped: bool = False


@dataclass(frozen=True)
class Suggestion:
    """A ranked candidate for the self-match page."""

    id: str
    score: float
    components: Mapping[str, float]
    reasons: tuple[str, ...]
