"""Every URL of the app, seen by every persona.

Cases come from each app's `tests/<app>/isolation_cases.py`. A URL added to the app without a case
fails `test_it_covers_every_url`, so isolation is decided for each new page.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import World, client_for
from tests.isolation import PUBLIC, ROLE_LEVEL, STAFF, Case


def gather_cases() -> dict[str, Case]:
    """Every `isolation_cases.py` under tests/, nested packages included (tests/integrations/…)."""
    cases: dict[str, Case] = {}
    tests_dir = Path(__file__).parent
    # tests/<app>/isolation_cases.py and tests/integrations/<name>/isolation_cases.py alike.
    for found in sorted(tests_dir.rglob("isolation_cases.py")):
        parts = found.relative_to(tests_dir).with_suffix("").parts
        module = importlib.import_module(".".join(("tests", *parts)))
        duplicated = set(cases) & set(module.CASES)
        assert not duplicated, f"URL names with two cases: {duplicated}"
        cases.update(module.CASES)
    return cases


CASES = gather_cases()


def named_patterns(patterns: list[URLPattern | URLResolver]) -> set[str]:
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


def send(client: Client, case: Case, world: World, url: str) -> object:
    if case.method == "post":
        return client.post(url, case.data(world) if case.data else {})
    return client.get(url)


def test_it_covers_every_url() -> None:
    missing = named_patterns(get_resolver().url_patterns) - set(CASES)
    assert not missing, f"add these URLs to an isolation_cases.py: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_dave_sees_nothing_of_acme(world: World, name: str) -> None:
    case = CASES[name]
    url = case.build(world)
    response = send(client_for(world.dave), case, world, url)
    status = response.status_code  # type: ignore[attr-defined]
    if case.needs in ROLE_LEVEL or "dave" in case.expect:
        assert status == case.expected("dave"), url
    elif case.needs == STAFF:
        assert status == 302 and "/admin/login/" in response["Location"]  # type: ignore[index]
    body = response.content.decode(errors="replace")  # type: ignore[attr-defined]
    for secret in ("Alice Archer", "alice@acme.example", "Acme", "Client relationships"):
        assert secret not in body, f"{url} leaks {secret!r} to dave"


@pytest.mark.parametrize(
    "name", sorted(n for n, c in CASES.items() if c.needs in ROLE_LEVEL or c.expect)
)
@pytest.mark.parametrize("persona", ["alice", "bob", "carol"])
def test_roles_inside_acme(world: World, name: str, persona: str) -> None:
    case = CASES[name]
    url = case.build(world)
    response = send(client_for(getattr(world, persona)), case, world, url)
    status = response.status_code  # type: ignore[attr-defined]
    expected = case.expected(persona)
    if case.method == "post" and expected < 400:
        assert status < 400, (url, status)
    else:
        assert status == expected, (url, status)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.needs != PUBLIC))
def test_anonymous_is_sent_to_sign_in(world: World, name: str) -> None:
    case = CASES[name]
    response = send(Client(), case, world, case.build(world))
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert "login" in response["Location"]  # type: ignore[index]


@pytest.mark.parametrize("persona", ["alice", "bob", "carol", "dave"])
def test_only_staff_reach_the_operators_admin(world: World, persona: str) -> None:
    response = client_for(getattr(world, persona)).get("/admin/people/person/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_id_from_another_org_is_a_404_even_for_an_admin(world: World) -> None:
    from django.urls import reverse

    url = reverse("person_detail", kwargs={"org_slug": "acme", "person_id": world.dave_person.pk})
    assert client_for(world.carol).get(url).status_code == 404
