"""Demo and seed data, in one place: `twoway seed` (people only) and `twoway demo` (people, then
every step below, in order, in one transaction).

- `seed`: a realistic organization — departments, teams, a reporting tree, skills, availability,
  leavers — and one sign-in per role.
- `programs`: programs in every state, enrolments, a published round, requests, and onboarding
  buddies for the new hires.
- `partnerships`: the pairs' own space — goals, check-ins, notes, feedback, pulse answers.
- `insights`: months of history behind every pair, then the insights aggregation.

The builders call the apps' services where a service exists, so demo data obeys the same rules
as real data. Nothing else imports this package.
"""

from __future__ import annotations

from collections.abc import Callable

from twoway.accounts.models import Organization
from twoway.demo import insights, partnerships, programs

# Each step is called as step(org=org, seed=seed); later steps build on the earlier ones.
DEMO_STEPS: list[Callable[..., object]] = [
    programs.seed_demo,
    partnerships.seed_demo,
    insights.seed_demo,
]


def demo_build(*, org: Organization, seed: int) -> None:
    """Everything `twoway demo` adds after the people of `seed_organization`."""
    for step in DEMO_STEPS:
        step(org=org, seed=seed)
