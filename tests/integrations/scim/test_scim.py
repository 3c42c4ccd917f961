"""SCIM 2.0 at /scim/v2/: what identity providers do, replayed as they send it (issue 13)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import World, client_for
from twoway.accounts.models import AuditEvent
from twoway.integrations.scim.models import ScimGroup, ScimToken
from twoway.integrations.scim.tokens import scim_token_create
from twoway.people.models import Person

SCIM = "application/scim+json"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


class Scim:
    """An identity provider holding one organization's token."""

    def __init__(self, secret: str) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(f"/scim/v2/{path}", query)

    def send(self, method: str, path: str, body: Any) -> Any:
        call = getattr(self.client, method)
        return call(f"/scim/v2/{path}", data=json.dumps(body), content_type=SCIM)


@pytest.fixture
def okta(world: World) -> Scim:
    return Scim(scim_token_create(organization=world.acme, label="Okta", actor=world.carol).secret)


@pytest.fixture
def globex_idp(world: World) -> Scim:
    return Scim(
        scim_token_create(organization=world.globex, label="Entra", actor=world.carol).secret
    )


def new_user(email: str, **extra: Any) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": email,
        "name": {"givenName": email.split("@")[0].title(), "familyName": "Doe"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "active": True,
        **extra,
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


# --- discovery and authentication -------------------------------------------------------------


def test_it_describes_itself_without_a_token(db: None) -> None:
    response = Client().get("/scim/v2/ServiceProviderConfig")
    assert response.status_code == 200
    config = response.json()
    assert config["patch"]["supported"] is True
    assert config["filter"]["supported"] is True
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = Client().get("/scim/v2/ResourceTypes", HTTP_AUTHORIZATION="Bearer nope")
    assert types.status_code == 401


def test_it_refuses_no_token_a_wrong_token_and_a_revoked_token(world: World) -> None:
    assert Client().get("/scim/v2/Users").status_code == 401
    wrong = Client(HTTP_AUTHORIZATION="Bearer twscim_abc_def").get("/scim/v2/Users")
    assert wrong.status_code == 401
    made = scim_token_create(organization=world.acme, label="Okta", actor=world.carol)
    idp = Scim(made.secret)
    assert idp.get("Users").status_code == 200
    assert made.secret not in ScimToken.objects.get().token_hash  # only the hash is kept
    client_for(world.carol).post(f"/o/acme/settings/scim/{made.token.pk}/revoke/")
    assert idp.get("Users").status_code == 401
    assert AuditEvent.objects.filter(action="scim.token_revoke").exists()


def test_it_shows_a_new_token_once_to_an_org_admin_only(world: World) -> None:
    carol = client_for(world.carol)
    page = carol.post("/o/acme/settings/scim/", {"label": "Okta production"})
    token = ScimToken.objects.get(organization=world.acme)
    assert b"twscim_" + token.prefix.encode() in page.content
    again = carol.get("/o/acme/settings/scim/")
    assert b"twscim_" + token.prefix.encode() + b"_" not in again.content
    assert client_for(world.alice).get("/o/acme/settings/scim/").status_code == 403
    assert client_for(world.dave).get("/o/acme/settings/scim/").status_code == 404


def test_a_token_of_one_organization_reaches_nothing_of_another(
    world: World, globex_idp: Scim
) -> None:
    alice = world.alice_person
    listing = globex_idp.get("Users").json()
    assert alice.email not in json.dumps(listing)
    assert globex_idp.get(f"Users/{alice.pk}").status_code == 404
    assert globex_idp.send("put", f"Users/{alice.pk}", new_user(alice.email)).status_code == 404
    off = patch({"op": "replace", "value": {"active": False}})
    assert globex_idp.send("patch", f"Users/{alice.pk}", off).status_code == 404
    assert globex_idp.client.delete(f"/scim/v2/Users/{alice.pk}").status_code == 404
    alice.refresh_from_db()
    assert alice.is_active
    found = globex_idp.get("Users", filter=f'userName eq "{alice.email}"').json()
    assert found["totalResults"] == 0


# --- users --------------------------------------------------------------------------------------


def test_it_creates_a_user_with_manager_and_department_and_refuses_a_duplicate(
    world: World, okta: Scim
) -> None:
    bob = world.bob_person
    body = new_user(
        "erin@acme.example",
        externalId="00u1erin",
        title="Analyst",
        **{
            ENTERPRISE: {
                "employeeNumber": "E-77",
                "department": "Finance",
                "manager": {"value": str(bob.pk)},
            }
        },
    )
    response = okta.send("post", "Users", body)
    assert response.status_code == 201, response.content
    created = response.json()
    erin = Person.objects.get(organization=world.acme, email="erin@acme.example")
    assert created["id"] == str(erin.pk)
    assert (erin.external_id, erin.employee_id, erin.title) == ("00u1erin", "E-77", "Analyst")
    assert erin.manager_id == bob.pk and erin.department and erin.department.name == "Finance"
    assert created[ENTERPRISE]["manager"]["value"] == str(bob.pk)
    assert response["Location"].endswith(f"/scim/v2/Users/{erin.pk}")
    again = okta.send("post", "Users", body)
    assert again.status_code == 409
    assert again.json()["scimType"] == "uniqueness"


def test_it_filters_as_providers_do_and_refuses_the_rest(world: World, okta: Scim) -> None:
    alice = world.alice_person
    Person.objects.filter(pk=alice.pk).update(external_id="00ualice")
    for expression in [
        f'userName eq "{alice.email.upper()}"',
        'externalId eq "00ualice"',
        f'emails[type eq "work" and value eq "{alice.email}"]',
        f'emails.value eq "{alice.email}"',
        f'userName eq "{alice.email}" and externalId eq "00ualice"',
    ]:
        body = okta.get("Users", filter=expression).json()
        assert body["totalResults"] == 1, expression
        assert body["Resources"][0]["id"] == str(alice.pk)
    none = okta.get("Users", filter='userName eq "nobody@acme.example"').json()
    assert none["totalResults"] == 0 and none.get("Resources", []) == []
    refused = okta.get("Users", filter='userName co "a"')
    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidFilter"


def test_it_pages_with_integer_fields(world: World, okta: Scim) -> None:
    total = Person.objects.filter(organization=world.acme).count()
    first = okta.get("Users", startIndex=1, count=2).json()
    second = okta.get("Users", startIndex=3, count=2).json()
    assert first["totalResults"] == total and isinstance(first["totalResults"], int)
    assert first["startIndex"] == 1 and first["itemsPerPage"] == 2
    ids = [r["id"] for r in first["Resources"] + second["Resources"]]
    assert len(ids) == len(set(ids)) == min(4, total)


def test_okta_deactivates_with_a_pathless_replace_and_the_user_still_answers(
    world: World, okta: Scim
) -> None:
    alice = world.alice_person
    response = okta.send(
        "patch", f"Users/{alice.pk}", patch({"op": "replace", "value": {"active": False}})
    )
    assert response.status_code in (200, 204), response.content
    alice.refresh_from_db()
    assert not alice.is_active and alice.left_on == timezone.localdate()
    shown = okta.get(f"Users/{alice.pk}")
    assert shown.status_code == 200 and shown.json()["active"] is False
    # A leaver no longer gets into the organization.
    assert client_for(world.alice).get("/o/acme/").status_code in (302, 403, 404)


def test_entra_capitalised_ops_string_booleans_and_a_bare_manager(world: World, okta: Scim) -> None:
    alice, bob = world.alice_person, world.bob_person
    body = patch(
        {"op": "Replace", "path": "title", "value": "Team lead"},
        {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": str(bob.pk)},
        {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "A-1"},
    )
    response = okta.send("patch", f"Users/{alice.pk}", body)
    assert response.status_code in (200, 204), response.content
    alice.refresh_from_db()
    assert (alice.title, alice.manager_id, alice.employee_id) == ("Team lead", bob.pk, "A-1")
    off = okta.send(
        "patch", f"Users/{alice.pk}", patch({"op": "Replace", "path": "active", "value": "False"})
    )
    assert off.status_code in (200, 204), off.content
    alice.refresh_from_db()
    assert alice.is_active is False


def test_entra_typed_value_path_creates_the_missing_entry(world: World, okta: Scim) -> None:
    created = okta.send(
        "post",
        "Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "frank@acme.example",
            "active": True,
            "displayName": "Frank Ocean",
        },
    ).json()
    body = patch(
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "frank.o@acme.example"}
    )
    response = okta.send("patch", f"Users/{created['id']}", body)
    assert response.status_code in (200, 204), response.content
    frank = Person.objects.get(pk=int(created["id"]))
    assert frank.email == "frank.o@acme.example"


