from __future__ import annotations

import base64

import pytest
from django.test import Client

from tests.conftest import World, client_for
from tests.integrations.sso.conftest import SAML_HOST, saml_sign_in
from tests.integrations.sso.saml_idp import SamlIdentityProvider
from tests.integrations.sso.saml_idp import start as start_saml_idp
from twoway.accounts.access import SSO_SESSION_KEY
from twoway.accounts.models import AuditEvent
from twoway.integrations.sso.models import SsoConnection
from twoway.people.models import Person


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_it_signs_in_by_the_persistent_name_id(
    world: World, saml_idp: SamlIdentityProvider, acme_saml: SsoConnection
) -> None:
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    client = Client()
    response = saml_sign_in(client, saml_idp, name_id="00u1alice", email="alice@acme.example")
    assert response.status_code == 302, response.content  # type: ignore[attr-defined]
    assert response["Location"] == "/o/acme/"  # type: ignore[index]
    assert client.session["_auth_user_id"] == str(world.alice.pk)
    assert client.session[SSO_SESSION_KEY] == [world.acme.pk]


def test_it_reads_entras_objectidentifier_when_told_to(
    world: World, saml_idp: SamlIdentityProvider, acme_saml: SsoConnection
) -> None:
    acme_saml.id_claim = "oid"
    acme_saml.save()
    world.alice_person.external_id = "6f2b0c3e-oid"
    world.alice_person.save()
    client = Client()
    response = saml_sign_in(
        client, saml_idp, name_id="alice@acme.example", object_id="6f2b0c3e-oid"
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert client.session["_auth_user_id"] == str(world.alice.pk)


def test_it_refuses_someone_not_in_the_directory(
    world: World, saml_idp: SamlIdentityProvider, acme_saml: SsoConnection
) -> None:
    client = Client()
    response = saml_sign_in(client, saml_idp, name_id="00u9zed", email="zed@acme.example")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not _signed_in(client)
    event = AuditEvent.objects.get(action="sso.refused")
    assert event.details["reason"] == "not_in_directory"


def test_it_links_by_the_asserted_email_when_allowed(
    world: World, saml_idp: SamlIdentityProvider, acme_saml: SsoConnection
) -> None:
    acme_saml.link_by_email = True
    acme_saml.save()
    erin = Person.objects.create(organization=world.acme, name="Erin", email="erin@acme.example")
    client = Client()
    response = saml_sign_in(client, saml_idp, name_id="00u5erin", email="erin@acme.example")
    assert response.status_code == 302  # type: ignore[attr-defined]
    erin.refresh_from_db()
    assert erin.external_id == "00u5erin" and erin.user is not None


def test_it_refuses_an_assertion_changed_after_signing(
    world: World,
    saml_idp: SamlIdentityProvider,
    acme_saml: SsoConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Someone who may sign in as Zed rewrites the signed assertion to become Alice."""
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()

    def become_alice(encoded: str) -> str:
        xml = base64.b64decode(encoded).replace(b">00u9zed<", b">00u1alice<")
        return base64.b64encode(xml).decode()

    client = Client()
    response = saml_sign_in(client, saml_idp, tamper=become_alice, name_id="00u9zed")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert not _signed_in(client)
    assert "Signature validation failed" in caplog.text


def test_it_refuses_an_assertion_signed_by_another_key(
    world: World,
    saml_idp: SamlIdentityProvider,
    acme_saml: SsoConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    impostor, server = start_saml_idp()
    try:
        acme_saml.saml_certificate = impostor.certificate_body
        acme_saml.save()
        client = Client()
        response = saml_sign_in(client, saml_idp, name_id="00u1alice")
        assert response.status_code == 400  # type: ignore[attr-defined]
        assert not _signed_in(client)
        assert "Signature validation failed" in caplog.text
    finally:
        server.shutdown()
        server.server_close()


def test_it_refuses_an_answer_to_a_sign_in_this_browser_did_not_start(
    world: World, saml_idp: SamlIdentityProvider, acme_saml: SsoConnection
) -> None:
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    captured: list[str] = []

    def keep(encoded: str) -> str:
        captured.append(encoded)
        return encoded

    saml_sign_in(Client(), saml_idp, tamper=keep, name_id="00u1alice")
    other = Client()
    finish = other.post("/sso/saml/acme/acs/", {"SAMLResponse": captured[0]}, HTTP_HOST=SAML_HOST)
    response = other.get(finish["Location"], HTTP_HOST=SAML_HOST)
    # allauth finds no sign-in started under the answer's InResponseTo in this session.
    assert response.status_code == 403
    assert not _signed_in(other)
    assert not AuditEvent.objects.filter(action__startswith="sso.refused").exists()


def test_it_publishes_service_provider_metadata(
    world: World, saml_idp: SamlIdentityProvider, acme_saml: SsoConnection
) -> None:
    response = Client().get("/sso/saml/acme/metadata/", HTTP_HOST=SAML_HOST)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'entityID="http://127.0.0.1:8000/sso/saml/acme/metadata/"' in body
    assert "http://twoway.test/sso/saml/acme/acs/" in body


def test_the_settings_page_takes_a_saml_provider(
    world: World, saml_idp: SamlIdentityProvider
) -> None:
    data = {
        "enabled": "on",
        "protocol": "saml",
        "saml_entity_id": saml_idp.entity_id,
        "saml_sso_url": saml_idp.sso_url,
        "saml_certificate": "not a certificate",
        "id_claim": "sub",
        "domains": "acme.example",
    }
    carol = client_for(world.carol)
    response = carol.post("/o/acme/settings/sso/", data)
    assert response.status_code == 400
    assert b"signing certificate" in response.content
    response = carol.post(
        "/o/acme/settings/sso/", {**data, "saml_certificate": saml_idp.certificate}
    )
    assert response.status_code == 302
    connection = SsoConnection.objects.get(organization=world.acme)
    assert connection.protocol == "saml"
    assert connection.saml_certificate == saml_idp.certificate_body
    event = AuditEvent.objects.get(action="sso.created")
    assert event.details["changes"]["saml_certificate"] == "changed"
    page = carol.get("/o/acme/settings/sso/").content.decode()
    assert "http://127.0.0.1:8000/sso/saml/acme/acs/" in page
