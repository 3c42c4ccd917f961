from __future__ import annotations

from django import forms

from twoway.directory.records import MAX_BYTES


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="HR export (CSV)",
        help_text="One row per person; the first row names the columns. Nothing changes until "
        "you confirm the preview.",
    )
    deactivate_missing = forms.BooleanField(
        required=False,
        label="This file lists everyone: people who are not in it have left",
        help_text="Leave unticked for a partial file (one department, new hires only).",
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 25 MB.")
        return upload


class InvitationAcceptForm(forms.Form):
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label="The same password again",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
