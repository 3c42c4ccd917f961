from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import World, client_for
from tests.integrations.sso.conftest import CALLBACK, IdentityProvider, sso_sign_in
from twoway.accounts.models import AuditEvent
from twoway.integrations.sso.models import SsoConnection, SsoDomain
from twoway.integrations.sso.services import sso_connection_secret

URL = "/o/acme/settings/sso/"


def form(idp: IdentityProvider, **changes: Any) -> dict[str, Any]:
    data = {
        "enabled": "on",
        "protocol": "oidc",
        "issuer": idp.issuer + "/",
        "client_id": "twoway-client",
        "client_secret": "s3cret-from-the-console",
        "id_claim": "sub",
        "domains": "Acme.example\n@acme-labs.example",
        "link_by_email": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_it_shows_the_admin_what_to_register(world: World) -> None:
    response = client_for(world.carol).get(URL)
    assert response.status_code == 200
    assert b"http://127.0.0.1:8000/sso/oidc/acme/callback/" in response.content
    assert b"openid profile email" in response.content


def test_it_saves_a_checked_connection_with_the_secret_encrypted(
    world: World, idp: IdentityProvider
) -> None:
    response = client_for(world.carol).post(URL, form(idp))
    assert response.status_code == 302, response.content.decode()[:2000]
    connection = SsoConnection.objects.get(organization=world.acme)
    assert connection.issuer == idp.issuer  # the trailing slash is gone: allauth appends to it
    assert connection.provider_id == "acme" and connection.enabled and connection.link_by_email
    assert "s3cret" not in connection.client_secret_encrypted
    assert sso_connection_secret(connection) == "s3cret-from-the-console"
    assert connection.domains == ["acme-labs.example", "acme.example"]
    event = AuditEvent.objects.get(organization=world.acme, action="sso.created")
    assert event.actor == world.carol
    assert event.details["changes"]["client_secret"] == "changed"
    assert "s3cret" not in str(event.details)

    # An empty secret keeps the stored one; a changed domain list is audited.
    response = client_for(world.carol).post(
        URL, form(idp, client_secret="", domains="acme.example")
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert sso_connection_secret(connection) == "s3cret-from-the-console"
    changed = AuditEvent.objects.get(organization=world.acme, action="sso.changed")
    assert changed.details["changes"] == {
        "allowed_domains": [["acme-labs.example", "acme.example"], ["acme.example"]]
    }


def test_it_refuses_an_issuer_that_answers_no_discovery_document(
    world: World, idp: IdentityProvider
) -> None:
    response = client_for(world.carol).post(URL, form(idp, issuer="http://127.0.0.1:9"))
    assert response.status_code == 400
    assert b"Could not read http://127.0.0.1:9/.well-known/openid-configuration" in (
        response.content
    )
    response = client_for(world.carol).post(URL, form(idp, issuer=idp.issuer + "/nothing-here"))
    assert response.status_code == 400
    # The same provider under another name: its tokens would name 127.0.0.1 and fail later.
    other_name = idp.issuer.replace("127.0.0.1", "localhost")
    response = client_for(world.carol).post(URL, form(idp, issuer=other_name))
    assert response.status_code == 400
    assert f"The provider calls itself {idp.issuer}".encode() in response.content
    assert not SsoConnection.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="sso.").exists()


def test_it_refuses_bad_or_taken_domains(world: World, idp: IdentityProvider) -> None:
    globex = SsoConnection.objects.create(
        organization=world.globex, provider_id="globex", issuer=idp.issuer, client_id="g"
    )
    SsoDomain.objects.create(connection=globex, domain="globex.example")
    response = client_for(world.carol).post(URL, form(idp, domains="acme.example globex.example"))
    assert response.status_code == 400
    assert b"Already used by another organization" in response.content
    response = client_for(world.carol).post(URL, form(idp, domains="not a domain"))
    assert response.status_code == 400
    assert b"Not an email domain" in response.content
    assert not SsoConnection.objects.filter(organization=world.acme).exists()


def test_passwords_go_off_only_after_the_admin_came_in_through_sso(
    world: World, idp: IdentityProvider
) -> None:
    carol = client_for(world.carol)
    client_id, secret = idp.register(CALLBACK.format(provider_id="acme"))
    settings = form(idp, client_id=client_id, client_secret=secret)
    assert carol.post(URL, settings).status_code == 302

    response = carol.post(URL, {**settings, "password_sign_in_off": "on"})
    assert response.status_code == 400
    assert b"Sign in through single sign-on yourself first" in response.content
    world.acme.refresh_from_db()
    assert world.acme.password_sign_in

    world.carol_person.external_id = "00u4carol"
    world.carol_person.save()
    sso = Client()
    assert sso_sign_in(sso, idp, sub="00u4carol").status_code == 302  # type: ignore[attr-defined]
    response = sso.post(URL, {**settings, "client_secret": "", "password_sign_in_off": "on"})
    assert response.status_code == 302
    world.acme.refresh_from_db()
    assert not world.acme.password_sign_in
    event = AuditEvent.objects.get(action="organization.settings_changed")
    assert event.details["changes"] == {"password_sign_in": [True, False]}

    # Single sign-on cannot be switched off while it is the only way in.
    without_sso = {k: v for k, v in settings.items() if k != "enabled"}
    response = sso.post(URL, {**without_sso, "password_sign_in_off": "on"})
    assert response.status_code == 400
    assert SsoConnection.objects.get(organization=world.acme).enabled


def test_operators_can_turn_a_connection_off_in_the_admin(
    world: World, acme_sso: SsoConnection
) -> None:
    from twoway.accounts.models import User

    operator = User.objects.create_superuser("ops@example.com", "x")
    admin = Client()
    admin.force_login(operator)
    page = admin.get(f"/admin/sso/ssoconnection/{acme_sso.pk}/change/")
    assert page.status_code == 200
    assert b"acme.example" in page.content  # the allowed domains, inline
    assert b"client_secret" not in page.content
    # allauth's own tables are not offered: sign-in is set up per organization, not there.
    assert admin.get("/admin/socialaccount/socialapp/").status_code == 404
