from __future__ import annotations

from typing import Any

from django import forms

from twoway.accounts.models import Organization
from twoway.lib.fields import DateField
from twoway.lib.web import TextareaField
from twoway.matching import Weights
from twoway.people.forms import SkillsForm
from twoway.people.models import Department, MeetingPreference, Person, Skill
from twoway.programs.models import EnrolmentRole, Program, ProgramKind

WEIGHT_HELP = {
    "reciprocity": "What each can teach the other",
    "mutual": "Bonus when the street runs both ways",
    "level": "Close levels (or the target gap for buddies)",
    "tenure": "Similar time at the company (tie-breaker)",
    "cross_team": "Another team or department",
    "time": "Shared free time each week",
    "meeting": "Compatible ways to meet",
    "goals": "Similar goals in their own words",
    "request": "One asked for the other by name",
}

LEVEL_RULES = ("max_level_gap", "buddy_level_min", "buddy_level_max")


class ProgramForm(forms.ModelForm[Program]):
    label_suffix = ""
    eligible_levels = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Levels (none = all)"
    )
    goal_templates_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        label="Goal templates",
        help_text="One per line; pairs pick from these or write their own.",
    )
    invite_emails = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Invite list (one work email per line)",
        help_text="With “Invite only” on, only these people can see and join the program.",
    )
    min_fit = forms.FloatField(
        min_value=0, initial=0, label="Minimum fit", help_text="No pair below this score."
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "description",
            "kind",
            "matching_mode",
            "eligible_levels",
            "eligible_departments",
            "min_tenure_days",
            "max_tenure_days",
            "invite_only",
            "enrolment_opens",
            "enrolment_closes",
            "term_weeks",
            "checkin_every_weeks",
            "checkin_minutes",
            "allow_trios",
            "allow_repeats",
            "max_open_requests",
            "max_level_gap",
            "buddy_level_min",
            "buddy_level_max",
            "hr_contact_name",
            "hr_contact_email",
        ]
        # Line breaks count once, as the browser counts them against maxlength; dates stay
        # within the years a person can mean.
        field_classes = {
            "description": TextareaField,
            "enrolment_opens": DateField,
            "enrolment_closes": DateField,
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "enrolment_opens": forms.DateInput(attrs={"type": "date"}),
            "enrolment_closes": forms.DateInput(attrs={"type": "date"}),
            "eligible_departments": forms.CheckboxSelectMultiple,
        }
        labels = {
            "eligible_departments": "Departments (none = all)",
            "min_tenure_days": "Minimum days at the company",
            "max_tenure_days": "Maximum days at the company (e.g. 90 for new hires)",
            "term_weeks": "Term (weeks)",
            "checkin_every_weeks": "Check in every … weeks",
            "checkin_minutes": "Check-in length (minutes)",
            "max_open_requests": "Open requests a person may have at once",
            "max_level_gap": "Largest level gap between peers (steps)",
            "buddy_level_min": "Onboarding buddy: at least … steps above the newcomer",
            "buddy_level_max": "Onboarding buddy: at most … steps above the newcomer",
            "hr_contact_name": "HR contact for this program (default: the organization's)",
            "hr_contact_email": "HR contact email",
        }

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        levels: forms.TypedMultipleChoiceField = self.fields["eligible_levels"]  # type: ignore[assignment]
        levels.choices = [(i, label) for i, label in enumerate(org.level_ladder, 1)]
        departments: forms.ModelMultipleChoiceField[Department] = self.fields[
            "eligible_departments"
        ]  # type: ignore[assignment]
        departments.queryset = Department.objects.filter(organization=org)
        for name in LEVEL_RULES:
            self.fields[name].required = False
        if self.instance.pk is None:
            self.initial.setdefault("checkin_every_weeks", org.checkin_every_weeks)
            self.initial.setdefault("checkin_minutes", org.checkin_minutes)
        self.initial.setdefault("goal_templates_text", "\n".join(self.instance.goal_templates))
        if self.instance.pk:
            self.initial.setdefault(
                "invite_emails",
                "\n".join(self.instance.invitees.order_by("email").values_list("email", flat=True)),
            )
        self.initial.setdefault(
            "min_fit", (self.instance.matching_settings or {}).get("min_fit", 0)
        )
        weights = {
            **Weights().as_dict(),
            **((self.instance.matching_settings or {}).get("weights") or {}),
        }
        for name, value in weights.items():
            # Left blank, a weight keeps the engine's default.
            self.fields[f"weight_{name}"] = forms.FloatField(
                min_value=0,
                max_value=10,
                initial=value,
                required=False,
                label=WEIGHT_HELP.get(name, name),
            )

    def program_fields(self) -> dict[str, Any]:
        """What program_create / program_update take: the plain fields (the many-to-many ones
        go separately), with the goal templates and matching settings worked out in clean()."""
        fields = {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name not in ("eligible_departments",)
        }
        fields["goal_templates"] = self.instance.goal_templates
        fields["matching_settings"] = self.instance.matching_settings
        return fields

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("weight_")]

    def main_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in self.fields
            if not name.startswith("weight_") and name != "min_fit"
        ]

    def clean_invite_emails(self) -> list[Person]:
        emails = {
            line.strip().lower()
            for line in self.cleaned_data["invite_emails"].replace(",", "\n").splitlines()
            if line.strip()
        }
        people = list(Person.objects.filter(organization=self.org, email__in=emails))
        unknown = sorted(emails - {p.email.lower() for p in people})
        if unknown:
            raise forms.ValidationError(
                "Nobody in this organization has these emails: " + ", ".join(unknown[:10])
            )
        return people

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in LEVEL_RULES:
            # Left blank, a level rule keeps its current value (the default for a new program).
            if data.get(name) is None and name not in self.errors:
                data[name] = getattr(self.instance, name)
        low, high = data.get("buddy_level_min"), data.get("buddy_level_max")
        if low is not None and high is not None and low > high:
            self.add_error("buddy_level_max", "At most must not be less than at least.")
        if data.get("invite_only") and not data.get("invite_emails"):
            self.add_error("invite_emails", "An invite-only program needs at least one person.")
        self.instance.organization = self.org
        self.instance.goal_templates = [
            line.strip()
            for line in (data.get("goal_templates_text") or "").splitlines()
            if line.strip()
        ]
        weights = {
            k[len("weight_") :]: v
            for k, v in data.items()
            if k.startswith("weight_") and v is not None
        }
        settings = dict(self.instance.matching_settings or {})
        settings["weights"] = weights
        settings["min_fit"] = data.get("min_fit") or 0.0
        if data.get("kind") == ProgramKind.ONBOARDING:
            settings.setdefault("level_gap", [1, 2])
        self.instance.matching_settings = settings
        return data