def test_onelogin_sends_the_manager_as_an_object_in_a_put(world: World, okta: Scim) -> None:
    alice, bob = world.alice_person, world.bob_person
    body = new_user(
        alice.email,
        displayName="Alice Archer",
        **{
            ENTERPRISE: {"manager": {"value": str(bob.pk), "displayName": bob.name}},
        },
    )
    response = okta.send("put", f"Users/{alice.pk}", body)
    assert response.status_code == 200, response.content
    alice.refresh_from_db()
    assert alice.manager_id == bob.pk


def test_one_bad_operation_does_not_drop_a_deactivation(world: World, okta: Scim) -> None:
    alice = world.alice_person
    body = patch(
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": "nonsenseAttribute", "value": "x"},
    )
    response = okta.send("patch", f"Users/{alice.pk}", body)
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.is_active is False and alice.left_on == timezone.localdate()


def test_delete_is_a_leave_that_keeps_history(world: World, okta: Scim) -> None:
    alice = world.alice_person
    assert okta.client.delete(f"/scim/v2/Users/{alice.pk}").status_code == 204
    assert okta.get(f"Users/{alice.pk}").status_code == 404
    alice.refresh_from_db()
    assert alice.is_active is False and alice.left_on == timezone.localdate()
    # Rehired: the provider creates the same person again; history is the same record.
    back = okta.send("post", "Users", new_user(alice.email))
    assert back.status_code == 201
    assert back.json()["id"] == str(alice.pk)
    alice.refresh_from_db()
    assert alice.is_active


