"""Pre-aggregated insight tables (zulip's analytics pattern): a job fills them, pages read them.

- `DailyCount`: one number per (organization, program, day, metric, subgroup). Program-level
  rows have a program; organization-level rows (program NULL) are the sums over its programs.
  Snapshot metrics (enrolled, matched, active_pairs) are the state at the end of the day; flow
  metrics (checkins_held, goals_set, …) count what happened that day.
- `ProgramSnapshot`: the job's own working figures per program (never shown as they are),
  computed as of its run: the funnel, time to first check-in, goals by template, the wellbeing sums
  (n, Σ before, Σ after, Σ d, Σ d² and histograms per pulse item — enough for the mean and its
  confidence interval, never an individual answer), the Kaplan-Meier curves and log-rank
  result, satisfaction counts and the stalled pairs' ids.
- `Release`: what the page, the CSV and the API show, published from the snapshot by the
  release rules (`twoway.insights.release`).
- `ClosingSurvey`: the one question we ask at the end ("would you recommend a peer partner to a
  colleague?", 0-10), private to its author like a pulse answer; shown only as NPS counts.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.people.models import Person
from twoway.programs.models import Partnership, Program


class DailyCount(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    metric = models.CharField(max_length=40)
    subgroup = models.CharField(max_length=60, blank=True, default="")
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "day", "metric", "subgroup"],
                condition=Q(program__isnull=False),
                name="insights_daily_per_program",
            ),
            models.UniqueConstraint(
                fields=["organization", "day", "metric", "subgroup"],
                condition=Q(program__isnull=True),
                name="insights_daily_per_org",
            ),
        ]
        # The dashboard reads one program's last weeks: this index is that query.
        indexes = [
            models.Index(fields=["program", "day"]),
            models.Index(fields=["organization", "day"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.day} {self.metric}{'/' + self.subgroup if self.subgroup else ''}={self.value}"
        )


class ProgramSnapshot(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    computed_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Insights of program {self.program_id} as of {self.as_of}"


class ClosingSurvey(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    recommend = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text="How likely to recommend a peer partner to a colleague, 0–10.",
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "person"], name="one_closing_survey"),
            models.CheckConstraint(
                condition=Q(recommend__gte=0) & Q(recommend__lte=10), name="recommend_0_to_10"
            ),
        ]

    def __str__(self) -> str:
        return f"Closing survey {self.pk}"


class Release(models.Model):
    """One publication of a program's figure group: what the page, the CSV and the API show.

    `published` is exactly what a reader sees. `totals` (the true sums behind it, never a single
    person's answer) and `contributors` (opaque keys such as "person:12", never answers) stay
    inside: the release rules need them to decide what the next publication may add without
    letting a reader subtract two publications (`twoway.insights.release`). Private figure
    groups get a new row per publication; the others are replaced at each refresh.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    family = models.CharField(max_length=40)
    seq = models.PositiveIntegerField()
    k = models.PositiveSmallIntegerField(help_text="The minimum group size it was released at.")
    released_at = models.DateTimeField(default=timezone.now)
    contributors = models.JSONField(default=list)
    totals = models.JSONField(default=dict)
    published = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "family", "seq"], name="insights_one_release_per_seq"
            )
        ]
        indexes = [models.Index(fields=["program", "family", "seq"])]

    def __str__(self) -> str:
        return f"{self.family} #{self.seq} of program {self.program_id}"
