from __future__ import annotations

from typing import Any

from django.db import transaction

from twoway.accounts.models import AuditEvent, Membership, Organization, Role, User
from twoway.lib.errors import Conflict


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
