"""Kill test: a real `twoway worker` publishing a round of thousands of groups is SIGKILLed in the
middle, on PostgreSQL; a new worker takes the round over when the dead one's claim runs out.

What is asserted, exactly: when the worker dies, the round shows progress strictly between 0 and
100 and the partnerships written are whole batches (as many as the groups it says are done);
after the restart the round is published with exactly one partnership per group of the draft,
its members exactly the group's, and exactly one introduction per member. Bounded in time: each
wait has a deadline, and a worker still running at the end is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import World, require_postgres
from tests.notifications.test_crash import database_url
from tests.programs.helpers import make_draft, make_people, make_program
from twoway.notifications.models import OutboxMessage
from twoway.programs import rounds
from twoway.programs.models import MatchRound, Partnership, PartnershipMember, RoundStatus

pytestmark = pytest.mark.slow

GROUPS = 4000
LEASE = 2
TWOWAY = str(Path(sys.executable).with_name("twoway"))


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        DEBUG="0",
        SECRET_KEY="publish-crash-test-secret",
        # The introductions stay in the outbox as rows; where they would be sent is not tested.
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        BASE_URL=settings.BASE_URL,
        LOG_LEVEL="WARNING",
        ROUND_PUBLISH_LEASE_SECONDS=str(LEASE),
        DJANGO_SETTINGS_MODULE="twoway.settings",
    )
    env.pop("TWOWAY_TEST_DATABASE_URL", None)
    return env


def start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [TWOWAY, "worker", "--sleep", "0.1"],
        env=worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: str, check: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.01)
    pytest.fail(f"timed out after {seconds} s waiting for {condition}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_publish_leaves_one_partnership_per_group(world: World) -> None:
    require_postgres()
    program = make_program(world.acme, name="Company-wide")
    draft = make_draft(program, make_people(world.acme, 2 * GROUPS))
    groups = draft.result["groups"]
    t0 = time.monotonic()
    rounds.round_publish(match_round=draft, actor=world.bob)
    print(f"\nqueued in {time.monotonic() - t0:.1f} s")

    def progress() -> int:
        return int(MatchRound.objects.values_list("progress", flat=True).get(pk=draft.pk))

    first = start_worker()
    try:
        wait_for("the first batch", lambda: progress() > 0, 60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    draft.refresh_from_db()
    assert draft.status == RoundStatus.PUBLISHING
    assert 0 < draft.progress < 100, draft.progress
    # Whole batches only: the groups said done are exactly the partnerships written.
    assert 0 < draft.publish_done < GROUPS
    assert Partnership.objects.filter(round=draft).count() == draft.publish_done
    killed_at = draft.publish_done

    t1 = time.monotonic()
    print(f"killed at {t1 - t0:.1f} s")
    second = start_worker()
    try:
        wait_for(
            "the round to be published",
            lambda: MatchRound.objects.filter(pk=draft.pk, status=RoundStatus.PUBLISHED).exists(),
            120,
        )
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
        assert second.returncode == 0, err.decode()[-2000:]
    finally:
        if second.poll() is None:
            second.kill()

    print(f"published at {time.monotonic() - t0:.1f} s")
    draft.refresh_from_db()
    assert draft.progress == 100 and draft.publish_done == GROUPS
    assert draft.publish_skipped == []
    made = list(Partnership.objects.filter(round=draft).values_list("pk", "round_group"))
    assert len(made) == GROUPS
    assert {index for _, index in made} == set(range(GROUPS))
    members: dict[int, list[int]] = {}
    for pk, person in PartnershipMember.objects.filter(partnership__round=draft).values_list(
        "partnership_id", "person_id"
    ):
        members.setdefault(pk, []).append(person)
    assert {index: sorted(members[pk]) for pk, index in made} == {
        i: sorted(g["members"]) for i, g in enumerate(groups)
    }
    intros = list(
        OutboxMessage.objects.filter(kind="introduction").values_list("dedupe_key", flat=True)
    )
    assert len(intros) == 2 * GROUPS
    assert set(intros) == {
        f"intro:{pk}:{person}" for pk, people in members.items() for person in people
    }
    print(f"\n{GROUPS} groups, worker killed at {killed_at} done, resumed to {GROUPS}")
