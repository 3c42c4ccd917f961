"""Self-match suggestions and the program manager's page: a pool of 500 vs 20,000, on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/twoway_bench \
        .venv/bin/python bench/suggestions.py [--sizes 500 20000] [--repeat 20]

For each size it seeds an organization a little larger than the program (`seed_organization`:
people with skills, calendars, managers), enrols that many active people in one peer program
that takes requests (their own skills, goals drawn from realistic phrases), and then measures,
in the same process as a web worker would (Django's test client, the real middleware):

1. "Find a peer" (suggestions + everyone in the program) with everyone waiting to be matched:
   the first request after a change (the program's features are built) and then warm requests,
   each by another enrolled person;
2. the program manager's program page once 90 % of the enrolled are paired, a third of the
   pairs stalled (no check-in for months) and the rest with a recent check-in;
3. "Find a peer" again in that state (the pool is then the 10 % left).

It prints the query count, p50 and p95 of each, and the ratio of the largest size to the
smallest. The query counts of a page must be equal at every size. The database in
DATABASE_URL is written to: use a throwaway one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twoway.accounts.models import User
    from twoway.programs.models import Program

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twoway.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

GOAL_PHRASES = [
    "get better at presenting to clients",
    "learn SQL for reporting",
    "grow as a people manager",
    "give and receive better feedback",
    "understand how pricing works",
    "write clearer design documents",
    "prepare for a move into product management",
    "build confidence speaking in large meetings",
    "learn how other teams plan their quarter",
    "improve my negotiation skills",
    "get started with data analysis in Python",
    "balance deep work and meetings",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def build(size: int) -> tuple[Program, User, list[User]]:
    from twoway.accounts.models import Membership, Role, User
    from twoway.demo.seed import seed_organization
    from twoway.people.models import Direction, Person, PersonSkill
    from twoway.programs.models import Enrolment, Program

    rng = random.Random(size)
    org = seed_organization(
        people=int(size * 1.15) + 100,
        seed=size,
        name=f"Pool {size}",
        slug=f"pool-{size}",
        demo_users=False,
    ).org
    program = Program.objects.create(
        organization=org,
        name="Peer partners",
        status="open",
        matching_mode="both",
        max_level_gap=1,
    )
    active = list(
        Person.objects.filter(organization=org, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = sorted(rng.sample(active, size))
    skills: dict[int, dict[str, dict[str, int]]] = {pk: {"offer": {}, "seek": {}} for pk in chosen}
    for person_id, skill_id, direction, strength in PersonSkill.objects.filter(
        person_id__in=chosen
    ).values_list("person_id", "skill_id", "direction", "strength"):
        side = "offer" if direction == Direction.OFFER else "seek"
        skills[person_id][side][str(skill_id)] = int(strength)
    Enrolment.objects.bulk_create(
        (
            Enrolment(
                program=program,
                person_id=pk,
                offers=skills[pk]["offer"] or {},
                seeks=skills[pk]["seek"] or {},
                goals="; ".join(rng.sample(GOAL_PHRASES, rng.randint(0, 2))),
            )
            for pk in chosen
        ),
        batch_size=2000,
    )
    manager = User.objects.create_user(f"pm@pool-{size}.example", "x", name="Bench PM")
    Membership.objects.create(user=manager, organization=org, role=Role.PROGRAM_MANAGER)
    Person.objects.create(
        organization=org, user=manager, name="Bench PM", email=f"pm@pool-{size}.example"
    )
    viewers = []
    for k, pk in enumerate(rng.sample(chosen, 40)):
        user = User.objects.create_user(f"viewer{k}@pool-{size}.example", "x", name=f"V {k}")
        Membership.objects.create(user=user, organization=org, role=Role.PARTICIPANT)
        Person.objects.filter(pk=pk).update(user=user)
        viewers.append(user)
    return program, manager, viewers


def pair_most(program: Program, viewers: list[User]) -> None:
    """Pair 90 % of the enrolled (never the viewers, so they still have room); a third of the
    pairs stalled, the rest met last week."""
    from django.utils import timezone

    from twoway.meetings.models import CheckIn, CheckinStatus
    from twoway.people.models import Person
    from twoway.programs.models import Enrolment, Partnership, PartnershipMember

    rng = random.Random(7)
    viewer_people = set(Person.objects.filter(user__in=viewers).values_list("pk", flat=True))
    ids = [
        pk
        for pk in Enrolment.objects.filter(program=program).values_list("person_id", flat=True)
        if pk not in viewer_people
    ]
    rng.shuffle(ids)
    ids = ids[: int(len(ids) * 0.9) // 2 * 2]
    now = timezone.now()
    pairs = [
        Partnership(
            organization=program.organization,
            program=program,
            status="active",
            source="round",
            started_on=(now - dt.timedelta(days=rng.randint(60, 200))).date(),
            created=now - dt.timedelta(days=200),
        )
        for _ in range(len(ids) // 2)
    ]
    Partnership.objects.bulk_create(pairs, batch_size=2000)
    PartnershipMember.objects.bulk_create(
        (
            PartnershipMember(partnership=p, person_id=ids[2 * i + j])
            for i, p in enumerate(pairs)
            for j in (0, 1)
        ),
        batch_size=4000,
    )
    CheckIn.objects.bulk_create(
        (
            CheckIn(
                partnership=p,
                scheduled_start=now - dt.timedelta(days=rng.randint(1, 10)),
                status=CheckinStatus.HELD,
            )
            for k, p in enumerate(pairs)
            if k % 3
        ),
        batch_size=4000,
    )
    Enrolment.objects.filter(program=program, person_id__in=ids).update(wants_rematch=False)


def measure(get: Callable[[int], object], repeat: int) -> tuple[int, float, float, float, int]:
    """(queries, p50 s, p95 s, first s, bytes): the first call separately, then `repeat`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    t = time.perf_counter()
    response = get(0)
    first = time.perf_counter() - t
    assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    times = []
    counts = set()
    for k in range(1, repeat + 1):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = get(k)
            times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
        counts.add(len(ctx.captured_queries))
    size = len(response.content)  # type: ignore[attr-defined]
    return (
        max(counts),
        statistics.median(times),
        percentile(times, 0.95),
        first,
        size,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 20_000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {connection.vendor}; load average {os.getloadavg()[0]:.2f}")
    rows: dict[str, dict[int, tuple[int, float, float, float, int]]] = {}
    for size in args.sizes:
        t0 = time.perf_counter()
        program, manager, viewers = build(size)
        print(f"{size:>7,} enrolled: seeded in {time.perf_counter() - t0:.0f} s", flush=True)
        slug = program.organization.slug
        peers = reverse("program_peers", kwargs={"org_slug": slug, "program_id": program.pk})
        page = reverse("program_detail", kwargs={"org_slug": slug, "program_id": program.pk})
        clients = []
        for user in viewers:
            client = Client()
            client.force_login(user)
            clients.append(client)
        pm = Client()
        pm.force_login(manager)

        def suggestions(k: int, clients: list[Client] = clients, url: str = peers) -> object:
            return clients[k % len(clients)].get(url)

        def program_page(k: int, client: Client = pm, url: str = page) -> object:
            # Turn the pages of the stalled list too: each page costs the same.
            return client.get(url, {"stalled_page": 1 + k % 3})

        rows.setdefault("suggestions, everyone waiting", {})[size] = measure(
            suggestions, args.repeat
        )
        pair_most(program, viewers)
        rows.setdefault("program page, 90% paired", {})[size] = measure(program_page, args.repeat)
        rows.setdefault("suggestions, 10% waiting", {})[size] = measure(suggestions, args.repeat)
        for name, by_size in rows.items():
            if size in by_size:
                q, p50, p95, first, nbytes = by_size[size]
                print(
                    f"  {name:<32} {q:>3} queries  p50 {p50 * 1000:7.1f} ms  "
                    f"p95 {p95 * 1000:7.1f} ms  first {first * 1000:8.1f} ms  {nbytes:>8,} bytes",
                    flush=True,
                )
    small, large = min(args.sizes), max(args.sizes)
    print(f"\nratio {large:,} / {small:,} enrolled (load average {os.getloadavg()[0]:.2f}):")
    equal = True
    for name, by_size in rows.items():
        a, b = by_size[small], by_size[large]
        equal &= a[0] == b[0]
        print(
            f"  {name:<32} queries {a[0]} -> {b[0]}  p50 x{b[1] / a[1]:.2f}  p95 x{b[2] / a[2]:.2f}"
            f"  first request x{b[3] / a[3]:.1f}"
        )
    print("query counts equal:", equal)
    if not equal:
        sys.exit(1)


if __name__ == "__main__":
    main()
