"""Form fields every app uses for dates, bounded to years a person could mean.

Python's dates stop at 9999-12-31: a far date typed into any form used to pass validation and
then overflow (a 500) in whatever arithmetic came next: the next check-in of a schedule, the
end of a pause, a time-zone conversion. The bound is checked once, in the field."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


def within_calendar(value: dt.date) -> None:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            "Choose a date between %(earliest)s and %(latest)s.",
            code="out_of_range",
            params={"earliest": EARLIEST.year, "latest": LATEST.year},
        )


class DateField(forms.DateField):
    default_validators = [within_calendar]


class DateTimeField(forms.DateTimeField):
    default_validators = [within_calendar]
