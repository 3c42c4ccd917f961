"""/programs/{id}/insights gives the dashboard's figures, suppressed as the dashboard's CSV
export shows them, to a key with `insights:read` of the program's organization only."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from tests.api.helpers import Api, key_for
from tests.conftest import World, client_for
from tests.insights.helpers import program_with_wellbeing, refresh
from twoway.feedback.models import FitCheck
from twoway.programs.models import PartnershipMember


def test_it_answers_the_dashboards_figures_with_the_same_suppression(world: World) -> None:
    program = program_with_wellbeing(world, [3] * 8, [4] * 8)
    members = list(PartnershipMember.objects.filter(partnership__program=program).order_by("pk"))
    # 6 "good", 2 "deciding": the small cell and its complement are hidden.
    for n, m in enumerate(members):
        FitCheck.objects.create(
            partnership=m.partnership, person=m.person, answer="good" if n < 6 else "deciding"
        )
    refresh(world)
    answer = Api(key_for(world)).get(f"programs/{program.pk}/insights")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["min_group_size"] == world.acme.min_group_size
    exported = list(
        csv.reader(
            io.StringIO(
                client_for(world.bob)
                .get(
                    reverse(
                        "program_insights_csv",
                        kwargs={"org_slug": "acme", "program_id": program.pk},
                    )
                )
                .content.decode()
            )
        )
    )[1:]
    figures = [
        [f["section"], f["row"], f["column"], f["value"], f["note"]] for f in body["figures"]
    ]
    assert len(figures) == len(exported) > 10
    for (section, row, col, value, note), ours in zip(exported, figures, strict=True):
        assert ours[:3] == [c.removeprefix("'") for c in (section, row, col)]
        assert ours[4] == note.removeprefix("'")
        plain = value.removeprefix("'")
        try:
            assert ours[3] == float(plain)
        except ValueError:
            assert ours[3] == (plain or None)
    deciding = [f for f in body["figures"] if f["section"] == "fit_check"]
    assert any(f["column"] == "Still deciding" and f["value"] is None for f in deciding)
    # Names never appear: the API says nothing about a person.
    names = [m.person.name for m in members]
    assert not any(name in answer.content.decode() for name in names)


def test_insights_need_their_scope_and_the_programs_organization(world: World) -> None:
    program = program_with_wellbeing(world, [3] * 6, [4] * 6)
    no_scope = Api(key_for(world, scopes=["programs:read"])).get(f"programs/{program.pk}/insights")
    assert no_scope.status_code == 403
    other = Api(key_for(world, org=world.globex)).get(f"programs/{program.pk}/insights")
    assert other.status_code == 404
