from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from twoway.lib.validators import single_line

DEFAULT_LADDER = ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"]


def default_ladder() -> list[str]:
    return list(DEFAULT_LADDER)


class Organization(models.Model):
    """The tenant: every other row belongs to exactly one organization."""

    name = models.CharField(max_length=200, validators=[single_line])
    slug = models.SlugField(max_length=60, unique=True)
    min_group_size = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text="No aggregate figure is shown for fewer people than this.",
    )
    hr_contact_name = models.CharField(max_length=200, blank=True, validators=[single_line])
    hr_contact_email = models.EmailField(blank=True)
    professional_help_url = models.URLField(
        blank=True, help_text="Employee assistance programme (EAP) or counselling service."
    )
    professional_help_text = models.CharField(
        max_length=300,
        blank=True,
        help_text="One line on how to reach professional help, e.g. a phone number.",
    )
    checkin_every_weeks = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    checkin_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(10), MaxValueValidator(240)]
    )
    level_ladder = models.JSONField(
        default=default_ladder, help_text="Level labels from most junior to most senior."
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    # Off once the organization signs in through its single sign-on only: its members then get
    # in through their identity provider, which is where the company turns a leaver off. The
    # column has a database default too, so code that predates it (a deploy in progress, a
    # migration test's historical models) can still create organizations.
    password_sign_in = models.BooleanField(
        default=True, db_default=True, help_text="Members may sign in with a Twoway password."
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        ladder = self.level_ladder
        if (
            not isinstance(ladder, list)
            or not ladder
            or not all(isinstance(x, str) and x.strip() for x in ladder)
        ):
            raise ValidationError({"level_ladder": "The ladder needs at least one level label."})
        if len(set(ladder)) != len(ladder):
            raise ValidationError({"level_ladder": "Each level label must be different."})

    def level_label(self, level: int | None) -> str:
        if level is None or not 1 <= level <= len(self.level_ladder):
            return ""
        return str(self.level_ladder[level - 1])


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who can sign in. What they are inside an organization lives on Person."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True, validators=[single_line])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the operators' admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class Role(models.TextChoices):
    PARTICIPANT = "participant", "Participant"
    PROGRAM_MANAGER = "program_manager", "Program manager"
    ORG_ADMIN = "org_admin", "Org admin"


# Higher roles include what lower ones may do.
ROLE_RANK = {Role.PARTICIPANT: 0, Role.PROGRAM_MANAGER: 1, Role.ORG_ADMIN: 2}


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PARTICIPANT)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.get_role_display()})"

    def has_role(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


class AuditEvent(models.Model):
    """Who did what as an admin: kept so an organization can answer for every admin action."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=80)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"


class PasswordResetAttempt(models.Model):
    """One request for a password-reset email, kept an hour to throttle them. In the database,
    not in a per-process cache, because several web processes answer the same page. The address
    is kept as a hash: the table only needs to count, not to say who asked."""

    email_hash = models.CharField(max_length=64, db_index=True)
    ip_address = models.CharField(max_length=45, blank=True, db_index=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.ip_address}"
