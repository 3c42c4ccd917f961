"""The API answers keys, never sessions: every persona's session gets 401 (keys of another
organization and keys without the scope are tested in test_api.py). The schema and its docs are
public; the key page is for org admins."""

from tests.conftest import World
from tests.isolation import ORG_ADMIN, PUBLIC, Case, org_url, plain

NO_KEY = {"alice": 401, "bob": 401, "carol": 401, "dave": 401}


def _key_id(w: World) -> int:
    from twoway.api.keys import api_key_create

    made = api_key_create(
        organization=w.acme, name="HR", scopes=["directory:read"], expires_at=None, actor=w.carol
    )
    return made.key.pk


def _api(path: str, method: str = "get") -> Case:
    return Case(
        lambda w: "/api/v1/" + path.format(alice=w.alice_person.pk),
        PUBLIC,
        expect=NO_KEY,
        method=method,
        data=(lambda w: {}) if method == "post" else None,
    )


CASES: dict[str, Case] = {
    "api-root": Case(plain("api-v1:api-root"), PUBLIC, expect={p: 404 for p in NO_KEY}),
    "openapi-json": Case(lambda w: "/api/v1/openapi.json", PUBLIC),
    "openapi-view": Case(lambda w: "/api/v1/docs", PUBLIC),
    "list_people": _api("people"),
    "upsert_person": _api("people", "post"),
    "read_person": _api("people/{alice}"),
    "update_person": _api("people/{alice}"),
    "deactivate_person": _api("people/{alice}/deactivate", "post"),
    "list_skills": _api("skills"),
    "list_programs": _api("programs"),
    "read_program": _api("programs/1"),
    "list_enrolments": _api("programs/1/enrolments"),
    "list_partnerships": _api("partnerships"),
    "read_partnership": _api("partnerships/1"),
    "create_program": _api("programs", "post"),
    "update_program": _api("programs/1"),
    "set_program_status": _api("programs/1/status", "post"),
    "enrol_person": _api("programs/1/enrolments", "post"),
    "withdraw_enrolment": _api("programs/1/enrolments/{alice}/withdraw", "post"),
    "start_round": _api("programs/1/rounds", "post"),
    "read_round": _api("rounds/1"),
    "publish_round": _api("rounds/1/publish", "post"),
    "end_partnership": _api("partnerships/1/end", "post"),
    "read_insights": _api("programs/1/insights"),
    "api_keys": Case(org_url("api_keys"), ORG_ADMIN),
    "api_key_revoke": Case(org_url("api_key_revoke", key_id=_key_id), ORG_ADMIN, method="post"),
}
