"""Two-way feedback, the fit check and the private wellbeing pulse.

Feedback is revealed only when every member has written (or the round's deadline passed); pulse
answers are their owner's alone — program insights only ever read aggregates.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from twoway.lib.encrypted import EncryptedTextField
from twoway.meetings.models import CheckIn
from twoway.people.models import Person
from twoway.programs.models import Partnership


class FeedbackRound(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="feedback_rounds"
    )
    opened_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    deadline = models.DateTimeField(help_text="After this, what was written is revealed anyway.")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"Feedback round {self.pk}"


class FeedbackEntry(models.Model):
    """What `author` writes about `subject`: honest and kind, in three small prompts."""

    round = models.ForeignKey(FeedbackRound, on_delete=models.CASCADE, related_name="entries")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    appreciated = EncryptedTextField("What I appreciated", max_length=2000)
    situation = EncryptedTextField(blank=True, max_length=1000)
    behaviour = EncryptedTextField(blank=True, max_length=1000)
    impact = EncryptedTextField(blank=True, max_length=1000)
    start = EncryptedTextField("Start", blank=True, max_length=1000)
    stop = EncryptedTextField("Stop", blank=True, max_length=1000)
    keep = EncryptedTextField("Continue", blank=True, max_length=1000)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "author", "subject"], name="one_entry_per_author_subject"
            ),
            models.CheckConstraint(
                condition=~Q(author=models.F("subject")), name="no_feedback_about_self"
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback {self.pk}"


class FitAnswer(models.TextChoices):
    GOOD = "good", "A good fit"
    DECIDING = "deciding", "Still deciding"
    NOT_A_FIT = "not_a_fit", "Not a fit"


class FitCheck(models.Model):
    """After the first check-in; program managers only ever see these in aggregate."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="fit_checks"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=10, choices=FitAnswer.choices)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "person"], name="one_fit_check_each")
        ]

    def __str__(self) -> str:
        return f"Fit check {self.pk}"


def _score() -> list[MinValueValidator | MaxValueValidator]:
    return [MinValueValidator(1), MaxValueValidator(5)]


class PulseResponse(models.Model):
    """Thirty seconds, optional, at most once per check-in. Readable by `person` only."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="pulses")
    partnership = models.ForeignKey(
        Partnership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    belonging = models.PositiveSmallIntegerField(validators=_score())
    stress = models.PositiveSmallIntegerField(validators=_score())
    confidence = models.PositiveSmallIntegerField(validators=_score())
    energy = models.PositiveSmallIntegerField(validators=_score())
    word = EncryptedTextField(max_length=40, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "checkin"],
                condition=Q(checkin__isnull=False),
                name="one_pulse_per_checkin",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{f}__gte": 1}) & Q(**{f"{f}__lte": 5}),
                    name=f"pulse_{f}_1_to_5",
                )
                for f in ("belonging", "stress", "confidence", "energy")
            ],
        ]

    def __str__(self) -> str:
        return f"Pulse {self.pk}"
