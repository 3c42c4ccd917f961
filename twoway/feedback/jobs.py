"""The fit check after a pair's first check-in and feedback reminders, on the worker's clock
(idempotent by dedupe key, bounded look-back, each message with an expiry: see meetings/jobs.py).
"""

from __future__ import annotations

import datetime as dt

from twoway.feedback.kinds import FEEDBACK, FIT_CHECK
from twoway.feedback.models import FeedbackEntry, FeedbackRound, FitCheck
from twoway.lib.jobs import job
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.notifications.selectors import local_when
from twoway.notifications.services import notify
from twoway.programs.models import PartnershipMember, PartnershipStatus
from twoway.programs.selectors import active_partnerships, members_of, partner_names

FEEDBACK_REMIND_BEFORE_DEADLINE = dt.timedelta(days=3)
LOOKBACK = dt.timedelta(days=14)
FIT_CHECK_EXPIRES = dt.timedelta(days=14)


@job("fit_checks", every=dt.timedelta(minutes=1))
def fit_checks(now: dt.datetime) -> int:
    """After the pair's first held check-in: "is this a good fit?" to whoever has not said."""
    created = 0
    held = CheckIn.objects.filter(
        status=CheckinStatus.HELD,
        scheduled_start__lte=now,
        partnership__status=PartnershipStatus.ACTIVE,
    )
    first_by_pair: dict[int, dt.datetime] = {}
    for pid, start in held.order_by("scheduled_start").values_list(
        "partnership_id", "scheduled_start"
    ):
        first_by_pair.setdefault(pid, start)
    recent = [pid for pid, start in first_by_pair.items() if start >= now - LOOKBACK]
    answered = set(
        FitCheck.objects.filter(partnership_id__in=recent).values_list(
            "partnership_id", "person_id"
        )
    )
    for partnership in active_partnerships().filter(pk__in=recent):
        for person in members_of(partnership):
            if (partnership.pk, person.pk) in answered:
                continue
            created += bool(
                notify(
                    person=person,
                    kind=FIT_CHECK,
                    template="reminder_fit_check",
                    context={
                        "partnership_id": partnership.pk,
                        "partners": partner_names(partnership, person),
                        "url": f"/o/{partnership.organization.slug}/",
                    },
                    dedupe_key=f"fit-check:{partnership.pk}:{person.pk}",
                    expires_at=first_by_pair[partnership.pk] + FIT_CHECK_EXPIRES,
                )
            )
    return created


@job("feedback_reminders", every=dt.timedelta(minutes=1))
def feedback_reminders(now: dt.datetime) -> int:
    """Three days before a feedback round's deadline, to members who have not written yet."""
    created = 0
    rounds = FeedbackRound.objects.filter(
        deadline__gt=now,
        deadline__lte=now + FEEDBACK_REMIND_BEFORE_DEADLINE,
        partnership__status=PartnershipStatus.ACTIVE,
    ).select_related("partnership__organization")
    for feedback_round in rounds:
        partnership = feedback_round.partnership
        wrote = set(
            FeedbackEntry.objects.filter(round=feedback_round).values_list("author_id", flat=True)
        )
        members = [
            m.person
            for m in PartnershipMember.objects.filter(partnership=partnership).select_related(
                "person"
            )
        ]
        for person in members:
            if person.pk in wrote:
                continue
            created += bool(
                notify(
                    person=person,
                    kind=FEEDBACK,
                    template="reminder_feedback",
                    context={
                        "round_id": feedback_round.pk,
                        "partnership_id": partnership.pk,
                        "partners": [p.name for p in members if p.pk != person.pk],
                        "deadline": local_when(feedback_round.deadline, person.time_zone),
                        "url": f"/o/{partnership.organization.slug}/",
                    },
                    dedupe_key=f"feedback-reminder:{feedback_round.pk}:{person.pk}",
                    expires_at=feedback_round.deadline,
                )
            )
    return created
