"""Programs, enrolment, matching rounds, self-match requests and partnerships.

A Partnership is the pair (or trio, or circle) that the rest of the product hangs off: check-ins,
goals, notes, feedback. Its members are PartnershipMember rows so that trios and circles need no
special case; what one member says privately about the partnership (why they ended it, how well
it fitted) lives on their own member row and is shown to nobody else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from twoway.accounts.models import Organization, User
from twoway.lib.encrypted import EncryptedTextField
from twoway.lib.validators import single_line
from twoway.people.models import Department, MeetingPreference, Person


class ProgramKind(models.TextChoices):
    PEER_PAIRS = "peer_pairs", "Peer pairs"
    ONBOARDING = "onboarding", "Onboarding buddies"
    CIRCLES = "circles", "Peer circles (3–4)"


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class MatchingMode(models.TextChoices):
    ROUNDS = "rounds", "The program matches people in rounds"
    SELF = "self", "People find and request a peer themselves"
    BOTH = "both", "Both"


DEFAULT_GOAL_TEMPLATES = [
    "Career advice",
    "Learning a new skill",
    "Adjusting to company culture",
    "Executive presence",
    "Client relationships",
    "Giving and receiving feedback",
]


def default_goal_templates() -> list[str]:
    return list(DEFAULT_GOAL_TEMPLATES)


def default_matching_settings() -> dict[str, object]:
    return {}


class Program(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="programs"
    )
    name = models.CharField(max_length=200, validators=[single_line])
    description = models.TextField(blank=True, max_length=5000)
    kind = models.CharField(
        max_length=20, choices=ProgramKind.choices, default=ProgramKind.PEER_PAIRS
    )
    status = models.CharField(
        max_length=10, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT
    )
    # Eligibility: empty means "anyone" for each criterion.
    eligible_levels = models.JSONField(default=list, blank=True)
    eligible_departments = models.ManyToManyField(Department, blank=True, related_name="+")
    min_tenure_days = models.PositiveIntegerField(null=True, blank=True)
    max_tenure_days = models.PositiveIntegerField(null=True, blank=True)
    invite_only = models.BooleanField(default=False)
    invitees = models.ManyToManyField(Person, blank=True, related_name="program_invitations")
    enrolment_opens = models.DateField(null=True, blank=True)
    enrolment_closes = models.DateField(null=True, blank=True)
    term_weeks = models.PositiveSmallIntegerField(
        default=26, validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    checkin_every_weeks = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    checkin_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(10), MaxValueValidator(240)]
    )
    matching_mode = models.CharField(
        max_length=10, choices=MatchingMode.choices, default=MatchingMode.BOTH
    )
    matching_settings = models.JSONField(default=default_matching_settings, blank=True)
    allow_trios = models.BooleanField(default=True)
    allow_repeats = models.BooleanField(
        default=False, help_text="Allow past partners again, only when nobody else fits."
    )
    max_open_requests = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    # Level is a rule, not only a weight: peers are at most this many steps apart ...
    max_level_gap = models.PositiveSmallIntegerField(default=1, validators=[MaxValueValidator(10)])
    # ... and an onboarding buddy is this many steps above their newcomer.
    buddy_level_min = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(10)]
    )
    buddy_level_max = models.PositiveSmallIntegerField(
        default=2, validators=[MaxValueValidator(10)]
    )
    goal_templates = models.JSONField(default=default_goal_templates, blank=True)
    hr_contact_name = models.CharField(max_length=200, blank=True, validators=[single_line])
    hr_contact_email = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            self.enrolment_opens
            and self.enrolment_closes
            and self.enrolment_closes < self.enrolment_opens
        ):
            errors["enrolment_closes"] = "Enrolment must close after it opens."
        if (
            self.min_tenure_days is not None
            and self.max_tenure_days is not None
            and self.max_tenure_days < self.min_tenure_days
        ):
            errors["max_tenure_days"] = "The maximum tenure is below the minimum."
        if errors:
            raise ValidationError(errors)

    @property
    def hr_contact(self) -> tuple[str, str]:
        """The program's HR contact, or the organization's when the program names none."""
        if self.hr_contact_email:
            return self.hr_contact_name, self.hr_contact_email
        return self.organization.hr_contact_name, self.organization.hr_contact_email

    def enrolment_is_open(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        if self.status != ProgramStatus.OPEN:
            return False
        if self.enrolment_opens and today < self.enrolment_opens:
            return False
        return not (self.enrolment_closes and today > self.enrolment_closes)

    @property
    def runs_rounds(self) -> bool:
        return self.matching_mode in (MatchingMode.ROUNDS, MatchingMode.BOTH)

    @property
    def allows_self_match(self) -> bool:
        return self.matching_mode in (MatchingMode.SELF, MatchingMode.BOTH)


class EnrolmentRole(models.TextChoices):
    PEER = "peer", "Peer"
    MENTOR = "mentor", "Buddy (a few steps ahead)"
    MENTEE = "mentee", "New teammate"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", "Enrolled"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Enrolment(models.Model):
    """A person's intake for one program, in their own words; editable until they are matched."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="enrolments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enrolments")
    status = models.CharField(
        max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    role = models.CharField(
        max_length=10, choices=EnrolmentRole.choices, default=EnrolmentRole.PEER
    )
    offers = models.JSONField(default=dict, blank=True, help_text="skill id → strength 1–3")
    seeks = models.JSONField(default=dict, blank=True, help_text="skill id → strength 1–3")
    goals = models.TextField(blank=True, max_length=2000)
    meeting_preference = models.CharField(
        max_length=12, choices=MeetingPreference.choices, default=MeetingPreference.EITHER
    )
    capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    snoozed_until = models.DateField(null=True, blank=True)
    wants_rematch = models.BooleanField(default=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["program", "person"], name="one_enrolment_per_program")
        ]
        indexes = [models.Index(fields=["program", "status"])]

    def __str__(self) -> str:
        return f"{self.person} in {self.program}"

    def is_snoozed(self, today: dt.date | None = None) -> bool:
        """A snooze ends by itself: after the date, the person is back in the pool."""
        return bool(self.snoozed_until and self.snoozed_until >= (today or timezone.localdate()))


class RoundStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DRAFT = "draft", "Draft ready for review"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    DISCARDED = "discarded", "Discarded"
    FAILED = "failed", "Failed"


class MatchRound(models.Model):
    """One run of the engine over everyone enrolled and unmatched, kept with its settings and
    result; a program manager reviews the draft, adjusts it and publishes it."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rounds")
    status = models.CharField(
        max_length=10, choices=RoundStatus.choices, default=RoundStatus.QUEUED
    )
    settings = models.JSONField(default=dict, blank=True)
    locked_groups = models.JSONField(
        default=list, blank=True, help_text="lists of person ids kept together"
    )
    forbidden_pairs = models.JSONField(
        default=list, blank=True, help_text="[a, b] person id pairs kept apart"
    )
    result = models.JSONField(default=dict, blank=True)
    # How many groups `result` holds, stored with it: the program page lists rounds with this
    # number, and reading it out of a 10,000-group draft cost more than the rest of the list.
    groups_count = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # While publishing: how many groups the worker has handled (started or skipped), in draft
    # order, so a worker that takes over after a crash starts at the first group not done.
    publish_done = models.PositiveIntegerField(default=0)
    publish_skipped = models.JSONField(
        default=list, blank=True, help_text="groups left out at publishing, with the reason"
    )
    # The API key that asked for publishing (`api:<prefix>`), named in the audit row at the end.
    publish_source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "created"])]

    def __str__(self) -> str:
        return f"Round {self.pk} of {self.program}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.groups_count = self.groups_in(self.result)
        fields = kwargs.get("update_fields")
        if fields is not None and "result" in fields:
            kwargs["update_fields"] = {*fields, "groups_count"}
        super().save(*args, **kwargs)

    @staticmethod
    def groups_in(result: dict[str, Any] | None) -> int:
        return len((result or {}).get("groups", []))


class DraftPage(models.Model):
    """What the round page reads of a draft, kept beside it: a page of a 10,000-group draft
    then reads fifty groups and a summary, not the whole draft (`MatchRound.result` stays the
    record that publishing reads). Built from the result by `draft_pages.draft_page`; a re-run
    of the round changes `finished_at`, which makes this page stale and rebuilt."""

    match_round = models.OneToOneField(
        MatchRound, on_delete=models.CASCADE, related_name="draft_page"
    )
    made_from = models.DateTimeField(null=True, blank=True)
    overview = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Page of round {self.match_round_id}"


class DraftGroup(models.Model):
    """One group of a draft page, ordered by fit (weakest first) and found by name or team."""

    page = models.ForeignKey(DraftPage, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveIntegerField()
    fit = models.FloatField()
    search = models.TextField(blank=True, help_text="names and teams, lower-cased")
    data = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["page", "fit", "number"])]

    def __str__(self) -> str:
        return f"Group {self.number} of {self.page}"


class DraftPlace(models.Model):
    """Which group of a draft page a person is in (none: left without a partner), to find
    and choose them by hand."""

    page = models.ForeignKey(DraftPage, on_delete=models.CASCADE, related_name="places")
    person_id = models.PositiveIntegerField()
    group = models.ForeignKey(
        DraftGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="places"
    )

    class Meta:
        indexes = [models.Index(fields=["page", "person_id"])]

    def __str__(self) -> str:
        return f"Person {self.person_id} in {self.group}"


class PartnershipStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ENDED = "ended", "Ended early"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


OPEN_PARTNERSHIP_STATUSES = (PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE)


class PartnershipSource(models.TextChoices):
    ROUND = "round", "Matching round"
    REQUEST = "request", "Request between peers"
    HAND = "hand", "Paired by a program manager"
    ONBOARDING = "onboarding", "Onboarding buddy"


class Partnership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="partnerships"
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="partnerships")
    status = models.CharField(
        max_length=10, choices=PartnershipStatus.choices, default=PartnershipStatus.ACTIVE
    )
    source = models.CharField(max_length=12, choices=PartnershipSource.choices)
    round = models.ForeignKey(
        MatchRound, null=True, blank=True, on_delete=models.SET_NULL, related_name="partnerships"
    )
    # The group's index in the round's draft: with `round`, unique, so a publish resumed after a
    # crash can never start the same group twice.
    round_group = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(
        default=list, blank=True, help_text="Plain-language reasons for the match"
    )
    started_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["program", "status"]),
            # The program page's newest open pairs, one page read off the index in order.
            models.Index(
                fields=["program", "-created", "-id"],
                condition=Q(status__in=["proposed", "active"]),
                name="open_pairs_newest_first",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "round_group"], name="one_partnership_per_round_group"
            )
        ]

    def __str__(self) -> str:
        return f"Partnership {self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PARTNERSHIP_STATUSES


class PartnershipMember(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="partnership_memberships"
    )
    role = models.CharField(
        max_length=10, choices=EnrolmentRole.choices, default=EnrolmentRole.PEER
    )
    # Private to this member: never shown to the partner nor to other participants.
    end_reason = EncryptedTextField(blank=True, max_length=2000)
    fit_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    joined = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["partnership", "person__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "person"], name="one_membership_per_partnership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.partnership}"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


class MatchRequest(models.Model):
    """'Start by reaching out': one person asks another to be peers, with a note."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="requests")
    sender = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="requests_sent")
    receiver = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="requests_received")
    note = models.TextField(max_length=1000)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    response = models.TextField(blank=True, max_length=1000)
    partnership = models.ForeignKey(
        Partnership, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    created = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "sender", "receiver"],
                condition=Q(status="open"),
                name="one_open_request_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(sender=models.F("receiver")), name="no_request_to_self"
            ),
        ]
        indexes = [
            models.Index(fields=["receiver", "status"]),
            models.Index(fields=["sender", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.receiver} ({self.status})"


class Block(models.Model):
    """'Never match me with this person' — the blocked person is never told."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "blocked"], name="one_block_per_pair"),
            models.CheckConstraint(condition=~Q(person=models.F("blocked")), name="no_self_block"),
        ]

    def __str__(self) -> str:
        return f"{self.person} blocks {self.blocked}"


class ProgramTally(models.Model):
    """A program's head counts as last counted, kept until something they come from changes
    (`twoway.programs.tally`): counting a 20,000-person program's pool on every view of its
    page cost more than the rest of the page."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # Raised after every commit that changes the program's enrolments, partnerships or people.
    version = models.BigIntegerField(default=0)
    counted_version = models.BigIntegerField(null=True, blank=True)
    # Who is waiting depends on the date as well (a snooze ends).
    counted_on = models.DateField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Counts of {self.program}"
