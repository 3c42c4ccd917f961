"""The closing reflection: what I learned, what I taught — private unless its author shares it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from twoway.lib.encrypted import EncryptedTextField
from twoway.people.models import Person
from twoway.programs.models import Partnership


class Reflection(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="reflections"
    )
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    learned = EncryptedTextField("What I learned", blank=True, max_length=4000)
    taught = EncryptedTextField("What I taught or helped with", blank=True, max_length=4000)
    shared = models.BooleanField(
        default=False, help_text="Show it to my partner (it feeds 'reciprocity at a glance')."
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "author"], name="one_reflection_each")
        ]

    def __str__(self) -> str:
        return f"Reflection {self.pk}"
