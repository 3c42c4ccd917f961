"""`pool_count` counts who is waiting to be matched with the same rules as `pool`, by a faster
query (the program page shows it on every view)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.conftest import World
from tests.programs.helpers import make_people, make_program
from twoway.programs.cohort import pool, pool_count
from twoway.programs.models import (
    Enrolment,
    EnrolmentStatus,
    PartnershipSource,
    PartnershipStatus,
)
from twoway.programs.services import partnership_create


def test_pool_count_keeps_the_pools_rules(world: World) -> None:
    program = make_program(world.acme, name="Counted")
    other = make_program(world.acme, name="Elsewhere")
    people = make_people(world.acme, 16, prefix="Pool")
    today = timezone.localdate()
    for person in people:
        Enrolment.objects.create(program=program, person=person)
        Enrolment.objects.create(program=other, person=person)

    def enrolment(i: int) -> Enrolment:
        return Enrolment.objects.get(program=program, person=people[i])

    Enrolment.objects.filter(pk=enrolment(1).pk).update(status=EnrolmentStatus.WITHDRAWN)
    people[2].is_active = False
    people[2].save(update_fields=["is_active"])
    Enrolment.objects.filter(pk=enrolment(3).pk).update(snoozed_until=today + dt.timedelta(3))
    Enrolment.objects.filter(pk=enrolment(4).pk).update(snoozed_until=today - dt.timedelta(3))
    # An open pair fills capacity 1; capacity 2 with a rematch wish still has room.
    partnership_create(
        program=program, people=[people[5], people[6]], source=PartnershipSource.HAND
    )
    Enrolment.objects.filter(pk=enrolment(6).pk).update(capacity=2, wants_rematch=True)
    # An ended pair: out unless they asked for another partner.
    ended = partnership_create(
        program=program, people=[people[7], people[8]], source=PartnershipSource.HAND
    )
    ended.status = PartnershipStatus.COMPLETED
    ended.save(update_fields=["status"])
    Enrolment.objects.filter(pk=enrolment(7).pk).update(wants_rematch=False)
    Enrolment.objects.filter(pk=enrolment(8).pk).update(wants_rematch=True)
    # A partnership in another program does not count here.
    partnership_create(program=other, people=[people[9], people[10]], source=PartnershipSource.HAND)

    waiting = set(pool(program).values_list("person_id", flat=True))
    expected = {p.pk for i, p in enumerate(people) if i not in (1, 2, 3, 5, 7)}
    assert waiting == expected
    assert pool_count(program) == len(expected) == pool(program).count()
    assert pool_count(other) == pool(other).count() == 13  # not the inactive one, nor the pair
    tomorrow = today + dt.timedelta(days=4)
    assert pool_count(program, tomorrow) == pool(program, tomorrow).count() == len(expected) + 1
