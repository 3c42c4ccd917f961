from __future__ import annotations

from twoway.accounts.models import Organization
from twoway.integrations.sso.models import SsoConnection, SsoDomain


def email_domain(email: str) -> str:
    return email.strip().rsplit("@", 1)[-1].lower() if "@" in email else ""


def sso_connection_of(*, organization: Organization) -> SsoConnection | None:
    return SsoConnection.objects.filter(organization=organization).first()


def sso_connection_enabled(*, org_slug: str) -> SsoConnection | None:
    return (
        SsoConnection.objects.select_related("organization")
        .filter(organization__slug=org_slug, enabled=True)
        .first()
    )


def sso_connection_for_email(*, email: str) -> SsoConnection | None:
    """The enabled connection that admits this address's domain (a domain has one owner)."""
    domain = email_domain(email)
    if not domain:
        return None
    row = (
        SsoDomain.objects.select_related("connection__organization")
        .filter(domain=domain, connection__enabled=True)
        .first()
    )
    return row.connection if row else None


def sso_connection_by_provider_id(*, provider_id: str) -> SsoConnection | None:
    return (
        SsoConnection.objects.select_related("organization")
        .filter(provider_id=provider_id, enabled=True)
        .first()
    )


def domains_claimed_elsewhere(*, organization: Organization, domains: list[str]) -> list[str]:
    return sorted(
        SsoDomain.objects.filter(domain__in=domains)
        .exclude(connection__organization=organization)
        .values_list("domain", flat=True)
    )
