"""Plain-language reasons for a pair, both directions, from the score components."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .features import Cohort
from .scoring import Scorer

MIN_SHOWN = 1e-6


def _skills_taught(c: Cohort, i: int, j: int, limit: int = 2) -> list[str]:
    """Skills i offers that j seeks, strongest match first (ties by name)."""
    prod = c.offer[i] * c.seek[j]
    idx = [k for k in np.argsort(-prod, kind="stable").tolist() if prod[k] > 0]
    return [c.skills[k] for k in idx[:limit]]


def _hours(minutes: int) -> str:
    h = minutes / 60
    return f"{h:.0f} h" if float(h).is_integer() else f"{h:.1f} h"


def pair_reasons(
    scorer: Scorer, i: int, j: int, components: Mapping[str, float], limit: int = 5
) -> tuple[str, ...]:
    """Top reasons for the pair (i, j), strongest component first."""
    c = scorer.cohort
    pi, pj = c.people[i], c.people[j]
    a, b = pi.display_name, pj.display_name
    out: list[tuple[float, str]] = []
    recip = components.get("reciprocity", 0.0) + components.get("mutual", 0.0)
    if recip > MIN_SHOWN:
        parts = []
        ij, ji = _skills_taught(c, i, j), _skills_taught(c, j, i)
        if ij:
            parts.append(f"{a} can help {b} with {' and '.join(ij)}")
        if ji:
            parts.append(f"{b} can help {a} with {' and '.join(ji)}")
        if parts:
            out.append((recip, "; ".join(parts)))
    if components.get("level", 0.0) > MIN_SHOWN and pi.level is not None and pj.level is not None:
        if c.settings.mode == "mentor":
            gap = pi.level - pj.level
            text = f"levels L{pi.level} and L{pj.level} ({gap} ahead)"
        else:
            text = f"levels L{pi.level} and L{pj.level}"
        out.append((components["level"], text))
    cross = components.get("cross_team", 0.0)
    if cross > MIN_SHOWN:
        if pi.department and pj.department and pi.department.lower() != pj.department.lower():
            out.append((cross, f"{pi.department} and {pj.department}"))
        elif pi.team and pj.team and pi.team.lower() != pj.team.lower():
            out.append((cross, f"different teams ({pi.team} and {pj.team})"))
    if components.get("time", 0.0) > MIN_SHOWN and c.avail_known[i] and c.avail_known[j]:
        minutes = int(scorer.overlap_minutes(np.array([i]), np.array([j]))[0])
        if minutes > 0:
            out.append((components["time"], f"{_hours(minutes)} of shared availability a week"))
    if components.get("goals", 0.0) > MIN_SHOWN:
        shared = sorted(c.goal_words[i] & c.goal_words[j])
        if shared:
            out.append((components["goals"], "shared goals: " + ", ".join(shared[:3])))
    if components.get("request", 0.0) > MIN_SHOWN:
        both = pj.id in pi.requested and pi.id in pj.requested
        text = (
            "asked for each other"
            if both
            else (f"{a} asked for {b}" if pj.id in pi.requested else f"{b} asked for {a}")
        )
        out.append((components["request"] + 10.0, text))  # a request is always worth saying
    if components.get("meeting", 0.0) > MIN_SHOWN and "in_person" in (
        pi.meeting_preference,
        pj.meeting_preference,
    ):
        out.append((components["meeting"], f"both can meet in person in {pi.location}"))
    out.sort(key=lambda t: -t[0])
    return tuple(text for _, text in out[:limit])
