"""Reading an identity provider's OpenID discovery document, to check an admin's settings
before they are saved (the same document allauth reads at each sign-in)."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings

WELL_KNOWN = "/.well-known/openid-configuration"


class DiscoveryError(Exception):
    pass


def normalise_issuer(url: str) -> str:
    """What the admin pasted, as allauth expects it: the issuer, or the discovery URL itself."""
    url = url.strip()
    if WELL_KNOWN in url:
        return url
    return url.rstrip("/")


def discovery_url(issuer: str) -> str:
    return issuer if "/.well-known/" in issuer else issuer + WELL_KNOWN


def fetch_discovery(issuer: str) -> dict[str, Any]:
    url = discovery_url(issuer)
    try:
        response = requests.get(url, timeout=settings.SOCIALACCOUNT_REQUESTS_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except requests.RequestException as exc:
        raise DiscoveryError(f"Could not read {url}: {exc.__class__.__name__}.") from None
    except ValueError:
        raise DiscoveryError(f"{url} did not answer with a discovery document.") from None
    missing = [
        key
        for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not isinstance(document, dict) or not document.get(key)
    ]
    if missing:
        raise DiscoveryError(f"{url} is missing {', '.join(missing)}.")
    return document
