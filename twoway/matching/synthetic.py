"""Synthetic cohorts for tests, benchmarks and demos (deterministic for a seed).

Shaped like a company: departments with teams, a manager tree, a few offices and time zones,
availability picked from common weekly slots, skills drawn from a shared catalogue with a
few popular ones, and goals written from the themes the peer-mentoring articles name.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .model import AvailabilityWindow, Participant

SKILLS = (
    "sql",
    "python",
    "client relationships",
    "public speaking",
    "negotiation",
    "design review",
    "product strategy",
    "hiring",
    "interviewing",
    "budgeting",
    "kubernetes",
    "data visualisation",
    "writing",
    "leadership",
    "mentoring",
    "sales forecasting",
    "ux research",
    "testing",
    "security",
    "accessibility",
    "analytics",
    "machine learning",
    "project planning",
    "stakeholder management",
    "feedback",
    "coaching",
    "excel",
    "javascript",
    "cloud costs",
    "incident response",
)
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "People", "Support", "Product")
OFFICES = (
    ("Berlin", "Europe/Berlin"),
    ("London", "Europe/London"),
    ("New York", "America/New_York"),
    ("Lisbon", "Europe/Lisbon"),
    ("Bangalore", "Asia/Kolkata"),
)
GOALS = (
    "career advice and a path to promotion",
    "get better at public speaking",
    "learn company culture as a new hire",
    "executive presence in meetings",
    "client relationships and negotiation",
    "pick up a new skill: data analysis",
    "manage stress and avoid burnout",
    "become a better manager and give feedback",
    "build confidence presenting to leadership",
    "understand product strategy",
)
WINDOWS = (
    (0, 540, 720),
    (1, 840, 960),
    (2, 600, 690),
    (3, 780, 900),
    (4, 540, 600),
    (0, 900, 1020),
    (2, 840, 930),
    (4, 720, 840),
)


def cohort(n: int, seed: int = 0) -> list[Participant]:
    rng = np.random.default_rng(seed)
    ids = [f"p{i:06d}" for i in range(n)]
    popularity = 1.0 / np.arange(1, len(SKILLS) + 1) ** 0.6
    popularity /= popularity.sum()
    people = []
    for i in range(n):
        dept = DEPARTMENTS[int(rng.integers(len(DEPARTMENTS)))]
        office, tz = OFFICES[int(rng.integers(len(OFFICES)))]
        # Managers sit earlier in the list: a tree with roughly 6 reports each.
        manager = ids[int(rng.integers(0, i // 6 + 1))] if i > 0 and rng.random() < 0.9 else ""
        n_off, n_seek = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        chosen = rng.choice(len(SKILLS), size=n_off + n_seek, replace=False, p=popularity)
        offers = {SKILLS[k]: int(rng.integers(1, 4)) for k in chosen[:n_off]}
        seeks = {SKILLS[k]: int(rng.integers(1, 4)) for k in chosen[n_off:]}
        wins = rng.choice(len(WINDOWS), size=int(rng.integers(0, 4)), replace=False)
        avail = tuple(AvailabilityWindow(*WINDOWS[k]) for k in sorted(wins))
        past = frozenset({ids[int(rng.integers(n))]}) if rng.random() < 0.2 else frozenset()
        blocked = frozenset({ids[int(rng.integers(n))]}) if rng.random() < 0.02 else frozenset()
        people.append(
            Participant(
                id=ids[i],
                name=f"Person {i}",
                level=int(rng.integers(1, 9)),
                hire_date=dt.date(2010 + int(rng.integers(0, 15)), int(rng.integers(1, 13)), 1),
                department=dept,
                team=f"{dept}-{int(rng.integers(0, max(1, n // 60)))}",
                manager_id=manager,
                location=office,
                timezone=tz,
                availability=avail,
                meeting_preference=("either", "video", "in_person")[
                    int(rng.choice(3, p=[0.6, 0.3, 0.1]))
                ],
                offers=offers,
                seeks=seeks,
                goals=GOALS[int(rng.integers(len(GOALS)))],
                past_partners=past - {ids[i]},
                blocked=blocked - {ids[i]},
                capacity=1,
                role="peer",
            )
        )
    return people
