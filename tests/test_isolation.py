"""Every URL of the app, seen by every persona.

The matrix lists each named URL with how to build it and who may open it. A URL added to the app
without a row here fails `test_it_covers_every_url`, so isolation is decided for each new page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import World, client_for

PUBLIC = "public"
ANY_MEMBER = "participant"
PROGRAM_MANAGER = "program_manager"
ORG_ADMIN = "org_admin"
SIGNED_IN = "signed_in"
STAFF = "staff"


@dataclass
class Case:
    build: Callable[[World], str]
    needs: str


def org_url(name: str, **extra: Callable[[World], object]) -> Callable[[World], str]:
    def build(w: World) -> str:
        kwargs = {"org_slug": w.acme.slug, **{k: f(w) for k, f in extra.items()}}
        return reverse(name, kwargs=kwargs)

    return build


def plain(name: str, **kwargs: str) -> Callable[[World], str]:
    return lambda w: reverse(name, kwargs=kwargs or None)


CASES: dict[str, Case] = {
    "home": Case(plain("home"), SIGNED_IN),
    "healthz": Case(plain("healthz"), PUBLIC),
    "login": Case(plain("login"), PUBLIC),
    "logout": Case(plain("logout"), PUBLIC),
    "password_reset": Case(plain("password_reset"), PUBLIC),
    "password_reset_done": Case(plain("password_reset_done"), PUBLIC),
    "password_reset_confirm": Case(
        plain("password_reset_confirm", uidb64="MQ", token="set-password"), PUBLIC
    ),
    "password_reset_complete": Case(plain("password_reset_complete"), PUBLIC),
    "password_change": Case(plain("password_change"), SIGNED_IN),
    "password_change_done": Case(plain("password_change_done"), SIGNED_IN),
    "org_home": Case(org_url("org_home"), ANY_MEMBER),
    "my_profile": Case(org_url("my_profile"), ANY_MEMBER),
    "my_profile_edit": Case(org_url("my_profile_edit"), ANY_MEMBER),
    "directory": Case(org_url("directory"), ANY_MEMBER),
    "person_detail": Case(
        org_url("person_detail", person_id=lambda w: w.alice_person.pk), ANY_MEMBER
    ),
    "org_settings": Case(org_url("org_settings"), ORG_ADMIN),
    "members": Case(org_url("members"), ORG_ADMIN),
    "admin": Case(lambda w: "/admin/", STAFF),
}


def named_patterns(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                names.add("admin")
                continue
            names |= named_patterns(p.url_patterns)
        elif p.name:
            names.add(p.name)
    return names


def test_it_covers_every_url() -> None:
    missing = named_patterns(get_resolver().url_patterns) - set(CASES)
    assert not missing, f"add these URLs to the isolation matrix: {sorted(missing)}"


ORG_LEVEL = {ANY_MEMBER: 0, PROGRAM_MANAGER: 1, ORG_ADMIN: 2}
ROLE_OF = {"alice": 0, "bob": 1, "carol": 2}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dave_sees_nothing_of_acme(world: World, name: str) -> None:
    case = CASES[name]
    url = case.build(world)
    response = client_for(world.dave).get(url)
    if case.needs in ORG_LEVEL:
        assert response.status_code == 404, url
    elif case.needs == STAFF:
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    body = response.content.decode(errors="replace")
    for secret in ("Alice Archer", "alice@acme.example", "Acme", "Client relationships"):
        assert secret not in body, f"{url} leaks {secret!r} to dave"


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.needs in ORG_LEVEL))
@pytest.mark.parametrize("persona", ["alice", "bob", "carol"])
def test_roles_inside_acme(world: World, name: str, persona: str) -> None:
    case = CASES[name]
    response = client_for(getattr(world, persona)).get(case.build(world))
    if ROLE_OF[persona] >= ORG_LEVEL[case.needs]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.needs not in (PUBLIC,)))
def test_anonymous_is_sent_to_sign_in(world: World, name: str, client: object) -> None:
    from django.test import Client

    response = Client().get(CASES[name].build(world))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("persona", ["alice", "bob", "carol", "dave"])
def test_only_staff_reach_the_operators_admin(world: World, persona: str) -> None:
    response = client_for(getattr(world, persona)).get("/admin/people/person/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_id_from_another_org_is_a_404_even_for_an_admin(world: World) -> None:
    url = reverse("person_detail", kwargs={"org_slug": "acme", "person_id": world.dave_person.pk})
    assert client_for(world.carol).get(url).status_code == 404
