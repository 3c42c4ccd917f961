"""Self-match suggestions: one person scored against the program's pool, from features built
once per program.

Building the engine's arrays for a program (every enrolled person's skills, goals, levels,
calendar) is the expensive part: seconds at twenty thousand people. It depends on enrolments
and profiles only, so each web process keeps it per program and checks, with a few aggregate
queries, that nothing it was built from has changed since (`_stamp`): an enrolment or a profile
saved, someone joining or leaving, a partnership formed or ended, a skill added, the program's
settings, the date. Then a page scores one row — this person against the pool — with the
engine's own scorer (`twoway.matching.engine.suggest_row`), so a suggestion's score and reasons
are those `pair_score` gives the pair over the program's enrolled people.

What changes by the minute and concerns only the viewer — their open requests, blocks, past
partners and reporting line — is read fresh for the viewer alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django import db
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from twoway.lib.paging import CountedPaginator
from twoway.matching.engine import SuggestionRow, suggest_row
from twoway.matching.features import Cohort, build_cohort
from twoway.matching.model import Suggestion
from twoway.people.models import Person
from twoway.programs.cohort import _managers_above, engine_settings, participants_of, pool
from twoway.programs.models import (
    OPEN_PARTNERSHIP_STATUSES,
    Block,
    Enrolment,
    EnrolmentStatus,
    MatchRequest,
    PartnershipMember,
    Program,
    ProgramKind,
    RequestStatus,
)
from twoway.programs.tally import program_version

log = logging.getLogger(__name__)

# Programs kept per web process. A program of 20,000 people takes some tens of MB.
KEPT_PROGRAMS = 4
# From this size on, features made stale by a change are rebuilt in the background while the
# pages go on with the kept ones (a rebuild takes seconds there); below it, rebuilt at once.
REBUILD_BEHIND_FROM = 1000
# Suggestions drawn beyond those shown, in case some have been matched since the features.
SPARE = 6


@dataclass(frozen=True)
class ProgramFeatures:
    stamp: tuple[object, ...]
    cohort: Cohort  # every active enrolment of an active person, by person id
    pool: npt.NDArray[np.int64]  # cohort indices of the people waiting to be matched
    built_from: dt.datetime  # when the data it was built from was read
    stale: bool = False  # kept while a rebuild runs behind


_kept: OrderedDict[int, ProgramFeatures] = OrderedDict()
_rebuilding: set[int] = set()
_lock = threading.Lock()


def _stamp(program: Program) -> tuple[object, ...] | None:
    """What the features were built from: the program's version (raised after every commit
    that changes its enrolments, partnerships, people or the names of their teams, departments
    and skills, `twoway.programs.tally`), its settings and the date. None while this
    transaction has changes of its own not yet committed."""
    version = program_version(program)
    if version is None:
        return None
    return (version, program.updated, timezone.localdate())


def _build(program: Program, stamp: tuple[object, ...] | None) -> ProgramFeatures:
    started = timezone.now()
    active = Enrolment.objects.filter(
        program=program, status=EnrolmentStatus.ACTIVE, person__is_active=True
    )
    participants = participants_of(program, active.order_by("person_id"))
    cohort = build_cohort(participants, engine_settings(program))
    # Only dense blocks use the float calendar rows; one row at a time uses the bitsets.
    cohort = dataclasses.replace(
        cohort, avail_unit=np.zeros((0, cohort.avail_unit.shape[1]), dtype=np.float32)
    )
    waiting = pool(program).values_list("person_id", flat=True)
    index = cohort.index
    in_pool = sorted(index[str(pid)] for pid in waiting if str(pid) in index)
    return ProgramFeatures(stamp or (), cohort, np.array(in_pool, dtype=np.int64), started)


def _keep(program_id: int, features: ProgramFeatures) -> None:
    with _lock:
        _kept[program_id] = features
        _kept.move_to_end(program_id)
        while len(_kept) > KEPT_PROGRAMS:
            _kept.popitem(last=False)
    if features.cohort.n >= REBUILD_BEHIND_FROM:
        _settle_garbage_collector()


def _settle_garbage_collector() -> None:
    """Take what this process keeps out of the garbage collector's sight.

    A large program's features are some hundred thousand objects that live until the next
    rebuild. Each full collection walks every object alive, so with them kept a full
    collection took 30 → 140 ms, and it falls on whichever request happens to trigger it.
    Frozen objects are skipped by collections (and still freed when nothing refers to them).
    Unfreezing first and collecting once lets go of what was frozen last time and has since
    become garbage in a cycle, so nothing is held for longer than until the next rebuild."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _rebuild_behind(program: Program, stamp: tuple[object, ...]) -> None:
    """Build the program's features on a thread of this process, once at a time."""
    with _lock:
        if program.pk in _rebuilding:
            return
        _rebuilding.add(program.pk)

    def run() -> None:
        try:
            _keep(program.pk, _build(program, stamp))
        except Exception:
            log.exception("rebuilding the suggestion features of program %s failed", program.pk)
        finally:
            with _lock:
                _rebuilding.discard(program.pk)
            db.connections.close_all()  # this thread's own connections

    threading.Thread(target=run, name=f"features-{program.pk}", daemon=True).start()


