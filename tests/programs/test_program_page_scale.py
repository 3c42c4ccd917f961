"""The program manager's page at scale: the stalled list comes from SQL and equals the Python
rule the reminders use, every list is a page, and the query count does not grow with pairs."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import World, client_for
from tests.programs.helpers import make_program
from twoway.meetings.cadence import (
    NUDGE_AFTER_CADENCES,
    STALLED_AFTER_CADENCES,
    overdue_in_program,
    overdue_partnerships,
)
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.people.models import Person
from twoway.programs.models import (
    MatchRound,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
    RoundStatus,
)
from twoway.programs.selectors import program_overview
from twoway.support.models import UncertainFlag

NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)


def detail(program: Program) -> str:
    return reverse("program_detail", kwargs={"org_slug": "acme", "program_id": program.pk})


def people(world: World, prefix: str, n: int) -> list[Person]:
    return list(
        Person.objects.bulk_create(
            Person(organization=world.acme, name=f"{prefix} {i:03}", email=f"{prefix}{i}@a.ex")
            for i in range(n)
        )
    )


def pair(
    program: Program,
    a: Person,
    b: Person,
    *,
    started_on: dt.date | None,
    created: dt.datetime,
    held: list[dt.datetime] = (),  # type: ignore[assignment]
    other: list[tuple[dt.datetime, str]] = (),  # type: ignore[assignment]
    status: str = PartnershipStatus.ACTIVE,
) -> Partnership:
    p = Partnership.objects.create(
        organization=program.organization,
        program=program,
        status=status,
        started_on=started_on,
        created=created,
    )
    PartnershipMember.objects.bulk_create(
        [PartnershipMember(partnership=p, person=a), PartnershipMember(partnership=p, person=b)]
    )
    for start in held:
        CheckIn.objects.create(partnership=p, scheduled_start=start, status=CheckinStatus.HELD)
    for start, st in other:
        CheckIn.objects.create(partnership=p, scheduled_start=start, status=st)
    return p


def build_fixture(world: World) -> tuple[Program, Program]:
    """Pairs on both sides of every branch of the rule, near its edges, in two programs."""
    program = make_program(world.acme, checkin_every_weeks=2)
    other = make_program(world.acme, name="Other", checkin_every_weeks=1)
    cutoff = NOW - dt.timedelta(weeks=2) * STALLED_AFTER_CADENCES  # 2026-05-22 12:00
    ps = people(world, "P", 40)
    it = iter(range(0, 40, 2))

    def nxt() -> tuple[Person, Person]:
        k = next(it)
        return ps[k], ps[k + 1]

    old = NOW - dt.timedelta(days=200)
    # Last held check-in just before, at and just after the cutoff; a newer cancelled one and
    # a newer scheduled one do not count as meeting.
    pair(program, *nxt(), started_on=old.date(), created=old, held=[cutoff - dt.timedelta(1)])
    pair(program, *nxt(), started_on=old.date(), created=old, held=[cutoff])
    pair(program, *nxt(), started_on=old.date(), created=old, held=[cutoff + dt.timedelta(0, 1)])
    pair(
        program,
        *nxt(),
        started_on=old.date(),
        created=old,
        held=[old, cutoff - dt.timedelta(hours=1)],
        other=[(NOW, CheckinStatus.CANCELLED), (NOW, CheckinStatus.SCHEDULED)],
    )
    # Never met: the start date decides (midnight UTC), around the cutoff's date.
    for days in (-2, -1, 0, 1, 30):
        pair(program, *nxt(), started_on=cutoff.date() + dt.timedelta(days), created=old)
    # No start date: the creation time decides.
    pair(program, *nxt(), started_on=None, created=cutoff - dt.timedelta(seconds=1))
    pair(program, *nxt(), started_on=None, created=cutoff + dt.timedelta(seconds=1))
    # Not active: never listed.
    pair(program, *nxt(), started_on=old.date(), created=old, status=PartnershipStatus.PROPOSED)
    pair(program, *nxt(), started_on=old.date(), created=old, status=PartnershipStatus.ENDED)
    # Another program with another cadence.
    pair(other, *nxt(), started_on=old.date(), created=old)
    pair(other, *nxt(), started_on=(NOW - dt.timedelta(days=10)).date(), created=old)
    return program, other


def test_the_sql_stalled_list_equals_the_python_rule(world: World) -> None:
    program, other = build_fixture(world)
    # Cutoffs on and off midnight, for both the stalled and the nudge factor.
    moments = [NOW, NOW.replace(hour=0), NOW + dt.timedelta(hours=13), NOW - dt.timedelta(days=3)]
    for now in moments:
        for factor in (STALLED_AFTER_CADENCES, NUDGE_AFTER_CADENCES):
            for prog in (program, other):
                python_rule = {
                    p.pk for p in overdue_partnerships(factor=factor, now=now, program=prog)
                }
                sql = set(
                    overdue_in_program(prog, factor=factor, now=now).values_list("pk", flat=True)
                )
                assert sql == python_rule, (now, factor, prog.name)
    stalled = set(overdue_in_program(program, factor=STALLED_AFTER_CADENCES, now=NOW))
    # Both kinds are in the fixture: the comparison above is not between two empty sets.
    assert 0 < len(stalled) < Partnership.objects.filter(program=program).count()


def test_the_stalled_list_is_longest_without_a_check_in_first(world: World) -> None:
    program, _ = build_fixture(world)
    rows = list(overdue_in_program(program, factor=STALLED_AFTER_CADENCES, now=NOW))
    held = [getattr(p, "last_held", None) for p in rows]
    never = [p for p, h in zip(rows, held, strict=True) if h is None]
    met = [(p, h) for p, h in zip(rows, held, strict=True) if h is not None]
    assert rows == never + [p for p, _ in met]
    assert [h for _, h in met] == sorted(h for _, h in met)


def stalled_pairs(program: Program, n: int, first: int, world: World) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    ps = people(world, f"S{first}-", 2 * n)
    for k in range(n):
        p = pair(program, ps[2 * k], ps[2 * k + 1], started_on=long_ago.date(), created=long_ago)
        if k % 2:
            UncertainFlag.objects.create(partnership=p, person=ps[2 * k])


def test_the_manager_page_reads_a_page_of_pairs_in_a_constant_number_of_queries(
    world: World,
) -> None:
    program = make_program(world.acme)
    client = client_for(world.bob)
    stalled_pairs(program, 3, 0, world)
    with CaptureQueriesContext(connection) as few:
        small = client.get(detail(program))
    stalled_pairs(program, 80, 1, world)
    with CaptureQueriesContext(connection) as many:
        large = client.get(detail(program))
    assert len(many) == len(few)
    assert len(small.context["stalled"]) == 3
    # One page of each list, with page links; the counts are the whole program's.
    assert len(large.context["stalled"]) == 25 and large.context["stalled"].paginator.count == 83
    assert len(large.context["uncertain"]) == 25
    assert len(large.context["partnerships"]) == 25
    assert large.context["by_status"]["Active"] == 83
    page = large.content.decode()
    assert "?stalled_page=2#stalled" in page and "?page=2#partnerships" in page
    assert "?uncertain_page=2#uncertain" in page
    # The last page holds the rest.
    last = client.get(detail(program), {"stalled_page": 4})
    assert len(last.context["stalled"]) == 83 - 75
    shown = {
        p.pk
        for n in (1, 2, 3, 4)
        for p in client.get(detail(program), {"stalled_page": n}).context["stalled"]
    }
    assert shown == set(Partnership.objects.filter(program=program).values_list("pk", flat=True))


def test_the_stalled_list_shows_names_and_dates_only(world: World) -> None:
    program = make_program(world.acme)
    stalled_pairs(program, 2, 0, world)
    page = client_for(world.bob).get(detail(program)).content.decode()
    section = page.split('id="stalled"', 1)[1].split('id="uncertain"', 1)[0]
    assert "S0- 000 &amp; S0- 001" in section and "no check-in since" in section
    # Participants never see it.
    assert 'id="stalled"' not in client_for(world.alice).get(detail(program)).content.decode()


def test_the_rounds_list_shows_the_group_count_stored_with_the_draft(world: World) -> None:
    """The list of rounds shows each round's number of groups without reading its draft into
    Python (a 10,000-group draft is megabytes): the number is stored with the result when it
    is saved, and a round without a result counts 0."""
    program = make_program(world.acme, name="Counted")
    groups = [{"members": [i, i + 1]} for i in range(0, 14, 2)]
    drafted = MatchRound.objects.create(
        program=program, status=RoundStatus.DRAFT, result={"groups": groups, "unmatched": []}
    )
    queued = MatchRound.objects.create(program=program, status=RoundStatus.QUEUED)
    rounds = {r.pk: r for r in program_overview(program)["rounds"]}  # type: ignore[attr-defined]
    assert rounds[drafted.pk].groups_count == 7 and rounds[queued.pk].groups_count == 0
    assert "result" in rounds[drafted.pk].get_deferred_fields()
    page = client_for(world.bob).get(detail(program)).content.decode()
    row = page.split(f"#{drafted.pk}</a>")[1].split("</tr>")[0]
    assert "<td>7</td>" in row
