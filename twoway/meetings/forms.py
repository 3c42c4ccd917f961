from __future__ import annotations

from typing import Any

from django import forms

from twoway.lib.fields import DateField, DateTimeField
from twoway.lib.web import TextareaField
from twoway.meetings.models import SHARED_NOTE_MAX_CHARS, MeetingMode
from twoway.people.forms import time_zone_choices
from twoway.people.models import Weekday

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def local_datetime_field(label: str, **kwargs: Any) -> DateTimeField:
    """Read in the viewer's time zone: validate the form inside timezone.override(...)."""
    return DateTimeField(
        label=label,
        widget=LocalDateTimeInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        **kwargs,
    )


class ScheduleForm(forms.Form):
    label_suffix = ""
    weekday = forms.TypedChoiceField(label="Day", choices=Weekday.choices, coerce=int)
    local_time = forms.TimeField(
        label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    time_zone = forms.ChoiceField(label="In the time zone")
    every_weeks = forms.IntegerField(label="Every … weeks", min_value=1, max_value=12)
    duration_minutes = forms.IntegerField(label="Minutes", min_value=10, max_value=240)
    mode = forms.ChoiceField(label="How", choices=MeetingMode.choices)
    location = forms.CharField(
        label="Where",
        required=False,
        max_length=300,
        help_text="A room, a video link or a phone number.",
    )
    start_on = DateField(
        label="Starting from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Empty: the next such day.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tz_field: forms.ChoiceField = self.fields["time_zone"]  # type: ignore[assignment]
        tz_field.choices = time_zone_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        location = data.get("location", "")
        if (
            data.get("mode") == MeetingMode.VIDEO
            and "://" in location
            and not location.startswith(("https://", "http://"))
        ):
            self.add_error("location", "A video link starts with https://")
        return data


class MoveForm(forms.Form):
    label_suffix = ""
    start = local_datetime_field("New time")


class NextForm(forms.Form):
    label_suffix = ""
    start = local_datetime_field("Next check-in")


class LogForm(forms.Form):
    label_suffix = ""
    status = forms.ChoiceField(choices=[("held", "We met"), ("missed", "We did not meet")])


class InformalForm(forms.Form):
    label_suffix = ""
    start = local_datetime_field("When")
    minutes = forms.IntegerField(label="About how long (minutes)", min_value=5, max_value=480)
    summary = forms.CharField(label="What it was about", max_length=300, required=False)


class AgendaForm(forms.Form):
    label_suffix = ""
    text = forms.CharField(label="Talking point", max_length=300)


class SharedNoteForm(forms.Form):
    label_suffix = ""
    body = TextareaField(
        label="Shared note (both of you see it; Markdown)",
        max_length=SHARED_NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class PrivateNoteForm(forms.Form):
    label_suffix = ""
    text = TextareaField(
        label="Private note (only you can ever read it)",
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
