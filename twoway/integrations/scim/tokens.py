"""Organization SCIM tokens: made by an org admin, shown once, stored hashed, revocable."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from twoway.accounts.models import Organization, User
from twoway.accounts.services import audit
from twoway.integrations.scim.models import ScimToken
from twoway.lib.tokens import matches, new_secret, read_bearer

TOKEN_KIND = "twscim"


@dataclass
class NewToken:
    token: ScimToken
    secret: str  # the whole bearer token: shown to the admin once, never stored


@transaction.atomic
def scim_token_create(*, organization: Organization, label: str, actor: User) -> NewToken:
    label = " ".join(label.split())[:100] or "Identity provider"
    secret = new_secret(TOKEN_KIND)
    token = ScimToken.objects.create(
        organization=organization,
        label=label,
        prefix=secret.prefix,
        token_hash=secret.digest,
        created_by=actor,
    )
    audit(org=organization, actor=actor, action="scim.token_create", target=str(token))
    return NewToken(token=token, secret=secret.token)


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, actor: User) -> ScimToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(org=token.organization, actor=actor, action="scim.token_revoke", target=str(token))
    return token


def scim_token_authenticate(header: str | None) -> ScimToken | None:
    """The active token a `Bearer …` header carries, or None."""
    bearer = read_bearer(header, TOKEN_KIND)
    if bearer is None:
        return None
    prefix, secret = bearer
    token = (
        ScimToken.objects.select_related("organization")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not matches(secret, token.token_hash):
        return None
    now = timezone.now()
    # One write a minute at most: an identity provider syncing thousands of users should not
    # turn every read into a write.
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used=now)
    return token
