"""Single sign-on as a person makes it, in Chromium: work email on Twoway's sign-in page, the
provider's login page, and back into the organization; and the page someone outside the
directory sees."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World
from tests.integrations.sso.conftest import IdentityProvider
from tests.integrations.sso.saml_idp import SamlIdentityProvider
from twoway.integrations.sso.services import sso_connection_save

pytestmark = pytest.mark.browser


def connect_acme(world: World, idp: IdentityProvider, base_url: str) -> None:
    client_id, secret = idp.register(f"{base_url}/sso/oidc/acme/callback/")
    sso_connection_save(
        organization=world.acme,
        actor=world.carol,
        values={
            "enabled": True,
            "issuer": idp.issuer,
            "client_id": client_id,
            "id_claim": "sub",
            "link_by_email": False,
            "jit_for_allowed_domains": False,
        },
        client_secret=secret,
        domains=["acme.example"],
        password_sign_in=True,
    )


def sign_in_at_provider(page: Any, sub: str, email: str) -> None:
    page.fill("input[name=sub]", sub)
    page.fill("input[name=email]", email)
    page.fill("input[name=email_verified]", "true")
    page.click("form button")


def test_a_person_signs_in_with_their_work_email(
    live_server: Any,
    page: Any,
    world: World,
    idp: IdentityProvider,
) -> None:
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    connect_acme(world, idp, live_server.url)

    page.goto(f"{live_server.url}/o/acme/people/")
    page.fill("#id_sso_email", "alice@acme.example")
    page.click("text=Continue with SSO")
    page.click("text=Sign in with Acme's SSO")
    page.wait_for_url(f"{idp.issuer}/interaction/**")
    sign_in_at_provider(page, "00u1alice", "alice@acme.example")
    page.wait_for_url(f"{live_server.url}/o/acme/people/")
    assert "Alice Archer" in page.locator(".who").inner_text()


def test_someone_outside_the_directory_is_told_why(
    live_server: Any,
    page: Any,
    world: World,
    idp: IdentityProvider,
) -> None:
    connect_acme(world, idp, live_server.url)
    page.goto(f"{live_server.url}/sso/acme/login/")
    page.click("text=Sign in with Acme's SSO")
    sign_in_at_provider(page, "00u9zed", "zed@acme.example")
    page.wait_for_url(f"{live_server.url}/sso/oidc/acme/callback/**")
    assert "You are not in Acme's Twoway directory yet" in page.locator("[role=alert]").inner_text()
    page.goto(f"{live_server.url}/o/acme/")
    assert "/accounts/login/" in page.url


def test_a_person_signs_in_through_saml(
    live_server: Any, page: Any, world: World, saml_idp: SamlIdentityProvider
) -> None:
    """The provider's answer comes back as a cross-site POST: allauth parks it and continues
    with a same-site GET, so the session that started the sign-in is found again."""
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    sso_connection_save(
        organization=world.acme,
        actor=world.carol,
        values={
            "enabled": True,
            "protocol": "saml",
            "saml_entity_id": saml_idp.entity_id,
            "saml_sso_url": saml_idp.sso_url,
            "saml_certificate": saml_idp.certificate_body,
            "id_claim": "sub",
        },
        client_secret="",
        domains=["acme.example"],
        password_sign_in=True,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_sso_email", "alice@acme.example")
    page.click("text=Continue with SSO")
    page.click("text=Sign in with Acme's SSO")
    page.wait_for_url(f"{saml_idp.base_url}/sso**")
    page.fill("input[name=name_id]", "00u1alice")
    page.fill("input[name=email]", "alice@acme.example")
    page.click("form button")
    page.wait_for_url(f"{live_server.url}/o/acme/")
    assert "Alice Archer" in page.locator(".who").inner_text()
