from __future__ import annotations

from typing import Any

from django import forms

from twoway.goals.models import GoalStatus
from twoway.lib.fields import DateField


class GoalForm(forms.Form):
    label_suffix = ""
    template = forms.ChoiceField(label="Start from a template", required=False)
    title = forms.CharField(
        label="The goal, in my own words",
        max_length=200,
        required=False,
        help_text="Empty: the template's name.",
    )
    description = forms.CharField(
        label="What success looks like",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_private = forms.BooleanField(label="Private: only I see this goal", required=False)
    milestone = forms.CharField(label="A first milestone", required=False, max_length=200)
    milestone_due = DateField(
        label="By",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, templates: list[str], editing: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        field: forms.ChoiceField = self.fields["template"]  # type: ignore[assignment]
        field.choices = [("", "— my own words —"), *[(t, t) for t in templates]]
        if editing:
            del self.fields["milestone"]
            del self.fields["milestone_due"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("title") or "").strip() and not data.get("template"):
            self.add_error("title", "Write the goal, or pick a template.")
        return data


class ProgressForm(forms.Form):
    label_suffix = ""
    progress = forms.IntegerField(label="Progress (%)", min_value=0, max_value=100)
    status = forms.ChoiceField(label="Status", choices=GoalStatus.choices)
    note = forms.CharField(label="What moved", required=False, max_length=2000)


class MilestoneForm(forms.Form):
    label_suffix = ""
    title = forms.CharField(label="Milestone", max_length=200)
    due_on = DateField(
        label="By",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
