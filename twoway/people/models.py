from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.lib.validators import single_line
from twoway.people.vocabulary import skill_key


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Berlin).")


class Department(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="department_name_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="teams"
    )
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_name_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class MeetingPreference(models.TextChoices):
    EITHER = "either", "In person or video"
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video call"


class Person(models.Model):
    """An employee record inside one organization; linked to a User when they can sign in.

    People who leave are kept with `left_on` set: retention analytics compare who stayed.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="people")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    name = models.CharField(max_length=200, validators=[single_line])
    email = models.EmailField()
    # The directory's keys: the identity provider's immutable id (SCIM externalId, Entra oid,
    # Okta user id) and the HR system's employee number. Emails change; these do not.
    external_id = models.CharField(max_length=255, blank=True)
    employee_id = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=200, blank=True)
    level = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Position on the organization's ladder, 1 = most junior."
    )
    hire_date = models.DateField(null=True, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    location = models.CharField(max_length=120, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    pronouns = models.CharField(max_length=40, blank=True)
    bio = models.TextField(blank=True, max_length=2000)
    meeting_preference = models.CharField(
        max_length=12, choices=MeetingPreference.choices, default=MeetingPreference.EITHER
    )
    is_active = models.BooleanField(default=True)
    # On a leave of absence (the HR file's "leave" status): still employed, still a member.
    on_leave = models.BooleanField(default=False)
    left_on = models.DateField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="person_email_per_org"),
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=Q(user__isnull=False),
                name="one_person_per_user_per_org",
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="person_external_id_per_org",
            ),
            models.UniqueConstraint(
                fields=["organization", "employee_id"],
                condition=~Q(employee_id=""),
                name="person_employee_id_per_org",
            ),
        ]
        indexes = [models.Index(fields=["organization", "is_active", "name"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.level is not None and self.organization_id:
            ladder = self.organization.level_ladder
            if not 1 <= self.level <= len(ladder):
                errors["level"] = f"Choose a level between 1 and {len(ladder)}."
        if self.manager_id and self.manager_id == self.pk:
            errors["manager"] = "A person cannot be their own manager."
        if self.left_on and self.hire_date and self.left_on < self.hire_date:
            errors["left_on"] = "The leaving date is before the hire date."
        if errors:
            raise ValidationError(errors)

    @property
    def level_label(self) -> str:
        return self.organization.level_label(self.level)

    def tenure_years(self, today: dt.date | None = None) -> float | None:
        if self.hire_date is None:
            return None
        end = self.left_on or today or timezone.localdate()
        return round((end - self.hire_date).days / 365.25, 1)

    def manager_chain(self) -> list[Person]:
        """Managers up the line, nearest first. Cycles in imported data stop the walk."""
        chain: list[Person] = []
        seen = {self.pk}
        current = self.manager
        while current is not None and current.pk not in seen:
            chain.append(current)
            seen.add(current.pk)
            current = current.manager
        return chain


class SkillCategory(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    COMMUNICATION = "communication", "Communication"
    LEADERSHIP = "leadership", "Leadership"
    CLIENTS = "clients", "Clients and sales"
    CAREER = "career", "Career"
    WAYS_OF_WORKING = "ways_of_working", "Ways of working"


class SkillQuerySet(models.QuerySet["Skill"]):
    def bulk_create(self, objs: Iterable[Skill], *args: Any, **kwargs: Any) -> list[Skill]:
        # bulk_create skips save(): the key is filled here for every caller.
        objs = list(objs)
        for skill in objs:
            skill.key = skill_key(skill.name)
        return super().bulk_create(objs, *args, **kwargs)


class Skill(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="skills")
    name = models.CharField(max_length=100)
    # The folded name (`vocabulary.skill_key`): one skill per key, so "SQL", "sql" and " Sql "
    # cannot become three skills whichever way they arrive.
    key = models.CharField(max_length=100, editable=False)
    category = models.CharField(max_length=20, choices=SkillCategory.choices)

    objects = SkillQuerySet.as_manager()

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="skill_key_per_org")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key = skill_key(self.name)
        super().save(*args, **kwargs)


class SkillAlias(models.Model):
    """Another name of a skill in one organization: an old name kept by a merge, so the people
    and files that still write it land on the skill that survived."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="skill_aliases"
    )
    key = models.CharField(max_length=100)
    name = models.CharField(max_length=100, help_text="The name as it was written.")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="aliases")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="skill_alias_key_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.skill}"


class Direction(models.TextChoices):
    OFFER = "offer", "Can share"
    SEEK = "seek", "Wants to grow"


class Strength(models.IntegerChoices):
    SOME = 1, "A little"
    GOOD = 2, "Quite a bit"
    STRONG = 3, "A lot"


class PersonSkill(models.Model):
    """A skill in one direction: what a person can share (offer) or wants to grow (seek)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="holders")
    direction = models.CharField(max_length=5, choices=Direction.choices)
    strength = models.PositiveSmallIntegerField(
        choices=Strength.choices,
        default=Strength.GOOD,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )

    class Meta:
        ordering = ["direction", "-strength", "skill__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "skill", "direction"], name="one_strength_per_skill_direction"
            ),
            models.CheckConstraint(
                condition=Q(strength__gte=1) & Q(strength__lte=3), name="strength_1_to_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.direction} {self.skill} ({self.strength})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class AvailabilityWindow(models.Model):
    """A weekly slot in the person's own time zone when a check-in suits them."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="window_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValidationError({"end": "The window must end after it starts."})
