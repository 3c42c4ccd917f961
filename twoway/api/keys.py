"""API keys: made by org admins, shown once, stored hashed, scoped, expiring, revocable, and
rate-limited per key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from twoway.accounts.models import Organization, User
from twoway.accounts.services import audit
from twoway.api.models import ApiKey, ApiRequestCount, Scope
from twoway.lib.errors import Invalid
from twoway.lib.tokens import matches, new_secret, read_bearer

KEY_KIND = "twapi"


@dataclass
class NewKey:
    key: ApiKey
    secret: str  # shown to the admin once, never stored


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    name: str,
    scopes: Iterable[str],
    expires_at: dt.datetime | None,
    actor: User,
) -> NewKey:
    name = " ".join(name.split())[:100]
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in Scope.values]
    if not name:
        raise Invalid("Give the key a name that says what uses it.")
    if not chosen or unknown:
        raise Invalid("Choose at least one scope" + (f"; unknown: {unknown}" if unknown else "."))
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid("The expiry must be in the future.")
    secret = new_secret(KEY_KIND)
    key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=secret.prefix,
        key_hash=secret.digest,
        scopes=chosen,
        expires_at=expires_at,
        created_by=actor,
    )
    audit(
        org=organization,
        actor=actor,
        action="api.key_create",
        target=str(key),
        scopes=chosen,
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    return NewKey(key=key, secret=secret.token)


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: User) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit(org=key.organization, actor=actor, action="api.key_revoke", target=str(key))
    return key


def api_key_authenticate(header: str | None) -> ApiKey | None:
    bearer = read_bearer(header, KEY_KIND)
    if bearer is None:
        return None
    prefix, secret = bearer
    key = ApiKey.objects.select_related("organization").filter(prefix=prefix).first()
    now = timezone.now()
    if key is None or not key.is_usable(now) or not matches(secret, key.key_hash):
        return None
    if key.last_used is None or (now - key.last_used).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used=now)
    return key


def api_rate_take(key: ApiKey, now: dt.datetime | None = None) -> int | None:
    """Count one request; the seconds to wait when the key is over its limit, else None."""
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    limit: int = settings.API_RATE_LIMIT_PER_MINUTE
    counted = ApiRequestCount.objects.filter(key=key, minute=minute).update(count=F("count") + 1)
    if not counted:
        try:
            with transaction.atomic():
                ApiRequestCount.objects.create(key=key, minute=minute, count=1)
        except IntegrityError:  # another process made this minute's row first
            ApiRequestCount.objects.filter(key=key, minute=minute).update(count=F("count") + 1)
        ApiRequestCount.objects.filter(key=key, minute__lt=minute - dt.timedelta(hours=1)).delete()
    count = ApiRequestCount.objects.filter(key=key, minute=minute).values_list("count", flat=True)
    if count and count[0] > limit:
        return 60 - now.second
    return None