class EnrolmentForm(SkillsForm):
    """The intake, in the participant's own words."""

    goals = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
        label="My goals for this program",
        help_text="A few words on what you hope to get out of it, and what you would like to give.",
    )
    meeting_preference = forms.ChoiceField(
        choices=MeetingPreference.choices, label="I like to meet"
    )
    capacity = forms.TypedChoiceField(
        coerce=int,
        choices=[(1, "One"), (2, "Two"), (3, "Three")],
        label="How many partners I can take",
    )
    role = forms.ChoiceField(choices=EnrolmentRole.choices, required=False, label="I join as")
    snoozed_until = DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Pause matching until (optional)",
        help_text="Busy weeks ahead? You come back into the pool by yourself after this date.",
    )

    def __init__(
        self,
        *args: Any,
        skills: list[Skill],
        initial_strengths: dict[tuple[str, int], int],
        program: Program,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, skills=skills, initial_strengths=initial_strengths, **kwargs)
        if program.kind != ProgramKind.ONBOARDING:
            del self.fields["role"]
        else:
            role: forms.ChoiceField = self.fields["role"]  # type: ignore[assignment]
            role.choices = [
                (EnrolmentRole.MENTOR.value, "A buddy for a new teammate"),
                (EnrolmentRole.MENTEE.value, "A new teammate looking for a buddy"),
            ]
            role.required = True


class RequestForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
        label="A personal note",
        help_text="Say why you would like to be peers and what you could offer in return.",
    )


class ResponseForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    response = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
        label="A kind word (optional)",
    )


class RoundAdjustForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("lock", "Lock"), ("break", "Break"), ("pair", "Pair by hand")]
    )
    people = forms.TypedMultipleChoiceField(coerce=int, required=True)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.TypedMultipleChoiceField = self.fields["people"]  # type: ignore[assignment]
        field.choices = people
