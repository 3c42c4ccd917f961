from __future__ import annotations

from django import forms


class EndForm(forms.Form):
    label_suffix = ""
    outcome = forms.ChoiceField(
        label="How does it end?",
        choices=[
            ("completed", "Completed — we did what we set out to do"),
            ("early", "Ending early — it is not working out, no hard feelings"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Why (private)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only you see this. Your partner is told kindly, without any reason.",
    )
    rematch = forms.BooleanField(label="Match me with someone new", required=False, initial=True)


class ReflectionForm(forms.Form):
    label_suffix = ""
    learned = forms.CharField(
        label="What I learned",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    taught = forms.CharField(
        label="What I taught or helped with",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    shared = forms.BooleanField(
        label="Share this with my partner",
        required=False,
        help_text="Otherwise it is for you alone.",
    )
