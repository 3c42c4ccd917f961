from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from twoway.accounts.models import User
from twoway.lib.errors import Conflict, InvalidInput
from twoway.meetings.services import checkins_stop_for_ending
from twoway.notifications.services import Attachment, notify
from twoway.partnerships.kinds import PARTNERSHIP_ENDED
from twoway.partnerships.models import Reflection
from twoway.people.models import Person
from twoway.programs.models import Partnership, PartnershipStatus
from twoway.programs.services import (
    PartnershipClosed,
    partnership_end,
    partnership_end_by_admin,
)


class AlreadyEnded(Conflict, ValidationError):
    """Also a ValidationError, so that the closing form shows it like its other errors."""


@transaction.atomic
def partnership_close(
    *,
    partnership: Partnership,
    by: Person,
    completed: bool,
    reason: str,
    rematch: bool,
    fit_rating: int | None = None,
) -> Partnership:
    """End a partnership respectfully from its page.

    The reason is private to the ender (stored on their own member row by programs); the
    partner is told kindly and neutrally, without any reason; future check-ins are cancelled and
    calendars told.
    """
    try:
        ended = partnership_end(
            partnership=partnership,
            by=by,
            completed=completed,
            reason=reason,
            rematch=rematch,
            fit_rating=fit_rating,
        )
    except PartnershipClosed:
        raise AlreadyEnded("This partnership has already ended.") from None
    # The partner's calendar update travels with the kind note below, not in a "Cancelled"
    # email of its own before it.
    calendar = checkins_stop_for_ending(partnership=partnership, by=by)
    _tell_members(partnership=partnership, ended=ended, by=by, calendar=calendar)
    return ended


@transaction.atomic
def partnership_close_by_admin(
    *,
    partnership: Partnership,
    actor: User | None,
    reason: str,
    completed: bool = False,
    source: str = "",
) -> Partnership:
    """The program team ends a partnership (a reorganisation, a complaint handled elsewhere; the
    API's `POST /partnerships/{id}/end`): what ending it from its page does, for every member.

    Future check-ins are cancelled and every member gets the kind note with their calendar
    update; the reason is in the audit row only (programs), and the `partnership.ended` event
    goes out. Nobody is put back into the pool without saying yes."""
    ended = partnership_end_by_admin(
        partnership=partnership, actor=actor, reason=reason, completed=completed, source=source
    )
    calendar = checkins_stop_for_ending(partnership=partnership, by=None)
    _tell_members(partnership=partnership, ended=ended, by=None, calendar=calendar)
    return ended


def _tell_members(
    *,
    partnership: Partnership,
    ended: Partnership,
    by: Person | None,
    calendar: list[Attachment],
) -> None:
    """The kind note, without any reason, to every member but the one who ended it (`by` None:
    the program team did, so to everyone)."""
    path = reverse(
        "partnership_reflection",
        kwargs={"org_slug": partnership.organization.slug, "partnership_id": partnership.pk},
    )
    for member in partnership.members.select_related("person"):
        if by is not None and member.person_id == by.pk:
            continue
        notify(
            person=member.person,
            kind=PARTNERSHIP_ENDED,
            template="partnership_ended",
            context={
                "calendar": bool(calendar),
                "partner": by.name if by else "",
                "completed": ended.status == PartnershipStatus.COMPLETED,
                "program": partnership.program.name,
                "partnership_url": settings.BASE_URL + path,
                "url": path,
            },
            dedupe_key=f"partnership-ended:{partnership.pk}:{member.person_id}",
            attachments=calendar,
        )


@transaction.atomic
def reflection_save(
    *, partnership: Partnership, author: Person, learned: str, taught: str, shared: bool
) -> Reflection:
    """The closing reflection, for the author; shared with the partner only if they choose."""
    if not partnership.members.filter(person=author).exists():
        raise InvalidInput("Only a member writes a reflection.")
    if not (learned.strip() or taught.strip()):
        raise InvalidInput({"learned": "Write at least one of the two."})
    reflection, _ = Reflection.objects.update_or_create(
        partnership=partnership,
        author=author,
        defaults={"learned": learned.strip(), "taught": taught.strip(), "shared": shared},
    )
    return reflection