def program_features(program: Program, viewer: Enrolment | None = None) -> ProgramFeatures:
    """The program's features, rebuilt only when something they come from has changed.

    A large program's features made stale by a change elsewhere are still used while they are
    rebuilt behind: suggestions are checked against who is waiting now (`suggestions_for`).
    Not for a viewer the change was about — someone who has just enrolled or edited their
    intake or profile — who waits for features that know them."""
    stamp = _stamp(program)
    with _lock:
        kept = _kept.get(program.pk)
        if kept is not None:
            _kept.move_to_end(program.pk)
    if kept is not None and kept.stamp == stamp:
        return kept
    if (
        kept is not None
        and stamp is not None
        and kept.cohort.n >= REBUILD_BEHIND_FROM
        and viewer is not None
        and str(viewer.person_id) in kept.cohort.index
        and viewer.updated < kept.built_from
        and viewer.person.updated < kept.built_from
    ):
        _rebuild_behind(program, stamp)
        return dataclasses.replace(kept, stale=True)
    features = _build(program, stamp)
    if stamp is not None:  # uncommitted changes of this transaction's own are not kept
        _keep(program.pk, features)
    return features


def forget_features() -> None:
    """Drop every kept program (tests that change data behind the stamp's back)."""
    with _lock:
        _kept.clear()


def reporting_line(person: Person) -> set[int]:
    """Everyone above `person` and everyone below them, through anyone in the organization."""
    manager_of = _managers_above([person.pk])
    above: set[int] = set()
    current = manager_of.get(person.pk)
    while current is not None and current not in above and current != person.pk:
        above.add(current)
        current = manager_of.get(current)
    table = Person._meta.db_table
    # UNION, not UNION ALL: a cycle in imported data ends the walk instead of looping.
    sql = (
        f"WITH RECURSIVE below(id) AS ("
        f"SELECT id FROM {table} WHERE manager_id = %s "
        f"UNION SELECT p.id FROM {table} p JOIN below b ON p.manager_id = b.id"
        f") SELECT id FROM below"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [person.pk])
        below = {row[0] for row in cursor.fetchall()}
    return (above | below) - {person.pk}


@dataclass(frozen=True)
class Suggestions:
    rows: list[tuple[Person, Suggestion]]
    outside_level_rule: int  # waiting people left out by the program's level rule alone
    level_rule: str  # the rule in words for this viewer ("" when none applies to them)
    # Active people actively enrolled besides the viewer, when the features are current.
    others: int | None


def level_rule_words(program: Program, person: Person) -> str:
    if person.level is None:
        return ""
    if program.kind == ProgramKind.ONBOARDING:
        lo, hi = program.buddy_level_min, program.buddy_level_max
        span = f"{lo} step{'s' if lo != 1 else ''}" if lo == hi else f"{lo} to {hi} steps"
        return f"This program pairs a newcomer with a buddy {span} ahead of them."
    gap = program.max_level_gap
    if gap == 0:
        return f"This program pairs peers at the same level only (yours is L{person.level})."
    return (
        f"This program pairs peers at most {gap} level{'s' if gap != 1 else ''} apart "
        f"(yours is L{person.level})."
    )


