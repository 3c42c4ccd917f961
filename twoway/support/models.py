"""Boundaries: "this needs more than a peer" requests to HR, and the private uncertainty flag."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from twoway.lib.encrypted import EncryptedTextField
from twoway.people.models import Person
from twoway.programs.models import Partnership


class HelpRequest(models.Model):
    """A confidential request to the program's HR contact, sent only with explicit consent.

    It carries the person's own message and how to reach them, never the pair's notes.
    """

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="help_requests"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="help_requests")
    message = EncryptedTextField(max_length=2000)
    consent_at = models.DateTimeField()
    hr_name = models.CharField(max_length=200, blank=True)
    hr_email = models.EmailField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Help request {self.pk}"


class UncertainFlag(models.Model):
    """ "I feel uncertain about this partnership": seen by the program manager only."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="uncertain_flags"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "person"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_uncertain_flag",
            )
        ]

    def __str__(self) -> str:
        return f"Uncertain flag {self.pk}"
