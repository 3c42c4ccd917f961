from __future__ import annotations

from django import forms


class HelpRequestForm(forms.Form):
    label_suffix = ""
    message = forms.CharField(
        label="What would you like help with?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only this message and your name and email go to HR — never your notes.",
    )
    consent = forms.BooleanField(
        label="Yes, send this to my program's HR contact, confidentially.", required=False
    )
