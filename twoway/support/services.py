from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

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
    The HR contact is an address, not a Person, so notify() cannot reach them: the email goes
    with send_mail once the transaction has committed.
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
    context = {
        "hr_name": hr_name,
        "person_name": person.name,
        "person_email": person.email,
        "program": partnership.program.name,
        "organization": partnership.organization.name,
        "message": message,
        "base_url": settings.BASE_URL,
    }
    subject = render_to_string("emails/support_hr_request-subject.txt", context).strip()
    body = render_to_string("emails/support_hr_request-body.txt", context)

    def send() -> None:
        send_mail(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [hr_email],
            fail_silently=False,
        )

    transaction.on_commit(send)
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
