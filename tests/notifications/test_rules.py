"""Every reminder rule, travelling in time (time-machine): sent once per occurrence, on time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import time_machine

from tests.conftest import World
from twoway.feedback.models import FeedbackEntry, FeedbackRound, FitCheck
from twoway.goals.models import Goal
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.notifications import rules
from twoway.notifications.models import JobTick, NotificationSettings, OutboxMessage
from twoway.notifications.selectors import stalled_partnerships
from twoway.notifications.worker import Job, run_due_jobs
from twoway.partnerships.models import Reflection
from twoway.programs.models import (
    MatchRequest,
    Partnership,
    PartnershipMember,
    Program,
    ProgramStatus,
    RequestStatus,
)

T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)


def at(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def pair(w: World) -> Partnership:
    program = Program.objects.create(
        organization=w.acme, name="Peers", status=ProgramStatus.OPEN, checkin_every_weeks=2
    )
    p = Partnership.objects.create(
        organization=w.acme,
        program=program,
        source="hand",
        started_on=T0.date(),
        ends_on=T0.date() + dt.timedelta(weeks=26),
        created=T0,
    )
    for person in (w.alice_person, w.bob_person):
        PartnershipMember.objects.create(partnership=p, person=person)
    return p


def keys(prefix: str) -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(dedupe_key__startswith=prefix).values_list(
            "recipient__name", flat=True
        )
    )


def run(rule: Callable[[dt.datetime], int], moment: dt.datetime) -> int:
    with at(moment):
        return int(rule(moment))


def test_it_reminds_before_a_checkin_at_each_persons_offsets(world: World) -> None:
    start = dt.datetime(2026, 5, 12, 8, 0, tzinfo=dt.UTC)
    checkin = CheckIn.objects.create(partnership=pair(world), scheduled_start=start)
    NotificationSettings.objects.create(person=world.alice_person, reminder_offsets=[60])
    assert run(rules.checkin_reminders, start - dt.timedelta(hours=25)) == 0
    assert run(rules.checkin_reminders, start - dt.timedelta(hours=24)) == 1  # bob: 24 h
    assert run(rules.checkin_reminders, start - dt.timedelta(hours=23)) == 0  # once
    assert run(rules.checkin_reminders, start - dt.timedelta(minutes=60)) == 1  # alice: 1 h
    assert run(rules.checkin_reminders, start - dt.timedelta(minutes=15)) == 1  # bob: 15 min
    assert run(rules.checkin_reminders, start - dt.timedelta(minutes=5)) == 0
    sent = OutboxMessage.objects.filter(kind="checkin_reminder")
    by_person = sorted(
        (name, context["minutes_before"])
        for name, context in sent.values_list("recipient__name", "context")
    )
    assert by_person == [("Alice Archer", 60), ("Bob Baker", 15), ("Bob Baker", 1440)]
    alice = sent.get(recipient=world.alice_person)
    assert alice.context["when"] == "Tuesday 12 May, 10:00 (Europe/Berlin)"
    assert alice.context["checkin_id"] == checkin.pk and alice.context["partners"] == ["Bob Baker"]
    # Moved to another time: new reminders for the new time.
    checkin.scheduled_start = start + dt.timedelta(days=1)
    checkin.save()
    assert run(rules.checkin_reminders, start + dt.timedelta(hours=1)) == 1  # bob, 24 h ahead


def test_it_sends_only_the_nearest_reminder_when_booked_late(world: World) -> None:
    start = dt.datetime(2026, 5, 12, 8, 0, tzinfo=dt.UTC)
    CheckIn.objects.create(partnership=pair(world), scheduled_start=start)
    run(rules.checkin_reminders, start - dt.timedelta(minutes=10))
    assert sorted(OutboxMessage.objects.values_list("context__minutes_before", flat=True)) == [
        15,
        15,
    ]


def test_it_asks_did_you_meet_after_the_checkin(world: World) -> None:
    start = dt.datetime(2026, 5, 12, 8, 0, tzinfo=dt.UTC)
    checkin = CheckIn.objects.create(partnership=pair(world), scheduled_start=start)
    assert run(rules.did_you_meet, start + dt.timedelta(minutes=40)) == 0
    assert run(rules.did_you_meet, start + dt.timedelta(minutes=46)) == 2
    assert run(rules.did_you_meet, start + dt.timedelta(hours=5)) == 0
    logged = CheckIn.objects.create(
        partnership=checkin.partnership,
        scheduled_start=start + dt.timedelta(days=14),
        status=CheckinStatus.HELD,
    )
    assert run(rules.did_you_meet, logged.scheduled_start + dt.timedelta(hours=1)) == 0


def test_it_nudges_a_broken_cadence_and_shows_stalled_pairs(world: World) -> None:
    p = pair(world)
    start = dt.datetime.combine(T0.date(), dt.time(0), tzinfo=dt.UTC)
    assert run(rules.cadence_nudges, start + dt.timedelta(days=20)) == 0  # < 1.5 x 2 weeks
    assert run(rules.cadence_nudges, start + dt.timedelta(days=21, minutes=1)) == 2
    assert run(rules.cadence_nudges, start + dt.timedelta(days=30)) == 0  # once per gap
    assert keys("cadence-nudge:") == ["Alice Archer", "Bob Baker"]
    assert stalled_partnerships(p.program, now=start + dt.timedelta(days=41)) == []
    assert stalled_partnerships(p.program, now=start + dt.timedelta(days=42, minutes=1)) == [p]
    # They meet: not stalled any more, and the next gap gets its own nudge.
    held = CheckIn.objects.create(
        partnership=p, scheduled_start=start + dt.timedelta(days=43), status=CheckinStatus.HELD
    )
    assert stalled_partnerships(p.program, now=start + dt.timedelta(days=44)) == []
    assert run(rules.cadence_nudges, held.scheduled_start + dt.timedelta(days=22)) == 2


def test_it_reminds_about_an_unanswered_request_then_expires_it(world: World) -> None:
    program = Program.objects.create(organization=world.acme, name="Peers")
    request = MatchRequest.objects.create(
        program=program,
        sender=world.alice_person,
        receiver=world.bob_person,
        note="Coffee?",
        created=T0,
    )
    assert run(rules.request_reminders, T0 + dt.timedelta(days=4, hours=23)) == 0
    assert run(rules.request_reminders, T0 + dt.timedelta(days=5, minutes=1)) == 1
    assert run(rules.request_reminders, T0 + dt.timedelta(days=6)) == 0
    assert keys("request-reminder:") == ["Bob Baker"]
    assert run(rules.request_expiry, T0 + dt.timedelta(days=13, hours=23)) == 0
    assert run(rules.request_expiry, T0 + dt.timedelta(days=14, minutes=1)) == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    told = OutboxMessage.objects.get(dedupe_key=f"request-expired:{request.pk}")
    assert told.recipient == world.alice_person and told.template == "nudge_request_expired"
    assert run(rules.request_expiry, T0 + dt.timedelta(days=15)) == 0


def test_it_does_not_expire_a_request_answered_in_time(world: World) -> None:
    program = Program.objects.create(organization=world.acme, name="Peers")
    MatchRequest.objects.create(
        program=program,
        sender=world.alice_person,
        receiver=world.bob_person,
        note="Coffee?",
        created=T0,
        status=RequestStatus.ACCEPTED,
    )
    assert run(rules.request_expiry, T0 + dt.timedelta(days=20)) == 0


def test_it_prompts_for_goals_seven_days_after_a_match(world: World) -> None:
    p = pair(world)
    assert run(rules.goals_not_set, T0 + dt.timedelta(days=6, hours=23)) == 0
    Goal.objects.create(partnership=p, owner=world.alice_person, title="SQL")
    assert run(rules.goals_not_set, T0 + dt.timedelta(days=7, hours=1)) == 0
    Goal.objects.all().delete()
    assert run(rules.goals_not_set, T0 + dt.timedelta(days=7, hours=1)) == 2


def test_it_asks_for_the_fit_check_after_the_first_checkin(world: World) -> None:
    p = pair(world)
    first = T0 + dt.timedelta(days=5)
    assert run(rules.fit_checks, first + dt.timedelta(hours=1)) == 0
    CheckIn.objects.create(partnership=p, scheduled_start=first, status=CheckinStatus.HELD)
    FitCheck.objects.create(partnership=p, person=world.alice_person, answer="good")
    assert run(rules.fit_checks, first + dt.timedelta(hours=1)) == 1
    assert keys("fit-check:") == ["Bob Baker"]


def test_it_reminds_about_feedback_before_the_deadline(world: World) -> None:
    p = pair(world)
    deadline = T0 + dt.timedelta(days=10)
    feedback_round = FeedbackRound.objects.create(partnership=p, deadline=deadline)
    FeedbackEntry.objects.create(
        round=feedback_round,
        author=world.alice_person,
        subject=world.bob_person,
        appreciated="Patience",
    )
    assert run(rules.feedback_reminders, deadline - dt.timedelta(days=3, hours=1)) == 0
    assert run(rules.feedback_reminders, deadline - dt.timedelta(days=2)) == 1
    assert keys("feedback-reminder:") == ["Bob Baker"]


def test_it_asks_for_the_closing_reflection_at_term_end(world: World) -> None:
    p = pair(world)
    assert p.ends_on is not None
    end = dt.datetime.combine(p.ends_on, dt.time(9), tzinfo=dt.UTC)
    assert run(rules.closing_reflections, end - dt.timedelta(days=1)) == 0
    Reflection.objects.create(partnership=p, author=world.bob_person, learned="A lot")
    assert run(rules.closing_reflections, end) == 1
    assert keys("closing-reflection:") == ["Alice Archer"]


def test_it_sends_the_weekly_digest_on_monday_morning_in_each_time_zone(world: World) -> None:
    pair(world)
    NotificationSettings.objects.create(person=world.alice_person, weekly_digest=True)
    singapore = world.carol_person
    singapore.time_zone = "Asia/Singapore"
    singapore.save()
    NotificationSettings.objects.create(person=singapore, weekly_digest=True)
    monday = dt.datetime(2026, 5, 4, 0, 0, tzinfo=dt.UTC)  # 02:00 Berlin, 08:00 Singapore
    assert run(rules.weekly_digests, monday - dt.timedelta(minutes=1)) == 0  # Sunday for all
    assert run(rules.weekly_digests, monday) == 1
    assert keys("digest:") == ["Carol Chen"]
    assert run(rules.weekly_digests, monday + dt.timedelta(hours=5, minutes=59)) == 0
    assert run(rules.weekly_digests, monday + dt.timedelta(hours=6)) == 1  # 08:00 Berlin
    assert run(rules.weekly_digests, monday + dt.timedelta(days=3)) == 0  # once a week
    digest = OutboxMessage.objects.get(
        dedupe_key__startswith="digest:", recipient__name="Alice Archer"
    )
    assert digest.context["week"] == "2026-W19" and digest.context["partners"] == ["Bob Baker"]
    assert run(rules.weekly_digests, monday + dt.timedelta(days=7, hours=6)) == 2  # next week


def test_it_sends_program_managers_a_weekly_summary(world: World) -> None:
    p = pair(world)
    monday = dt.datetime(2026, 6, 15, 8, 0, tzinfo=dt.UTC)  # 6 weeks in: stalled
    assert run(rules.program_summaries, monday - dt.timedelta(minutes=1)) == 0
    assert run(rules.program_summaries, monday) == 1
    [summary] = OutboxMessage.objects.filter(kind="program_summary")
    assert summary.recipient == world.bob_person
    assert summary.context["stalled"] == ["Alice Archer & Bob Baker"]
    assert summary.context["active_pairs"] == 1 and p.pk
    assert run(rules.program_summaries, monday + dt.timedelta(days=1)) == 0


def test_it_runs_each_job_tick_once_across_workers(world: World) -> None:
    calls: list[dt.datetime] = []

    def probe(now: dt.datetime) -> int:
        calls.append(now)
        return 0

    job = Job("probe", dt.timedelta(minutes=1), probe)
    now = dt.datetime(2026, 5, 4, 10, 0, 30, tzinfo=dt.UTC)
    assert run_due_jobs(worker="a", jobs=[job], now=now) == ["probe"]
    assert run_due_jobs(worker="b", jobs=[job], now=now + dt.timedelta(seconds=20)) == []
    assert run_due_jobs(worker="b", jobs=[job], now=now + dt.timedelta(seconds=40)) == ["probe"]
    assert len(calls) == 2 and JobTick.objects.count() == 2


def test_the_worker_clock_runs_every_rule(world: World) -> None:
    program = Program.objects.create(organization=world.acme, name="Peers")
    MatchRequest.objects.create(
        program=program,
        sender=world.alice_person,
        receiver=world.bob_person,
        note="Coffee?",
        created=T0,
    )
    now = T0 + dt.timedelta(days=6)
    with at(now):
        assert "reminders" in run_due_jobs(worker="w", jobs=rules_jobs(), now=now)
    assert keys("request-reminder:") == ["Bob Baker"]


def rules_jobs() -> list[Job]:
    from twoway.notifications.worker import default_jobs

    return default_jobs()
