"""Matching rounds: queue, run in the background, review, adjust, publish.

A round is a row the worker claims (a conditional update from queued to running, safe with
several workers on any database), runs through the engine and leaves as a draft. A program
manager locks, breaks or hand-pairs groups; each change re-queues the round so the rest is
re-optimised around it. Publishing is queued too: the worker turns the draft into partnerships
in batches of groups, one transaction each, resuming after a crash from the first group not
done. Only people in the pool are ever in a round, so a re-run never touches published pairs.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from twoway.accounts.models import User
from twoway.accounts.services import audit
from twoway.lib.events import event_publish
from twoway.matching import UNMATCHED_REASONS, MatchResult, match
from twoway.matching.circles import form_circles
from twoway.notifications.services import Message, notify_many
from twoway.people.models import Person
from twoway.programs.cohort import engine_settings, participants_for, pool, pool_count
from twoway.programs.draft_pages import draft_page_build
from twoway.programs.kinds import LEFT_OUT
from twoway.programs.models import (
    Enrolment,
    MatchRound,
    Program,
    ProgramKind,
    RoundStatus,
)
from twoway.programs.services import (
    ProgramError,
    RoundGroup,
    partnerships_start_for_round,
    requests_close_for_full,
)
from twoway.programs.wording import left_out_because

log = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died; the round may be claimed again.
CLAIM_SECONDS = 15 * 60
# Groups started per transaction when publishing: about a second of work on PostgreSQL, so the
# progress moves and a crash loses little.
PUBLISH_BATCH = 500


@transaction.atomic
def round_create(*, program: Program, actor: User | None, source: str = "") -> MatchRound:
    """Queue a round; `actor` is None when an API key starts it (`source` names the key)."""
    if not program.runs_rounds:
        raise ProgramError("This program matches by requests only; change its matching mode first.")
    waiting = pool_count(program)
    if waiting < 2:
        # A round of nobody (or of one person) is an empty draft with nothing to publish.
        raise ProgramError(
            f"Nobody to match: {'only one person is' if waiting == 1 else 'no one is'} waiting "
            "for a partner. Run a round when at least two people are waiting."
        )
    if MatchRound.objects.filter(program=program, status=RoundStatus.PUBLISHING).exists():
        # Its people are still in the pool until their batch is written: a new round would
        # pair them again.
        raise ProgramError(
            "A round of this program is being published; start the next one when it is done."
        )
    # Only one draft at a time: an older draft is set aside (it stays in the history).
    MatchRound.objects.filter(
        program=program, status__in=[RoundStatus.QUEUED, RoundStatus.RUNNING, RoundStatus.DRAFT]
    ).update(status=RoundStatus.DISCARDED, finished_at=timezone.now())
    match_round = MatchRound.objects.create(
        program=program,
        created_by=actor,
        settings={
            "matching_settings": program.matching_settings,
            "kind": program.kind,
            "allow_trios": program.allow_trios,
            "allow_repeats": program.allow_repeats,
        },
    )
    audit(
        org=program.organization,
        actor=actor,
        action="round.created",
        target=program.name,
        round=match_round.pk,
        **({"source": source} if source else {}),
    )
    return match_round


def claim_next_round() -> MatchRound | None:
    """Take one queued (or abandoned) round for this process, or None."""
    stale = timezone.now() - dt.timedelta(seconds=CLAIM_SECONDS)
    candidates = MatchRound.objects.filter(
        Q(status=RoundStatus.QUEUED) | Q(status=RoundStatus.RUNNING, claimed_at__lt=stale)
    ).order_by("created")
    for candidate in candidates.values_list("pk", "status", "claimed_at")[:5]:
        pk, status, claimed_at = candidate
        claimed = MatchRound.objects.filter(pk=pk, status=status, claimed_at=claimed_at).update(
            status=RoundStatus.RUNNING, claimed_at=timezone.now(), progress=0, error=""
        )
        if claimed:
            return MatchRound.objects.select_related("program", "program__organization").get(pk=pk)
    return None


def run_pending_rounds(limit: int = 10) -> int:
    """Run queued rounds until none is left (or `limit`); the worker calls this on its clock."""
    done = 0
    while done < limit:
        match_round = claim_next_round()
        if match_round is None:
            break
        round_run(match_round)
        done += 1
    return done


def round_run(match_round: MatchRound) -> MatchRound:
    """Run the engine on everyone in the pool and store the draft (or the error)."""
    program = match_round.program
    try:
        enrolments = list(pool(program))
        participants = participants_for(program, enrolments)
        settings = engine_settings(
            program,
            locked_groups=match_round.locked_groups,
            forbidden_pairs=match_round.forbidden_pairs,
            seed=match_round.pk,
        )
        last = [0.0]

        def progress(done: int, total: int) -> None:
            # Write at most twice a second: the page polls, the row must not become a hot spot.
            now = time.monotonic()
            if total and now - last[0] > 0.5:
                last[0] = now
                MatchRound.objects.filter(pk=match_round.pk).update(
                    progress=min(99, int(100 * done / total))
                )

        result = match(participants, settings, progress=progress)
        if program.kind == ProgramKind.CIRCLES:
            result = form_circles(participants, settings, result)
        names = {str(e.person_id): e.person.name for e in enrolments}
        match_round.result = result_to_json(result, names)
        match_round.status = RoundStatus.DRAFT
        match_round.progress = 100
    except Exception as exc:  # the round shows the error; the worker goes on
        log.exception("matching round %s failed", match_round.pk)
        match_round.status = RoundStatus.FAILED
        match_round.error = f"{type(exc).__name__}: {exc}"
    match_round.finished_at = timezone.now()
    # A manager may have discarded the round meanwhile: never resurrect it.
    MatchRound.objects.filter(pk=match_round.pk, status=RoundStatus.RUNNING).update(
        status=match_round.status,
        result=match_round.result,
        groups_count=MatchRound.groups_in(match_round.result),
        progress=match_round.progress,
        error=match_round.error,
        finished_at=match_round.finished_at,
    )
    match_round.refresh_from_db()
    if match_round.status == RoundStatus.DRAFT:
        # What the round page reads, built here so that no page view waits for it. The draft
        # is stored already: should this fail, the first page view builds it instead.
        try:
            draft_page_build(match_round)
        except Exception:
            log.exception("the page of matching round %s was not built", match_round.pk)
    return match_round


def result_to_json(result: MatchResult, names: dict[str, str]) -> dict[str, Any]:
    """The draft as stored on the round. Drafts stored before a key was added lack it: the
    round page reads every key with a default (see `draft_pages.group_view`)."""
    return {
        "groups": [
            {
                "id": g.id,
                "members": [int(m) for m in g.members],
                "names": [names.get(m, m) for m in g.members],
                "score": g.score,
                "components": dict(g.components),
                "reasons": list(g.reasons),
                "kind": g.kind,
                "locked": g.locked,
                # Per pair (a trio's is the mean of its three pairs), so groups compare.
                "fit": g.fit,
                "exchange": g.exchange,
                "note": g.note,
            }
            for g in result.groups
        ],
        "unmatched": [
            {
                "id": int(u.id),
                "name": names.get(u.id, u.id),
                "reason": u.reason,
                "why": UNMATCHED_REASONS.get(u.reason, u.reason),
                "message": u.message,
            }
            for u in result.unmatched
        ],
        "total_weight": result.total_weight,
        "pair_weight": result.pair_weight,
        "upper_bound": result.upper_bound,
        "gap": result.gap,
        "gap_percent": round(100 * result.gap, 3),
        "seconds": round(result.seconds, 3),
        "solver": result.solver,
        "bound_method": result.bound_method,
        "bound_scope": result.bound_scope,
        "mode": result.mode,
        "heuristic": result.heuristic,
        "time_capped": result.time_capped,
        "n": result.n,
    }


def _draft(match_round: MatchRound) -> MatchRound:
    # Only the round row: a joined program locked FOR UPDATE would hold up every request answer
    # and enrolment of the program while the round is adjusted or published.
    locked = (
        MatchRound.objects.select_for_update(of=("self",), no_key=True)
        .select_related("program", "program__organization")
        .get(pk=match_round.pk)
    )
    if locked.status == RoundStatus.PUBLISHING:
        raise ProgramError(
            "This round is being published; it cannot be changed or published again. "
            "The page shows how far it is."
        )
    if locked.status == RoundStatus.PUBLISHED:
        raise ProgramError("This round is already published.")
    if locked.status != RoundStatus.DRAFT:
        raise ProgramError(
            "Only a draft can be changed; wait for it to finish or start a new round."
        )
    return locked


def _in_round(match_round: MatchRound, person_ids: list[int]) -> None:
    known = {m for g in match_round.result.get("groups", []) for m in g["members"]}
    known |= {u["id"] for u in match_round.result.get("unmatched", [])}
    if not set(person_ids) <= known:
        raise ProgramError("Those people are not part of this round.")


@transaction.atomic
def round_adjust(
    *, match_round: MatchRound, actor: User, action: str, people: list[int]
) -> MatchRound:
    """lock: keep this group as it is; break: never pair these people in this round;
    pair: put these people together by hand. Then the rest is re-optimised."""
    draft = _draft(match_round)
    people = sorted(set(people))
    _in_round(draft, people)
    locked_groups = [list(g) for g in draft.locked_groups]
    forbidden = [list(p) for p in draft.forbidden_pairs]
    if action in ("lock", "pair"):
        if not 2 <= len(people) <= 4:
            raise ProgramError("Choose two to four people to put together.")
        # A person is in one group only: drop older locks that contain any of them.
        locked_groups = [g for g in locked_groups if not set(g) & set(people)] + [people]
        forbidden = [p for p in forbidden if not set(p) <= set(people)]
    elif action == "break":
        if len(people) < 2:
            raise ProgramError("Choose a group to break.")
        locked_groups = [g for g in locked_groups if not set(g) & set(people)]
        forbidden += [[a, b] for i, a in enumerate(people) for b in people[i + 1 :]]
    else:
        raise ProgramError("Unknown change.")
    draft.locked_groups = locked_groups
    draft.forbidden_pairs = forbidden
    draft.status = RoundStatus.QUEUED
    draft.claimed_at = None
    draft.progress = 0
    draft.save(
        update_fields=["locked_groups", "forbidden_pairs", "status", "claimed_at", "progress"]
    )
    audit(
        org=draft.program.organization,
        actor=actor,
        action=f"round.{action}",
        target=draft.program.name,
        round=draft.pk,
        people=people,
    )
    return draft


@transaction.atomic
def round_publish(*, match_round: MatchRound, actor: User | None, source: str = "") -> MatchRound:
    """Queue the draft for publishing; the worker starts its groups in batches
    (`run_pending_publishes`). From now on the draft is locked: it can no longer be adjusted,
    discarded or published a second time, and no new round starts until it is done.

    A draft made stale since (someone in it matched by request or gone from the program) is
    refused here whole, changing nothing; a group that becomes stale while the worker is on its
    way is left out alone and listed on the round (`publish_skipped`)."""
    draft = _draft(match_round)
    ids = {m for g in draft.result.get("groups", []) for m in g["members"]}
    # One query over the pool, ids compared here: a draft of 20,000 people is too many
    # parameters for one SQLite statement.
    in_pool = set(pool(draft.program).values_list("person_id", flat=True))
    missing = sorted(ids - in_pool)
    if missing:
        names = ", ".join(Person.objects.filter(pk__in=missing).values_list("name", flat=True)[:5])
        raise ProgramError(
            f"Some people were matched or left the program since this draft was made ({names}); "
            "run the round again."
        )
    draft.status = RoundStatus.PUBLISHING
    draft.progress = 0
    draft.error = ""
    draft.claimed_at = None
    draft.publish_done = 0
    draft.publish_skipped = []
    draft.published_by = actor
    draft.publish_source = source
    draft.save(
        update_fields=[
            "status",
            "progress",
            "error",
            "claimed_at",
            "publish_done",
            "publish_skipped",
            "published_by",
            "publish_source",
        ]
    )
    return draft


def _publish_lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.ROUND_PUBLISH_LEASE_SECONDS)


def claim_next_publish() -> MatchRound | None:
    """Take one round waiting to be published (or one whose worker died), or None.

    The claim is the moment in `claimed_at`: each batch renews it only if it is still this
    worker's, so a worker that was taken over stops at its next batch."""
    stale = timezone.now() - _publish_lease()
    candidates = MatchRound.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale), status=RoundStatus.PUBLISHING
    ).order_by("created")
    for pk, claimed_at in candidates.values_list("pk", "claimed_at")[:5]:
        claimed = _claim_publish(pk, claimed_at)
        if claimed is not None:
            return claimed
    return None


