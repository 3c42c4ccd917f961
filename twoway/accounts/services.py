from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from twoway.accounts.models import (
    AuditEvent,
    Membership,
    Organization,
    PasswordResetAttempt,
    Role,
    User,
)
from twoway.lib.errors import Conflict

logger = logging.getLogger(__name__)


class LastAdminError(Conflict):
    """The last org admin cannot step down: someone must be able to run the organization."""


def audit(
    *, org: Organization, actor: User | None, action: str, target: str = "", **details: Any
) -> AuditEvent:
    return AuditEvent.objects.create(
        organization=org, actor=actor, action=action, target=target, details=details
    )


@transaction.atomic
def organization_update_settings(
    *, org: Organization, actor: User, changed: dict[str, Any]
) -> Organization:
    """Save settings an org admin changed, with an audit row listing old and new values."""
    before = {name: getattr(Organization.objects.get(pk=org.pk), name) for name in changed}
    for name, value in changed.items():
        setattr(org, name, value)
    org.full_clean()
    org.save()
    diff = {name: [before[name], value] for name, value in changed.items() if before[name] != value}
    if diff:
        audit(
            org=org,
            actor=actor,
            action="organization.settings_changed",
            target=org.slug,
            changes=diff,
        )
    return org


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor: User) -> Membership:
    org = membership.organization
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == role:
        return locked
    if locked.role == Role.ORG_ADMIN and role != Role.ORG_ADMIN:
        admins = Membership.objects.filter(organization=org, role=Role.ORG_ADMIN).count()
        if admins <= 1:
            raise LastAdminError("An organization needs at least one org admin.")
    old = locked.role
    locked.role = role
    locked.save(update_fields=["role"])
    audit(
        org=org,
        actor=actor,
        action="membership.role_changed",
        target=locked.user.email,
        old=old,
        new=role,
    )
    return locked


RESET_WINDOW = dt.timedelta(hours=1)


def password_reset_attempt_record(*, email: str, ip_address: str) -> bool:
    """Count one request for a reset email; False when the address or the client asked too
    often within the hour. The caller answers the same either way, so the throttle tells
    nobody whether an account exists. Refusals go to the log, and to the audit log of each
    organization the account belongs to."""
    now = timezone.now()
    email_hash = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    with transaction.atomic():
        PasswordResetAttempt.objects.filter(created__lt=now - RESET_WINDOW).delete()
        recent = PasswordResetAttempt.objects.filter(created__gte=now - RESET_WINDOW)
        by_email = recent.filter(email_hash=email_hash).count()
        by_ip = recent.filter(ip_address=ip_address).count() if ip_address else 0
        PasswordResetAttempt.objects.create(
            email_hash=email_hash, ip_address=ip_address, created=now
        )
    over = []
    if by_email >= settings.PASSWORD_RESET_LIMIT_PER_EMAIL:
        over.append("email")
    if ip_address and by_ip >= settings.PASSWORD_RESET_LIMIT_PER_IP:
        over.append("ip_address")
    if not over:
        return True
    logger.warning(
        "password reset throttled (%s) for %s from %s", "+".join(over), email_hash[:12], ip_address
    )
    # Audited once per window (the first refusal), so a script hammering the page does not
    # bury the organization's audit log.
    first_refusal = by_email == settings.PASSWORD_RESET_LIMIT_PER_EMAIL or (
        ip_address and by_ip == settings.PASSWORD_RESET_LIMIT_PER_IP
    )
    if first_refusal:
        memberships = Membership.objects.filter(
            user__email__iexact=email.strip(), user__is_active=True
        ).select_related("organization")
        for membership in memberships:
            audit(
                org=membership.organization,
                actor=None,
                action="password_reset.throttled",
                target=email.strip().lower(),
                ip_address=ip_address,
                limit=over,
            )
    return False
