from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, World
from tests.notifications.helpers import drain
from tests.notifications.servers import SmtpSink, free_port
from twoway.accounts.models import User
from twoway.notifications.models import OutboxMessage


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
def test_it_stores_passwords_with_argon2(db: None) -> None:
    user = User.objects.create_user("Eve@Example.COM", "a long passphrase here")
    assert user.email == "eve@example.com"
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password("a long passphrase here")


def test_it_signs_in_with_email_and_lands_in_the_org(world: World) -> None:
    client = Client()
    response = client.post(
        reverse("login"), {"username": "alice@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == reverse("org_home", kwargs={"org_slug": "acme"})
    assert b"Alice Archer" in response.content


def test_it_refuses_a_wrong_password_with_a_message(world: World) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": "alice@acme.example", "password": "nope"})
    assert response.status_code == 200
    assert b"please enter a correct email" in response.content.lower()
    assert "_auth_user_id" not in client.session


def test_it_resets_a_password_by_email(world: World) -> None:
    client = Client()
    client.post(reverse("password_reset"), {"email": "alice@acme.example"})
    assert drain() == {"sent": 1}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@acme.example"]
    assert "Reset your Twoway password" in message.subject
    link = re.search(r"https?://[^\s]+/password-reset/[^\s]+/", str(message.body))
    assert link, message.body
    # Built on BASE_URL, not on the Host header of whoever asked for it.
    assert link.group(0).startswith(settings.BASE_URL + "/")
    path = link.group(0).removeprefix(settings.BASE_URL)
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url,
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.check_password("a brand new passphrase")


def test_it_sends_no_reset_mail_for_an_unknown_address(world: World) -> None:
    response = Client().post(reverse("password_reset"), {"email": "nobody@acme.example"})
    assert response.status_code == 302  # same answer as for a known address: no account probing
    assert drain() == {}
    assert mail.outbox == [] and not OutboxMessage.objects.exists()


def test_a_reset_email_survives_smtp_being_down(world: World, smtp: SmtpSink) -> None:
    """Django sent it inside the request: with SMTP down it was dropped while the page said
    "sent". Now it waits in the outbox and arrives when the relay is back."""
    with override_settings(EMAIL_PORT=free_port()):  # nothing listens there
        known = Client().post(reverse("password_reset"), {"email": "alice@acme.example"})
        unknown = Client().post(reverse("password_reset"), {"email": "nobody@acme.example"})
        assert drain() == {"retry": 1}
    # The same answer for an account and for no account: nobody can probe addresses with it.
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    [row] = OutboxMessage.objects.all()
    assert row.recipient_email == "alice@acme.example" and row.organization is None
    assert "password-reset/" not in str(row.context)  # the link rests encrypted
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=False):
        assert drain() == {"sent": 1}
    [email] = smtp.messages
    assert email["To"] == "alice@acme.example"
    body = email.get_body(("plain",))
    assert body is not None
    link = re.search(r"https?://\S+/password-reset/\S+/", body.get_content())
    assert link is not None
    page = Client().get(link.group(0).removeprefix(settings.BASE_URL), follow=True)
    assert b"new_password1" in page.content  # the link still works after the wait


def test_a_user_in_two_orgs_chooses_one(world: World) -> None:
    from twoway.accounts.models import Membership

    Membership.objects.create(user=world.alice, organization=world.globex)
    client = Client()
    client.force_login(world.alice)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Acme" in response.content and b"Globex" in response.content
    client.get(reverse("org_home", kwargs={"org_slug": "globex"}))
    assert client.get(reverse("home"))["Location"] == reverse(
        "org_home", kwargs={"org_slug": "globex"}
    )
