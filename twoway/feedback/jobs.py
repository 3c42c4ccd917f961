"""The fit check after a pair's first check-in and feedback reminders, on the worker's clock
(idempotent by dedupe key, bounded look-back, each message with an expiry: see meetings/jobs.py).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, Min, OuterRef, Prefetch, Subquery

from twoway.feedback.kinds import FEEDBACK, FIT_CHECK
from twoway.feedback.models import FeedbackEntry, FeedbackRound, FitCheck
from twoway.lib.batches import by_pk
from twoway.lib.jobs import job
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.notifications.selectors import local_when, queued
from twoway.notifications.services import Message, notify_many
from twoway.programs.models import PartnershipMember, PartnershipStatus
from twoway.programs.selectors import active_partnerships, members_of, partner_names

FEEDBACK_REMIND_BEFORE_DEADLINE = dt.timedelta(days=3)
LOOKBACK = dt.timedelta(days=14)
FIT_CHECK_EXPIRES = dt.timedelta(days=14)


@job("fit_checks", every=dt.timedelta(minutes=1))
def fit_checks(now: dt.datetime) -> int:
    """After the pair's first held check-in: "is this a good fit?" to whoever has not said.

    The pairs whose first held check-in lies in the look-back, with someone yet to answer and
    not yet asked, are one query (check-ins before the look-back are never read), a page at a
    time, each page's messages queued at once (notify_many)."""
    held = CheckIn.objects.filter(
        partnership=OuterRef("pk"), status=CheckinStatus.HELD, scheduled_start__lte=now
    )
    first_held = held.values("partnership").annotate(first=Min("scheduled_start")).values("first")
    answered = FitCheck.objects.filter(
        partnership=OuterRef("partnership_id"), person=OuterRef("person_id")
    )
    asked = queued("fit-check:", OuterRef("partnership_id"), ":", OuterRef("person_id"))
    someone_to_ask = PartnershipMember.objects.filter(partnership=OuterRef("pk")).exclude(
        Exists(answered) | asked
    )
    pairs = (
        active_partnerships()
        .filter(
            Exists(held.filter(scheduled_start__gte=now - LOOKBACK)),
            ~Exists(held.filter(scheduled_start__lt=now - LOOKBACK)),
            Exists(someone_to_ask),
        )
        .annotate(first_held=Subquery(first_held))
    )
    created = 0
    for page in by_pk(pairs):
        said = set(
            FitCheck.objects.filter(partnership__in=page).values_list("partnership_id", "person_id")
        )
        created += notify_many(
            kind=FIT_CHECK,
            template="reminder_fit_check",
            messages=[
                Message(
                    person=person,
                    context={
                        "partnership_id": partnership.pk,
                        "partners": partner_names(partnership, person),
                        "url": f"/o/{partnership.organization.slug}/",
                    },
                    dedupe_key=f"fit-check:{partnership.pk}:{person.pk}",
                    expires_at=partnership.first_held + FIT_CHECK_EXPIRES,
                )
                for partnership in page
                for person in members_of(partnership)
                if (partnership.pk, person.pk) not in said
            ],
        )
    return created


@job("feedback_reminders", every=dt.timedelta(minutes=1))
def feedback_reminders(now: dt.datetime) -> int:
    """Three days before a feedback round's deadline, to members who have not written yet.
    Rounds whose members have all written or been reminded are left out by the query; the rest
    are read a page at a time, each page's reminders queued at once (notify_many)."""
    wrote = FeedbackEntry.objects.filter(
        round=OuterRef(OuterRef("pk")), author=OuterRef("person_id")
    )
    reminded = queued("feedback-reminder:", OuterRef(OuterRef("pk")), ":", OuterRef("person_id"))
    someone_to_remind = PartnershipMember.objects.filter(
        partnership=OuterRef("partnership_id")
    ).exclude(Exists(wrote) | reminded)
    rounds = (
        FeedbackRound.objects.filter(
            Exists(someone_to_remind),
            deadline__gt=now,
            deadline__lte=now + FEEDBACK_REMIND_BEFORE_DEADLINE,
            partnership__status=PartnershipStatus.ACTIVE,
        )
        .select_related("partnership__organization")
        .prefetch_related(
            Prefetch(
                "partnership__members", queryset=PartnershipMember.objects.select_related("person")
            )
        )
    )
    created = 0
    for page in by_pk(rounds):
        written = set(
            FeedbackEntry.objects.filter(round__in=page).values_list("round_id", "author_id")
        )
        messages = []
        for feedback_round in page:
            partnership = feedback_round.partnership
            members = members_of(partnership)
            for person in members:
                if (feedback_round.pk, person.pk) in written:
                    continue
                messages.append(
                    Message(
                        person=person,
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
        created += notify_many(kind=FEEDBACK, template="reminder_feedback", messages=messages)
    return created
