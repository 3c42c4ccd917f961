"""What the views of the partnership space (partnerships, goals, meetings, feedback, support)
share: which partnership, for whom. Here, below those apps, so that they import it and not each
other."""

from __future__ import annotations

from typing import Any

from twoway.accounts.access import OrgRequest
from twoway.people.access import me
from twoway.people.models import Person
from twoway.programs.models import Partnership
from twoway.programs.selectors import access_partnership, partners_of


def space(request: OrgRequest, partnership_id: int) -> tuple[Partnership, Person]:
    """The partnership (NotFound unless the signed-in person is one of its members) and that
    person."""
    person = me(request)
    partnership = access_partnership(org=request.org, person=person, partnership_id=partnership_id)
    return partnership, person


def members(partnership: Partnership) -> list[Person]:
    return [m.person for m in partnership.members.all()]


def space_context(partnership: Partnership, person: Person) -> dict[str, Any]:
    return {
        "partnership": partnership,
        "partners": partners_of(partnership, person),
        "members": members(partnership),
    }
