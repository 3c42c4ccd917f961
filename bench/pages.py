"""Page and API times at 500 and at 50,000 people, same run, same machine (issues 15 and 16).

    .venv/bin/python bench/pages.py \
        --database-url postgresql://postgres@127.0.0.1:5432/twoway_bench \
        [--small 500] [--large 50000] [--repeat 20] [--budget 30] [--seed 1] [--fresh] [--only api]

Two organizations live in one database: one of `--small` people and one of `--large`. Each has
four programs: "Running 10%" and "Running 40%" (a tenth and two fifths of the people enrolled, a
round run and published through the app, so 2,500 and 10,000 pairs at 50,000 people), and
"Waiting 10%" and "Waiting 40%" (the same shares enrolled, a round run and left as a draft, so
the self-match pool is everyone). Then the insights aggregation runs once.

Each page is opened with Django's test Client, in process, signed in as the persona who uses it
(program manager, participant; the org admin makes the API key), once to warm up and then up to
`--repeat` times or until `--budget` seconds have gone (at least 3 times), the two sizes taking
turns request by request so that load from elsewhere falls on both alike. It prints the queries
of a request (the fewest seen), p50 and p95 at both sizes, and the ratio large/small of the p95,
with the load average. The API section prints every list endpoint's query count at both sizes
(they must be equal) and its times; `GET /api/v1/people?limit=100` at the large size is issue
15's figure.

The seeded database is kept as a pg_dump in var/bench-cache/, keyed by the sizes, the seed, this
script's BENCH_VERSION, the seed code and the migrations: a second run restores it in seconds
instead of seeding again (`--fresh` seeds anyway). The database named in --database-url is
dropped and made again: its name must contain "bench" (default: $TWOWAY_BENCH_DATABASE_URL,
else postgresql://postgres@127.0.0.1:5432/twoway_bench).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import logging
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from django.test import Client

    from twoway.accounts.models import Organization, User
    from twoway.programs.models import MatchRound, Partnership, Program

T = TypeVar("T")

# Bump when build_org writes something different: older cached databases are then ignored.
BENCH_VERSION = 2
SHARES = {"10%": 0.1, "40%": 0.4}
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/twoway_bench"
# Fixed so a restored database decrypts with the key it was written with; bench data only.
BENCH_ENCRYPTION_KEY = "dHdvd2F5LWJlbmNoLW9ubHktbm90LWEtc2VjcmV0LWs="


def configure(database_url: str | None) -> None:
    """Django settings for a bench process: production settings on the given database."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twoway.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("TWOWAY_ENCRYPTION_KEYS", BENCH_ENCRYPTION_KEY)


# --- building the organizations -------------------------------------------------------------


def publish_round(match_round: MatchRound, actor: User) -> None:
    """The bench's one way to publish a draft, as the program manager's button and the worker
    do together: queue it, then run the worker's batches here."""
    from twoway.programs import rounds

    rounds.round_publish_now(match_round=match_round, actor=actor)


def run_round(program: Program, actor: User) -> MatchRound:
    """Queue a round and run it here, as the worker would after claiming it."""
    from django.utils import timezone

    from twoway.programs import rounds
    from twoway.programs.models import MatchRound, RoundStatus

    match_round = rounds.round_create(program=program, actor=actor)
    MatchRound.objects.filter(pk=match_round.pk).update(
        status=RoundStatus.RUNNING, claimed_at=timezone.now()
    )
    match_round.refresh_from_db()
    done = rounds.round_run(match_round)
    if done.status != RoundStatus.DRAFT:
        raise RuntimeError(f"round of {program.name} ended {done.status}: {done.error}")
    return done