def test_bad_input_changes_nothing(world: World, okta: Scim) -> None:
    before = Person.objects.count()
    assert okta.send("post", "Users", {"schemas": [USER_SCHEMA]}).status_code == 400
    bad_manager = new_user("gil@acme.example", **{ENTERPRISE: {"manager": {"value": "999999"}}})
    assert okta.send("post", "Users", bad_manager).status_code == 400
    garbage = okta.client.post("/scim/v2/Users", data=b"{not json", content_type=SCIM)
    assert garbage.status_code == 400
    assert Person.objects.count() == before


# --- groups -------------------------------------------------------------------------------------


def test_groups_are_created_filtered_and_entra_removes_members_by_value_list(
    world: World, okta: Scim
) -> None:
    alice, bob = world.alice_person, world.bob_person
    made = okta.send(
        "post",
        "Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "Mentoring pilot",
            "members": [{"value": str(alice.pk)}, {"value": str(bob.pk)}],
        },
    )
    assert made.status_code == 201, made.content
    group_id = made.json()["id"]
    found = okta.get("Groups", filter='displayName eq "Mentoring pilot"').json()
    assert found["totalResults"] == 1
    body = patch({"op": "Remove", "path": "members", "value": [{"value": str(alice.pk)}]})
    response = okta.send("patch", f"Groups/{group_id}", body)
    assert response.status_code in (200, 204), response.content
    group = ScimGroup.objects.get(pk=int(group_id))
    assert list(group.members.values_list("pk", flat=True)) == [bob.pk]
    duplicate = okta.send(
        "post", "Groups", {"schemas": [GROUP_SCHEMA], "displayName": "mentoring PILOT"}
    )
    assert duplicate.status_code == 409


def test_it_passes_an_independent_scim_conformance_check(world: World, wsgi_app: Any) -> None:
    """scim2-tester drives the server through the WSGI application, as a provider would."""
    from scim2_client.engines.wsgi import WSGISCIMClient
    from scim2_tester import Status, check_server

    secret = scim_token_create(organization=world.acme, label="tester", actor=world.carol).secret
    client = WSGISCIMClient(
        wsgi_app,
        base_url="http://testserver/scim/v2",
        headers={"Authorization": f"Bearer {secret}"},
    )
    results = check_server(client, raise_exceptions=False)
    failures = [(r.title, r.reason) for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    assert results and not failures, failures
    # The run touched no other organization.
    assert Person.objects.filter(organization=world.globex).count() == 1


@pytest.mark.parametrize("flag", ["", "?aadOptscim062020"])
def test_entra_with_and_without_its_newer_behaviour_flag(
    world: World, okta: Scim, flag: str
) -> None:
    """Entra before the flag: "False" strings, removal by value list. With it: real booleans,
    removal by a filtered path. Both end the same way."""
    alice, bob = world.alice_person, world.bob_person
    group = okta.send(
        "post",
        "Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "Pilot",
            "members": [{"value": str(alice.pk)}, {"value": str(bob.pk)}],
        },
    ).json()
    removal: dict[str, Any]
    off: dict[str, Any]
    if flag:
        removal = {"op": "remove", "path": f'members[value eq "{alice.pk}"]'}
        off = {"op": "replace", "path": "active", "value": False}
    else:
        removal = {"op": "Remove", "path": "members", "value": [{"value": str(alice.pk)}]}
        off = {"op": "Replace", "path": "active", "value": "False"}
    assert okta.send("patch", f"Groups/{group['id']}{flag}", patch(removal)).status_code in (
        200,
        204,
    )
    assert okta.send("patch", f"Users/{alice.pk}{flag}", patch(off)).status_code in (200, 204)
    assert list(ScimGroup.objects.get().members.values_list("pk", flat=True)) == [bob.pk]
    alice.refresh_from_db()
    assert alice.is_active is False
    listed = okta.get("Users" + flag)
    assert listed.status_code == 200
