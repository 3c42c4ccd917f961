from __future__ import annotations

from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD, World, client_for
from tests.integrations.sso.conftest import IdentityProvider, sso_sign_in
from tests.notifications.helpers import drain
from twoway.accounts.models import Membership, User
from twoway.integrations.sso.models import SsoConnection


def password_sign_in(email: str, password: str = PASSWORD) -> tuple[Client, object]:
    client = Client()
    response = client.post("/accounts/login/", {"username": email, "password": password})
    return client, response


def sso_only(world: World) -> None:
    world.acme.password_sign_in = False
    world.acme.save()


def test_members_of_an_sso_only_organization_cannot_use_a_password(
    world: World, acme_sso: SsoConnection
) -> None:
    sso_only(world)
    client, response = password_sign_in("alice@acme.example")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Acme signs in through its single sign-on" in response.content.decode()  # type: ignore[attr-defined]
    assert "_auth_user_id" not in client.session

    # Without the right password, nothing about SSO is said.
    client, response = password_sign_in("alice@acme.example", "wrong")
    assert b"single sign-on" not in response.content  # type: ignore[attr-defined]


def test_password_reset_is_no_way_around_it(world: World, acme_sso: SsoConnection) -> None:
    sso_only(world)
    response = Client().post("/accounts/password-reset/", {"email": "alice@acme.example"})
    assert response.status_code == 302  # the same answer as for anyone: no account probing
    assert drain() == {}
    assert mail.outbox == []
    # Globex still uses passwords: Dave gets his link.
    Client().post("/accounts/password-reset/", {"email": "dave@globex.example"})
    assert drain() == {"sent": 1}
    assert [m.to for m in mail.outbox] == [["dave@globex.example"]]


def test_operators_keep_their_password_and_the_admin(world: World, acme_sso: SsoConnection) -> None:
    sso_only(world)
    operator = User.objects.create_superuser("ops@acme.example", PASSWORD)
    Membership.objects.create(user=operator, organization=world.acme)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "ops@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_someone_also_in_a_password_organization_goes_through_sso_at_the_door(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    sso_only(world)
    Membership.objects.create(user=world.dave, organization=world.acme)
    client, response = password_sign_in("dave@globex.example")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert client.get("/o/globex/").status_code == 200
    assert client.get("/o/acme/")["Location"] == "/sso/acme/login/?next=%2Fo%2Facme%2F"


def test_a_password_session_is_sent_to_sso_and_an_sso_session_gets_in(
    world: World, idp: IdentityProvider, acme_sso: SsoConnection
) -> None:
    sso_only(world)
    door = client_for(world.alice).get("/o/acme/people/")["Location"]
    assert door == "/sso/acme/login/?next=%2Fo%2Facme%2Fpeople%2F"
    page = Client().get(door)
    assert b"Sign in with Acme's SSO" in page.content
    assert b'name="next" value="/o/acme/people/"' in page.content
    assert b"with a password instead" not in page.content

    world.alice_person.external_id = "00u1alice"
    world.alice_person.save()
    client = Client()
    response = sso_sign_in(client, idp, next_url="/o/acme/people/", sub="00u1alice")
    assert response["Location"] == "/o/acme/people/"  # type: ignore[index]
    assert client.get("/o/acme/people/").status_code == 200


def test_the_work_email_box_finds_the_organization(world: World, acme_sso: SsoConnection) -> None:
    response = Client().post("/sso/find/", {"email": "Someone@ACME.example", "next": "/o/acme/"})
    assert response["Location"] == "/sso/acme/login/?next=%2Fo%2Facme%2F"
    response = Client().post("/sso/find/", {"email": "someone@nowhere.example"}, follow=True)
    assert b"No single sign-on is set up for nowhere.example" in response.content
    assert b"Continue with SSO" in Client().get("/accounts/login/").content