def _claim_publish(pk: int, claimed_at: dt.datetime | None) -> MatchRound | None:
    claimed = MatchRound.objects.filter(
        pk=pk, status=RoundStatus.PUBLISHING, claimed_at=claimed_at
    ).update(claimed_at=timezone.now())
    if not claimed:
        return None
    return (
        MatchRound.objects.select_related("program", "program__organization")
        .defer("result")
        .get(pk=pk)
    )


def round_publish_now(*, match_round: MatchRound, actor: User | None) -> MatchRound:
    """Queue the draft and publish it in this process, the worker's way (demo data, seeds, the
    command line): the same batches, claim and checks, without waiting for a worker."""
    queued = round_publish(match_round=match_round, actor=actor)
    claimed = _claim_publish(queued.pk, None)
    if claimed is None:
        raise ProgramError("A worker took this round over; it is publishing there.")
    round_publish_run(claimed)
    claimed.refresh_from_db()
    return claimed


def run_pending_publishes(limit: int = 10, batch: int = PUBLISH_BATCH) -> int:
    """Publish queued rounds until none is left (or `limit`); the worker calls this."""
    done = 0
    while done < limit:
        match_round = claim_next_publish()
        if match_round is None:
            break
        round_publish_run(match_round, batch=batch)
        done += 1
    return done


