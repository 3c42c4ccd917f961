from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.test import Client

from tests.conftest import World, client_for
from tests.integrations.sso.conftest import IdentityProvider, sso_sign_in
from twoway.accounts.access import SSO_SESSION_KEY
from twoway.accounts.models import AuditEvent, Membership, User
from twoway.integrations.sso.models import SsoConnection
from twoway.lib import crypto
from twoway.people.models import Person


def test_it_signs_in_a_directory_person_by_their_immutable_id(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    client = Client()
    start = client.post("/sso/acme/login/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert sorted(query["scope"][0].split()) == ["email", "openid", "profile"]

    back = idp.sign_in(start["Location"], sub="00u1alice", email="a.archer@acme.example")
    response = client.get(back.split("testserver", 1)[1])

    assert response.status_code == 302
    assert response["Location"] == "/o/acme/"
    assert client.session["_auth_user_id"] == str(world.alice.pk)
    assert client.session[SSO_SESSION_KEY] == [world.acme.pk]
    assert b"Alice Archer" in client.get("/o/acme/").content


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _refusal() -> str:
    event = AuditEvent.objects.filter(action="sso.refused").order_by("-created", "-pk").first()
    assert event is not None
    return str(event.details["reason"])


def _set(connection: SsoConnection, **fields: object) -> None:
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.save()


def test_it_keeps_the_page_asked_for(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    client = Client()
    response = sso_sign_in(client, idp, next_url="/o/acme/people/", sub="00u1alice")
    assert response["Location"] == "/o/acme/people/"  # type: ignore[index]
    client.logout()
    response = sso_sign_in(client, idp, next_url="https://evil.example/", sub="00u1alice")
    assert response["Location"] == "/o/acme/"  # type: ignore[index]


def test_it_refuses_someone_not_in_the_directory_and_changes_nothing(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    users, memberships, people = (
        User.objects.count(),
        Membership.objects.count(),
        Person.objects.count(),
    )
    client = Client()
    response = sso_sign_in(
        client, idp, sub="00u9zed", email="zed@acme.example", email_verified="true", name="Zed"
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert b"not in Acme&#x27;s Twoway directory" in response.content  # type: ignore[attr-defined]
    assert not _signed_in(client)
    assert (User.objects.count(), Membership.objects.count(), Person.objects.count()) == (
        users,
        memberships,
        people,
    )
    event = AuditEvent.objects.get(organization=world.acme, action="sso.refused")
    assert event.details["reason"] == "not_in_directory"
    assert event.target == "zed@acme.example"


def test_it_refuses_a_deactivated_person(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    world.alice_person.external_id = "00u1alice"
    world.alice_person.is_active = False
    world.alice_person.save()
    client = Client()
    response = sso_sign_in(client, idp, sub="00u1alice")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert b"has been closed" in response.content  # type: ignore[attr-defined]
    assert _refusal() == "deactivated"
    assert not _signed_in(client)


def test_it_links_by_verified_email_only_when_the_admin_allows_it(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    erin = Person.objects.create(organization=world.acme, name="Erin Ek", email="erin@acme.example")
    claims = {"sub": "00u5erin", "email": "Erin@acme.example", "email_verified": "true"}

    client = Client()
    response = sso_sign_in(client, idp, **claims)
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert b"under another identity" in response.content  # type: ignore[attr-defined]
    assert _refusal() == "not_linked"
    assert not User.objects.filter(email="erin@acme.example").exists()

    _set(acme_sso, link_by_email=True)
    response = sso_sign_in(client, idp, **{**claims, "email_verified": "false"})
    assert response.status_code == 403, "an unverified address links nobody"  # type: ignore[attr-defined]
    assert _refusal() == "not_in_directory"

    response = sso_sign_in(client, idp, **claims)
    assert response.status_code == 302  # type: ignore[attr-defined]
    erin.refresh_from_db()
    assert erin.user is not None and erin.user.email == "erin@acme.example"
    assert not erin.user.has_usable_password()
    assert erin.external_id == "00u5erin"
    assert Membership.objects.get(user=erin.user, organization=world.acme).role == "participant"
    assert AuditEvent.objects.filter(action="sso.linked", details__matched_by="email").exists()

    # Next time the immutable id finds her, whatever address the provider now sends.
    client.logout()
    response = sso_sign_in(client, idp, sub="00u5erin", email="erin.ek@acme.example")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert client.session["_auth_user_id"] == str(erin.user.pk)


def test_it_refuses_to_link_by_email_a_record_that_holds_another_id(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    _set(acme_sso, link_by_email=True)
    Person.objects.create(
        organization=world.acme, name="Erin", email="erin@acme.example", external_id="00u5erin"
    )
    client = Client()
    response = sso_sign_in(
        client, idp, sub="00u6mallory", email="erin@acme.example", email_verified="true"
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert _refusal() == "not_linked"
    assert not _signed_in(client)


def test_it_makes_just_in_time_accounts_only_for_allowed_domains(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    _set(acme_sso, jit_for_allowed_domains=True)
    client = Client()
    response = sso_sign_in(
        client, idp, sub="00u7elsewhere", email="finn@elsewhere.example", email_verified="true"
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not User.objects.filter(email="finn@elsewhere.example").exists()
    assert _refusal() == "not_in_directory"

    response = sso_sign_in(
        client, idp, sub="00u8finn", email="finn@acme.example", email_verified="true", name="Finn"
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    person = Person.objects.get(organization=world.acme, email="finn@acme.example")
    assert person.external_id == "00u8finn" and person.name == "Finn"
    assert person.user is not None and client.session["_auth_user_id"] == str(person.user.pk)
    assert Membership.objects.filter(user=person.user, organization=world.acme).exists()
    assert AuditEvent.objects.filter(
        action="person.provision", details__source="sso", organization=world.acme
    ).exists()


def test_it_reads_entra_ids_object_id_when_told_to(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    _set(acme_sso, id_claim="oid")
    world.alice_person.external_id = "6f2b0c3e-1d7a-4b8e-9c4f-3a5d2e1b0a99"
    world.alice_person.save()
    client = Client()
    # Entra's sub is pairwise (one per app): it matches nothing in the directory; oid does.
    response = sso_sign_in(client, idp, sub="pairwise-xyz", oid=world.alice_person.external_id)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert client.session["_auth_user_id"] == str(world.alice.pk)

    client.logout()
    response = sso_sign_in(client, idp, sub="pairwise-abc")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert b"oid" in response.content  # type: ignore[attr-defined]


def test_it_never_opens_an_account_that_reaches_another_organization(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    """Acme's identity provider vouches for Acme only: an account that is also in Globex (or an
    operator's) must not be opened by whoever controls Acme's provider or directory."""
    Membership.objects.create(user=world.dave, organization=world.acme)
    Person.objects.create(
        organization=world.acme,
        user=world.dave,
        name="Dave",
        email="dave@globex.example",
        external_id="00u2dave",
    )
    client = Client()
    response = sso_sign_in(client, idp, sub="00u2dave")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert _refusal() == "other_organizations"
    assert not _signed_in(client)

    operator = User.objects.create_superuser("ops@acme.example", "x", name="Ops")
    Person.objects.create(
        organization=world.acme, name="Ops", email="ops@acme.example", external_id="00u3ops"
    )
    response = sso_sign_in(client, idp, sub="00u3ops")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert _refusal() == "operator"
    assert not Membership.objects.filter(user=operator).exists()


def test_a_wrong_client_secret_fails_the_code_exchange_cleanly(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    acme_sso.client_secret_encrypted = crypto.encrypt("not-the-secret")
    acme_sso.save()
    client = Client()
    response = sso_sign_in(client, idp, sub="00u1alice")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert b"could not be checked" in response.content  # type: ignore[attr-defined]
    assert not _signed_in(client)


def test_a_callback_replayed_in_another_browser_is_refused(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    """The state ties the provider's answer to the browser that started the sign-in."""
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    start = Client().post("/sso/acme/login/")
    back = idp.sign_in(start["Location"], sub="00u1alice")
    other = Client()
    response = other.get(back.split("testserver", 1)[1])
    assert response.status_code == 400
    assert not _signed_in(other)


def test_a_disabled_connection_has_no_sign_in(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    _set(acme_sso, enabled=False)
    assert Client().get("/sso/acme/login/").status_code == 404
    assert Client().post("/sso/acme/login/").status_code == 404


def test_it_takes_entras_domain_owner_claim_for_a_verified_address(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    """Entra ID sends no email_verified; with the optional claim xms_edov it says the tenant
    owns the domain. A provider that does send email_verified=false is not overruled by it."""
    _set(acme_sso, id_claim="oid", link_by_email=True)
    erin = Person.objects.create(organization=world.acme, name="Erin", email="erin@acme.example")
    client = Client()
    response = sso_sign_in(
        client,
        idp,
        sub="p1",
        oid="oid-erin",
        email="erin@acme.example",
        xms_edov="true",
        email_verified="false",
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    response = sso_sign_in(client, idp, sub="p1", oid="oid-erin", email="erin@acme.example")
    assert response.status_code == 403, "no verification claim at all"  # type: ignore[attr-defined]
    response = sso_sign_in(
        client, idp, sub="p1", oid="oid-erin", email="erin@acme.example", xms_edov="true"
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    erin.refresh_from_db()
    assert erin.external_id == "oid-erin" and erin.user is not None


def test_signing_in_as_someone_else_leaves_nothing_of_the_earlier_session(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    client = client_for(world.dave)
    assert client.get("/o/globex/").status_code == 200
    response = sso_sign_in(client, idp, sub="00u1alice")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert client.session["_auth_user_id"] == str(world.alice.pk)
    assert client.session[SSO_SESSION_KEY] == [world.acme.pk]
    assert client.get("/o/globex/").status_code == 404