def outside_level_gap(program: Program, me: Person, other: Person) -> bool:
    """The peer rule the requests enforce, for the "Everyone in the program" list."""
    return (
        program.kind != ProgramKind.ONBOARDING
        and me.level is not None
        and other.level is not None
        and abs(me.level - other.level) > program.max_level_gap
    )


def suggestions_for(program: Program, enrolment: Enrolment, k: int = 6) -> Suggestions:
    """The best partners waiting in the pool for this person, with their reasons."""
    me = enrolment.person
    features = program_features(program, viewer=enrolment)
    cohort = features.cohort
    words = level_rule_words(program, me)
    person = cohort.index.get(str(me.pk))
    if person is None:
        return Suggestions([], 0, words, cohort.n)

    def indices(ids: set[int]) -> set[int]:
        return {cohort.index[str(pid)] for pid in ids if str(pid) in cohort.index}

    excluded = reporting_line(me)
    for a, b in Block.objects.filter(Q(person=me) | Q(blocked=me)).values_list(
        "person_id", "blocked_id"
    ):
        excluded |= {a, b}
    together = PartnershipMember.objects.filter(
        partnership__organization=program.organization, partnership__members__person=me
    )
    if program.allow_repeats:
        # Past partners may come back; a current partner is not someone to ask again.
        together = together.filter(partnership__status__in=OPEN_PARTNERSHIP_STATUSES)
    excluded |= set(together.values_list("person_id", flat=True))
    requests = MatchRequest.objects.filter(program=program, status=RequestStatus.OPEN).filter(
        Q(sender=me) | Q(receiver=me)
    )
    asked_by_me, asked_me = set(), set()
    for sender, receiver in requests.values_list("sender_id", "receiver_id"):
        if sender == me.pk:
            asked_by_me.add(receiver)
        else:
            asked_me.add(sender)
    row: SuggestionRow = suggest_row(
        cohort,
        person,
        features.pool,
        excluded=indices(excluded - {me.pk}),
        asked_by_person=indices(asked_by_me),
        asked_person=indices(asked_me),
        k=k + SPARE,
    )
    # Who is waiting right now, of these few: features kept while they are rebuilt (or built
    # a moment before someone was matched) may still count a matched person as waiting.
    waiting = set(
        pool(program)
        .filter(person_id__in=[int(s.id) for s in row.suggestions])
        .values_list("person_id", flat=True)
    )
    chosen = [s for s in row.suggestions if int(s.id) in waiting][:k]
    people = Person.objects.select_related("team", "department").in_bulk(
        [int(s.id) for s in chosen]
    )
    return Suggestions(
        [(people[int(s.id)], s) for s in chosen if int(s.id) in people],
        row.outside_level_rule,
        words,
        None if features.stale else cohort.n - 1,
    )


def everyone_page(
    program: Program,
    me: Person,
    *,
    q: str,
    page: str | None,
    per_page: int,
    others: int | None,
) -> tuple[Page, list[Enrolment]]:
    """One page of everyone actively enrolled but `me`, by name, searched by name, title or
    goals; `others` is their number when known (no search).

    The page is found on people's ids in name order — the person index by organization and
    name, then the enrolment by program and person — and only its rows are read in full."""
    ids = (
        Person.objects.filter(
            Q(name__icontains=q) | Q(title__icontains=q) | Q(enrolments__goals__icontains=q)
            if q
            else Q(),
            organization_id=program.organization_id,
            is_active=True,
            enrolments__program=program,
            enrolments__status=EnrolmentStatus.ACTIVE,
        )
        .exclude(pk=me.pk)
        .order_by("name", "id")
        .values_list("pk", flat=True)
    )
    paginator = (
        Paginator(ids, per_page) if q or others is None else CountedPaginator(ids, per_page, others)
    )
    found = paginator.get_page(page)
    chosen = list(found)
    enrolments = Enrolment.objects.filter(program=program, person_id__in=chosen).select_related(
        "person", "person__team", "person__department", "person__organization"
    )
    by_person = {e.person_id: e for e in enrolments}
    return found, [by_person[pk] for pk in chosen if pk in by_person]
