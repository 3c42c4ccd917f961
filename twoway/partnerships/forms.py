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
    fit_rating = forms.TypedChoiceField(
        label="How good a fit was it? (private)",
        choices=[("", "Rather not say")] + [(str(i), str(i)) for i in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="1 = not a fit, 5 = a great fit. Program managers only see an average of "
        "several answers, never yours alone.",
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
