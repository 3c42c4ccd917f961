"""The round draft page at 100 groups and at 10,000: HTML bytes, queries and render time.

    .venv/bin/python bench/round_page.py [--sizes 100 10000] [--repeat 7]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/twoway_bench \
        .venv/bin/python bench/round_page.py

One organization gets twice the largest size in people (names from a small pool, so names repeat as
in a real company, 200 teams, levels 1-7), each size a program with that many pairs enrolled
and a draft made by `result_to_json` from engine-shaped groups (three reasons each, fits and
exchanges spread as in the demo). The page is opened as a program manager: once to warm up,
then `--repeat` times; the median is printed with the HTML size and query count (and the time
the worker takes to build the draft's page once), then the ratio of the largest size to the
smallest. The database named in DATABASE_URL is written to:
use a throwaway one (the default is a temporary SQLite file).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twoway.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/round_page.sqlite3"

FIRST = ["Ana", "Bo", "Chen", "Dara", "Eli", "Farah", "Gus", "Hana", "Ivo", "Jun", "Kemi", "Lars"]
LAST = ["Lima", "Berg", "Okafor", "Silva", "Novak", "Haddad", "Kim", "Moreau", "Rossi", "Tan"]
REASONS = [
    "Ana can help with SQL, which Bo wants to learn",
    "Bo can help with presenting to clients, which Ana wants to learn",
    "both L4",
    "different teams: Platform and Deals",
    "2 hours a week when both are free",
    "both want to get better at presenting to clients",
]


def build(sizes: list[int]) -> tuple[Any, dict[int, Any]]:
    from twoway.accounts.models import Membership, Organization, Role, User
    from twoway.matching.model import COMPONENTS, Group, MatchResult
    from twoway.people.models import Person, Team
    from twoway.programs.models import Enrolment, MatchRound, Program, RoundStatus
    from twoway.programs.rounds import result_to_json

    rng = random.Random(16)
    org = Organization.objects.create(name="Round bench", slug="round-bench")
    teams = Team.objects.bulk_create(
        Team(organization=org, name=f"Team {k:03d}") for k in range(200)
    )
    total = 2 * max(sizes)
    Person.objects.bulk_create(
        (
            Person(
                organization=org,
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                email=f"p{k}@bench.example",
                team=rng.choice(teams),
                level=rng.randint(1, 7),
            )
            for k in range(total)
        ),
        batch_size=5000,
    )
    people = list(Person.objects.filter(organization=org).values_list("pk", "name"))
    user = User.objects.create_user("pm@round-bench.example", "x", name="Bench PM")
    Membership.objects.create(user=user, organization=org, role=Role.PROGRAM_MANAGER)
    rounds = {}
    for size in sizes:
        program = Program.objects.create(organization=org, name=f"{size} pairs", status="open")
        chosen = people[: 2 * size]
        Enrolment.objects.bulk_create(
            (Enrolment(program=program, person_id=pk) for pk, _ in chosen), batch_size=5000
        )
        groups = []
        for k in range(size):
            (a, _), (b, _) = chosen[2 * k], chosen[2 * k + 1]
            fit = round(rng.triangular(0.5, 9.0, 4.5), 6)
            groups.append(
                Group(
                    id=k + 1,
                    members=(str(a), str(b)),
                    score=fit,
                    components={c: round(rng.random(), 6) for c in COMPONENTS},
                    reasons=tuple(rng.sample(REASONS, 3)),
                    fit=fit,
                    exchange=rng.choice(["both", "both", "one", "none"]),
                )
            )
        weight = sum(g.score for g in groups)
        result = MatchResult(
            groups=tuple(groups),
            unmatched=(),
            total_weight=weight,
            pair_weight=weight,
            upper_bound=weight * 1.004,
            gap=1 - 1 / 1.004,
            seconds=1.0,
            solver="assignment cycle cover + pair swaps",
            bound_method="assignment relaxation",
            bound_scope="pairs",
            mode="peer",
            n=2 * size,
            heuristic=True,
        )
        names = {str(pk): name for pk, name in chosen}
        rounds[size] = MatchRound.objects.create(
            program=program, status=RoundStatus.DRAFT, result=result_to_json(result, names)
        )
    return user, rounds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from twoway.programs.draft_pages import draft_page_build

    setup_test_environment()
    call_command("migrate", interactive=False, verbosity=0)
    user, rounds = build(args.sizes)
    client = Client()
    client.force_login(user)
    print(f"database: {connection.vendor}; load average: {os.getloadavg()[0]:.2f}")
    figures = {}
    for size, match_round in rounds.items():
        program = match_round.program
        url = reverse(
            "round_detail",
            args=[program.organization.slug, program.pk, match_round.pk],
        )
        t = time.perf_counter()
        draft_page_build(match_round)  # what the worker does after a run
        built = time.perf_counter() - t
        client.get(url)  # warm-up
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - t)
            assert response.status_code == 200, response.status_code
        median = statistics.median(times)
        figures[size] = (len(response.content), median)
        print(
            f"{size:>6,} groups: {len(response.content):>9,} bytes of HTML, "
            f"{len(ctx.captured_queries)} queries, median {median * 1000:.0f} ms "
            f"(min {min(times) * 1000:.0f} ms); page built by the worker in {built:.2f} s"
        )
    small, large = min(figures), max(figures)
    print(
        f"ratio {large:,} / {small:,} groups: HTML {figures[large][0] / figures[small][0]:.2f}, "
        f"time {figures[large][1] / figures[small][1]:.2f}"
    )


if __name__ == "__main__":
    main()
