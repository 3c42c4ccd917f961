from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from twoway.lib.errors import Conflict, InvalidInput
from twoway.meetings.services import checkins_stop_for_ending
from twoway.notifications.services import notify
from twoway.partnerships.models import Reflection
from twoway.people.models import Person
from twoway.programs.models import Partnership, PartnershipStatus
from twoway.programs.services import PartnershipClosed, partnership_end


class AlreadyEnded(Conflict, ValidationError):
    """Also a ValidationError, so that the closing form shows it like its other errors."""


@transaction.atomic
def partnership_close(
    *, partnership: Partnership, by: Person, completed: bool, reason: str, rematch: bool
) -> Partnership:
    """End a partnership respectfully from its page.

    The reason is private to the ender (stored on their own member row by programs); the
    partner is told kindly and neutrally, without any reason; future check-ins are cancelled and
    calendars told.
    """
    try:
        ended = partnership_end(
            partnership=partnership, by=by, completed=completed, reason=reason, rematch=rematch
        )
    except PartnershipClosed:
        raise AlreadyEnded("This partnership has already ended.") from None
    # The partner's calendar update travels with the kind note below, not in a "Cancelled"
    # email of its own before it.
    calendar = checkins_stop_for_ending(partnership=partnership, by=by)
    path = reverse(
        "partnership_reflection",
        kwargs={"org_slug": partnership.organization.slug, "partnership_id": partnership.pk},
    )
    for member in partnership.members.select_related("person"):
        if member.person_id == by.pk:
            continue
        notify(
            person=member.person,
            kind="partnership_ended",
            template="partnership_ended",
            context={
                "calendar": bool(calendar),
                "partner": by.name,
                "completed": ended.status == PartnershipStatus.COMPLETED,
                "program": partnership.program.name,
                "partnership_url": settings.BASE_URL + path,
                "url": path,
            },
            dedupe_key=f"partnership-ended:{partnership.pk}:{member.person_id}",
            attachments=calendar,
        )
    return ended


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
