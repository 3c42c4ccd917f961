"""Goals a member sets for a partnership: from the program's templates or in their own words.

"Set clear goals (but keep it flexible)": a goal can change at any time, and every change is a
GoalEvent row, so the pair can see how a goal moved over the months.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from twoway.lib.encrypted import EncryptedJSONField, EncryptedTextField
from twoway.people.models import Person
from twoway.programs.models import Partnership


class GoalStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ACHIEVED = "achieved", "Achieved"
    DROPPED = "dropped", "Dropped"


class Goal(models.Model):
    """A goal's words are encrypted at rest, private or shared: they are the pair's own (a
    private one for its owner only), and a shared goal may turn private at any time, with its
    history. Insights count goals by template and status, in Python, over groups no smaller than
    the organization's minimum; no query filters or sorts on these texts."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="goals")
    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="goals")
    template = EncryptedTextField(
        max_length=120, blank=True, help_text="The program's goal template it started from."
    )
    title = EncryptedTextField(max_length=200)
    description = EncryptedTextField(blank=True, max_length=4000)
    status = models.CharField(max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    # Private goals are seen by their owner only, not by the partner.
    is_private = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "created", "id"]
        indexes = [models.Index(fields=["partnership", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="goal_progress_0_100"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    title = EncryptedTextField(max_length=200)
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class GoalEventKind(models.TextChoices):
    CREATED = "created", "Set the goal"
    EDITED = "edited", "Changed the goal"
    PROGRESS = "progress", "Progress update"
    STATUS = "status", "Changed the status"
    MILESTONE = "milestone", "Milestone"


class GoalEvent(models.Model):
    """One line of a goal's history: what changed, by whom, with the goal as it was after."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=GoalEventKind.choices)
    note = EncryptedTextField(blank=True, max_length=2000)
    # Holds the goal's title before and after: encrypted like the goal itself.
    changes = EncryptedJSONField(default=dict, blank=True, help_text="field → [before, after]")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.goal_id}"
