"""Single sign-on writes: an organization's identity provider settings, and admitting a person
whom that provider has just authenticated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from twoway.accounts.models import Membership, Organization, Role, User
from twoway.accounts.services import audit, organization_update_settings
from twoway.integrations.sso.models import SsoConnection, SsoDomain
from twoway.integrations.sso.selectors import email_domain
from twoway.lib import crypto
from twoway.people.models import Person
from twoway.people.services import person_provision

# What an admin may change on the settings page, besides the secret and the domains.
CONNECTION_FIELDS = (
    "enabled",
    "protocol",
    "issuer",
    "client_id",
    "saml_entity_id",
    "saml_sso_url",
    "saml_certificate",
    "id_claim",
    "link_by_email",
    "jit_for_allowed_domains",
)


class SsoRefusal(Exception):
    """The identity provider vouched for someone this organization does not admit.

    `reason` is a stable code for the audit trail and the tests; the message is for the person.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def sso_connection_secret(connection: SsoConnection) -> str:
    if not connection.client_secret_encrypted:
        return ""
    return crypto.decrypt(connection.client_secret_encrypted)


@transaction.atomic
def sso_connection_save(
    *,
    organization: Organization,
    actor: User,
    values: Mapping[str, Any],
    client_secret: str,
    domains: list[str],
    password_sign_in: bool,
) -> SsoConnection:
    """Create or change the organization's connection; an empty `client_secret` keeps the
    stored one. Every change is audited, the secret only as "changed"."""
    connection = SsoConnection.objects.select_for_update().filter(organization=organization).first()
    created = connection is None
    if connection is None:
        connection = SsoConnection(organization=organization, provider_id=organization.slug)
    before = {name: getattr(connection, name) for name in CONNECTION_FIELDS}
    after = {name: values.get(name, before[name]) for name in CONNECTION_FIELDS}
    before_domains = [] if created else connection.domains
    for name in CONNECTION_FIELDS:
        setattr(connection, name, after[name])
    if client_secret:
        connection.client_secret_encrypted = crypto.encrypt(client_secret)
    connection.full_clean()
    connection.save()
    if domains != before_domains:
        SsoDomain.objects.filter(connection=connection).exclude(domain__in=domains).delete()
        SsoDomain.objects.bulk_create(
            SsoDomain(connection=connection, domain=d) for d in domains if d not in before_domains
        )
    changes: dict[str, Any] = {
        # A certificate is long and public: the audit says that it changed, not what it is.
        name: "changed" if name == "saml_certificate" else [before[name], after[name]]
        for name in CONNECTION_FIELDS
        if (created and after[name]) or before[name] != after[name]
    }
    if domains != before_domains:
        changes["allowed_domains"] = [before_domains, domains]
    if client_secret:
        changes["client_secret"] = "changed"
    if changes:
        audit(
            org=organization,
            actor=actor,
            action="sso.created" if created else "sso.changed",
            target=organization.slug,
            changes=changes,
        )
    if password_sign_in != organization.password_sign_in:
        organization_update_settings(
            org=organization, actor=actor, changed={"password_sign_in": password_sign_in}
        )
    return connection


def _is_true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def sso_sign_in(*, connection: SsoConnection, claims: Mapping[str, Any]) -> User:
    """The account to sign in for these verified claims, provisioned if need be; or SsoRefusal.

    The person is found by the provider's immutable id (`connection.id_claim`) in the
    directory's `external_id`; by a verified email of an allowed domain only if the admin
    allows linking by email (the id is then recorded, so a later change of address does not
    matter); and made just in time only if the admin allows it for allowed domains. A refusal
    changes nothing and leaves an audit row, so the admin can see who was turned away.
    """
    org = connection.organization
    try:
        return _admit(connection=connection, claims=claims)
    except SsoRefusal as refusal:
        audit(
            org=org,
            actor=None,
            action="sso.refused",
            target=str(claims.get("email") or claims.get(connection.id_claim) or ""),
            reason=refusal.reason,
        )
        raise


