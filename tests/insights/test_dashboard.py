"""The program dashboard, its CSV and the personal view on a seeded organization: each figure
against a hand computation, the minimum group size, and privacy."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World, client_for
from tests.insights.helpers import (
    pair,
    people,
    program_with_wellbeing,
    refresh,
)
from twoway.feedback.models import FitCheck, PulseResponse
from twoway.goals.models import Goal
from twoway.insights import aggregate, metrics, stats
from twoway.insights.dashboard import build
from twoway.insights.models import ClosingSurvey, DailyCount, ProgramSnapshot
from twoway.meetings.models import CheckIn
from twoway.meetings.services import private_note_save
from twoway.partnerships.models import Reflection
from twoway.programs.models import PartnershipMember, Program

BEFORE = [2, 3, 2, 4, 3]
AFTER = [4, 3, 3, 5, 5]


def dashboard_url(w: World, program: Program, csv_: bool = False) -> str:
    name = "program_insights_csv" if csv_ else "program_insights"
    return reverse(name, kwargs={"org_slug": w.acme.slug, "program_id": program.pk})


def test_it_shows_the_paired_change_with_its_hand_computed_interval(world: World) -> None:
    program = program_with_wellbeing(world, BEFORE, AFTER)
    refresh(world)
    board = build(program, timezone.localdate())
    belonging = next(w for w in board.wellbeing if w.item == "belonging")
    assert belonging.change is not None
    assert belonging.change.n == 5
    # d = 2, 0, 1, 1, 2: mean 1.2, s = √0.7, t(0.975, 4) = 2.776445 → 1.2 ± 1.038851
    assert belonging.change.mean_change == pytest.approx(1.2)
    assert belonging.change.low == pytest.approx(0.161149, abs=1e-5)
    assert belonging.change.high == pytest.approx(2.238851, abs=1e-5)
    body = client_for(world.bob).get(dashboard_url(world, program)).content.decode()
    assert "0.16 to 2.24" in body and "1.20" in body
    # Stress did not change for anyone (3 → 3): a zero-width interval around 0.
    stress = next(w for w in board.wellbeing if w.item == "stress")
    assert stress.change is not None and stress.change.low == stress.change.high == 0


def test_it_says_not_enough_answers_below_the_minimum_group_size(world: World) -> None:
    program = program_with_wellbeing(world, BEFORE[:4], AFTER[:4])
    refresh(world)
    body = client_for(world.bob).get(dashboard_url(world, program)).content.decode()
    assert "Not enough answers yet" in body
    assert "95 % interval" not in body
    snapshot = ProgramSnapshot.objects.get(program=program)
    assert snapshot.data["wellbeing"]["belonging"]["n"] == 4


def test_it_counts_the_funnel_and_time_to_first_check_in_by_hand(world: World) -> None:
    program = Program.objects.create(organization=world.acme, name="Funnel", status="open")
    folks = people(world, 12)
    # Six pairs: first check-ins 3, 5, 9, 20 days after the start; two pairs never met.
    for i, first in enumerate([3, 5, 9, 20, None, None]):
        pair(
            program,
            folks[2 * i],
            folks[2 * i + 1],
            started_days_ago=60,
            held_days_after_start=[] if first is None else [first, 50],
        )
    refresh(world)
    data = ProgramSnapshot.objects.get(program=program).data
    assert data["funnel"]["enrolled"] == 12
    assert data["funnel"]["matched"] == 12
    assert data["funnel"]["first_checkin"] == 8
    # Held on day 50 of 60, i.e. 10 days ago: within the last 30 days.
    assert data["funnel"]["on_cadence"] == 8
    ttf = data["time_to_first"]
    assert ttf["pairs_met"] == 4 and ttf["pairs_not_met"] == 2
    assert ttf["median"] == pytest.approx(7.0)  # median of 3, 5, 9, 20
    # The two pairs that never met in 60 days (more than 3 x 14) are stalled.
    assert data["stalled"]["total"] == 2
    # Daily counts: 8 held check-ins in all, the snapshot of enrolled on the last day.
    assert (
        sum(
            DailyCount.objects.filter(program=program, metric="checkins_held").values_list(
                "value", flat=True
            )
        )
        == 8
    )
    today = timezone.localdate()
    assert DailyCount.objects.get(program=program, metric="enrolled", day=today).value == 12
    assert DailyCount.objects.get(program=None, metric="enrolled", day=today).value == 12


def test_it_estimates_retention_like_lifelines_with_participation_from_the_start(
    world: World,
) -> None:
    lifelines = pytest.importorskip("lifelines")
    today = dt.date(2026, 1, 1)
    hire = dt.date(2020, 1, 1)
    # (hired, left, joined): three took part from day 400, others never.
    rows = [
        (1, hire, dt.date(2021, 6, 1), None),
        (2, hire, None, None),
        (3, hire, dt.date(2022, 1, 1), dt.date(2021, 2, 4)),
        (4, hire, None, dt.date(2021, 2, 4)),
        (5, hire, dt.date(2020, 9, 1), None),
        (6, hire, None, dt.date(2021, 2, 4)),
        (7, dt.date(2023, 1, 1), dt.date(2024, 1, 1), None),
    ]
    result = metrics.retention_of(
        [(pk, h, left) for pk, h, left, _ in rows],
        {pk: j for pk, _, _, j in rows if j},
        today,
    )
    # Participants enter at day 400 (2021-02-04 - 2020-01-01); one leaves at day 731.
    # Hand: S_participants(t) = 1 - 1/3 after day 731.
    part = {int(p[0]): p[1] for p in result["curves"]["participants"]}
    assert part[731] == pytest.approx(2 / 3, abs=1e-4)
    assert part[720] == 1.0 and part[750] == pytest.approx(2 / 3, abs=1e-4)  # monthly points
    # Non-participants: 4 people from day 0, plus the 3 participants until day 400 (no events
    # while they count as non-participants). Cross-checked with lifelines at a few times.
    entry = [0] * len(rows)
    exit_ = [
        ((left or today) - h).days if joined is None else (joined - h).days
        for _, h, left, joined in rows
    ]
    event = [left is not None and joined is None for _, _, left, joined in rows]
    kmf = lifelines.KaplanMeierFitter().fit(exit_, event, entry=entry)
    others = stats.kaplan_meier(exit_, event, entry)
    for t in (100, 300, 600, 2000):
        assert others.at(t) == pytest.approx(float(kmf.predict(t)), abs=1e-9)
    first_event = next(p for p in result["curves"]["others"] if p[1] < 1)
    assert first_event[0] == 244
    assert first_event[1] == pytest.approx(others.at(244), abs=1e-4)
    assert others.at(244) == pytest.approx(6 / 7, abs=1e-9)  # 1 event among 7 at risk


def test_it_suppresses_small_cells_on_the_page_and_in_the_csv(world: World) -> None:
    program = program_with_wellbeing(world, [3] * 8, [4] * 8)
    pairs = list(program.partnerships.all())
    # Fit checks: 6 good, 2 deciding → "deciding" is small, so "good" must hide too.
    members = list(PartnershipMember.objects.filter(partnership__in=pairs).order_by("pk"))
    for n, m in enumerate(members):
        FitCheck.objects.create(
            partnership=m.partnership, person=m.person, answer="good" if n < 6 else "deciding"
        )
    refresh(world)
    board = build(program, timezone.localdate())
    assert board.fit is not None
    assert board.fit.rows()[0][1] == [None, None, 0]
    assert board.fit.rows()[0][2] == 8
    rows = list(
        csv.reader(
            io.StringIO(
                client_for(world.bob).get(dashboard_url(world, program, True)).content.decode()
            )
        )
    )
    fit_rows = [r for r in rows if r[0] == "fit_check"]
    assert ["fit_check", "Fit check answers", "Still deciding", "", "suppressed"] in fit_rows
    # No number in the CSV below the threshold in any table that splits people.
    for section, _, col, value, _ in rows[1:]:
        if section in {"fit_check", "enrolled_by_department", "enrolled_by_level", "goals"}:
            assert value == "" or int(value) == 0 or int(value) >= 5, (section, col, value)


def test_no_page_or_export_contains_an_individuals_private_answers(world: World) -> None:
    program = program_with_wellbeing(world, BEFORE, AFTER)
    p = pair(
        program,
        world.alice_person,
        world.carol_person,
        started_days_ago=90,
        held_days_after_start=[7],
    )
    checkin = CheckIn.objects.get(partnership=p)
    marker_word = "zebra-pulse-word-4711"
    PulseResponse.objects.create(
        person=world.alice_person,
        checkin=checkin,
        partnership=p,
        belonging=1,
        stress=5,
        confidence=1,
        energy=1,
        word=marker_word,
    )
    private_note_save(checkin=checkin, by=world.alice_person, text="marker-private-note-0815")
    PartnershipMember.objects.filter(partnership=p, person=world.alice_person).update(
        end_reason="marker-end-reason-42", fit_rating=1
    )
    Reflection.objects.create(partnership=p, author=world.alice_person, learned="marker-reflect-9")
    Goal.objects.create(
        partnership=p, owner=world.alice_person, title="marker-private-goal", is_private=True
    )
    refresh(world)
    markers = [
        marker_word,
        "marker-private-note-0815",
        "marker-end-reason-42",
        "marker-reflect-9",
        "marker-private-goal",
    ]
    pages = [
        client_for(world.bob).get(dashboard_url(world, program)),
        client_for(world.bob).get(dashboard_url(world, program, True)),
        client_for(world.carol).get(dashboard_url(world, program)),
        client_for(world.carol).get(dashboard_url(world, program, True)),
        client_for(world.bob).get(reverse("my_insights", kwargs={"org_slug": "acme"})),
        client_for(world.carol).get(reverse("my_insights", kwargs={"org_slug": "acme"})),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        for marker in markers:
            assert marker not in body
    # The stored aggregates hold sums and counts only: no word, note or person id.
    stored = str(list(ProgramSnapshot.objects.values_list("data", flat=True)))
    assert all(marker not in stored for marker in markers)
    assert f"'{world.alice_person.pk}'" not in stored
    # Alice's own view shows her own pulse, and nobody else's.
    mine = client_for(world.alice).get(reverse("my_insights", kwargs={"org_slug": "acme"}))
    assert mine.status_code == 200
    assert "My pulse" in mine.content.decode()


def test_the_personal_view_asks_the_closing_question_once(world: World) -> None:
    program = Program.objects.create(organization=world.acme, name="Done", status="open")
    p = pair(
        program,
        world.alice_person,
        world.bob_person,
        started_days_ago=200,
        held_days_after_start=[5],
        status="completed",
    )
    url = reverse("my_insights", kwargs={"org_slug": "acme"})
    assert "recommend a peer partner" in client_for(world.alice).get(url).content.decode()
    post = reverse("closing_survey", kwargs={"org_slug": "acme", "partnership_id": p.pk})
    client_for(world.alice).post(post, {"recommend": "9"})
    client_for(world.alice).post(post, {"recommend": "2"})
    assert list(ClosingSurvey.objects.values_list("recommend", flat=True)) == [9]
    assert "recommend a peer partner" not in client_for(world.alice).get(url).content.decode()
    # Dave (another organization) cannot answer for an Acme partnership.
    assert client_for(world.dave).post(post, {"recommend": "1"}).status_code == 404


def test_the_dashboard_query_count_does_not_grow_with_the_organization(world: World) -> None:
    small = program_with_wellbeing(world, BEFORE, AFTER, name="Small")
    big = program_with_wellbeing(world, [3] * 40, [4] * 40, name="Big")
    refresh(world)
    client = client_for(world.bob)
    counts = []
    for program in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(dashboard_url(world, program)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    # No query of the page touches raw pulse answers, check-ins or goals.
    sql = " ".join(q["sql"] for q in ctx.captured_queries).lower()
    for table in ("feedback_pulseresponse", "meetings_checkin", "goals_goal"):
        assert table not in sql


def test_the_worker_runs_the_aggregation_on_its_own_clock(world: World) -> None:
    from twoway.notifications.worker import default_jobs, run_due_jobs

    program = program_with_wellbeing(world, BEFORE, AFTER)
    jobs = [j for j in default_jobs() if j.name == "insights"]
    assert jobs and jobs[0].every == dt.timedelta(hours=1)
    assert run_due_jobs(worker="t", jobs=jobs) == ["insights"]
    assert ProgramSnapshot.objects.filter(program=program).exists()
    # Same tick again: nothing runs twice.
    assert run_due_jobs(worker="t", jobs=jobs) == []


def test_the_backfill_rebuilds_the_same_counts(world: World) -> None:
    from django.core.management import call_command

    program = program_with_wellbeing(world, BEFORE, AFTER)
    refresh(world)
    first = sorted(
        (p or 0, d, m, s, v)
        for p, d, m, s, v in DailyCount.objects.values_list(
            "program_id", "day", "metric", "subgroup", "value"
        )
    )
    DailyCount.objects.all().delete()
    since = (timezone.localdate() - dt.timedelta(days=200)).isoformat()
    call_command("insights_backfill", "--since", since, stdout=io.StringIO())
    again = sorted(
        (p or 0, d, m, s, v)
        for p, d, m, s, v in DailyCount.objects.values_list(
            "program_id", "day", "metric", "subgroup", "value"
        )
    )
    assert again == first and again
    assert ProgramSnapshot.objects.filter(program=program).exists()
    assert np.isfinite(
        ProgramSnapshot.objects.get(program=program).data["wellbeing"]["energy"]["n"]
    )


def test_one_metric_can_be_back_filled_alone(world: World) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    program = program_with_wellbeing(world, BEFORE, AFTER)
    refresh(world)
    snapshot = ProgramSnapshot.objects.get(program=program)
    data = dict(snapshot.data)
    data["funnel"] = {**data["funnel"], "enrolled": 999}
    data["wellbeing"] = {}
    ProgramSnapshot.objects.filter(pk=snapshot.pk).update(data=data)
    since = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    call_command(
        "insights_backfill", "--since", since, "--metric", "wellbeing", stdout=io.StringIO()
    )
    again = ProgramSnapshot.objects.get(program=program).data
    assert again["wellbeing"]["belonging"]["n"] == 5  # recomputed
    assert again["funnel"]["enrolled"] == 999  # left alone
    with pytest.raises(CommandError, match="No insight metric called happiness"):
        call_command("insights_backfill", "--metric", "happiness", stdout=io.StringIO())


def test_the_refresh_job_is_a_plain_function_of_now(world: World) -> None:
    program = program_with_wellbeing(world, BEFORE, AFTER)
    now = timezone.now()
    assert aggregate.insights_refresh(now) == 0
    snapshot = ProgramSnapshot.objects.get(program=program)
    assert snapshot.computed_at == now
    assert aggregate.run_job is aggregate.insights_refresh


def test_the_daily_counts_say_how_many_answered_never_what(world: World) -> None:
    program = program_with_wellbeing(world, BEFORE, AFTER)
    members = list(PartnershipMember.objects.filter(partnership__program=program))
    FitCheck.objects.create(
        partnership=members[0].partnership, person=members[0].person, answer="not_a_fit"
    )
    refresh(world)
    rows = DailyCount.objects.filter(metric__in=["pulse_answers", "fit_checks"])
    assert sum(r.value for r in rows if r.metric == "fit_checks" and r.program_id) == 1
    assert {r.subgroup for r in rows} == {""}
    assert (
        not DailyCount.objects.filter(metric__startswith="pulse_")
        .exclude(metric="pulse_answers")
        .exists()
    )


def test_the_closing_answer_goes_through_its_service(world: World) -> None:
    from twoway.insights.services import closing_survey_answer
    from twoway.lib.errors import Conflict, Invalid, NotFound

    program = Program.objects.create(organization=world.acme, name="Done", status="open")
    p = pair(program, world.alice_person, world.bob_person, started_days_ago=200, status="ended")
    with pytest.raises(Invalid):
        closing_survey_answer(partnership=p, person=world.alice_person, recommend=11)
    with pytest.raises(NotFound):  # carol was not in the pair
        closing_survey_answer(partnership=p, person=world.carol_person, recommend=5)
    closing_survey_answer(partnership=p, person=world.alice_person, recommend=7)
    with pytest.raises(Conflict):
        closing_survey_answer(partnership=p, person=world.alice_person, recommend=3)
    assert list(ClosingSurvey.objects.values_list("recommend", flat=True)) == [7]
