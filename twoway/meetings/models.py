"""Check-ins: a recurring schedule per partnership, its occurrences, agendas and notes.

Occurrences are rows (CheckIn), generated from the schedule when it is set or changed, so that
"did you meet?" prompts and reminders (the notifications worker) can read plain columns:
`scheduled_start` (aware, UTC in the database), `duration_minutes`, `status` and `series`.
The calendar (.ics) describes the same series with an RRULE; tests prove both agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo

from django.db import models
from django.db.models import Q
from django.utils import timezone

from twoway.people.models import Person, Weekday, validate_time_zone
from twoway.programs.models import Partnership


class MeetingMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone"


def new_uid() -> str:
    return f"{secrets.token_hex(12)}@twoway"


class CheckinSeries(models.Model):
    """The agreed rhythm: every `every_weeks` weeks on `weekday` at `local_time` in `time_zone`.

    `uid` is stable for the life of the series (calendars match updates on it); `sequence` goes
    up on every change sent to calendars (RFC 5545 SEQUENCE).
    """

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="checkin_series"
    )
    uid = models.CharField(max_length=100, unique=True, default=new_uid)
    organizer = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    local_time = models.TimeField()
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    every_weeks = models.PositiveSmallIntegerField(default=2)
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    mode = models.CharField(max_length=10, choices=MeetingMode.choices, default=MeetingMode.VIDEO)
    location = models.CharField(
        max_length=300, blank=True, help_text="A room, a video link or a phone number."
    )
    first_start = models.DateTimeField(help_text="The first occurrence (DTSTART).")
    until = models.DateTimeField(help_text="No occurrence starts after this (UNTIL).")
    sequence = models.PositiveIntegerField(default=0)
    # When the series stopped (cancelled, replaced by a new rhythm, or its partnership ended);
    # `until` is then its last kept occurrence.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership"],
                condition=Q(cancelled_at__isnull=True),
                name="one_live_series_per_partnership",
            )
        ]

    def __str__(self) -> str:
        return f"Every {self.every_weeks} weeks, {self.get_weekday_display()} {self.local_time}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def is_live(self) -> bool:
        return self.cancelled_at is None


class CheckinStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


class CheckinKind(models.TextChoices):
    SCHEDULED = "scheduled", "Planned check-in"
    INFORMAL = "informal", "Informal chat"


class CheckIn(models.Model):
    """One meeting of the pair: an occurrence of a series, a one-off, or an informal chat.

    A moved occurrence keeps `moved_from` = its original start (the RECURRENCE-ID calendars know
    it by); a cancelled one stays as a row with status cancelled (an EXDATE in the calendar).
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="checkins")
    series = models.ForeignKey(
        CheckinSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkins"
    )
    kind = models.CharField(
        max_length=10, choices=CheckinKind.choices, default=CheckinKind.SCHEDULED
    )
    scheduled_start = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    status = models.CharField(
        max_length=10, choices=CheckinStatus.choices, default=CheckinStatus.SCHEDULED
    )
    moved_from = models.DateTimeField(
        null=True, blank=True, help_text="Original start of a moved occurrence (RECURRENCE-ID)."
    )
    # A one-off check-in (no series) is its own calendar event with this UID and sequence.
    uid = models.CharField(max_length=100, default=new_uid, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    summary = models.CharField(
        max_length=300, blank=True, help_text="For an informal chat: what it was about."
    )
    # A one-off check-in: who planned it (its calendar ORGANIZER for its whole life, whoever
    # moves it later), and how and where the pair meet ("" when nobody said).
    organizer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mode = models.CharField(max_length=10, choices=MeetingMode.choices, blank=True)
    location = models.CharField(max_length=300, blank=True)
    logged_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    logged_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    # When it last changed: the DTSTAMP of its event in feeds, so a feed changes only with it.
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_start", "id"]
        indexes = [
            models.Index(fields=["partnership", "scheduled_start"]),
            # The notifications worker looks for scheduled check-ins around now.
            models.Index(fields=["status", "scheduled_start"]),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.pk} at {self.scheduled_start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def end(self) -> dt.datetime:
        return self.scheduled_start + dt.timedelta(minutes=self.duration_minutes)

    @property
    def recurrence_id(self) -> dt.datetime:
        return self.moved_from or self.scheduled_start

    @property
    def is_past(self) -> bool:
        return self.scheduled_start <= timezone.now()


class AgendaItem(models.Model):
    """A talking point either member adds before the meeting."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="agenda")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=300)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return self.text


class SharedNote(models.Model):
    """Notes of a check-in both members see (Markdown, rendered sanitised)."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="shared_notes")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=10000)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"Shared note {self.pk}"


class PrivateNote(models.Model):
    """A note only its author can ever read: only the ciphertext is stored (twoway.lib.crypto).

    There is deliberately no plaintext attribute: reading goes through
    meetings.selectors.private_note_text(note=..., reader=...), which checks the author.
    """

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    ciphertext = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkin", "author"], name="one_private_note_per_checkin_author"
            )
        ]

    def __str__(self) -> str:
        return f"Private note {self.pk}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


def feed_token_hash(token: str) -> str:
    """What is stored of a feed token: its SHA-256 (the token itself is shown once, when made;
    a stolen backup does not give anyone a working calendar address)."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A person's secret calendar URL; regenerating it revokes the old one at once."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_fetched = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.person_id}"
