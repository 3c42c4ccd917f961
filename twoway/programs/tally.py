"""A program's head counts — enrolled, waiting, partnerships by status — counted once and
kept until something they come from changes.

Counting who is waiting in a 20,000-person program groups every partnership member of the
program: tens of milliseconds, on every view of the program page, for figures that change a
few times an hour. So each program has a version (`ProgramTally.version`), raised after every
commit that changes its enrolments, its partnerships or its organization's people, and the
counts are kept with the version they were counted at.

Why after the commit, and why this is safe: a page reads the version before it counts. If a
change commits between the two, the page stores counts newer than their version, and the
raise that follows makes them stale again; counts are never older than the version they are
stored under. A transaction that has changed a program and not yet committed counts afresh
(`_pending`): its own changes are not in any kept counts.

Saves and deletes of enrolments, partnerships and people (and of the team, department and skill
names the suggestions read) raise the version through signals;
code that writes them in bulk (which sends no signals) calls `program_changed` or
`organization_changed` itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, F, Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from twoway.people.models import Department, Person, Skill, Team
from twoway.programs.cohort import pool_count
from twoway.programs.models import (
    OPEN_PARTNERSHIP_STATUSES,
    Enrolment,
    EnrolmentStatus,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
    ProgramTally,
)


@dataclass(frozen=True)
class Counts:
    enrolled: int  # active enrolments
    in_pool: int  # waiting to be matched today
    by_status: dict[str, int]  # partnerships by status value, every status present

    @property
    def open_pairs(self) -> int:
        return sum(self.by_status[status] for status in OPEN_PARTNERSHIP_STATUSES)


class _Raise:
    """The versions to raise once this transaction commits (one per transaction, found again
    in the connection's on-commit list, which also drops it on a rollback)."""

    def __init__(self) -> None:
        self.programs: set[int] = set()
        self.organizations: set[int] = set()

    def __call__(self) -> None:
        _raise(self.programs, self.organizations)

    def covers(self, program: Program) -> bool:
        return program.pk in self.programs or program.organization_id in self.organizations


def _raise(programs: set[int], organizations: set[int]) -> None:
    ProgramTally.objects.filter(
        Q(program_id__in=programs) | Q(program__organization_id__in=organizations)
    ).update(version=F("version") + 1)


def _pending(using: str) -> _Raise | None:
    # Entries are (savepoint ids, callback, robust) since Django 5.0.
    for entry in connections[using].run_on_commit:
        if isinstance(entry[1], _Raise):
            return entry[1]
    return None


def _changed(programs: set[int], organizations: set[int], using: str = DEFAULT_DB_ALIAS) -> None:
    connection = connections[using]
    if not connection.in_atomic_block:
        _raise(programs, organizations)  # autocommit: the change is committed already
        return
    pending = _pending(using)
    if pending is None:
        pending = _Raise()
        # A raise that fails after the commit must not turn a saved change into an error page.
        connection.on_commit(pending, robust=True)
    pending.programs |= programs
    pending.organizations |= organizations


def program_changed(program_id: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """Enrolments or partnerships of this program changed (in this transaction, if any)."""
    _changed({program_id}, set(), using)


def organization_changed(organization_id: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """People of this organization changed: every program of it may count differently."""
    _changed(set(), {organization_id}, using)


def count_now(program: Program, today: dt.date) -> Counts:
    enrolled = Enrolment.objects.filter(program=program, status=EnrolmentStatus.ACTIVE).count()
    rows = dict(
        Partnership.objects.filter(program=program)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return Counts(
        enrolled=enrolled,
        in_pool=pool_count(program, today),
        by_status={str(value): int(rows.get(value, 0)) for value in PartnershipStatus.values},
    )


def _tally(program: Program) -> ProgramTally | None:
    """The program's row, or None while this transaction has uncommitted changes to it (they
    are in no kept counts or features)."""
    pending = _pending(DEFAULT_DB_ALIAS)
    if pending is not None and pending.covers(program):
        return None
    tally = ProgramTally.objects.filter(program=program).first()
    if tally is None:
        ProgramTally.objects.bulk_create([ProgramTally(program=program)], ignore_conflicts=True)
        tally = ProgramTally.objects.get(program=program)
    return tally


def program_version(program: Program) -> int | None:
    """What anything kept for the program is checked against (None: do not keep, see `_tally`)."""
    tally = _tally(program)
    return None if tally is None else tally.version


def program_counts(program: Program) -> Counts:
    """The program's counts: kept ones when nothing has changed since they were counted."""
    today = timezone.localdate()
    tally = _tally(program)
    if tally is None:
        return count_now(program, today)
    if tally.counted_version == tally.version and tally.counted_on == today:
        return _load(tally.counts)
    counts = count_now(program, today)
    # Only under the version read before counting: a raise since then leaves the row stale.
    ProgramTally.objects.filter(program=program, version=tally.version).update(
        counted_version=tally.version, counted_on=today, counts=dataclasses.asdict(counts)
    )
    return counts


def enrolled_counts(programs: list[Program]) -> dict[int, int]:
    """Each program's active enrolments, from the kept counts of all of them in one query
    (a program whose counts are not current is counted as `program_counts` does)."""
    today = timezone.localdate()
    pending = _pending(DEFAULT_DB_ALIAS)
    kept = {t.program_id: t for t in ProgramTally.objects.filter(program__in=programs)}
    out = {}
    for program in programs:
        tally = kept.get(program.pk)
        current = (
            tally is not None
            and tally.counted_version == tally.version
            and tally.counted_on == today
            and not (pending is not None and pending.covers(program))
        )
        if current:
            out[program.pk] = int(tally.counts["enrolled"])  # type: ignore[union-attr]
        else:
            out[program.pk] = program_counts(program).enrolled
    return out


def _load(data: dict[str, Any]) -> Counts:
    kept = data["by_status"]
    return Counts(
        enrolled=int(data["enrolled"]),
        in_pool=int(data["in_pool"]),
        by_status={str(v): int(kept.get(v, 0)) for v in PartnershipStatus.values},
    )


def _on_program_row(sender: type, instance: Enrolment | Partnership, **kwargs: Any) -> None:
    program_changed(instance.program_id, kwargs.get("using") or DEFAULT_DB_ALIAS)


def _on_member(sender: type, instance: PartnershipMember, **kwargs: Any) -> None:
    using = kwargs.get("using") or DEFAULT_DB_ALIAS
    program_id = (
        Partnership.objects.using(using)
        .filter(pk=instance.partnership_id)
        .values_list("program_id", flat=True)
        .first()
    )
    if program_id is not None:  # else the partnership is going too, and says so itself
        program_changed(program_id, using)


def _on_organization_row(
    sender: type, instance: Person | Team | Department | Skill, **kwargs: Any
) -> None:
    organization_changed(instance.organization_id, kwargs.get("using") or DEFAULT_DB_ALIAS)


def connect_signals() -> None:
    """Every save and delete of what the counts come from raises the version (apps.ready)."""
    for signal in (post_save, post_delete):
        for row in (Enrolment, Partnership):
            signal.connect(_on_program_row, sender=row, dispatch_uid=f"tally-{row.__name__}")
        signal.connect(_on_member, sender=PartnershipMember, dispatch_uid="tally-member")
        # People, and the names of their teams, departments and skills that suggestions read.
        for named in (Person, Team, Department, Skill):
            signal.connect(
                _on_organization_row, sender=named, dispatch_uid=f"tally-{named.__name__}"
            )