def round_publish_run(match_round: MatchRound, *, batch: int = PUBLISH_BATCH) -> None:
    """Start the claimed round's groups, `batch` groups per transaction, from the first one not
    done. A batch is all or nothing, so a worker killed in the middle leaves whole batches; the
    next one resumes after them."""
    claim = match_round.claimed_at
    assert claim is not None, "round_publish_run() takes a claimed round"
    # The draft cannot change while it publishes: read its groups once, not once per batch.
    result = MatchRound.objects.values_list("result", flat=True).get(pk=match_round.pk)
    groups = result.get("groups", [])
    try:
        while True:
            step = _publish_batch(match_round.pk, claim, groups, batch)
            if step is None:
                return
            claim, finished = step
            if finished:
                return
    except Exception as exc:
        # The claim is kept: another attempt starts when it runs out, from the last whole batch.
        log.exception("publishing round %s failed", match_round.pk)
        MatchRound.objects.filter(pk=match_round.pk, claimed_at=claim).update(
            error=f"{type(exc).__name__}: {exc}"
        )


@transaction.atomic
def _publish_batch(
    round_id: int, claim: dt.datetime, groups: list[dict[str, Any]], size: int
) -> tuple[dt.datetime, bool] | None:
    """One batch in one transaction; returns the renewed claim and whether the round is done,
    or None when the round is no longer this worker's."""
    renewed = timezone.now()
    # The lease renewed and the check that nobody took the round over, in one statement. On
    # PostgreSQL it also locks the round row until the batch commits: a worker claiming it
    # meanwhile waits, then finds `claimed_at` changed and backs off.
    if not MatchRound.objects.filter(
        pk=round_id, status=RoundStatus.PUBLISHING, claimed_at=claim
    ).update(claimed_at=renewed):
        return None
    draft = (
        MatchRound.objects.select_related("program", "program__organization", "published_by")
        .defer("result")
        .get(pk=round_id)
    )
    program = draft.program
    first = draft.publish_done
    chunk = list(enumerate(groups[first : first + size], start=first))
    ids = sorted({m for _, g in chunk for m in g["members"]})
    # The members' enrolments, by primary key, as a request answer locks them: an accept at the
    # same moment waits, and whichever comes second sees the other's partnership.
    list(
        Enrolment.objects.select_for_update(of=("self",), no_key=True)
        .filter(program=program, person_id__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    in_pool = {e.person_id: e for e in pool(program).filter(person_id__in=ids)}
    ready: list[RoundGroup] = []
    skipped: list[dict[str, Any]] = []
    for index, group in chunk:
        gone = [m for m in group["members"] if m not in in_pool]
        if gone:
            names = dict(zip(group["members"], group["names"], strict=True))
            skipped.append(
                {
                    "group": index,
                    "members": list(group["members"]),
                    "names": list(group["names"]),
                    "reason": (
                        f"{', '.join(names[m] for m in gone)} matched elsewhere or left the "
                        "program after publishing began"
                    ),
                }
            )
            continue
        ready.append(
            RoundGroup(
                index=index,
                people=[in_pool[m].person for m in group["members"]],
                roles={m: in_pool[m].role for m in group["members"]},
                score=group["score"],
                reasons=group["reasons"],
            )
        )
    partnerships_start_for_round(program=program, match_round=draft, groups=ready)
    # Whoever the batch filled up loses their waiting requests, kindly, as an accept does.
    requests_close_for_full(
        program=program,
        enrolments=[in_pool[p.pk] for g in ready for p in g.people],
    )
    draft.publish_done = first + len(chunk)
    draft.publish_skipped = [*draft.publish_skipped, *skipped]
    finished = draft.publish_done >= len(groups)
    draft.progress = 100 if finished else min(99, 100 * draft.publish_done // len(groups))
    draft.error = ""
    fields = ["publish_done", "publish_skipped", "progress", "error"]
    if finished:
        draft.status = RoundStatus.PUBLISHED
        draft.published_at = timezone.now()
        fields += ["status", "published_at"]
    draft.save(update_fields=fields)
    if finished:
        _published(draft, len(groups))
    return renewed, finished


def _tell_left_out(draft: MatchRound) -> int:
    """Everyone the round left without a partner and still waiting hears why, once, and that
    they stay in the pool: silence would read as being forgotten."""
    program = draft.program
    unmatched = (
        MatchRound.objects.filter(pk=draft.pk).values_list("result__unmatched", flat=True).get()
    ) or []
    reason_of = {u["id"]: u.get("reason", "") for u in unmatched}
    waiting = pool(program).filter(person_id__in=reason_of).select_related("person")
    self_match = program.allows_self_match
    url = reverse(
        "program_peers" if self_match else "program_detail",
        kwargs={"org_slug": program.organization.slug, "program_id": program.pk},
    )
    return notify_many(
        kind=LEFT_OUT,
        template="round_left_out",
        messages=[
            Message(
                person=e.person,
                context={
                    "program": program.name,
                    "because": left_out_because(reason_of[e.person_id]),
                    "self_match": self_match,
                    "url": url,
                },
                dedupe_key=f"round-left-out:{draft.pk}:{e.person_id}",
            )
            for e in waiting.order_by("person_id")
        ],
    )


def _published(draft: MatchRound, groups: int) -> None:
    program = draft.program
    started = groups - len(draft.publish_skipped)
    _tell_left_out(draft)
    audit(
        org=program.organization,
        actor=draft.published_by,
        action="round.published",
        target=program.name,
        round=draft.pk,
        groups=started,
        **({"skipped": len(draft.publish_skipped)} if draft.publish_skipped else {}),
        **({"source": draft.publish_source} if draft.publish_source else {}),
    )
    assert draft.published_at is not None
    event_publish(
        organization_id=program.organization_id,
        name="round.published",
        payload={
            "id": draft.pk,
            "program_id": program.pk,
            "partnerships": started,
            "published_at": draft.published_at.isoformat(),
        },
    )


@transaction.atomic
def round_discard(*, match_round: MatchRound, actor: User) -> None:
    updated = MatchRound.objects.filter(
        pk=match_round.pk,
        status__in=[RoundStatus.QUEUED, RoundStatus.RUNNING, RoundStatus.DRAFT, RoundStatus.FAILED],
    ).update(status=RoundStatus.DISCARDED, finished_at=timezone.now())
    if not updated:
        status = MatchRound.objects.values_list("status", flat=True).get(pk=match_round.pk)
        if status == RoundStatus.PUBLISHING:
            raise ProgramError(
                "This round is being published; it can no longer be discarded. Partnerships "
                "it started can be ended one by one."
            )
        raise ProgramError("A published round cannot be discarded.")
    audit(
        org=match_round.program.organization,
        actor=actor,
        action="round.discarded",
        target=str(match_round.pk),
    )
