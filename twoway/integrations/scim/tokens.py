"""Organization SCIM tokens: made by an org admin, shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from twoway.accounts.models import Organization, User
from twoway.accounts.services import audit
from twoway.integrations.scim.models import ScimToken

TOKEN_PREFIX = "twscim"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class NewToken:
    token: ScimToken
    secret: str  # the whole bearer token: shown to the admin once, never stored


@transaction.atomic
def scim_token_create(*, organization: Organization, label: str, actor: User) -> NewToken:
    label = " ".join(label.split())[:100] or "Identity provider"
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ScimToken.objects.create(
        organization=organization,
        label=label,
        prefix=prefix,
        token_hash=_hash(secret),
        created_by=actor,
    )
    audit(org=organization, actor=actor, action="scim.token_create", target=str(token))
    return NewToken(token=token, secret=secret)


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, actor: User) -> ScimToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(org=token.organization, actor=actor, action="scim.token_revoke", target=str(token))
    return token


def scim_token_authenticate(header: str | None) -> ScimToken | None:
    """The active token a `Bearer …` header carries, or None."""
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(f"{TOKEN_PREFIX}_"):
        return None
    prefix = secret.split("_")[1] if secret.count("_") >= 2 else ""
    token = (
        ScimToken.objects.select_related("organization")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, _hash(secret)):
        return None
    now = timezone.now()
    # One write a minute at most: an identity provider syncing thousands of users should not
    # turn every read into a write.
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used=now)
    return token
