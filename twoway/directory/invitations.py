"""Invitations: how people imported from the HR file sign in for the first time (without SSO).

The email carries a one-time link; only its SHA-256 is stored. Opening the link shows a page and
changes nothing (mail scanners open links); the person's own POST accepts it. An invitation
expires after `INVITATION_DAYS`, can be resent (a new link; the old one dies), is revoked when
the person leaves, and every step is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from twoway.accounts.models import AuditEvent, Membership, Organization, Role, User
from twoway.accounts.services import audit
from twoway.directory.models import Invitation
from twoway.notifications.services import notify
from twoway.people.models import Person

INVITATION_DAYS = 14


class InvitationError(Exception):
    """Why an invitation cannot be used; the message is for the person holding the link."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class InviteResult:
    sent: list[Person] = field(default_factory=list)
    skipped: list[tuple[Person, str]] = field(default_factory=list)


def _why_not(person: Person, members: set[int]) -> str | None:
    if not person.is_active:
        return "has left"
    if person.user_id and person.user_id in members:
        return "can already sign in"
    return None


@transaction.atomic
def invitations_send(
    *,
    organization: Organization,
    people: Iterable[Person],
    actor: User | None,
    resend: bool = False,
) -> InviteResult:
    """Invite each person by email, once: someone with a pending invitation is skipped unless
    `resend` (then they get a new link and the old one stops working); expired ones are renewed.
    """
    people = [p for p in people if p.organization_id == organization.pk]
    members = set(
        Membership.objects.filter(
            organization=organization, user_id__in=[p.user_id for p in people if p.user_id]
        ).values_list("user_id", flat=True)
    )
    existing = {
        i.person_id: i
        for i in Invitation.objects.select_for_update().filter(person_id__in=[p.pk for p in people])
    }
    now = timezone.now()
    expires = now + dt.timedelta(days=INVITATION_DAYS)
    result = InviteResult()
    inviter = (actor.name or actor.email) if actor else organization.name
    events = []
    for person in people:
        reason = _why_not(person, members)
        invitation = existing.get(person.pk)
        if reason is None and invitation is not None:
            if invitation.accepted_at is not None:
                reason = "already accepted"
            elif invitation.state == "pending" and not resend:
                reason = "already invited"
        if reason is not None:
            result.skipped.append((person, reason))
            continue
        token = secrets.token_urlsafe(32)
        if invitation is None:
            invitation = Invitation(
                organization=organization,
                person=person,
                send_count=0,
            )
        invitation.email = person.email
        invitation.token_hash = token_hash(token)
        invitation.invited_by = actor
        invitation.send_count += 1
        invitation.sent_at = now
        invitation.expires_at = expires
        invitation.revoked_at = None
        invitation.save()
        notify(
            person=person,
            kind="invitation",
            template="directory_invitation",
            context={
                "inviter": inviter,
                "expires": timezone.localtime(expires).strftime("%d %B %Y"),
                "url": reverse("invitation_accept", kwargs={"token": token}),
            },
            dedupe_key=f"invitation:{invitation.pk}:{invitation.send_count}",
        )
        events.append(
            AuditEvent(
                organization=organization,
                actor=actor,
                action="invitation.resend" if invitation.send_count > 1 else "invitation.send",
                target=f"person:{person.pk}",
                details={"email": person.email, "expires": expires.isoformat()},
                created=now,
            )
        )
        result.sent.append(person)
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return result


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names, whatever its state, or None for a link that never was."""
    return (
        Invitation.objects.select_related("organization", "person", "person__user")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_problem(invitation: Invitation) -> str | None:
    """Why this invitation cannot be accepted now, in words for its holder, or None."""
    if invitation.accepted_at is not None:
        return "This invitation was already accepted: sign in instead."
    if not invitation.person.is_active:
        return "This invitation is no longer valid."
    if invitation.revoked_at is not None:
        return "This invitation was replaced by a newer one: use the link in the latest email."
    if invitation.expires_at <= timezone.now():
        return "This invitation has expired. Ask your administrator to send it again."
    if invitation.email.lower() != invitation.person.email.lower():
        return "Your email address changed since this invitation: ask for a new one."
    return None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, password_again: str = "") -> User:
    """Accept: the person gets (or links) an account and joins the organization as a participant.

    A new account takes the chosen password (checked by the password validators). Someone who
    already has an account, from another organization, proves it with that account's password
    instead of changing it.
    """
    locked = (
        Invitation.objects.select_for_update()
        .select_related("organization", "person")
        .get(pk=invitation.pk)
    )
    organization = locked.organization
    problem = invitation_problem(locked)
    if problem is not None:
        raise InvitationError(problem)
    person = locked.person
    user = User.objects.filter(email__iexact=person.email).first()
    if person.user_id and (user is None or user.pk != person.user_id):
        user = User.objects.get(pk=person.user_id)
    if user is not None and user.has_usable_password():
        if not user.check_password(password):
            raise InvitationError(
                "You already have a Twoway account with this email: enter its password."
            )
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
    else:
        if password != password_again:
            raise InvitationError("The two passwords are not the same.")
        candidate = user or User(email=person.email.lower(), name=person.name)
        try:
            validate_password(password, candidate)
        except Exception as exc:  # ValidationError: its messages are for the person
            messages = getattr(exc, "messages", [str(exc)])
            raise InvitationError(" ".join(messages)) from None
        if user is None:
            user = User.objects.create_user(person.email, password, name=person.name)
        else:
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
    if person.user_id != user.pk:
        Person.objects.filter(pk=person.pk).update(user=user, updated=timezone.now())
    Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Role.PARTICIPANT}
    )
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    audit(
        org=organization,
        actor=user,
        action="invitation.accept",
        target=f"person:{person.pk}",
        email=person.email,
    )
    return user


def people_to_invite(*, organization: Organization) -> Sequence[Person]:
    """Everyone active who cannot sign in yet and was never invited."""
    return list(
        Person.objects.filter(
            organization=organization, is_active=True, invitation__isnull=True
        ).exclude(user__memberships__organization=organization)
    )
