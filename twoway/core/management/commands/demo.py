from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from twoway.accounts.models import Membership, Organization, Role, User
from twoway.demo import demo_build
from twoway.demo.seed import DEMO_PASSWORD, seed_organization
from twoway.people.models import Person
from twoway.people.services import membership_add
from twoway.programs.models import OPEN_PARTNERSHIP_STATUSES, PartnershipMember


def participants_partner(org: Organization) -> Person | None:
    """The partner in the demo participant's open partnership, so that both sides can be seen."""
    participant = (
        Membership.objects.filter(organization=org, role=Role.PARTICIPANT)
        .order_by("pk")
        .values_list("user_id", flat=True)
        .first()
    )
    if participant is None:
        return None
    member = (
        PartnershipMember.objects.filter(
            partnership__organization=org,
            partnership__status__in=OPEN_PARTNERSHIP_STATUSES,
            partnership__members__person__user_id=participant,
        )
        .exclude(person__user_id=participant)
        .select_related("person")
        .order_by("partnership_id")
        .first()
    )
    return member.person if member else None


def partner_sign_in(org: Organization) -> Person | None:
    """Give the demo participant's partner a sign-in too (demo password), once."""
    partner = participants_partner(org)
    if partner is None or partner.user_id is not None:
        return partner
    user = User.objects.create_user(partner.email, DEMO_PASSWORD, name=partner.name)
    membership_add(organization=org, user=user, role=Role.PARTICIPANT, actor=None, source="seed")
    partner.refresh_from_db()
    return partner


def _exit_normally(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = "Migrate, seed a demo organization unless one exists, print the sign-ins and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--people", type=int, default=240)
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Prepare the data and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not Organization.objects.exists():
            with transaction.atomic():
                result = seed_organization(people=options["people"], seed=options["seed"])
                demo_build(org=result.org, seed=options["seed"])
                partner_sign_in(result.org)
            self.stdout.write(f"Seeded {result.org.name} with {result.people} people.")
        self.stdout.write(f"\nSign in at http://{options['addrport']}/ with one of:")
        memberships = Membership.objects.filter(user__email__endswith=".example").select_related(
            "user", "organization"
        )
        for role in (Role.PARTICIPANT, Role.PROGRAM_MANAGER, Role.ORG_ADMIN):
            for m in memberships.filter(role=role).order_by("organization__name")[:1]:
                self.stdout.write(
                    f"  {role.label:<16} {m.user.email:<40} password: {DEMO_PASSWORD}"
                )
        for org in Organization.objects.order_by("name")[:1]:
            partner = participants_partner(org)
            if partner is not None and partner.user_id is not None:
                self.stdout.write(
                    f"  {'their partner':<16} {partner.email:<40} password: {DEMO_PASSWORD}"
                    "\n  (the participant and their partner: sign in as both to see each side)"
                )
        self.stdout.write(
            f"\nA worker runs beside the server (matching rounds, reminders); emails are written "
            f"to {settings.EMAIL_FILE_PATH}/ unless EMAIL_HOST is set.\n"
        )
        if not options["no_serve"]:
            # Python's default SIGTERM ends the process without running `finally`, which left
            # the worker running after `kill` or a terminal closed; exit normally instead.
            for stop in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(stop, _exit_normally)
            worker = subprocess.Popen([sys.executable, "-m", "twoway", "worker"])
            try:
                call_command("runserver", options["addrport"], use_reloader=False)
            finally:
                worker.terminate()
                worker.wait(timeout=30)
