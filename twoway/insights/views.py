"""Program insights (program managers and org admins) and the personal view (anyone, own data).

The dashboard reads the pre-aggregated tables only (`dashboard.build`), plus the names of the
stalled pairs' members: a program manager may see *who* stopped meeting so they can help, never
their notes, pulse or reasons. Its query count does not depend on the size of the organization.
"""

from __future__ import annotations

import csv
from collections import defaultdict

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role
from twoway.feedback.selectors import PULSE_WORDING, my_pulses, pulse_chart
from twoway.goals.models import Goal, GoalStatus
from twoway.insights import charts, dashboard
from twoway.insights.models import ClosingSurvey
from twoway.insights.services import closing_survey_answer
from twoway.lib.errors import Conflict, Invalid
from twoway.lib.web import render_tz, tz_of
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.people.access import me
from twoway.programs.models import Partnership, PartnershipMember, PartnershipStatus
from twoway.programs.selectors import access_program


@org_view(Role.PROGRAM_MANAGER)
def program_insights(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(org=request.org, program_id=program_id)
    board = dashboard.build(program, timezone.localdate())
    names: dict[int, list[str]] = defaultdict(list)
    for partnership_id, name in (
        PartnershipMember.objects.filter(
            # [0] when empty: the query runs either way, so the page's query count is fixed.
            partnership_id__in=[s[0] for s in board.stalled] or [0],
            partnership__program=program,
            partnership__status=PartnershipStatus.ACTIVE,
        )
        .order_by("person__name")
        .values_list("partnership_id", "person__name")
    ):
        names[partnership_id].append(name)
    stalled = [(names[pk], days) for pk, days in board.stalled if names.get(pk)]
    return render(
        request,
        "insights/program.html",
        {
            "program": program,
            "board": board,
            "stalled": stalled,
            "cadence_legend": charts.legend(
                [
                    ("bar", "Check-ins held"),
                    ("expected", "Expected by the cadence"),
                    ("hidden", f"Fewer than {board.k} active pairs"),
                ]
            ),
            "retention_legend": charts.legend(
                [("participants", "Took part in the program"), ("others", "Did not take part")]
            ),
        },
    )


@org_view(Role.PROGRAM_MANAGER)
def program_insights_csv(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(org=request.org, program_id=program_id)
    board = dashboard.build(program, timezone.localdate())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="program-{program.pk}-insights.csv"'
    csv.writer(response).writerows(dashboard.csv_rows(board))
    return response


def _closed_without_answer(person_id: int) -> list[Partnership]:
    answered = ClosingSurvey.objects.filter(person_id=person_id).values("partnership_id")
    return list(
        Partnership.objects.filter(
            members__person_id=person_id,
            status__in=(PartnershipStatus.COMPLETED, PartnershipStatus.ENDED),
        )
        .exclude(pk__in=answered)
        .select_related("program")
        .order_by("-ended_at")[:5]
    )


@org_view()
def my_insights(request: OrgRequest) -> HttpResponse:
    """My check-ins, goals reached and pulse trend: everything here is the viewer's own."""
    person = me(request)
    checkins = CheckIn.objects.filter(partnership__members__person=person)
    by_status = {
        row["status"]: row["n"] for row in checkins.values("status").annotate(n=Count("id"))
    }
    goals = Goal.objects.filter(owner=person, partnership__organization=request.org)
    pulses = my_pulses(person)
    return render_tz(
        request,
        person,
        "insights/me.html",
        {
            "held": by_status.get(CheckinStatus.HELD, 0),
            "missed": by_status.get(CheckinStatus.MISSED, 0),
            "upcoming": checkins.filter(
                status=CheckinStatus.SCHEDULED, scheduled_start__gte=timezone.now()
            ).count(),
            "recent": checkins.filter(status__in=(CheckinStatus.HELD, CheckinStatus.MISSED))
            .select_related("partnership__program")
            .order_by("-scheduled_start")[:8],
            "achieved": goals.filter(status=GoalStatus.ACHIEVED).order_by("-updated"),
            "active_goals": goals.filter(status=GoalStatus.ACTIVE).count(),
            "chart": pulse_chart(pulses, tz_of(person)),
            "pulses": pulses[-6:][::-1],
            "wording": PULSE_WORDING,
            "to_answer": _closed_without_answer(person.pk),
            "scale": range(0, 11),
        },
    )


@require_POST
@org_view()
def closing_survey(request: OrgRequest, partnership_id: int) -> HttpResponse:
    person = me(request)
    partnership = next(
        (p for p in _closed_without_answer(person.pk) if p.pk == partnership_id), None
    )
    if partnership is None or partnership.organization_id != request.org.pk:
        raise Http404
    try:
        value = int(request.POST.get("recommend", ""))
    except ValueError:
        value = -1
    try:
        closing_survey_answer(partnership=partnership, person=person, recommend=value)
    except (Invalid, Conflict) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you. Only the program's totals ever show your answer.")
    return redirect("my_insights", request.org.slug)
