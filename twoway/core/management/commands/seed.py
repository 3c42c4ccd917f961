from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import slugify
from tqdm import tqdm

from twoway.accounts.models import Organization
from twoway.demo.seed import MIN_PEOPLE, seed_organization


class Command(BaseCommand):
    help = "Create a realistic demo organization (deterministic for a given --seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--people", type=int, default=240, help="How many people (default 240)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--name", default="Northwind Labs", help="Organization name.")
        parser.add_argument(
            "--slug", default=None, help="URL name of the organization (default: from the name)."
        )
        parser.add_argument(
            "--no-users", action="store_true", help="Do not create the demo sign-ins."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        people: int = options["people"]
        if people < MIN_PEOPLE:
            raise CommandError(f"--people must be at least {MIN_PEOPLE}.")
        slug = options["slug"] or slugify(options["name"])
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(
                f"An organization with the slug {slug!r} exists already; pass another --slug."
            )
        started = time.perf_counter()
        with tqdm(
            total=people,
            unit="people",
            disable=people < 5000 or not sys.stderr.isatty(),
            file=sys.stderr,
        ) as bar:
            result = seed_organization(
                people=people,
                seed=options["seed"],
                name=options["name"],
                slug=slug,
                demo_users=not options["no_users"],
                progress=bar.update,
            )
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {result.org.name} ({result.org.slug}): "
            f"{result.people} people in {seconds:.1f} s."
        )
        for role, (email, password) in result.sign_ins.items():
            self.stdout.write(f"  {role:<16} {email}  password: {password}")
