from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from twoway.notifications.services import notify
from twoway.people.models import Person
from twoway.programs.models import Partnership
from twoway.support.models import HelpRequest, UncertainFlag


def _require_member(partnership: Partnership, person: Person) -> None:
    if not partnership.members.filter(person=person).exists():
        raise ValidationError("Only a member of the partnership can do this.")


@transaction.atomic
def help_request_send(
    *, partnership: Partnership, person: Person, message: str, consent: bool
) -> HelpRequest:
    """ "This needs more than a peer": a confidential request to the program's HR contact.

    Sent only with the person's explicit consent. The email carries their own message and how to
    reach them — never the pair's notes, goals or feedback, and not the partner's name.
    The HR contact is an address, not a Person: the outbox addresses it by email, in the same
    transaction as the request, so an SMTP outage only delays it (the worker retries). What the
    person wrote rests encrypted in the outbox (`sealed`), opened only to send it.
    """
    _require_member(partnership, person)
    if not consent:
        raise ValidationError(
            {"consent": "We only contact HR when you say yes. Tick the box to send it."}
        )
    message = message.strip()
    if not message:
        raise ValidationError({"message": "Say in a few words what you need."})
    hr_name, hr_email = partnership.program.hr_contact
    if not hr_email:
        raise ValidationError(
            "Your program has no HR contact yet; please use the professional help link."
        )
    request = HelpRequest.objects.create(
        partnership=partnership,
        person=person,
        message=message,
        consent_at=timezone.now(),
        hr_name=hr_name,
        hr_email=hr_email,
    )
    notify(
        email=hr_email,
        organization=partnership.organization,
        kind="hr_request",
        template="support_hr_request",
        context={"hr_name": hr_name, "program": partnership.program.name},
        sealed={"person_name": person.name, "person_email": person.email, "message": message},
        dedupe_key=f"hr-request:{request.pk}",
    )
    return request


@transaction.atomic
def uncertain_flag_set(*, partnership: Partnership, person: Person, uncertain: bool) -> None:
    """ "I feel uncertain about this partnership": seen by the program manager only."""
    _require_member(partnership, person)
    open_flags = UncertainFlag.objects.filter(
        partnership=partnership, person=person, cleared_at__isnull=True
    )
    if uncertain and not open_flags.exists():
        UncertainFlag.objects.create(partnership=partnership, person=person)
    elif not uncertain:
        open_flags.update(cleared_at=timezone.now())
