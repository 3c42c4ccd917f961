"""Password-reset email through the outbox.

Django's PasswordResetView sends the email inside the request: with SMTP down the message was
silently lost while the page said "sent". Here the form queues it instead, like every other
message, and the worker delivers it when SMTP answers again.
"""

from __future__ import annotations

import hashlib
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest
from django.urls import reverse

from twoway.accounts.access import password_sign_in_refused_by
from twoway.accounts.services import password_reset_attempt_record
from twoway.notifications.services import notify


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form (it asks only for active accounts with that address, and the page
    answers the same either way), with the email queued rather than sent. The link rests
    encrypted until it is sent, and is built on BASE_URL, not on the Host header of whoever
    asked."""

    def get_users(self, email: str) -> Any:
        # No link for someone whose organization signs in through SSO only: a new password
        # would open nothing, and the mail would suggest otherwise.
        for user in super().get_users(email):
            if password_sign_in_refused_by(user) is None:
                yield user

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Throttled before anything is looked up or queued; the view then answers "on its way"
        # whatever happened, so the throttle does not reveal which addresses have accounts.
        request: HttpRequest | None = kwargs.get("request")
        ip_address = (get_client_ip_address(request) if request is not None else None) or ""
        if password_reset_attempt_record(email=self.cleaned_data["email"], ip_address=ip_address):
            super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        token = str(context["token"])
        path = reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": token})
        notify(
            email=to_email,
            kind="password_reset",
            template="password_reset",
            context={"name": user.name},
            sealed={"reset_url": f"{settings.BASE_URL}{path}"},
            dedupe_key=f"password-reset:{user.pk}:{hashlib.sha256(token.encode()).hexdigest()[:32]}",
        )
