"""Insight URLs for the isolation matrix: the dashboard and its CSV for program managers and
org admins (participants 403, another organization 404); the personal view for any member."""

from __future__ import annotations

from tests.conftest import World
from tests.isolation import ANY_MEMBER, PROGRAM_MANAGER, Case, org_url
from twoway.programs.models import Partnership, PartnershipMember, Program, ProgramStatus


def program(w: World) -> int:
    existing = Program.objects.filter(organization=w.acme).first()
    if existing:
        return existing.pk
    return Program.objects.create(organization=w.acme, name="Peers", status=ProgramStatus.OPEN).pk


def closed_partnership(w: World) -> int:
    """A completed partnership of alice and bob: both may answer the closing question once."""
    found = Partnership.objects.filter(
        organization=w.acme, status="completed", members__person=w.alice_person
    ).first()
    if found:
        return found.pk
    p = Partnership.objects.create(
        organization=w.acme,
        program_id=program(w),
        status="completed",
        source="hand",
    )
    for person in (w.alice_person, w.bob_person, w.carol_person):
        PartnershipMember.objects.create(partnership=p, person=person)
    return p.pk


P = {"program_id": program}

CASES: dict[str, Case] = {
    "program_insights": Case(org_url("program_insights", **P), PROGRAM_MANAGER),
    "program_insights_csv": Case(org_url("program_insights_csv", **P), PROGRAM_MANAGER),
    "my_insights": Case(org_url("my_insights"), ANY_MEMBER),
    "closing_survey": Case(
        org_url("closing_survey", partnership_id=closed_partnership),
        ANY_MEMBER,
        method="post",
        data=lambda w: {"recommend": "9"},
    ),
}
