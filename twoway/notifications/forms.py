from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms

from twoway.lib.fields import DateField
from twoway.notifications import kinds
from twoway.notifications.models import (
    REMINDER_OFFSET_CHOICES,
    ChannelChoice,
    NotificationSettings,
)
from twoway.notifications.services import PreferencesChange, channel_for
from twoway.people.models import Person


def _offset_label(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days * 24} hours before"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour{'s' if minutes > 60 else ''} before"
    return f"{minutes} minutes before"


class PreferencesForm(forms.Form):
    quiet_start = forms.TimeField(
        required=False, label="Quiet from", widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        required=False, label="until", widget=forms.TimeInput(attrs={"type": "time"})
    )
    paused_until = DateField(
        required=False,
        label="Pause everything until (inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    weekly_digest = forms.BooleanField(required=False, label="Send me a weekly digest on Monday")
    reminder_offsets = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        label="Remind me before a check-in",
        choices=[(m, _offset_label(m)) for m in REMINDER_OFFSET_CHOICES],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        person: Person,
        row: NotificationSettings,
        prefs: dict[str, str],
        slack: bool,
        **kwargs: Any,
    ) -> None:
        self.person = person
        initial: dict[str, Any] = {
            "quiet_start": row.quiet_start,
            "quiet_end": row.quiet_end,
            "paused_until": (
                row.paused_until.astimezone(self._tz()).date() - dt.timedelta(days=1)
                if row.paused_until
                else None
            ),
            "weekly_digest": row.weekly_digest,
            "reminder_offsets": list(row.reminder_offsets or []),
        }
        self.kinds = kinds.for_people()
        for kind in self.kinds:
            initial[f"kind_{kind.key}"] = channel_for(kind.key, prefs, kind.default_channel)
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        labels = dict(ChannelChoice.choices)
        for kind in self.kinds:
            self.fields[f"kind_{kind.key}"] = forms.ChoiceField(
                choices=[
                    (c, labels[c]) for c in kind.choices() if slack or c != ChannelChoice.SLACK
                ],
                label=kind.label,
                help_text=kind.help,
            )

    def _tz(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.person.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            raise forms.ValidationError("Give both ends of your quiet hours, or neither.")
        return data

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[f"kind_{kind.key}"] for kind in self.kinds]

    def change(self) -> PreferencesChange:
        data = self.cleaned_data
        return PreferencesChange(
            quiet_start=data["quiet_start"],
            quiet_end=data["quiet_end"],
            paused_until=self.paused_until_moment(),
            weekly_digest=data["weekly_digest"],
            reminder_offsets=list(data["reminder_offsets"]),
            channels={kind.key: data[f"kind_{kind.key}"] for kind in self.kinds},
        )

    def paused_until_moment(self) -> dt.datetime | None:
        """The pause ends at the start of the day after the chosen date, in the person's zone."""
        day = self.cleaned_data.get("paused_until")
        if not day:
            return None
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self._tz())
