"""Who is asking: the signed-in member's own employee record, looked up and never written."""

from __future__ import annotations

from twoway.accounts.access import OrgRequest
from twoway.accounts.models import User
from twoway.lib.errors import Conflict
from twoway.people.models import Person
from twoway.people.services import person_for


class RecordMissing(Conflict):
    """A member of the organization who has no employee record there yet.

    Records are made when the membership is (an org admin adding a member, sign-in, the demo and
    the seed); a page read never makes one. The web shows a page with a button that makes it."""


def me(request: OrgRequest) -> Person:
    user: User = request.user  # type: ignore[assignment]
    person = person_for(organization=request.org, user=user)
    if person is None:
        raise RecordMissing(
            f"Your profile in {request.org.name} is not set up yet. Set it up now, or ask an org "
            "admin if you think it should be there already."
        )
    return person
