"""Realistic, deterministic demo organizations, fast enough for 50,000 people.

Everything derives from one `random.Random(seed)`, so the same seed gives the same people,
skills and manager tree. Rows are written with bulk inserts in layers (executives, then
department heads, then team leads, then everyone else) so each layer knows its managers' ids.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils.text import slugify

from twoway.accounts.models import DEFAULT_LADDER, Organization, Role, User
from twoway.people.catalogue import SKILL_CATALOGUE
from twoway.people.models import (
    AvailabilityWindow,
    Department,
    Direction,
    MeetingPreference,
    Person,
    PersonSkill,
    Skill,
    SkillCategory,
    Team,
)
from twoway.people.services import membership_add

DEMO_PASSWORD = "twoway-demo"
# A CEO, eight department heads, a team lead in each, and a few people to lead.
MIN_PEOPLE = 20
BATCH = 2000

SKILLS = SKILL_CATALOGUE

DEPARTMENTS: dict[str, dict[str, object]] = {
    "Engineering": {
        "teams": ["Platform", "Payments", "Mobile", "Data", "Security", "Developer Experience"],
        "skills": [
            "SQL",
            "Python",
            "System design",
            "Cloud infrastructure",
            "Security basics",
            "Data analysis",
        ],
        "titles": ["Software Engineer", "Senior Software Engineer", "Staff Engineer"],
    },
    "Product": {
        "teams": ["Core Product", "Growth", "Insights"],
        "skills": [
            "Product thinking",
            "Prioritisation",
            "UX research",
            "Data analysis",
            "Storytelling with data",
        ],
        "titles": ["Product Manager", "Senior Product Manager", "Product Analyst"],
    },
    "Design": {
        "teams": ["Product Design", "Brand", "Research"],
        "skills": [
            "UX research",
            "Product thinking",
            "Presenting to executives",
            "Customer empathy",
        ],
        "titles": ["Product Designer", "Senior Designer", "UX Researcher"],
    },
    "Sales": {
        "teams": ["Enterprise Sales", "Mid-Market", "Sales Operations"],
        "skills": [
            "Client relationships",
            "Sales discovery",
            "Negotiation",
            "Handling objections",
            "Pricing",
        ],
        "titles": ["Account Executive", "Sales Development Rep", "Sales Manager"],
    },
    "Marketing": {
        "teams": ["Content", "Demand Generation", "Product Marketing"],
        "skills": [
            "Writing clearly",
            "Storytelling with data",
            "Public speaking",
            "Personal branding",
        ],
        "titles": ["Marketing Manager", "Content Strategist", "Campaign Specialist"],
    },
    "Customer Success": {
        "teams": ["Onboarding", "Support", "Account Management"],
        "skills": [
            "Customer empathy",
            "Client relationships",
            "Account planning",
            "Difficult conversations",
        ],
        "titles": ["Customer Success Manager", "Support Specialist", "Implementation Lead"],
    },
    "Finance": {
        "teams": ["FP&A", "Accounting", "Procurement"],
        "skills": ["Spreadsheet modelling", "Data analysis", "Pricing", "Decision making"],
        "titles": ["Financial Analyst", "Accountant", "Finance Manager"],
    },
    "People": {
        "teams": ["People Partners", "Talent Acquisition", "Learning & Development"],
        "skills": [
            "Coaching others",
            "Difficult conversations",
            "Company culture",
            "Career planning",
        ],
        "titles": ["People Partner", "Recruiter", "L&D Specialist"],
    },
}

PLACES = [
    ("London", "Europe/London"),
    ("Berlin", "Europe/Berlin"),
    ("New York", "America/New_York"),
    ("San Francisco", "America/Los_Angeles"),
    ("Singapore", "Asia/Singapore"),
    ("Remote (Lisbon)", "Europe/Lisbon"),
]
PLACE_WEIGHTS = [30, 15, 25, 15, 10, 5]

FIRST = (
    "Ana Ben Chloé Dev Elif Farid Grace Hiro Ines Jonas Kemi Liam Maya Noor Omar Priya "
    "Quinn Rosa Sami Tina Uma Victor Wen Ximena Yusuf Zoe Aiko Bruno Carmen Diego Esra "
    "Felix Gia Hana Ivan Jada Kofi Lena Mateo Nia Oskar Paula Rahul Sofia Theo Valentina "
    "Wiktor Yara Amara Seth Mei Lars Fatima Kwame Ingrid Rafael Leila Tomás Sanjay Aroha "
).split()
LAST = (
    "Adeyemi Bauer Chen Dubois Eriksen Fernández García Haddad Ito Jansen Kowalski "
    "Lindqvist Müller Nakamura Okafor Patel Quispe Rossi Schmidt Tanaka Usman Varga Wang "
    "Xu Yilmaz Zhang Abebe Brennan Costa Das Evans Fischer Gupta Hughes Iyer Jensen Kim "
    "López Mensah Novak O'Brien Petrov Ramos Silva Torres Ueda Vasquez Williams Yamamoto "
    "Ziegler Moreau Nguyen Santos Ali Kaur Murphy Hansen "
).split()


@dataclass
class SeedResult:
    org: Organization
    people: int
    sign_ins: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class _Draft:
    person: Person
    offers: dict[str, int]
    seeks: dict[str, int]


class _Generator:
    def __init__(self, org: Organization, rng: random.Random, today: dt.date) -> None:
        self.org = org
        self.rng = rng
        self.today = today
        self.emails: set[str] = set()
        self.domain = f"{org.slug}.example"
        self.skill_names = [name for names in SKILLS.values() for name in names]

    def email_for(self, name: str) -> str:
        base = slugify(name).replace("-", ".") or "person"
        email, n = f"{base}@{self.domain}", 1
        while email in self.emails:
            n += 1
            email = f"{base}{n}@{self.domain}"
        self.emails.add(email)
        return email

    def hire_date_for(self, level: int) -> dt.date:
        # Senior people have, on average, been here longer; the company grew, so recent hires
        # dominate.
        max_years = 10.0
        min_years = min(max_years - 0.5, (level - 1) * 0.9)
        years = min_years + (max_years - min_years) * (self.rng.random() ** 1.6)
        return self.today - dt.timedelta(days=int(years * 365.25) + self.rng.randint(0, 30))

    def person(
        self,
        *,
        level: int,
        department: Department,
        team: Team | None,
        manager_id: int | None,
        title: str,
    ) -> _Draft:
        rng = self.rng
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        location, tz = rng.choices(PLACES, weights=PLACE_WEIGHTS)[0]
        hire = self.hire_date_for(level)
        left_on = None
        if rng.random() < 0.06:
            span = (self.today - hire).days
            if span > 60:
                left_on = hire + dt.timedelta(days=rng.randint(30, span - 1))
        person = Person(
            organization=self.org,
            name=name,
            email=self.email_for(name),
            title=title,
            level=level,
            hire_date=hire,
            department=department,
            team=team,
            manager_id=manager_id,
            location=location,
            time_zone=tz,
            pronouns=rng.choice(["", "", "she/her", "he/him", "they/them"]),
            bio="",
            meeting_preference=rng.choices(
                [MeetingPreference.EITHER, MeetingPreference.VIDEO, MeetingPreference.IN_PERSON],
                weights=[6, 3, 1],
            )[0],
            is_active=left_on is None,
            left_on=left_on,
        )
        offers, seeks = self.skills_for(level, str(department.name))
        return _Draft(person, offers, seeks)

    def skills_for(self, level: int, department: str) -> tuple[dict[str, int], dict[str, int]]:
        rng = self.rng
        home = list(DEPARTMENTS[department]["skills"])  # type: ignore[call-overload]
        leadership = SKILLS[SkillCategory.LEADERSHIP]
        career = SKILLS[SkillCategory.CAREER]
        # Seniors share more and lean to leadership; juniors want to grow more, often career skills.
        offer_count = min(6, 1 + level // 2 + rng.randint(0, 2))
        seek_count = max(1, 4 - level // 3 + rng.randint(0, 1))
        offers: dict[str, int] = {}
        pool_offer = home * 3 + (leadership * 2 if level >= 5 else []) + self.skill_names
        while len(offers) < offer_count:
            skill = rng.choice(pool_offer)
            offers.setdefault(skill, max(1, min(3, (level + 1) // 3 + rng.randint(-1, 1))))
        seeks: dict[str, int] = {}
        pool_seek = (
            self.skill_names * 2
            + career * (3 if level <= 3 else 1)
            + leadership * (2 if level >= 3 else 0)
        )
        while len(seeks) < seek_count:
            skill = rng.choice(pool_seek)
            if skill not in offers:
                seeks.setdefault(skill, rng.randint(1, 3))
        return offers, seeks

    def windows_for(self, person: Person) -> list[AvailabilityWindow]:
        rng = self.rng
        days = rng.sample(range(5), rng.randint(1, 3))
        windows = []
        for day in sorted(days):
            start_hour = rng.choice([9, 10, 11, 13, 14, 15, 16])
            length = rng.choice([1, 1, 2, 2, 3])
            windows.append(
                AvailabilityWindow(
                    person=person,
                    weekday=day,
                    start=dt.time(start_hour, rng.choice([0, 30])),
                    end=dt.time(
                        min(start_hour + length, 18), 30 if start_hour + length < 18 else 0
                    ),
                )
            )
        return windows


def _insert_rows(
    model: type[models.Model], fields: list[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    meta = model._meta
    quote = connection.ops.quote_name
    concrete = [meta.get_field(name) for name in fields]
    columns = ", ".join(quote(f.column) for f in concrete if isinstance(f, models.Field))
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"
    # Times need the backend's adapter (SQLite stores them as text); the rest binds as it is.
    times = [i for i, f in enumerate(concrete) if isinstance(f, models.TimeField)]
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(iterator, 10_000)):
            if times:
                chunk = [
                    tuple(
                        connection.ops.adapt_timefield_value(v) if i in times else v
                        for i, v in enumerate(row)
                    )
                    for row in chunk
                ]
            cursor.executemany(sql, chunk)


def _teams_per_department(people: int) -> int:
    # About 10 people a team: 240 people → 3 teams in each of 8 departments.
    return max(1, round(people / (8 * 10)))


@transaction.atomic
def seed_organization(
    *,
    people: int = 240,
    seed: int = 1,
    name: str = "Northwind Labs",
    slug: str | None = None,
    demo_users: bool = True,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    if people < MIN_PEOPLE:
        raise ValueError(f"A demo organization needs at least {MIN_PEOPLE} people.")
    rng = random.Random(seed)
    today = today or dt.date.today()
    org = Organization.objects.create(
        name=name,
        slug=slug or slugify(name),
        level_ladder=list(DEFAULT_LADDER),
        hr_contact_name="Priya Natarajan",
        hr_contact_email=f"people@{slug or slugify(name)}.example",
        professional_help_url="https://eap.example/northwind",
        professional_help_text="Free and confidential, 24/7: 0800 123 4567",
        time_zone="Europe/London",
    )
    gen = _Generator(org, rng, today)

    skills = Skill.objects.bulk_create(
        Skill(organization=org, name=skill, category=category)
        for category, names in SKILLS.items()
        for skill in names
    )
    skill_ids = {s.name: s.pk for s in skills}
    departments = Department.objects.bulk_create(
        Department(organization=org, name=d) for d in DEPARTMENTS
    )
    per_dept = _teams_per_department(people)
    team_rows: list[Team] = []
    for department in departments:
        base = list(DEPARTMENTS[department.name]["teams"])  # type: ignore[call-overload]
        for i in range(per_dept):
            label = base[i % len(base)] + ("" if i < len(base) else f" {i // len(base) + 1}")
            # Base team names differ between departments, so the label alone is unique.
            team_rows.append(Team(organization=org, department=department, name=label))
    teams = Team.objects.bulk_create(team_rows)
    teams_by_dept: dict[int, list[Team]] = {}
    for team in teams:
        assert team.department_id is not None
        teams_by_dept.setdefault(team.department_id, []).append(team)

    drafts: list[_Draft] = []

    def write(layer: list[_Draft]) -> None:
        Person.objects.bulk_create([d.person for d in layer], batch_size=BATCH)
        if progress:
            progress(len(layer))
        drafts.extend(layer)

    people_dept = next(d for d in departments if d.name == "People")
    ceo = gen.person(
        level=8, department=people_dept, team=None, manager_id=None, title="Chief Executive Officer"
    )
    ceo.person.is_active, ceo.person.left_on = True, None
    write([ceo])
    heads = []
    for department in departments:
        head = gen.person(
            level=7,
            department=department,
            team=None,
            manager_id=ceo.person.pk,
            title=f"Head of {department.name}",
        )
        head.person.is_active, head.person.left_on = True, None
        heads.append(head)
    write(heads)
    leads = []
    for head in heads:
        assert head.person.department is not None
        for team in teams_by_dept[head.person.department.pk]:
            lead = gen.person(
                level=rng.choice([5, 6]),
                department=head.person.department,
                team=team,
                manager_id=head.person.pk,
                title=f"{team.name} Lead",
            )
            leads.append(lead)
    write(leads)

    remaining = people - len(drafts)
    members: list[_Draft] = []
    for _ in range(max(0, remaining)):
        lead = rng.choice(leads)
        lead_department = lead.person.department
        assert lead_department is not None
        assert lead.person.level is not None
        # Reports sit below their lead on the ladder.
        level = min(
            rng.choices(range(1, 7), weights=[10, 22, 26, 20, 13, 6])[0], lead.person.level - 1
        )
        titles = list(DEPARTMENTS[lead_department.name]["titles"])  # type: ignore[call-overload]
        title = titles[min(len(titles) - 1, (level - 1) // 2)]
        members.append(
            gen.person(
                level=level,
                department=lead_department,
                team=lead.person.team,
                manager_id=lead.person.pk,
                title=title,
            )
        )
    for chunk_start in range(0, len(members), BATCH * 5):
        write(members[chunk_start : chunk_start + BATCH * 5])

    # Skills and windows are most of the rows and need no ids back: plain executemany skips
    # building a model instance and compiling SQL for each of ~400,000 rows (half the time).
    _insert_rows(
        PersonSkill,
        ["person", "skill", "direction", "strength"],
        (
            (d.person.pk, skill_ids[skill], str(direction), strength)
            for d in drafts
            for direction, chosen in ((Direction.OFFER, d.offers), (Direction.SEEK, d.seeks))
            for skill, strength in chosen.items()
        ),
    )
    _insert_rows(
        AvailabilityWindow,
        ["person", "weekday", "start", "end"],
        (
            (w.person.pk, w.weekday, w.start, w.end)
            for d in drafts
            if d.person.is_active
            for w in gen.windows_for(d.person)
        ),
    )

    result = SeedResult(org=org, people=len(drafts))
    if demo_users:
        result.sign_ins = _create_demo_users(org, drafts)
    return result


def _create_demo_users(org: Organization, drafts: list[_Draft]) -> dict[str, tuple[str, str]]:
    """One sign-in per role, attached to realistic people of the organization."""
    active = [d.person for d in drafts if d.person.is_active and d.person.team_id]
    taken: list[Person] = []

    def pick(department: str, levels: tuple[int, ...]) -> Person:
        # Prefer a typical person for the role; small organizations fall back to anyone free.
        for person in active:
            dept = person.department.name if person.department else ""
            if person not in taken and dept == department and person.level in levels:
                taken.append(person)
                return person
        person = next(p for p in active if p not in taken)
        taken.append(person)
        return person

    participant = pick("Engineering", (3,))
    manager = pick("People", (4, 5))
    admin = pick("People", (3, 4, 5, 6))
    sign_ins: dict[str, tuple[str, str]] = {}
    for role, person in (
        (Role.PARTICIPANT, participant),
        (Role.PROGRAM_MANAGER, manager),
        (Role.ORG_ADMIN, admin),
    ):
        user = User.objects.create_user(person.email, DEMO_PASSWORD, name=person.name)
        # Links the directory's record with this email: the person drafted above.
        membership_add(organization=org, user=user, role=role, actor=None, source="seed")
        person.refresh_from_db(fields=["user"])
        if not person.bio:
            person.bio = (
                "Happy to trade what I know for what I'm learning. Coffee or video, either works."
            )
        person.save(update_fields=["user", "bio"])
        sign_ins[role.label] = (person.email, DEMO_PASSWORD)
    return sign_ins
