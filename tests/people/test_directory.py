from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import World, client_for
from twoway.people.models import Person

URL = reverse("directory", kwargs={"org_slug": "acme"})


def names(response: object) -> set[str]:
    return {p.name for p in response.context["page"]}  # type: ignore[attr-defined]


def test_it_lists_active_people_of_my_org_only(world: World) -> None:
    Person.objects.create(
        organization=world.acme,
        name="Lou Left",
        email="lou@acme.example",
        is_active=False,
        left_on=dt.date(2024, 1, 1),
    )
    response = client_for(world.alice).get(URL)
    assert names(response) == {"Alice Archer", "Bob Baker", "Carol Chen"}


def test_it_searches_by_name_team_and_skill(world: World) -> None:
    client = client_for(world.alice)
    assert names(client.get(URL, {"q": "bak"})) == {"Bob Baker"}
    assert names(client.get(URL, {"team": "platf"})) == {"Alice Archer"}
    assert names(client.get(URL, {"skill": world.sales.pk})) == {"Alice Archer", "Bob Baker"}
    assert names(client.get(URL, {"skill": str(world.sql.pk), "q": "alice"})) == {"Alice Archer"}


def test_a_foreign_skill_or_team_id_finds_nobody_and_does_not_error(world: World) -> None:
    response = client_for(world.alice).get(URL, {"skill": world.globex_skill.pk})
    assert response.status_code == 200
    # An unknown choice is ignored as a filter, so the search shows everyone rather than a leak.
    assert "Globex" not in response.content.decode()


def test_the_team_filter_is_a_text_search_on_team_names(world: World) -> None:
    from twoway.people.models import Team

    # Other organizations' teams never match, and the page does not list every team.
    Team.objects.create(organization=world.globex, name="Platform Globex")
    for i in range(30):
        Team.objects.create(organization=world.acme, name=f"Squad {i:02}")
    client = client_for(world.alice)
    response = client.get(URL, {"team": "  PLATFORM "})
    assert names(response) == {"Alice Archer"}
    page = response.content.decode()
    assert '<input type="text" name="team"' in page and '<select name="team"' not in page
    assert "Squad 07" not in page
    assert names(client.get(URL, {"team": "deal", "q": "bob"})) == {"Bob Baker"}
    assert names(client.get(URL, {"team": "nobody-has-this"})) == set()
    # A long team search is refused as a bad field and then ignored, as any invalid filter.
    assert client.get(URL, {"team": "x" * 500}).status_code == 200


def test_it_paginates_with_a_constant_number_of_queries(world: World) -> None:
    client = client_for(world.alice)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    Person.objects.bulk_create(
        Person(organization=world.acme, name=f"Person {i:03}", email=f"p{i}@acme.example")
        for i in range(60)
    )
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL, {"page": 2})
    assert len(large) == len(small)
    assert response.context["page"].number == 2
    assert response.context["page"].paginator.num_pages == 3
