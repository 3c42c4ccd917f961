from __future__ import annotations

from typing import Any

from django import forms

from twoway.feedback.models import FitAnswer
from twoway.feedback.selectors import PULSE_WORDING, SCALE
from twoway.people.models import Person


def _area(label: str, help_text: str, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FeedbackForm(forms.Form):
    """Honest and kind: appreciation first, then situation, behaviour, impact; then
    start / stop / continue. "Brutally honest, without being brutal"."""

    label_suffix = ""

    label_suffix = ""
    subject = forms.TypedChoiceField(label="About", coerce=int)
    appreciated = _area(
        "What I appreciated", "Something specific they did that helped you.", required=True
    )
    situation = _area("Situation", "When and where: 'In our check-in on Tuesday…'")
    behaviour = _area("Behaviour", "What they did or said — observable, not a judgement.")
    impact = _area("Impact", "What it meant for you.")
    start = _area("Start", "One thing they could start doing.")
    stop = _area("Stop", "One thing they could stop doing.")
    keep = _area("Continue", "One thing they should keep doing.")

    def __init__(self, *args: Any, partners: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.TypedChoiceField = self.fields["subject"]  # type: ignore[assignment]
        field.choices = [(p.pk, p.name) for p in partners]
        if len(partners) == 1:
            field.initial = partners[0].pk
            field.widget = forms.HiddenInput()


class FitForm(forms.Form):
    label_suffix = ""
    answer = forms.ChoiceField(
        label="After your first check-in, how does it feel?",
        choices=FitAnswer.choices,
        widget=forms.RadioSelect,
    )


SCORE_CHOICES = [(str(v), f"{v} — {label}") for v, label in SCALE.items()]


class PulseForm(forms.Form):
    label_suffix = ""
    belonging = forms.TypedChoiceField(
        label=PULSE_WORDING["belonging"],
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    stress = forms.TypedChoiceField(
        label=PULSE_WORDING["stress"],
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    confidence = forms.TypedChoiceField(
        label=PULSE_WORDING["confidence"],
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    energy = forms.TypedChoiceField(
        label=PULSE_WORDING["energy"],
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    word = forms.CharField(
        label="One word for how you are (optional)", required=False, max_length=40
    )