@transaction.atomic
def _admit(*, connection: SsoConnection, claims: Mapping[str, Any]) -> User:
    org = connection.organization
    # One admission at a time per organization: someone's first sign-in in several tabs at
    # once would otherwise race to create the same account. Each holds the lock for a few
    # queries, so a whole company arriving on its first morning barely notices.
    SsoConnection.objects.select_for_update().filter(pk=connection.pk).first()
    claim = connection.id_claim
    external_id = str(claims.get(claim) or "").strip()
    if not external_id:
        raise SsoRefusal(
            "no_id",
            f"Your identity provider did not send your “{claim}”. "
            "Ask your Twoway admin to check the single sign-on settings.",
        )
    email = str(claims.get("email") or "").strip().lower()
    if "email_verified" in claims:
        verified = _is_true(claims["email_verified"])
    else:
        # Entra ID never sends email_verified; its optional claim xms_edov ("email domain owner
        # verified") says the tenant owns the address's domain, which is what we rely on here.
        verified = _is_true(claims.get("xms_edov"))
    # Only a verified address in a domain the admin listed may find or make a record: a
    # provider may let people type any address into their own profile.
    trusted_email = bool(email and verified and email_domain(email) in connection.domains)

    how = "external_id"
    found = (
        Person.objects.select_for_update().filter(organization=org, external_id=external_id).first()
    )
    if found is None and trusted_email:
        by_email = (
            Person.objects.select_for_update().filter(organization=org, email__iexact=email).first()
        )
        if by_email is not None:
            if not connection.link_by_email or (
                by_email.external_id and by_email.external_id != external_id
            ):
                raise SsoRefusal(
                    "not_linked",
                    f"{org.name}'s directory lists {email} under another identity. "
                    "Ask your Twoway admin to link your account.",
                )
            found, how = by_email, "email"
    if found is None:
        if not (connection.jit_for_allowed_domains and trusted_email):
            raise SsoRefusal(
                "not_in_directory",
                f"You are not in {org.name}'s Twoway directory yet. "
                "Ask your Twoway admin or HR team to add you.",
            )
        how = "just_in_time"
    elif not found.is_active:
        raise SsoRefusal(
            "deactivated", f"Your place in {org.name}'s Twoway directory has been closed."
        )

    first_link = found is None or found.user_id is None or not found.external_id
    if found is not None and found.user_id is not None:
        user = found.user
    else:
        address = found.email.lower() if found is not None else email
        user = User.objects.filter(email__iexact=address).first()
        if user is None:
            name = str(claims.get("name") or (found.name if found else "")).strip()[:200]
            user = User.objects.create_user(address, None, name=name)
    assert user is not None
    if not user.is_active:
        raise SsoRefusal("deactivated", "Your Twoway account has been turned off.")
    if user.is_staff or user.is_superuser:
        # An identity provider run by one customer must never open an operator's account.
        raise SsoRefusal("operator", "This account signs in with its password only.")
    if Membership.objects.filter(user=user).exclude(organization=org).exists():
        # Single sign-on vouches for one organization; this account reaches others too.
        raise SsoRefusal(
            "other_organizations",
            "Your Twoway account also belongs to another organization, so it signs in with "
            "its password. Ask your Twoway admin if this is unexpected.",
        )

    membership, joined = Membership.objects.get_or_create(
        user=user, organization=org, defaults={"role": Role.PARTICIPANT}
    )
    person = person_provision(organization=org, user=user, source="sso")
    if found is not None and person.pk != found.pk:
        raise SsoRefusal(
            "not_linked",
            f"Your Twoway account is linked to another record in {org.name}'s directory. "
            "Ask your Twoway admin to fix it.",
        )
    if not person.external_id:
        person.external_id = external_id
        person.save(update_fields=["external_id", "updated"])
    if joined:
        audit(
            org=org,
            actor=None,
            action="membership.created",
            target=user.email,
            source="sso",
            role=membership.role,
        )
    if first_link:
        audit(
            org=org,
            actor=None,
            action="sso.linked",
            target=f"person:{person.pk}",
            matched_by=how,
            external_id=external_id,
        )
    return user
