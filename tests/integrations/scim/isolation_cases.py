"""SCIM answers bearer tokens, never sessions: every persona's session gets 401 there (a token
of another organization is tested in test_scim.py); the token page is for org admins."""

from tests.conftest import World
from tests.isolation import ORG_ADMIN, PUBLIC, Case, org_url, plain

NO_TOKEN = {"alice": 401, "bob": 401, "carol": 401, "dave": 401}


def _token_id(w: World) -> int:
    from twoway.integrations.scim.tokens import scim_token_create

    return scim_token_create(organization=w.acme, label="Okta", actor=w.carol).token.pk


CASES: dict[str, Case] = {
    "scim_root": Case(plain("scim_root"), PUBLIC, expect=NO_TOKEN),
    "scim_endpoint": Case(lambda w: f"/scim/v2/Users/{w.alice_person.pk}", PUBLIC, expect=NO_TOKEN),
    "scim_settings": Case(org_url("scim_settings"), ORG_ADMIN),
    "scim_token_revoke": Case(
        org_url("scim_token_revoke", token_id=_token_id), ORG_ADMIN, method="post"
    ),
}
