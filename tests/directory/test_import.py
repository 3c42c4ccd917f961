"""The HR file import: preview, errors by row and column, managers, all-or-nothing writes,
re-imports that change nothing, and the 10 % leaver brake."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import World
from tests.directory.helpers import HEADER, csv_text, person_row
from twoway.accounts.models import AuditEvent, Organization
from twoway.directory.models import DirectoryImport, ImportStatus
from twoway.directory.records import read_people_csv
from twoway.directory.services import (
    DirectoryError,
    directory_import_apply,
    directory_import_preview,
    person_upsert,
)
from twoway.people.models import Department, Person, PersonSkill, Skill, Team


def preview_and_apply(org: Organization, text: str, **kwargs: object) -> DirectoryImport:
    preview = directory_import_preview(
        organization=org, actor=None, filename="hr.csv", data=text.encode()
    )
    return directory_import_apply(
        directory_import=preview,
        actor=None,
        sha256=preview.sha256,
        **kwargs,  # type: ignore[arg-type]
    )


def small_company() -> str:
    return csv_text(
        [
            person_row(1, level=6, team="Leadership", department="Management", name="Ada Boss"),
            person_row(2, manager="p1@new.example", team="Platform"),
            person_row(3, manager="E00002", team="Platform", offers="sql:2; python", seeks=""),
            person_row(4, manager="p1@new.example", team="Deals", department="Sales"),
        ]
    )


@pytest.fixture
def org(db: None) -> Organization:
    return Organization.objects.create(name="Newco", slug="newco")


def test_it_reads_common_header_spellings_and_reports_unknown_columns() -> None:
    text = (
        "employee_id,E-mail,First Name,Last Name,Job Title,Reports To,Start Date,Cost centre\n"
        "7,ana@x.example,Ana,Lima,Engineer,,2020-01-02,CC12\n"
    )
    parsed = read_people_csv(text.encode(), ladder=["L1", "L2"])
    assert parsed.errors == []
    assert parsed.unknown_columns == ["Cost centre"]
    values = parsed.records[0].values
    assert values["employee_id"] == "7"
    assert values["email"] == "ana@x.example"
    assert values["name"] == "Ana Lima"
    assert values["title"] == "Engineer"
    assert values["manager"] == ""
    assert values["hire_date"] == dt.date(2020, 1, 2)


def test_it_previews_without_writing_then_imports_everything(org: Organization) -> None:
    preview = directory_import_preview(
        organization=org, actor=None, filename="hr.csv", data=small_company().encode()
    )
    assert preview.summary["counts"] == {
        "create": 4,
        "update": 0,
        "deactivate": 0,
        "unchanged": 0,
        "errors": 0,
    }
    assert Person.objects.filter(organization=org).count() == 0
    assert Team.objects.filter(organization=org).count() == 0

    applied = directory_import_apply(directory_import=preview, actor=None, sha256=preview.sha256)
    assert applied.status == ImportStatus.APPLIED
    assert applied.content == ""  # the HR file is not kept once applied
    people = {p.email: p for p in Person.objects.filter(organization=org)}
    assert len(people) == 4
    boss, two, three, four = (people[f"p{n}@new.example"] for n in (1, 2, 3, 4))
    assert boss.manager is None and boss.level == 6
    assert two.manager == boss and three.manager == two and four.manager == boss
    assert three.team is not None and three.team.name == "Platform"
    assert three.team.department is not None and three.team.department.name == "Engineering"
    assert four.department is not None and four.department.name == "Sales"
    assert three.time_zone == "Europe/Berlin" and three.hire_date == dt.date(2021, 4, 1)
    skills = {
        (s.skill.name, s.direction, s.strength)
        for s in PersonSkill.objects.filter(person=three).select_related("skill")
    }
    # Known skills take the catalogue's spelling; strength defaults to 2.
    assert skills == {("SQL", "offer", 2), ("Python", "offer", 2)}
    assert Skill.objects.get(organization=org, name="Public speaking").category == "communication"
    event = AuditEvent.objects.get(organization=org, action="directory.import")
    assert event.details["create"] == 4 and event.details["sha256"] == preview.sha256


def test_a_reimport_of_the_same_file_changes_nothing(org: Organization) -> None:
    preview_and_apply(org, small_company())
    before = {p.pk: p.updated for p in Person.objects.filter(organization=org)}
    skills_before = set(PersonSkill.objects.values_list("pk", flat=True))
    again = directory_import_preview(
        organization=org, actor=None, filename="hr.csv", data=small_company().encode()
    )
    assert again.summary["counts"]["unchanged"] == 4
    assert again.summary["counts"]["create"] == again.summary["counts"]["update"] == 0
    directory_import_apply(directory_import=again, actor=None, sha256=again.sha256)
    assert {p.pk: p.updated for p in Person.objects.filter(organization=org)} == before
    assert set(PersonSkill.objects.values_list("pk", flat=True)) == skills_before


def test_an_edited_file_updates_deactivates_and_leaves_the_rest(org: Organization) -> None:
    preview_and_apply(org, small_company())
    today = timezone.localdate()
    left = (today - dt.timedelta(days=3)).isoformat()
    edited = csv_text(
        [
            person_row(1, level=6, team="Leadership", department="Management", name="Ada Boss"),
            person_row(2, manager="p1@new.example", team="Payments", level=4),
            person_row(3, manager="E00002", team="Platform", offers="sql:2; python", seeks=""),
            [
                *person_row(4, manager="p1@new.example", team="Deals", department="Sales")[:10],
                "terminated",
                left,
                "SQL:3",
                "Public speaking:2",
            ],
        ]
    )
    preview = directory_import_preview(
        organization=org, actor=None, filename="hr2.csv", data=edited.encode()
    )
    counts = preview.summary["counts"]
    assert (counts["update"], counts["deactivate"], counts["unchanged"]) == (1, 1, 2)
    changes = preview.summary["updates"][0]["changes"]
    assert ["team", "Platform", "Payments"] in changes and ["level", "3", "4"] in changes
    # One leaver out of four active people is 25 %: the brake asks first.
    assert preview.summary["needs_leave_confirmation"]
    with pytest.raises(DirectoryError, match="confirm"):
        directory_import_apply(directory_import=preview, actor=None, sha256=preview.sha256)
    assert Person.objects.get(email="p4@new.example").is_active
    directory_import_apply(
        directory_import=preview, actor=None, sha256=preview.sha256, confirm_deactivations=True
    )
    four = Person.objects.get(email="p4@new.example")
    assert not four.is_active and four.left_on == today - dt.timedelta(days=3)
    two = Person.objects.get(email="p2@new.example")
    assert two.level == 4 and two.team is not None and two.team.name == "Payments"
    assert Person.objects.filter(organization=org, is_active=True).count() == 3


def test_every_error_is_reported_by_row_and_column_and_nothing_is_written(
    org: Organization,
) -> None:
    rows = [
        person_row(1),
        ["not-an-email", "E2", "Bad Email", 3, "", "", "", "", "UTC", "", "", "", "", ""],
        person_row(3, level=42),
        person_row(4, manager="nobody@new.example"),
        [*person_row(5)[:9], "31/12/2020", "", "", "", ""],
        person_row(6, status="terminated"),
        person_row(7, offers="sql:5"),
        person_row(1, name="Twin"),
        [*person_row(8)[:8], "Mars/Olympus", "", "", "", "", ""],
    ]
    preview = directory_import_preview(
        organization=org, actor=None, filename="bad.csv", data=csv_text(rows).encode()
    )
    found = {(e["row"], e["column"]) for e in preview.summary["errors"]}
    assert (3, "Email") in found
    assert (4, "Level") in found
    assert (5, "Manager") in found
    assert (6, "Hire date") in found
    assert (7, "Leaving date") in found
    assert (8, "Offers") in found
    assert (9, "Email") in found  # the same email as row 2
    assert (10, "Time zone") in found
    messages = " ".join(e["message"] for e in preview.summary["errors"])
    assert "nobody@new.example" in messages and "31/12/2020" in messages
    with pytest.raises(DirectoryError):
        directory_import_apply(directory_import=preview, actor=None, sha256=preview.sha256)
    assert Person.objects.filter(organization=org).count() == 0
    assert Department.objects.filter(organization=org).count() == 0


def test_a_loop_in_the_manager_chain_is_an_error(org: Organization) -> None:
    rows = [
        person_row(1, manager="p3@new.example"),
        person_row(2, manager="p1@new.example"),
        person_row(3, manager="E00002"),
        person_row(4, manager="p1@new.example"),
    ]
    preview = directory_import_preview(
        organization=org, actor=None, filename="loop.csv", data=csv_text(rows).encode()
    )
    loops = [e for e in preview.summary["errors"] if "loops" in e["message"]]
    assert {e["row"] for e in loops} == {2, 3, 4}
    assert "Person 1 → " in loops[0]["message"]


def test_a_loop_through_people_already_in_the_directory_is_an_error(world: World) -> None:
    # Bob manages Carol in the directory; a file that makes Bob report to Carol closes a loop.
    world.carol_person.manager = world.bob_person
    world.carol_person.save()
    text = csv_text(
        [["bob@acme.example", "Bob Baker", "carol@acme.example"]], ["email", "name", "manager"]
    )
    preview = directory_import_preview(
        organization=world.acme, actor=None, filename="x.csv", data=text.encode()
    )
    assert [e["column"] for e in preview.summary["errors"]] == ["manager"]
    assert "loops" in preview.summary["errors"][0]["message"]


def test_the_confirmed_file_must_be_the_previewed_one(org: Organization) -> None:
    preview = directory_import_preview(
        organization=org, actor=None, filename="hr.csv", data=small_company().encode()
    )
    with pytest.raises(DirectoryError, match="not the file"):
        directory_import_apply(directory_import=preview, actor=None, sha256="0" * 64)
    Person.objects.create(organization=org, name="Sneaky", email="p2@new.example")
    with pytest.raises(DirectoryError, match="changed since"):
        directory_import_apply(directory_import=preview, actor=None, sha256=preview.sha256)
    assert Person.objects.filter(organization=org).count() == 1


def test_a_newer_preview_replaces_the_older_one(org: Organization) -> None:
    first = directory_import_preview(
        organization=org, actor=None, filename="a.csv", data=small_company().encode()
    )
    directory_import_preview(
        organization=org, actor=None, filename="b.csv", data=small_company().encode()
    )
    first.refresh_from_db()
    assert first.status == ImportStatus.SUPERSEDED and first.content == ""
    with pytest.raises(DirectoryError, match="replaced"):
        directory_import_apply(directory_import=first, actor=None, sha256=first.sha256)


def test_a_full_file_makes_people_missing_from_it_leave(world: World) -> None:
    text = csv_text(
        [
            ["alice@acme.example", "Alice Archer"],
            ["carol@acme.example", "Carol Chen"],
        ],
        ["email", "name"],
    )
    preview = directory_import_preview(
        organization=world.acme,
        actor=world.carol,
        filename="all.csv",
        data=text.encode(),
        deactivate_missing=True,
    )
    assert [d["name"] for d in preview.summary["deactivations"]] == ["Bob Baker"]
    directory_import_apply(
        directory_import=preview,
        actor=world.carol,
        sha256=preview.sha256,
        confirm_deactivations=True,
    )
    bob = Person.objects.get(pk=world.bob_person.pk)
    assert not bob.is_active and bob.left_on == timezone.localdate()
    assert Person.objects.get(pk=world.dave_person.pk).is_active  # another organization


def test_the_query_count_does_not_grow_with_the_file(db: None) -> None:
    def run(n: int) -> tuple[int, int]:
        org = Organization.objects.create(name=f"Q{n}", slug=f"q{n}")
        rows = [person_row(1, level=6)] + [
            person_row(i, manager=f"p{(i - 2) // 4 + 1}@new.example", team=f"Team {i % 7}")
            for i in range(2, n + 1)
        ]
        text = csv_text(rows)
        with CaptureQueriesContext(connection) as preview_q:
            preview = directory_import_preview(
                organization=org, actor=None, filename="q.csv", data=text.encode()
            )
        with CaptureQueriesContext(connection) as apply_q:
            directory_import_apply(directory_import=preview, actor=None, sha256=preview.sha256)
        assert Person.objects.filter(organization=org).count() == n
        return len(preview_q), len(apply_q)

    small, large = run(40), run(400)
    assert small[0] == large[0]
    # Inserts come in batches (Django's SQLite backend caps a statement at 999 parameters, about
    # 50 people or 250 skills) and one batch per level of the manager tree; nothing is per person.
    assert large[1] - small[1] <= (400 - 40) // 20, (small, large)


def test_person_upsert_finds_people_by_external_id_then_employee_id_then_email(
    world: World,
) -> None:
    created = person_upsert(
        organization=world.acme,
        values={"email": "Eve@Acme.example", "name": "Eve", "external_id": "okta-1"},
        actor=None,
        source="scim",
    )
    assert created.created and created.person.email == "eve@acme.example"
    renamed = person_upsert(
        organization=world.acme,
        values={"external_id": "okta-1", "email": "eve.adams@acme.example", "name": "Eve Adams"},
        actor=None,
        source="scim",
    )
    assert not renamed.created and renamed.person.pk == created.person.pk
    assert set(renamed.changed) == {"email", "name"}
    assert renamed.person.email == "eve.adams@acme.example"
    with pytest.raises(DirectoryError, match="Two people match"):
        person_upsert(
            organization=world.acme,
            values={"external_id": "okta-1", "email": "alice@acme.example"},
            actor=None,
            source="scim",
        )
    gone = person_upsert(
        organization=world.acme,
        values={"external_id": "okta-1", "status": "terminated", "left_on": dt.date(2024, 5, 1)},
        actor=None,
        source="scim",
    )
    assert gone.left and not gone.person.is_active and gone.person.left_on == dt.date(2024, 5, 1)


def test_the_csv_header_of_the_helpers_is_what_the_readme_lists() -> None:
    parsed = read_people_csv(csv_text([person_row(1)]).encode(), ladder=["a", "b", "c"])
    assert parsed.errors == [] and parsed.unknown_columns == []
    assert set(parsed.columns.values()) == set(HEADER)


@pytest.mark.django_db(transaction=True)
def test_new_hires_from_a_file_get_an_onboarding_buddy(world: World) -> None:
    from tests.programs.helpers import enrol, make_program
    from twoway.programs.models import Enrolment, PartnershipMember, ProgramKind

    program = make_program(
        world.acme, name="Welcome buddies", kind=ProgramKind.ONBOARDING, max_tenure_days=60
    )
    buddy = enrol(program, world.bob_person, role="mentor", capacity=2)  # level 4
    hired = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    text = csv_text(
        [
            ["nina@acme.example", "Nina New", "3", hired],
            ["otto@acme.example", "Otto Old", "3", "2015-01-01"],
        ],
        ["email", "name", "level", "hire date"],
    )
    preview_and_apply(world.acme, text)
    nina = Person.objects.get(email="nina@acme.example")
    assert Enrolment.objects.get(program=program, person=nina).role == "mentee"
    assert set(
        PartnershipMember.objects.filter(partnership__program=program).values_list(
            "person_id", flat=True
        )
    ) == {buddy.person_id, nina.pk}
    assert not Enrolment.objects.filter(person__email="otto@acme.example").exists()


def test_semicolon_files_and_skill_cells_with_semicolons_both_read_right() -> None:
    semicolons = 'Email;Name;Offers\nana@x.example;Ana;"SQL:3; Python"\n'
    commas = "Email,Name,Offers\nana@x.example,Ana,SQL:3; Python:1\n"
    for text, expected in (
        (semicolons, {"sql": 3, "python": 2}),
        (commas, {"sql": 3, "python": 1}),
    ):
        parsed = read_people_csv(text.encode(), ladder=["L1"])
        assert parsed.errors == []
        offers = parsed.records[0].values["offers"]
        assert {k: v.strength for k, v in offers.items()} == expected
