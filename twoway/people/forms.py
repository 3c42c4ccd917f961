from __future__ import annotations

import itertools
import re
import zoneinfo
from typing import Any

from django import forms
from django.forms import formset_factory

from twoway.accounts.models import Organization
from twoway.people.models import Person, Skill, Strength, Weekday
from twoway.people.vocabulary import skill_key

STRENGTH_CHOICES = [("0", "—"), *[(str(v), label) for v, label in Strength.choices]]


def time_zone_choices() -> list[tuple[str, str]]:
    return [(tz, tz.replace("_", " ")) for tz in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm[Person]):
    label_suffix = ""
    level = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    time_zone = forms.ChoiceField()

    class Meta:
        model = Person
        fields = [
            "name",
            "pronouns",
            "title",
            "level",
            "location",
            "time_zone",
            "meeting_preference",
            "bio",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        labels = {"bio": "A few words about me", "meeting_preference": "I like to meet"}
        help_texts = {"bio": "A few lines a peer would like to know before you first meet."}

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.organization = org
        level_field: forms.TypedChoiceField = self.fields["level"]  # type: ignore[assignment]
        level_field.choices = [
            ("", "—"),
            *[(str(i), label) for i, label in enumerate(org.level_ladder, 1)],
        ]
        tz_field: forms.ChoiceField = self.fields["time_zone"]  # type: ignore[assignment]
        tz_field.choices = time_zone_choices()


class SkillsForm(forms.Form):
    """Two pickers over the organization's taxonomy: what I can share and what I want to grow.

    Fields are named offer_<skill id> and seek_<skill id>; "0" means not chosen.
    """

    def __init__(
        self,
        *args: Any,
        skills: list[Skill],
        initial_strengths: dict[tuple[str, int], int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.skills = skills
        for direction in ("offer", "seek"):
            # Free text for a skill the list does not show; the page's <datalist> suggests the
            # organization's skills, and the vocabulary lands other spellings on them.
            self.fields[f"{direction}_add"] = forms.CharField(
                required=False,
                max_length=300,
                label="Add a skill" if direction == "offer" else "Add a skill to grow",
                help_text="Type a skill; several can go with commas between them.",
                widget=forms.TextInput(attrs={"list": "skill-suggestions", "autocomplete": "off"}),
            )
            self.fields[f"{direction}_add_strength"] = forms.TypedChoiceField(
                coerce=int,
                choices=Strength.choices,
                initial=Strength.GOOD,
                required=False,
                label="How much",
            )
        for direction in ("offer", "seek"):
            for skill in skills:
                self.fields[f"{direction}_{skill.pk}"] = forms.ChoiceField(
                    choices=STRENGTH_CHOICES,
                    required=False,
                    label=skill.name,
                    initial=str(initial_strengths.get((direction, skill.pk), 0)),
                )

    def typed(self, direction: str) -> list[tuple[str, int]]:
        """The skills written into the direction's "add" field, with the strength chosen."""
        text = self.cleaned_data.get(f"{direction}_add") or ""
        strength = int(self.cleaned_data.get(f"{direction}_add_strength") or Strength.GOOD)
        return [(part.strip(), strength) for part in re.split(r"[;,]", text) if part.strip()]

    def strengths(self, direction: str) -> dict[int, int]:
        chosen: dict[int, int] = {}
        for skill in self.skills:
            value = int(self.cleaned_data.get(f"{direction}_{skill.pk}") or 0)
            if value:
                chosen[skill.pk] = value
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for direction in ("offer", "seek"):
            text = data.get(f"{direction}_add") or ""
            if re.search(r"[\x00-\x1f\x7f-\x9f]", text):
                self.add_error(f"{direction}_add", "Write the skills on one line.")
            for part in re.split(r"[;,]", text):
                if part.strip() and not skill_key(part):
                    self.add_error(f"{direction}_add", f"'{part.strip()}' is not a skill name.")
                elif len(part.strip()) > 100:
                    self.add_error(f"{direction}_add", "A skill name has at most 100 characters.")
        return data

    def grouped(self, direction: str) -> list[tuple[str, list[forms.BoundField], bool]]:
        """Bound fields grouped by skill category, each with whether it holds a choice (the
        template opens those groups so a person sees what they picked)."""
        groups: dict[str, list[forms.BoundField]] = {}
        for skill in self.skills:
            groups.setdefault(skill.get_category_display(), []).append(
                self[f"{direction}_{skill.pk}"]
            )
        return [
            (category, fields, any(str(f.value() or "0") != "0" for f in fields))
            for category, fields in groups.items()
        ]


class AvailabilityForm(forms.Form):
    # The empty choice keeps untouched extra rows unchanged, so the formset skips them.
    weekday = forms.TypedChoiceField(coerce=int, choices=[("", "—"), *Weekday.choices])
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", "The window must end after it starts.")
        return data


class BaseAvailabilityFormSet(forms.BaseFormSet[AvailabilityForm]):
    def clean(self) -> None:
        if any(self.errors):
            return
        windows = sorted(
            (f.cleaned_data["weekday"], f.cleaned_data["start"], f.cleaned_data["end"])
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        )
        for (day_a, _, end_a), (day_b, start_b, _) in itertools.pairwise(windows):
            if day_a == day_b and start_b < end_a:
                raise forms.ValidationError(
                    f"Two windows on {Weekday(day_a).label} overlap; merge them into one."
                )


AvailabilityFormSet = formset_factory(
    AvailabilityForm,
    formset=BaseAvailabilityFormSet,
    extra=2,
    can_delete=True,
    max_num=21,
    validate_max=True,
)


class DirectorySearchForm(forms.Form):
    q = forms.CharField(required=False, label="Name", max_length=100)
    # A text search, not a list of every team: an organization of thousands of teams would
    # send them all on every page of the directory.
    team = forms.CharField(
        required=False, label="Team", max_length=120, help_text="Part of a team's name"
    )
    skill = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)

    def __init__(self, *args: Any, skills: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        skill_field: forms.TypedChoiceField = self.fields["skill"]  # type: ignore[assignment]
        skill_field.choices = [("", "Any skill"), *skills]


class SkillMergeForm(forms.Form):
    """The merge page's confirmation: the two skills the preview showed, by id."""

    source = forms.IntegerField(min_value=1)
    target = forms.IntegerField(min_value=1)


class SkillRenameForm(forms.Form):
    name = forms.CharField(max_length=100, label="New name")

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if not skill_key(name):
            raise forms.ValidationError("Give the skill a name with letters or digits.")
        return name
