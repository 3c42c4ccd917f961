from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from twoway.feedback.models import (
    FeedbackEntry,
    FeedbackRound,
    FitAnswer,
    FitCheck,
    PulseResponse,
)
from twoway.lib.errors import InvalidInput
from twoway.meetings.models import CheckIn
from twoway.people.models import Person
from twoway.programs.models import Partnership

FEEDBACK_WINDOW = dt.timedelta(days=14)
PULSE_ITEMS = ("belonging", "stress", "confidence", "energy")
FEEDBACK_FIELDS = ("appreciated", "situation", "behaviour", "impact", "start", "stop", "keep")


def _member_ids(partnership: Partnership) -> set[int]:
    return set(partnership.members.values_list("person_id", flat=True))


def open_round(partnership: Partnership, now: dt.datetime | None = None) -> FeedbackRound | None:
    """The round still collecting: not everyone has written and its deadline has not passed."""
    now = now or timezone.now()
    latest = (
        FeedbackRound.objects.filter(partnership=partnership).order_by("-created", "-id").first()
    )
    if latest is None or latest.deadline <= now:
        return None
    n = len(_member_ids(partnership))
    if latest.entries.count() >= n * (n - 1):
        return None
    return latest


@transaction.atomic
def feedback_write(
    *, partnership: Partnership, author: Person, subject: Person, answers: dict[str, str]
) -> FeedbackEntry:
    """Write about a partner. Nothing is shown to them until every member has written about
    every other, or the round's deadline (two weeks after it opened) has passed."""
    ids = _member_ids(partnership)
    if author.pk not in ids or subject.pk not in ids:
        raise InvalidInput("Feedback is between the members of a partnership.")
    if author.pk == subject.pk:
        raise InvalidInput("Write about your partner, not yourself.")
    cleaned = {k: (answers.get(k) or "").strip() for k in FEEDBACK_FIELDS}
    if not cleaned["appreciated"]:
        raise InvalidInput({"appreciated": "Start with what you appreciated."})
    # Lock the partnership row so two members writing at once do not open two rounds.
    Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    feedback_round = open_round(partnership)
    if feedback_round is None:
        feedback_round = FeedbackRound.objects.create(
            partnership=partnership, opened_by=author, deadline=timezone.now() + FEEDBACK_WINDOW
        )
    if FeedbackEntry.objects.filter(round=feedback_round, author=author, subject=subject).exists():
        raise InvalidInput("You have already written in this round; wait for the reveal.")
    try:
        with transaction.atomic():
            return FeedbackEntry.objects.create(
                round=feedback_round, author=author, subject=subject, **cleaned
            )
    except IntegrityError:
        raise InvalidInput("You have already written in this round.") from None


@transaction.atomic
def fit_check_set(*, partnership: Partnership, person: Person, answer: str) -> FitCheck:
    if person.pk not in _member_ids(partnership):
        raise InvalidInput("Only a member answers the fit check.")
    if answer not in FitAnswer.values:
        raise InvalidInput({"answer": "Choose one answer."})
    fit, _ = FitCheck.objects.update_or_create(
        partnership=partnership, person=person, defaults={"answer": answer}
    )
    return fit


@transaction.atomic
def pulse_record(
    *,
    person: Person,
    scores: dict[str, int],
    word: str = "",
    partnership: Partnership | None = None,
    checkin: CheckIn | None = None,
) -> PulseResponse:
    """Thirty seconds, optional, at most once per check-in; only `person` will ever see it."""
    errors: dict[str, str] = {}
    for item in PULSE_ITEMS:
        value = scores.get(item)
        if not isinstance(value, int) or not 1 <= value <= 5:
            errors[item] = "Choose 1 to 5."
    word = (word or "").strip()
    if len(word) > 40:
        errors["word"] = "One word, or a few: at most 40 characters."
    if errors:
        raise InvalidInput(errors)
    if checkin is not None:
        partnership = checkin.partnership
        if person.pk not in _member_ids(partnership):
            raise InvalidInput("Only a member answers the pulse for a check-in.")
        if PulseResponse.objects.filter(person=person, checkin=checkin).exists():
            raise InvalidInput("You already answered the pulse for this check-in.")
    return PulseResponse.objects.create(
        person=person,
        partnership=partnership,
        checkin=checkin,
        word=word,
        **{item: scores[item] for item in PULSE_ITEMS},
    )
