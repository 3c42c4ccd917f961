"""Directory URLs for the isolation matrix: an import preview made on demand in Acme."""

from __future__ import annotations

from django.urls import reverse

from tests.conftest import World
from tests.isolation import ORG_ADMIN, PUBLIC, Case, org_url
from twoway.directory.models import DirectoryImport


def import_id(w: World) -> int:
    existing = DirectoryImport.objects.filter(organization=w.acme).first()
    if existing:
        return existing.pk
    return DirectoryImport.objects.create(
        organization=w.acme,
        filename="acme.csv",
        content="email,name\nalice@acme.example,Alice Archer\n",
        sha256="0" * 64,
        summary={"counts": {"create": 0}, "errors": [], "warnings": []},
    ).pk


def unknown_invitation(w: World) -> str:
    return reverse("invitation_accept", kwargs={"token": "no-such-invitation"})


NOBODY = {"alice": 404, "bob": 404, "carol": 404, "dave": 404}

CASES: dict[str, Case] = {
    "directory_settings": Case(org_url("directory_settings"), ORG_ADMIN),
    "directory_import": Case(org_url("directory_import", import_id=import_id), ORG_ADMIN),
    "directory_import_errors": Case(
        org_url("directory_import_errors", import_id=import_id), ORG_ADMIN
    ),
    # A wrong hash: the admin is sent back to the preview with the reason, nothing written.
    "directory_import_confirm": Case(
        org_url("directory_import_confirm", import_id=import_id),
        ORG_ADMIN,
        method="post",
        data=lambda w: {"sha256": "1" * 64},
    ),
    "directory_invitations": Case(org_url("directory_invitations"), ORG_ADMIN),
    "directory_invite": Case(
        org_url("directory_invite"), ORG_ADMIN, method="post", data=lambda w: {"scope": "everyone"}
    ),
    # The link's token is the only key: an unknown one is a 404 for everyone.
    "invitation_accept": Case(unknown_invitation, PUBLIC, expect=NOBODY),
}
