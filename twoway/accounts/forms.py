from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from twoway.accounts.access import password_sign_in_refused_by
from twoway.accounts.models import Membership, Organization, Role


class OrganizationSettingsForm(forms.ModelForm[Organization]):
    ladder = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Level ladder",
        help_text="One level per line, from most junior to most senior.",
    )
    professional_help_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Professional help (EAP) link",
        help_text="Employee assistance programme (EAP) or counselling service.",
    )
    time_zone = forms.ChoiceField(
        choices=[(tz, tz) for tz in sorted(zoneinfo.available_timezones())]
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "time_zone",
            "min_group_size",
            "checkin_every_weeks",
            "checkin_minutes",
            "hr_contact_name",
            "hr_contact_email",
            "professional_help_url",
            "professional_help_text",
        ]
        labels = {
            "min_group_size": "Minimum group size for any aggregate",
            "checkin_every_weeks": "Check in every … weeks",
            "checkin_minutes": "Check-in length (minutes)",
            "hr_contact_name": "HR contact name",
            "hr_contact_email": "HR contact email",
            "professional_help_url": "Professional help (EAP) link",
            "professional_help_text": "How to reach professional help",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ladder"].initial = "\n".join(self.instance.level_ladder)

    def clean_ladder(self) -> list[str]:
        labels = [line.strip() for line in self.cleaned_data["ladder"].splitlines() if line.strip()]
        if not labels:
            raise forms.ValidationError("The ladder needs at least one level.")
        if len(set(labels)) != len(labels):
            raise forms.ValidationError("Each level label must be different.")
        if any(len(label) > 40 for label in labels):
            raise forms.ValidationError("Keep each level label under 40 characters.")
        return labels

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "ladder" in data:
            self.instance.level_ladder = data["ladder"]
        return data


class MembershipRoleForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org

    def clean_membership(self) -> Membership:
        try:
            return Membership.objects.select_related("user").get(
                pk=self.cleaned_data["membership"], organization=self.org
            )
        except Membership.DoesNotExist:
            raise forms.ValidationError("That member is not in this organization.") from None


class SignInForm(AuthenticationForm):
    """Email and password, refused for people whose organizations sign in through SSO only.

    The refusal comes after the password was checked, so it tells nothing to someone who does
    not know it.
    """

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        org = password_sign_in_refused_by(user)
        if org is not None:
            raise forms.ValidationError(
                f"{org.name} signs in through its single sign-on, not with a password. "
                "Use “Sign in with your company's SSO” below.",
                code="sso_only",
            )