@dataclass
class BuildTimes:
    steps: dict[str, float] = field(default_factory=dict)

    def time(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        t = time.perf_counter()
        value = fn(*args)
        self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - t
        return value


def slug_for(size: int) -> str:
    return f"bench-{size}"


def build_org(
    size: int,
    *,
    seed: int = 1,
    publish: Callable[[MatchRound, User], None] = publish_round,
    say: Callable[[str], None] = lambda line: print(line, flush=True),
) -> BuildTimes:
    """Seed an organization of `size` people with its four programs; deterministic for a seed."""
    import datetime as dt

    from django.utils import timezone

    from twoway.accounts.models import Role, User
    from twoway.demo.seed import seed_organization
    from twoway.insights.aggregate import refresh_org
    from twoway.people.models import Direction, Person, PersonSkill
    from twoway.programs.models import Enrolment, Program, ProgramStatus

    times = BuildTimes()
    result = times.time(
        "people",
        lambda: seed_organization(
            people=size, seed=seed, name=f"Bench {size}", slug=slug_for(size), demo_users=True
        ),
    )
    org = result.org
    say(f"  {size:,} people seeded in {times.steps['people']:.1f} s")
    manager = User.objects.get(
        memberships__organization=org, memberships__role=Role.PROGRAM_MANAGER
    )
    participant = Person.objects.get(
        organization=org,
        user__memberships__organization=org,
        user__memberships__role=Role.PARTICIPANT,
    )
    rng = random.Random(seed * 7919 + size)
    active = list(
        Person.objects.filter(organization=org, is_active=True)
        .order_by("pk")
        .values_list("pk", "meeting_preference")
    )
    skills: dict[int, tuple[dict[str, int], dict[str, int]]] = {pk: ({}, {}) for pk, _ in active}
    for person_id, skill_id, direction, strength in PersonSkill.objects.filter(
        person__organization=org, person__is_active=True
    ).values_list("person_id", "skill_id", "direction", "strength"):
        offers, seeks = skills[person_id]
        (offers if direction == Direction.OFFER else seeks)[str(skill_id)] = strength

    def enrol(program: Program, share: float) -> int:
        # A share of the whole organization (5,000 and 20,000 of 50,000), drawn from who is active.
        # The participant persona is in every program.
        others = [row for row in active if row[0] != participant.pk]
        chosen = rng.sample(others, min(len(others), round(size * share) - 1))
        chosen.append((participant.pk, participant.meeting_preference))
        Enrolment.objects.bulk_create(
            (
                # Rows, not the enrol service (50,000 calls): if enrolling ever stores more than
                # this row (per-program features for suggestions), do that here too.
                Enrolment(
                    program=program,
                    person_id=pk,
                    offers=skills[pk][0],
                    seeks=skills[pk][1],
                    goals=rng.choice(GOALS),
                    meeting_preference=preference,
                )
                for pk, preference in chosen
            ),
            batch_size=2000,
        )
        return len(chosen)

    for label, share in SHARES.items():
        for state in ("Running", "Waiting"):
            program = Program.objects.create(
                organization=org,
                name=f"{state} {label}",
                status=ProgramStatus.OPEN,
                created_by=manager,
            )
            enrolled = times.time("enrolments", enrol, program, share)
            draft = times.time("rounds run", run_round, program, manager)
            groups = len(draft.result.get("groups", []))
            say(
                f"  {program.name}: {enrolled:,} enrolled, round of {groups:,} groups "
                f"in {times.steps['rounds run']:.1f} s so far"
            )
            if state == "Running":
                t = time.perf_counter()
                times.time("publishing", publish, draft, manager)
                say(f"  {program.name}: published in {time.perf_counter() - t:.1f} s")
    today = timezone.localdate()
    times.time(
        "insights job", lambda: refresh_org(org, start=today - dt.timedelta(days=1), end=today)
    )
    return times


GOALS = [
    "Get better at presenting to senior leaders",
    "Learn how other teams plan their work",
    "Grow into leading a small project",
    "Understand our clients better",
    "Learn SQL well enough to answer my own questions",
]


# --- what each page needs -------------------------------------------------------------------


@dataclass
class Scenario:
    size: int
    org: Organization
    admin: User
    manager: User
    participant: User
    partner: User  # a member of `partnership`: the participant when the round matched them
    programs: dict[str, Program]
    drafts: dict[str, MatchRound]
    partnership: Partnership
    team_id: int
    team_name: str


def load_scenario(size: int) -> Scenario:
    """Find what build_org wrote (after a build or a restore) by names, not by remembered ids."""
    from twoway.accounts.models import Organization, Role, User
    from twoway.people.models import Person
    from twoway.programs.models import MatchRound, Partnership, Program, RoundStatus

    org = Organization.objects.get(slug=slug_for(size))

    def user(role: str) -> User:
        return User.objects.get(memberships__organization=org, memberships__role=role)

    programs = {p.name: p for p in Program.objects.filter(organization=org)}
    drafts = {
        name: MatchRound.objects.filter(program=program, status=RoundStatus.DRAFT).latest("pk")
        for name, program in programs.items()
        if name.startswith("Waiting")
    }
    participant = partner = user(Role.PARTICIPANT)
    running = programs["Running 40%"]
    mine = Partnership.objects.filter(program=running, members__person__user=participant).first()
    if mine is None:
        # The engine left the participant unmatched: the partnership page is opened by someone
        # it did match.
        mine = Partnership.objects.filter(program=running).order_by("pk").first()
        if mine is None:
            raise RuntimeError(f"the round of {running.name} at {size} people made no pairs")
        partner = _sign_in_for(org, mine)
    person = Person.objects.select_related("team").get(organization=org, user=participant)
    assert person.team is not None
    return Scenario(
        size=size,
        org=org,
        admin=user(Role.ORG_ADMIN),
        manager=user(Role.PROGRAM_MANAGER),
        participant=participant,
        partner=partner,
        programs=programs,
        drafts=drafts,
        partnership=mine,
        team_id=person.team.pk,
        team_name=person.team.name,
    )


def _sign_in_for(org: Organization, partnership: Partnership) -> User:
    from twoway.accounts.models import Role, User
    from twoway.people.services import membership_add

    member = partnership.members.select_related("person", "person__user").order_by("pk")[0]
    if member.person.user is not None:
        return member.person.user
    user = User.objects.create_user(member.person.email, None, name=member.person.name)
    membership_add(organization=org, user=user, role=Role.PARTICIPANT, actor=None, source="bench")
    return user


def directory_team_query(scenario: Scenario) -> dict[str, str]:
    """The directory's team filter as the search form sends it: part of a team's name."""
    return {"team": scenario.team_name}


def pages(s: Scenario) -> list[tuple[str, str, User]]:
    """(row name, URL, who opens it) for every page the issue names."""
    from django.urls import reverse

    org = s.org.slug

    def program_url(view: str, name: str) -> str:
        return reverse(view, kwargs={"org_slug": org, "program_id": s.programs[name].pk})

    rows: list[tuple[str, str, User]] = []
    for label in SHARES:
        rows.append(
            (
                f"program page (PM), {label}",
                program_url("program_detail", f"Running {label}"),
                s.manager,
            )
        )
    for label in SHARES:
        rows.append(
            (
                f"suggestions, pool {label}",
                program_url("program_peers", f"Waiting {label}"),
                s.participant,
            )
        )
    for label in SHARES:
        draft = s.drafts[f"Waiting {label}"]
        url = reverse(
            "round_detail",
            kwargs={"org_slug": org, "program_id": draft.program_id, "round_id": draft.pk},
        )
        rows.append((f"round draft (PM), {label}", url, s.manager))
    directory = reverse("directory", kwargs={"org_slug": org})
    rows += [
        ("directory", directory, s.participant),
        (
            "directory, team search",
            f"{directory}?{urlencode(directory_team_query(s))}",
            s.participant,
        ),
        ("my profile", reverse("my_profile", kwargs={"org_slug": org}), s.participant),
        (
            "partnership home",
            reverse(
                "partnership_home", kwargs={"org_slug": org, "partnership_id": s.partnership.pk}
            ),
            s.partner,
        ),
        ("insights (PM), 40%", program_url("program_insights", "Running 40%"), s.manager),
        ("my insights", reverse("my_insights", kwargs={"org_slug": org}), s.participant),
    ]
    return rows


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Figure:
    queries: int | None = None
    times: list[float] = field(default_factory=list)
    error: str = ""
    size_bytes: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.times) if self.times else math.nan

    @property
    def p95(self) -> float:
        # Nearest rank: with 20 samples the 19th, with fewer the slowest.
        if not self.times:
            return math.nan
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(
    requests: list[tuple[Client, str, dict[str, str]]], *, repeat: int, budget: float
) -> list[Figure]:
    """The same page at every size, one request of each in turn: a warm-up round, then `repeat`
    rounds (fewer, but at least 3, past `budget` seconds). Taking turns request by request, in
    a random order each round, puts a moment of load from elsewhere on both sizes alike, where
    timing one size's twenty requests and then the other's would give it to one of them.

    Garbage is collected before each request, outside its time: a full collection walks
    everything the process holds (the bench's own data included) and lands on whichever
    request happens to trigger it, with a cost that has nothing to do with the organization's
    size. (A web process pays it now and then too: README, "Speed at 50,000 people".)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures = [Figure() for _ in requests]
    turns = list(zip(figures, requests, strict=True))
    order = random.Random(len(requests))
    started = time.perf_counter()
    for i in range(repeat + 1):
        order.shuffle(turns)
        for figure, (client, url, headers) in turns:
            if figure.error:
                continue
            gc.collect()
            try:
                # The log is a deque of at most 9,000 queries: once full, a capture counts 0.
                connection.queries_log.clear()
                with CaptureQueriesContext(connection) as ctx:
                    t = time.perf_counter()
                    response = client.get(url, headers=headers)
                    elapsed = time.perf_counter() - t
            except Exception as exc:
                figure.error = f"{type(exc).__name__}: {exc} ({url})"
                traceback.print_exc()
                continue
            if response.status_code != 200:
                figure.error = f"HTTP {response.status_code} from {url}"
                continue
            if i == 0:
                continue  # warm-up: caches, the first session write, the rate-limit row
            figure.times.append(elapsed)
            # The fewest: once a minute an API request also writes its key's rate-limit row
            # and last-used time, which says nothing about the size of the organization.
            count = len(ctx.captured_queries)
            figure.queries = count if figure.queries is None else min(figure.queries, count)
            figure.size_bytes = len(response.content)
        if i >= 3 and time.perf_counter() - started > budget:
            break
    return figures


def measure_pages(
    scenarios: list[Scenario], *, repeat: int, budget: float
) -> list[dict[str, Figure]]:
    """Each page at every size, the sizes taking turns request by request."""
    from django.test import Client

    figures: list[dict[str, Figure]] = [{} for _ in scenarios]
    clients: dict[int, Client] = {}
    rows = [pages(s) for s in scenarios]
    for i in range(len(rows[0])):
        requests: list[tuple[Client, str, dict[str, str]]] = []
        for row in rows:
            _name, url, user = row[i]
            if user.pk not in clients:
                clients[user.pk] = Client()
                clients[user.pk].force_login(user)
            requests.append((clients[user.pk], url, {}))
        measured = measure(requests, repeat=repeat, budget=budget)
        for figs, row, figure in zip(figures, rows, measured, strict=True):
            figs[row[i][0]] = figure
    return figures


def _timed_get(client: Client, url: str) -> float:
    t = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - t
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code} from {url}")
    return elapsed


def suggestions_after_change(s: Scenario) -> dict[str, float]:
    """What the steady pages above do not show: the suggestions page right after an enrolment
    changed the 40 % pool. Someone else enrols (committed, as a page would); then, timed once
    each: a participant already known to the kept features (served from them while they are
    rebuilt on a thread), the same participant once the rebuild is done, and the newcomer's
    own first view (who waits for features that know them)."""
    from django.test import Client
    from django.urls import reverse

    from twoway.people.models import Person, Skill
    from twoway.programs import suggestions
    from twoway.programs.services import enrolment_save

    program = s.programs["Waiting 40%"]
    url = reverse("program_peers", kwargs={"org_slug": s.org.slug, "program_id": program.pk})
    known = Client()
    known.force_login(s.participant)
    _timed_get(known, url)  # the kept features, current
    newcomer = (
        Person.objects.filter(organization=s.org, is_active=True, user__isnull=False)
        .exclude(enrolments__program=program)
        .order_by("pk")
        .first()
    )
    if newcomer is None or newcomer.user is None:
        raise RuntimeError("no signed-in person left outside the 40 % program")
    skills = list(
        Skill.objects.filter(organization=s.org).order_by("pk").values_list("pk", flat=True)
    )
    enrolment_save(
        program=program,
        person=newcomer,
        offers={skills[0]: 2},
        seeks={skills[1]: 2},
        goals="meet people from other teams",
        meeting_preference="either",
        capacity=1,
    )
    out = {"known, while rebuilt behind": _timed_get(known, url)}
    waited = time.perf_counter()
    while suggestions._rebuilding and time.perf_counter() - waited < 120:
        time.sleep(0.05)
    out["rebuild behind (wall clock)"] = (
        time.perf_counter() - waited + out["known, while rebuilt behind"]
    )
    out["known, after the rebuild"] = _timed_get(known, url)
    fresh = Client()
    fresh.force_login(newcomer.user)
    suggestions.forget_features()  # a web process that has not built them yet
    out["newcomer's first view"] = _timed_get(fresh, url)
    out["newcomer's second view"] = _timed_get(fresh, url)
    return out


def api_key_for(s: Scenario) -> str:
    from twoway.api.keys import api_key_create
    from twoway.api.models import Scope

    return api_key_create(
        organization=s.org, name="Bench", scopes=Scope.values, expires_at=None, actor=s.admin
    ).secret


def api_lists(s: Scenario) -> list[tuple[str, str]]:
    """(row name, URL) of every list endpoint of the API, on the largest program."""
    program = s.programs["Running 40%"].pk
    return [
        ("GET /people?limit=100", "/api/v1/people?limit=100"),
        ("GET /skills", "/api/v1/skills"),
        ("GET /programs", "/api/v1/programs"),
        ("GET /programs/{40%}/enrolments", f"/api/v1/programs/{program}/enrolments"),
        ("GET /partnerships?limit=100", "/api/v1/partnerships?limit=100"),
        ("GET /programs/{40%}/insights", f"/api/v1/programs/{program}/insights"),
    ]


def measure_api(
    scenarios: list[Scenario], *, repeat: int, budget: float
) -> list[dict[str, Figure]]:
    """Each list endpoint at every size, taking turns, with a key of each organization."""
    from django.test import Client, override_settings

    figures: list[dict[str, Figure]] = [{} for _ in scenarios]
    headers = [{"Authorization": f"Bearer {api_key_for(s)}"} for s in scenarios]
    rows = [api_lists(s) for s in scenarios]
    client = Client()
    # The bench would pass the per-key limit; the limit's own queries still run and count.
    with override_settings(API_RATE_LIMIT_PER_MINUTE=1_000_000):
        for i in range(len(rows[0])):
            requests = [
                (client, row[i][1], header) for row, header in zip(rows, headers, strict=True)
            ]
            measured = measure(requests, repeat=repeat, budget=budget)
            for figs, row, figure in zip(figures, rows, measured, strict=True):
                figs[row[i][0]] = figure
    return figures


# --- reporting ------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:,.0f}"


def table(
    title: str, small: int, large: int, a: dict[str, Figure], b: dict[str, Figure]
) -> list[str]:
    lines = [
        title,
        f"{'':36} {'queries':>15} {'p50 ms':>17} {'p95 ms':>17} {'response kB':>17} "
        f"{'p95':>7} {'runs':>7}",
        f"{'':36}"
        + f" {f'{small:,}':>7} {f'{large:,}':>7}"
        + f" {f'{small:,}':>8} {f'{large:,}':>8}" * 3
        + f" {'ratio':>7}",
    ]
    for name, fa in a.items():
        fb = b.get(name, Figure(error="not measured"))
        ratio = fb.p95 / fa.p95 if fa.times and fb.times else math.nan
        shown = "-" if math.isnan(ratio) else f"{ratio:.2f}"
        qa = "-" if fa.queries is None else str(fa.queries)
        qb = "-" if fb.queries is None else str(fb.queries)
        lines.append(
            f"{name:36} {qa:>7} {qb:>7} {_ms(fa.p50):>8} {_ms(fb.p50):>8} "
            f"{_ms(fa.p95):>8} {_ms(fb.p95):>8} "
            f"{fa.size_bytes / 1024:>8,.0f} {fb.size_bytes / 1024:>8,.0f} "
            f"{shown:>7} {len(fa.times):>3}/{len(fb.times):<3}"
        )
        for size, f in ((small, fa), (large, fb)):
            if f.error:
                lines.append(f"    ERROR at {size:,} people: {f.error}")
    return lines


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


# --- the database and its cache ---------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        raise SystemExit(f"{name} not found: install PostgreSQL's client tools")
    return str(candidates[-1])


def cache_key(small: int, large: int, seed: int) -> str:
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    digest = hashlib.sha256()
    for node in sorted(graph.nodes):
        digest.update(f"{node[0]}.{node[1]};".encode())
    digest.update((ROOT / "twoway" / "demo" / "seed.py").read_bytes())
    return f"pages-v{BENCH_VERSION}-{small}-{large}-s{seed}-{digest.hexdigest()[:12]}"


def recreate_database(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def analyze() -> None:
    """Planner statistics and visibility maps, as a database in use has them: pg_restore brings
    none. Without statistics a grouped join over 20,000 rows can be planned as nested loops that
    run past the statement timeout; without the vacuum, autovacuum comes by in the middle of the
    measurements."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def prepare(args: argparse.Namespace) -> tuple[str, BuildTimes | None]:
    """A database holding both organizations: restored from the cache, or seeded (and cached)."""
    from django.core.management import call_command

    key = cache_key(args.small, args.large, args.seed)
    dump = Path(args.cache_dir) / f"{key}.dump"
    recreate_database(args.database_url)
    if dump.exists() and not args.fresh:
        t = time.perf_counter()
        subprocess.run(
            [_pg_tool("pg_restore"), "--no-owner", "-d", args.database_url, str(dump)], check=True
        )
        call_command("migrate", interactive=False, verbosity=0)
        analyze()
        return f"restored {dump.name} in {time.perf_counter() - t:.1f} s", None
    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    times = BuildTimes()
    for size in (args.small, args.large):
        print(f"seeding {size:,} people", flush=True)
        for step, seconds in build_org(size, seed=args.seed).steps.items():
            times.steps[f"{step} ({size:,})"] = seconds
    seeded = time.perf_counter() - t
    dump.parent.mkdir(parents=True, exist_ok=True)
    partial = dump.with_suffix(".partial")
    subprocess.run([_pg_tool("pg_dump"), "-Fc", "-f", str(partial), args.database_url], check=True)
    partial.rename(dump)
    return f"seeded in {seeded:.1f} s (cached as {dump.name})", times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--budget", type=float, default=30.0, help="seconds per page before it stops repeating"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", default=os.environ.get("TWOWAY_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--cache-dir", default=str(ROOT / "var" / "bench-cache"))
    parser.add_argument("--fresh", action="store_true", help="seed even when a cache exists")
    parser.add_argument("--only", choices=["pages", "api"], help="measure one section only")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("the bench runs on PostgreSQL: pass --database-url postgresql://…")
    if "bench" not in args.database_url.rsplit("/", 1)[1]:
        parser.error("the database is dropped and made again: its name must contain 'bench'")

    configure(args.database_url)
    # Each sign-in of a persona would log a line; a missing collectstatic output warns once.
    logging.getLogger("axes").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    started = time.perf_counter()
    how, build = prepare(args)
    print(how, flush=True)
    if build:
        for step, seconds in build.steps.items():
            print(f"  {step:32} {seconds:8.1f} s")
    small, large = load_scenario(args.small), load_scenario(args.large)
    print(f"before measuring: {load()}", flush=True)
    lines: list[str] = []
    if args.only in (None, "pages"):
        a, b = measure_pages([small, large], repeat=args.repeat, budget=args.budget)
        lines += table("Pages (Django test Client, in process)", args.small, args.large, a, b)
        lines.append("")
    if args.only in (None, "pages"):
        after = [suggestions_after_change(s) for s in (small, large)]
        lines.append("Suggestions, pool 40 %, after someone enrols (one request each, ms)")
        lines.append(f"{'':36} {f'{args.small:,}':>8} {f'{args.large:,}':>8}")
        for name in after[0]:
            lines.append(f"{name:36} {_ms(after[0][name]):>8} {_ms(after[1][name]):>8}")
        lines.append("")
    if args.only in (None, "api"):
        a, b = measure_api([small, large], repeat=args.repeat, budget=args.budget)
        lines += table("API list endpoints (API key, all scopes)", args.small, args.large, a, b)
        same = all(a[n].queries == b[n].queries for n in a)
        lines.append(f"API query counts equal at both sizes: {'yes' if same else 'NO'}")
        lines.append("")
    print()
    print("\n".join(lines))
    print(f"after measuring: {load()}; whole run {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
