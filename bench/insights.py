"""Page-time check of the program dashboard: 500 vs 50,000 people, on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/twoway_bench \
        .venv/bin/python bench/insights.py [--sizes 500 50000] [--share 0.1]

For each size it seeds an organization (`seed_organization`, no demo users), enrols a share of
its active people in one program, pairs them with starts over the last eight months, fills the
history the insights demo step fills (check-ins every two weeks, pulse answers, goals, fit checks,
closing surveys), runs the aggregation job once (timed), then opens the dashboard as a program
manager 7 times and prints the query count and the median time. The query counts must be equal.
The database named in DATABASE_URL is written to: use a throwaway one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twoway.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")


def build(size: int, share: float) -> tuple[object, object, float, float]:
    from django.utils import timezone

    from twoway.accounts.models import Membership, Role, User
    from twoway.demo import insights as demo
    from twoway.demo.seed import seed_organization
    from twoway.insights.aggregate import refresh_org
    from twoway.people.models import Person
    from twoway.programs.models import Enrolment, Partnership, PartnershipMember, Program

    t0 = time.perf_counter()
    org = seed_organization(
        people=size, seed=size, name=f"Bench {size}", slug=f"bench-{size}", demo_users=False
    ).org
    rng = random.Random(size)
    today = timezone.localdate()
    program = Program.objects.create(organization=org, name="Peer partners", status="open")
    active = list(
        Person.objects.filter(organization=org, is_active=True).values_list("pk", flat=True)
    )
    chosen = rng.sample(active, int(len(active) * share) // 2 * 2)
    Enrolment.objects.bulk_create(
        Enrolment(program=program, person_id=pk, offers={"1": 2}) for pk in chosen
    )
    pairs = []
    for _ in range(0, len(chosen), 2):
        start = today - dt.timedelta(days=rng.randint(10, 240))
        pairs.append(
            Partnership(
                organization=org,
                program=program,
                status="active",
                source="round",
                started_on=start,
                created=dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC),
            )
        )
    Partnership.objects.bulk_create(pairs, batch_size=2000)
    PartnershipMember.objects.bulk_create(
        (
            PartnershipMember(partnership=p, person_id=chosen[2 * i + j])
            for i, p in enumerate(pairs)
            for j in (0, 1)
        ),
        batch_size=4000,
    )
    demo._history(org, rng)
    seeded = time.perf_counter() - t0
    t1 = time.perf_counter()
    refresh_org(org, start=today - dt.timedelta(days=1), end=today)
    job = time.perf_counter() - t1
    user = User.objects.create_user(f"pm@bench-{size}.example", "x", name="Bench PM")
    Membership.objects.create(user=user, organization=org, role=Role.PROGRAM_MANAGER)
    return program, user, seeded, job


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 50_000])
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {connection.vendor}")
    results = []
    for size in args.sizes:
        program, user, seeded, job = build(size, args.share)
        client = Client()
        client.force_login(user)  # type: ignore[arg-type]
        url = reverse(
            "program_insights",
            kwargs={"org_slug": program.organization.slug, "program_id": program.pk},  # type: ignore[attr-defined]
        )
        client.get(url)  # warm-up
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - t)
            assert response.status_code == 200, response.status_code
        queries = len(ctx.captured_queries)
        results.append((size, queries, statistics.median(times), seeded, job))
        median_ms = statistics.median(times) * 1000
        print(
            f"{size:>7,} people: {queries} queries, dashboard median {median_ms:.0f} ms "
            f"(min {min(times) * 1000:.0f} ms); seeding {seeded:.1f} s, aggregation job {job:.1f} s"
        )
    counts = {q for _, q, _, _, _ in results}
    print("query counts equal:", len(counts) == 1)
    if len(counts) != 1:
        sys.exit(1)


if __name__ == "__main__":
    main()
