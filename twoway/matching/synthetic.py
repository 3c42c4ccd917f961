"""Synthetic cohorts for tests, benchmarks and demos (deterministic for a seed).

Shaped like a company: departments with teams, a manager tree, a few offices and time zones,
availability picked from common weekly slots, skills drawn from a shared catalogue with a
few popular ones, and goals written from the themes the peer-mentoring articles name.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .model import AvailabilityWindow, MeetingPreference, Participant

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


# A company shaped like the demo organization (`twoway/people/seed.py` and the demo program in
# `twoway/programs/demo.py`), without Django: the same departments, department skills, level
# ladder, manager layers, places and goal texts, so benchmarks and tests see data like the
# demo's (few skills shared by many people, many identical goal texts, levels 1-8).
COMPANY_SKILLS: dict[str, tuple[str, ...]] = {
    "technical": (
        "SQL",
        "Python",
        "Data analysis",
        "System design",
        "Cloud infrastructure",
        "Security basics",
        "Spreadsheet modelling",
    ),
    "communication": (
        "Public speaking",
        "Writing clearly",
        "Storytelling with data",
        "Negotiation",
        "Difficult conversations",
        "Presenting to executives",
    ),
    "leadership": (
        "Executive presence",
        "Giving feedback",
        "Delegation",
        "Coaching others",
        "Running meetings",
        "Managing up",
        "Decision making",
    ),
    "clients": (
        "Client relationships",
        "Sales discovery",
        "Account planning",
        "Handling objections",
        "Customer empathy",
        "Pricing",
    ),
    "career": (
        "Career planning",
        "Navigating promotions",
        "Networking",
        "Work-life balance",
        "Personal branding",
        "Going back to study",
    ),
    "ways of working": (
        "Company culture",
        "Prioritisation",
        "Project management",
        "Product thinking",
        "Remote collaboration",
        "Cross-team collaboration",
        "UX research",
        "Onboarding new teammates",
    ),
}
COMPANY_DEPARTMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Engineering": (
        ("Platform", "Payments", "Mobile", "Data", "Security", "Developer Experience"),
        ("SQL", "Python", "System design", "Cloud infrastructure", "Security basics"),
    ),
    "Product": (
        ("Core Product", "Growth", "Insights"),
        ("Product thinking", "Prioritisation", "UX research", "Storytelling with data"),
    ),
    "Design": (
        ("Product Design", "Brand", "Research"),
        ("UX research", "Product thinking", "Presenting to executives", "Customer empathy"),
    ),
    "Sales": (
        ("Enterprise Sales", "Mid-Market", "Sales Operations"),
        ("Client relationships", "Sales discovery", "Negotiation", "Handling objections"),
    ),
    "Marketing": (
        ("Content", "Demand Generation", "Product Marketing"),
        ("Writing clearly", "Storytelling with data", "Public speaking", "Personal branding"),
    ),
    "Customer Success": (
        ("Onboarding", "Support", "Account Management"),
        ("Customer empathy", "Client relationships", "Account planning"),
    ),
    "Finance": (
        ("FP&A", "Accounting", "Procurement"),
        ("Spreadsheet modelling", "Data analysis", "Pricing", "Decision making"),
    ),
    "People": (
        ("People Partners", "Talent Acquisition", "Learning & Development"),
        ("Coaching others", "Difficult conversations", "Company culture", "Career planning"),
    ),
}
PREFERENCES: tuple[MeetingPreference, ...] = ("either", "video", "in_person")
COMPANY_PLACES = (
    ("London", "Europe/London", 30),
    ("Berlin", "Europe/Berlin", 15),
    ("New York", "America/New_York", 25),
    ("San Francisco", "America/Los_Angeles", 15),
    ("Singapore", "Asia/Singapore", 10),
    ("Remote (Lisbon)", "Europe/Lisbon", 5),
)
# The demo program's goals and the programs' default goal templates, as people write them.
COMPANY_GOALS = (
    "Get better at presenting to senior leaders",
    "Learn how other teams plan their work",
    "Find my feet after a move to a new team",
    "Grow into leading a small project",
    "Understand our clients better",
    "Get honest feedback on how I come across",
    "Think through whether to go back to study",
    "Learn SQL well enough to answer my own questions",
    "Career advice",
    "Learning a new skill",
    "Adjusting to company culture",
    "Executive presence",
    "Client relationships",
    "Giving and receiving feedback",
)
COMPANY_FIRST = (
    "Ana Ben Chloé Dev Elif Farid Grace Hiro Ines Jonas Kemi Liam Maya Noor Omar Priya Quinn "
    "Rosa Sami Tina Uma Victor Wen Ximena Yusuf Zoe Aiko Bruno Carmen Diego Esra Felix Gia"
).split()
COMPANY_LAST = (
    "Adeyemi Bauer Chen Dubois Eriksen García Haddad Ito Jansen Kowalski Lindqvist Müller "
    "Nakamura Okafor Patel Quispe Rossi Schmidt Tanaka Usman Varga Wang Xu Yilmaz Zhang"
).split()


def company(n: int, seed: int = 0, reference: dt.date = dt.date(2026, 1, 5)) -> list[Participant]:
    """n people of a demo-like company (deterministic for a seed): a CEO, a head per
    department, team leads, and members below their lead on the level ladder."""
    import random

    rng = random.Random(seed)
    all_skills = [s for names in COMPANY_SKILLS.values() for s in names]
    leadership = list(COMPANY_SKILLS["leadership"])
    career = list(COMPANY_SKILLS["career"])
    teams_per_dept = max(1, round(n / (8 * 10)))
    people: list[Participant] = []

    def add(level: int, dept: str, team: str, manager: str) -> str:
        pid = f"c{len(people):06d}"
        place, tz, _ = rng.choices(COMPANY_PLACES, weights=[w for *_, w in COMPANY_PLACES])[0]
        home = list(COMPANY_DEPARTMENTS[dept][1])
        offer_count = min(6, 1 + level // 2 + rng.randint(0, 2))
        seek_count = max(1, 4 - level // 3 + rng.randint(0, 1))
        offers: dict[str, int] = {}
        pool_offer = home * 3 + (leadership * 2 if level >= 5 else []) + all_skills
        while len(offers) < offer_count:
            skill = rng.choice(pool_offer)
            offers.setdefault(skill, max(1, min(3, (level + 1) // 3 + rng.randint(-1, 1))))
        seeks: dict[str, int] = {}
        pool_seek = (
            all_skills * 2
            + career * (3 if level <= 3 else 1)
            + leadership * (2 if level >= 3 else 0)
        )
        while len(seeks) < seek_count:
            skill = rng.choice(pool_seek)
            if skill not in offers:
                seeks.setdefault(skill, rng.randint(1, 3))
        windows = []
        for day in sorted(rng.sample(range(5), rng.randint(1, 3))):
            start = rng.choice([9, 10, 11, 13, 14, 15, 16]) * 60 + rng.choice([0, 30])
            windows.append(AvailabilityWindow(day, start, min(start + rng.choice([60, 120]), 1080)))
        years = min(9.5, (level - 1) * 0.9) + (10 - min(9.5, (level - 1) * 0.9)) * rng.random()
        people.append(
            Participant(
                id=pid,
                name=f"{rng.choice(COMPANY_FIRST)} {rng.choice(COMPANY_LAST)}",
                level=level,
                hire_date=reference - dt.timedelta(days=int(years * 365.25)),
                department=dept,
                team=team,
                manager_id=manager,
                location=place,
                timezone=tz,
                availability=tuple(windows),
                meeting_preference=rng.choices(PREFERENCES, (6, 3, 1))[0],
                offers=offers,
                seeks=seeks,
                goals=rng.choice(COMPANY_GOALS),
            )
        )
        return pid

    ceo = add(8, "People", "", "")
    leads: list[tuple[str, str, str, int]] = []
    for dept, (teams, _) in COMPANY_DEPARTMENTS.items():
        head = add(7, dept, "", ceo)
        for i in range(teams_per_dept):
            team = teams[i % len(teams)] + ("" if i < len(teams) else f" {i // len(teams) + 1}")
            level = rng.choice([5, 6])
            leads.append((add(level, dept, team, head), dept, team, level))
    while len(people) < n:
        lead, dept, team, lead_level = rng.choice(leads)
        level = min(rng.choices(range(1, 7), weights=[10, 22, 26, 20, 13, 6])[0], lead_level - 1)
        add(level, dept, team, lead)
    return people[:n]
