"""The org admin's directory pages and `twoway import_people`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import World, client_for
from tests.directory.helpers import csv_text, person_row
from twoway.accounts.models import Organization
from twoway.directory.models import DirectoryImport, ImportStatus
from twoway.people.models import Person


def upload(client: object, text: str, **extra: str) -> object:
    url = reverse("directory_settings", kwargs={"org_slug": "acme"})
    data = {"file": SimpleUploadedFile("hr.csv", text.encode(), "text/csv"), **extra}
    return client.post(url, data)  # type: ignore[attr-defined]


def test_an_admin_uploads_previews_and_confirms(world: World) -> None:
    carol = client_for(world.carol)
    text = csv_text([person_row(1, level=6), person_row(2, manager="p1@new.example")])
    response = upload(carol, text)
    preview = DirectoryImport.objects.get(organization=world.acme)
    assert response.status_code == 302  # type: ignore[attr-defined]
    page = carol.get(response["Location"])  # type: ignore[index]
    body = page.content.decode()
    assert "Import: create 2, update 0, deactivate 0" in body
    assert Person.objects.filter(organization=world.acme).count() == 3  # nothing written yet
    confirm = reverse(
        "directory_import_confirm", kwargs={"org_slug": "acme", "import_id": preview.pk}
    )
    done = carol.post(confirm, {"sha256": preview.sha256}, follow=True)
    assert "Imported: 2 created" in done.content.decode()
    assert Person.objects.get(email="p2@new.example").manager == Person.objects.get(
        email="p1@new.example"
    )
    preview.refresh_from_db()
    assert preview.status == ImportStatus.APPLIED and preview.applied_by == world.carol


def test_the_preview_lists_errors_and_offers_no_import(world: World) -> None:
    carol = client_for(world.carol)
    text = "Email,Name,Level,Shoe size\nnot-an-email,X,99,42\n"
    response = upload(carol, text)
    body = carol.get(response["Location"]).content.decode()  # type: ignore[index]
    assert "is not an email address" in body and "is not a level" in body
    assert "Shoe size" in body  # the unknown column is reported
    assert "Import: create" not in body
    preview = DirectoryImport.objects.get(organization=world.acme)
    url = reverse("directory_import_errors", kwargs={"org_slug": "acme", "import_id": preview.pk})
    lines = carol.get(url).content.decode().splitlines()
    assert lines[0] == "row,column,problem"
    assert {tuple(line.split(",")[:2]) for line in lines[1:]} == {("2", "Email"), ("2", "Level")}


def test_an_import_of_another_organization_is_a_404(world: World) -> None:
    globex_import = DirectoryImport.objects.create(
        organization=world.globex, filename="g.csv", sha256="0" * 64, summary={}
    )
    url = reverse("directory_import", kwargs={"org_slug": "acme", "import_id": globex_import.pk})
    assert client_for(world.carol).get(url).status_code == 404


@pytest.fixture
def newco(db: None) -> Organization:
    return Organization.objects.create(name="Newco", slug="newco")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_people", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_the_command_previews_then_applies(newco: Organization, tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text(csv_text([person_row(1), person_row(2, manager="E00001")]))
    code, out, _ = run(str(path), "--org", "newco", "--dry-run")
    assert code == 0 and "create 2" in out and "Dry run" in out
    assert not Person.objects.filter(organization=newco).exists()
    code, out, err = run(str(path), "--org", "newco")  # no terminal, no --yes: refuses
    assert code == 1 and "--yes" in err
    assert not Person.objects.filter(organization=newco).exists()
    code, out, _ = run(str(path), "--org", "newco", "--yes")
    assert code == 0 and "created 2" in out
    code, out, _ = run(str(path), "--org", "newco", "--yes")
    assert code == 0 and "nothing to do" in out


def test_the_command_prints_every_error_and_exits_2(newco: Organization, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(csv_text([person_row(1, level=99), person_row(2, manager="ghost")]))
    code, _, err = run(str(path), "--org", "newco", "--yes")
    assert code == 2
    assert "row 2, Level:" in err and "row 3, Manager:" in err and "Nothing was written" in err
    assert not Person.objects.filter(organization=newco).exists()


def test_mass_leaving_needs_the_exact_number(newco: Organization, tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text(csv_text([person_row(n) for n in range(1, 6)]))
    assert run(str(path), "--org", "newco", "--yes")[0] == 0
    path.write_text(
        csv_text(
            [person_row(n) for n in range(1, 4)]
            + [person_row(n, status="terminated", left_on="2024-01-31") for n in (4, 5)]
        )
    )
    code, _, err = run(str(path), "--org", "newco", "--yes")
    assert code == 1 and "--confirm-deactivations 2" in err
    assert Person.objects.filter(organization=newco, is_active=True).count() == 5
    assert run(str(path), "--org", "newco", "--yes", "--confirm-deactivations", "3")[0] == 1
    code, out, _ = run(str(path), "--org", "newco", "--yes", "--confirm-deactivations", "2")
    assert code == 0 and "deactivated 2" in out
    assert Person.objects.filter(organization=newco, is_active=True).count() == 3
