"""One skill vocabulary per organization: every entry path lands on the same skill, an org admin
merges and renames, and the migration folds the spellings saved before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.helpers import Api, key_for
from tests.conftest import World, client_for
from tests.directory.helpers import csv_text, person_row
from tests.people.test_profile import EDIT, form_data
from tests.programs.helpers import enrol, make_program
from twoway.accounts.models import AuditEvent
from twoway.directory.services import directory_import_apply, directory_import_preview
from twoway.lib.errors import Conflict
from twoway.people.models import Direction, Person, PersonSkill, Skill, SkillAlias
from twoway.people.selectors import skill_vocabulary
from twoway.people.services import SkillError, skill_merge, skill_rename, skills_resolve
from twoway.programs.models import Enrolment

VOCABULARY = reverse("skill_vocabulary", kwargs={"org_slug": "acme"})
MERGE = reverse("skill_merge", kwargs={"org_slug": "acme"})


def held(person: Person) -> set[tuple[str, str, int]]:
    return {
        (ps.skill.name, ps.direction, ps.strength)
        for ps in PersonSkill.objects.filter(person=person).select_related("skill")
    }


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


# Entry paths ---------------------------------------------------------------------------------


def test_the_profile_adds_a_typed_skill_to_the_existing_one_and_says_so(world: World) -> None:
    data = form_data(world, offer_add="sql", offer_add_strength="3", seek_add="k8s")
    data.pop(f"offer_{world.sql.pk}")
    response = client_for(world.alice).post(EDIT, data, follow=True)
    assert response.status_code == 200
    notes = messages_of(response)
    assert "'sql' was added as SQL." in notes
    assert "'k8s' was added as Kubernetes, a new skill." in notes
    assert held(world.alice_person) == {
        ("SQL", Direction.OFFER, 3),
        ("Client relationships", Direction.SEEK, 3),
        ("Kubernetes", Direction.SEEK, 2),
    }
    assert Skill.objects.filter(organization=world.acme, key="sql").count() == 1


def test_the_profile_keeps_the_stronger_of_a_pick_and_a_typed_spelling(world: World) -> None:
    data = form_data(world, offer_add="S.Q.L-", offer_add_strength="1")
    # The list says "A lot" for SQL; the typed spelling of the same skill says "A little".
    data[f"offer_{world.sql.pk}"] = "3"
    client_for(world.alice).post(EDIT, data)
    assert ("SQL", Direction.OFFER, 3) in held(world.alice_person)


def test_the_profile_suggests_the_organizations_skills_most_held_first(world: World) -> None:
    body = client_for(world.alice).get(EDIT).content.decode()
    datalist = body[body.index('<datalist id="skill-suggestions">') :]
    # Client relationships: Alice and Bob; SQL: Alice only. Globex's skills are not offered.
    assert datalist.index("Client relationships") < datalist.index('"SQL"')
    assert "Globex secret sauce" not in body
    assert 'list="skill-suggestions"' in body
    assert "<script" not in body.split("</header>", 1)[-1]


def test_the_profile_refuses_a_name_without_letters_and_saves_nothing(world: World) -> None:
    response = client_for(world.alice).post(EDIT, form_data(world, offer_add="--, sql"))
    assert response.status_code == 400
    assert "is not a skill name" in response.content.decode()
    assert Person.objects.get(pk=world.alice_person.pk).name == "Alice Archer"
    assert not Skill.objects.filter(organization=world.acme, key="").exists()


def test_joining_a_program_lands_typed_skills_and_a_refusal_makes_none(world: World) -> None:
    program = make_program(world.acme)
    url = reverse("program_enrol", kwargs={"org_slug": "acme", "program_id": program.pk})
    client = client_for(world.alice)
    page = client.get(url).content.decode()
    assert '<datalist id="skill-suggestions">' in page and 'list="skill-suggestions"' in page
    base = {"goals": "Clients", "meeting_preference": "video", "capacity": "1"}
    # Paused until a past date: refused, and the typed new skill is not made either.
    refused = client.post(url, {**base, "seek_add": "Kubernetes", "snoozed_until": "2001-01-01"})
    assert refused.status_code == 400
    assert not Skill.objects.filter(organization=world.acme, key="kubernetes").exists()
    done = client.post(
        url,
        {**base, "offer_add": "Structured Query Language", "offer_add_strength": "3"},
        follow=True,
    )
    assert "'Structured Query Language' was added as SQL." in messages_of(done)
    enrolment = Enrolment.objects.get(program=program, person=world.alice_person)
    assert enrolment.offers == {str(world.sql.pk): 3}


def test_a_file_import_lands_spellings_and_synonyms_on_the_existing_skill(world: World) -> None:
    text = csv_text(
        [
            person_row(1, offers="Structured Query Language:3", seeks="client-RELATIONSHIPS"),
            person_row(2, offers="sql:1; SQL:2", seeks="Public-speaking"),
            person_row(3, offers="public speaking:3", seeks=""),
        ]
    )
    preview = directory_import_preview(
        organization=world.acme, actor=None, filename="hr.csv", data=text.encode()
    )
    assert preview.summary["new_skills"] == ["Public speaking"]
    directory_import_apply(directory_import=preview, actor=None, sha256=preview.sha256)
    p1 = Person.objects.get(organization=world.acme, email="p1@new.example")
    p2 = Person.objects.get(organization=world.acme, email="p2@new.example")
    p3 = Person.objects.get(organization=world.acme, email="p3@new.example")
    assert held(p1) == {("SQL", Direction.OFFER, 3), ("Client relationships", Direction.SEEK, 2)}
    assert held(p2) == {("SQL", Direction.OFFER, 2), ("Public speaking", Direction.SEEK, 2)}
    assert held(p3) == {("Public speaking", Direction.OFFER, 3)}
    names = sorted(Skill.objects.filter(organization=world.acme).values_list("name", flat=True))
    assert names == ["Client relationships", "Public speaking", "SQL"]


def test_a_reimport_in_another_spelling_changes_nothing(world: World) -> None:
    first = csv_text([person_row(1, offers="SQL:3", seeks="Public speaking:2")])
    again = csv_text([person_row(1, offers="sql:3", seeks="public-speaking:2")])
    for text in (first, again):
        preview = directory_import_preview(
            organization=world.acme, actor=None, filename="hr.csv", data=text.encode()
        )
        directory_import_apply(directory_import=preview, actor=None, sha256=preview.sha256)
    assert preview.summary["counts"]["update"] == 0
    assert preview.summary["counts"]["unchanged"] == 1


def test_the_api_lands_every_spelling_on_one_skill(world: World) -> None:
    api = Api(key_for(world))
    made = api.post(
        "people",
        {
            "email": "erin@acme.example",
            "name": "Erin Example",
            "offers": [{"skill": "sql", "strength": 1}, {"skill": "Structured Query Language"}],
            "seeks": [{"skill": "CLIENT relationships", "strength": 3}],
        },
    )
    assert made.status_code == 201, made.content
    assert made.json()["offers"] == [{"skill": "SQL", "strength": 2}]
    assert made.json()["seeks"] == [{"skill": "Client relationships", "strength": 3}]
    changed = api.patch(
        f"people/{made.json()['id']}", {"offers": [{"skill": "k8s", "strength": 3}]}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["offers"] == [{"skill": "Kubernetes", "strength": 3}]
    refused = api.post(
        "people", {"email": "x@acme.example", "name": "X", "offers": [{"skill": "--"}]}
    )
    assert refused.status_code == 409
    assert "is not a skill name" in refused.json()["detail"]
    assert Skill.objects.filter(organization=world.acme).count() == 3


def test_skills_resolve_keeps_organizations_apart(world: World) -> None:
    (acme,) = skills_resolve(organization=world.acme, names=["globex SECRET sauce"])
    assert acme.skill.organization_id == world.acme.pk
    assert acme.skill.pk != world.globex_skill.pk
    assert acme.found.how == "new"


# Merge and rename -----------------------------------------------------------------------------


@pytest.fixture
def sql_server(world: World) -> Skill:
    """A second skill that means SQL here, held by Alice (also on SQL) and Bob (only here)."""
    skill = Skill.objects.create(
        organization=world.acme, name="SQL querying at work", category="technical"
    )
    PersonSkill.objects.create(
        person=world.alice_person, skill=skill, direction=Direction.OFFER, strength=1
    )
    PersonSkill.objects.create(
        person=world.bob_person, skill=skill, direction=Direction.SEEK, strength=3
    )
    return skill


def test_a_merge_moves_people_combines_duplicates_and_keeps_the_old_name(
    world: World, sql_server: Skill
) -> None:
    program = make_program(world.acme)
    enrolment = enrol(
        program,
        world.alice_person,
        offers={str(world.sql.pk): 2, str(sql_server.pk): 3},
        seeks={str(world.sales.pk): 1},
    )
    skill_merge(organization=world.acme, source=sql_server, target=world.sql, actor=world.carol)
    assert not Skill.objects.filter(pk=sql_server.pk).exists()
    # Alice held both as offers: one row, the stronger (3 on SQL) stays.
    assert held(world.alice_person) == {
        ("SQL", Direction.OFFER, 3),
        ("Client relationships", Direction.SEEK, 2),
    }
    assert ("SQL", Direction.SEEK, 3) in held(world.bob_person)
    assert PersonSkill.objects.filter(skill=world.sql, person=world.alice_person).count() == 1
    enrolment.refresh_from_db()
    assert enrolment.offers == {str(world.sql.pk): 3}
    # Later entries with the old name land on SQL.
    alias = SkillAlias.objects.get(organization=world.acme)
    assert (alias.name, alias.skill_id) == ("SQL querying at work", world.sql.pk)
    (again,) = skills_resolve(organization=world.acme, names=["sql Querying at-work"])
    assert again.skill.pk == world.sql.pk and again.found.how == "alias"
    event = AuditEvent.objects.get(action="skill.merged")
    assert event.actor == world.carol
    assert event.details["old_name"] == "SQL querying at work"
    assert event.details["new_name"] == "SQL"
    assert (event.details["moved"], event.details["combined"]) == (1, 1)


def test_a_merge_refuses_another_organizations_skill_and_changes_nothing(world: World) -> None:
    with pytest.raises(SkillError):
        skill_merge(
            organization=world.acme, source=world.globex_skill, target=world.sql, actor=world.carol
        )
    assert Skill.objects.filter(pk=world.globex_skill.pk).exists()
    assert not AuditEvent.objects.filter(action="skill.merged").exists()


def test_a_rename_keeps_the_old_name_as_an_alias_and_refuses_a_taken_name(world: World) -> None:
    skill_rename(
        organization=world.acme,
        skill=world.sales,
        name="Client relationship building",
        actor=world.carol,
    )
    assert skill_vocabulary(world.acme).find("client relationships").skill == world.sales.pk
    with pytest.raises(Conflict, match="merge the two instead"):
        skill_rename(organization=world.acme, skill=world.sales, name=" sql ", actor=world.carol)
    world.sales.refresh_from_db()
    assert world.sales.name == "Client relationship building"
    event = AuditEvent.objects.get(action="skill.renamed")
    assert event.details == {
        "old_name": "Client relationships",
        "new_name": "Client relationship building",
    }


# The page --------------------------------------------------------------------------------------


def test_the_page_lists_skills_with_their_people_and_finds_by_alias(
    world: World, sql_server: Skill
) -> None:
    body = client_for(world.carol).get(VOCABULARY).content.decode()
    assert "SQL querying at work" in body and "Client relationships" in body
    assert "Globex secret sauce" not in body
    skill_merge(organization=world.acme, source=sql_server, target=world.sql, actor=world.carol)
    found = client_for(world.carol).get(VOCABULARY, {"q": "querying"}).content.decode()
    assert "<td>SQL</td>" in found and "<td>Client relationships</td>" not in found


def test_the_page_previews_a_merge_picked_by_any_spelling_then_merges(
    world: World, sql_server: Skill
) -> None:
    client = client_for(world.carol)
    preview = client.get(
        MERGE, {"source": "sql-querying at work", "target": "structured query language"}
    )
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "Merge SQL querying at work into SQL?" in body
    assert "2 people move to SQL; 1 already holds both" in body
    done = client.post(MERGE, {"source": sql_server.pk, "target": world.sql.pk}, follow=True)
    assert "SQL querying at work is merged into SQL" in " ".join(messages_of(done))
    assert not Skill.objects.filter(pk=sql_server.pk).exists()


def test_the_page_says_when_a_name_is_no_skill_or_both_are_one(world: World) -> None:
    client = client_for(world.carol)
    missing = client.get(MERGE, {"source": "Juggling", "target": "SQL"}, follow=True)
    assert "No skill is called 'Juggling'." in messages_of(missing)
    same = client.get(MERGE, {"source": "sql", "target": "SQL"}, follow=True)
    assert "Both names are SQL already" in " ".join(messages_of(same))


def test_another_organizations_skill_is_a_404_to_merge_and_to_rename(world: World) -> None:
    client = client_for(world.carol)
    merge = client.post(MERGE, {"source": world.globex_skill.pk, "target": world.sql.pk})
    assert merge.status_code == 404
    rename = client.post(
        reverse("skill_rename", kwargs={"org_slug": "acme", "skill_id": world.globex_skill.pk}),
        {"name": "Mine now"},
    )
    assert rename.status_code == 404
    world.globex_skill.refresh_from_db()
    assert world.globex_skill.name == "Globex secret sauce"
    assert Skill.objects.filter(pk=world.sql.pk).exists()


def test_a_rename_from_the_page_is_audited_and_a_taken_name_is_explained(world: World) -> None:
    client = client_for(world.carol)
    url = reverse("skill_rename", kwargs={"org_slug": "acme", "skill_id": world.sql.pk})
    taken = client.post(url, {"name": "client relationships"}, follow=True)
    assert "Client relationships already exists: merge the two instead." in messages_of(taken)
    done = client.post(url, {"name": "SQL databases"}, follow=True)
    assert "SQL is now called SQL databases." in messages_of(done)
    assert AuditEvent.objects.filter(action="skill.renamed", actor=world.carol).count() == 1


def test_the_page_query_count_does_not_grow_with_skills(world: World) -> None:
    client = client_for(world.carol)
    with CaptureQueriesContext(connection) as few:
        client.get(VOCABULARY)
    Skill.objects.bulk_create(
        Skill(organization=world.acme, name=f"Skill {i}", category="career") for i in range(20)
    )
    with CaptureQueriesContext(connection) as many:
        client.get(VOCABULARY)
    assert len(many) == len(few)


# The migration ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_merges_spellings_saved_before_keeping_the_stronger_strength() -> None:
    from django.db.migrations.executor import MigrationExecutor

    before = [("people", "0004_merge")]
    after = [("people", "0006_skill_key_unique")]
    executor = MigrationExecutor(connection)
    # Every other app stays at its newest migration (programs' intakes are rewritten too).
    others = [n for n in executor.loader.graph.leaf_nodes() if n[0] != "people"]
    executor.migrate(before)
    old = executor.loader.project_state(before + others).apps
    org = old.get_model("accounts", "Organization").objects.create(name="Acme", slug="acme")
    other = old.get_model("accounts", "Organization").objects.create(name="Other", slug="other")
    skill = old.get_model("people", "Skill").objects
    person = old.get_model("people", "Person").objects
    link = old.get_model("people", "PersonSkill").objects
    upper = skill.create(organization_id=org.pk, name="SQL", category="technical")
    lower = skill.create(organization_id=org.pk, name="sql", category="technical")
    spaced = skill.create(organization_id=org.pk, name="Public-speaking", category="communication")
    plain = skill.create(organization_id=org.pk, name="public speaking", category="communication")
    elsewhere = skill.create(organization_id=other.pk, name="sql", category="technical")
    ana = person.create(organization_id=org.pk, name="Ana", email="ana@acme.example")
    ben = person.create(organization_id=org.pk, name="Ben", email="ben@acme.example")
    link.create(person_id=ana.pk, skill_id=upper.pk, direction="offer", strength=1)
    link.create(person_id=ana.pk, skill_id=lower.pk, direction="offer", strength=3)
    link.create(person_id=ben.pk, skill_id=lower.pk, direction="offer", strength=2)
    link.create(person_id=ben.pk, skill_id=spaced.pk, direction="seek", strength=2)
    program = old.get_model("programs", "Program").objects.create(organization_id=org.pk, name="P")
    enrolment = old.get_model("programs", "Enrolment").objects.create(
        program_id=program.pk,
        person_id=ana.pk,
        offers={str(upper.pk): 1, str(lower.pk): 3},
        seeks={str(plain.pk): 2},
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after + others).apps
    skills = new.get_model("people", "Skill").objects
    # "sql" is held by two people, "SQL" by one: the more used spelling stays.
    assert sorted(skills.filter(organization_id=org.pk).values_list("name", "key")) == [
        ("Public-speaking", "public speaking"),
        ("sql", "sql"),
    ]
    assert skills.filter(pk=elsewhere.pk).exists()
    links = new.get_model("people", "PersonSkill").objects
    assert sorted(links.values_list("person_id", "skill_id", "direction", "strength")) == sorted(
        [
            (ana.pk, lower.pk, "offer", 3),
            (ben.pk, lower.pk, "offer", 2),
            (ben.pk, spaced.pk, "seek", 2),
        ]
    )
    moved = new.get_model("programs", "Enrolment").objects.get(pk=enrolment.pk)
    assert moved.offers == {str(lower.pk): 3}
    assert moved.seeks == {str(spaced.pk): 2}
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
