"""The program page's kept counts (`twoway.programs.tally`): never different from counting
afresh, through every way enrolments, partnerships and people change — committed for real
(`transactional_db`), since the version is raised after the commit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.programs.helpers import enrol, make_draft, make_people, make_program
from twoway.accounts.models import Organization
from twoway.directory.services import people_deactivate
from twoway.people.models import Person
from twoway.programs.models import (
    Enrolment,
    EnrolmentStatus,
    Partnership,
    Program,
    ProgramTally,
)
from twoway.programs.rounds import round_publish_now
from twoway.programs.services import (
    enrolment_withdraw,
    partnership_end,
    request_accept,
    request_send,
)
from twoway.programs.tally import count_now, program_counts

pytestmark = pytest.mark.django_db(transaction=True)


def counted_afresh(program: Program) -> bool:
    """Whether `program_counts` had to count (the pool's grouped join ran) or read kept ones."""
    with CaptureQueriesContext(connection) as ctx:
        program_counts(program)
    return any("GROUP BY m.person_id" in q["sql"] for q in ctx.captured_queries)


def assert_true_counts(program: Program) -> None:
    assert program_counts(program) == count_now(program, timezone.localdate())


@pytest.fixture
def setup() -> tuple[Organization, Program, list[Person]]:
    org = Organization.objects.create(name="Tally", slug="tally")
    program = make_program(org, name="Counted")
    people = make_people(org, 8)
    for person in people[:6]:
        enrol(program, person)
    return org, program, people


def test_counts_are_kept_until_something_changes(
    setup: tuple[Organization, Program, list[Person]],
) -> None:
    _org, program, _people = setup
    assert counted_afresh(program)
    assert not counted_afresh(program)
    assert program_counts(program).enrolled == 6 and program_counts(program).in_pool == 6


def test_every_change_is_counted(setup: tuple[Organization, Program, list[Person]]) -> None:
    org, program, people = setup
    a, b, c, d, e, f, g, _h = people

    def after() -> None:
        assert_true_counts(program)
        assert not counted_afresh(program)

    program_counts(program)
    enrol(program, g)  # a save: the signal
    assert counted_afresh(program)
    after()

    request = request_send(program=program, sender=a, receiver=b, note="Hi")
    request_accept(request=request, by=b)
    assert program_counts(program).in_pool == 5
    after()

    pair = Partnership.objects.get(program=program)
    partnership_end(partnership=pair, by=a, completed=False, rematch=False)
    # Ending sets who wants another partner with an UPDATE, in the same transaction.
    assert program_counts(program).by_status["ended"] == 1
    after()

    enrolment_withdraw(enrolment=Enrolment.objects.get(program=program, person=c))
    assert program_counts(program).enrolled == 6
    after()

    # A person leaving: an UPDATE of people, no signal; the organization is told.
    people_deactivate(
        organization=org, leavers=[(d.pk, timezone.localdate())], actor=None, source="test"
    )
    assert program_counts(program).in_pool == count_now(program, timezone.localdate()).in_pool
    after()

    # A round published: partnerships and members inserted in bulk.
    others = make_people(org, 4, prefix="Round")
    draft = make_draft(program, others)
    program_counts(program)
    round_publish_now(match_round=draft, actor=None)
    assert program_counts(program).by_status["active"] == 2
    after()

    # A person deleted (erasure): cascaded deletes of their enrolment and memberships.
    program_counts(program)
    Person.objects.filter(pk=e.pk).delete()
    assert program_counts(program).enrolled == count_now(program, timezone.localdate()).enrolled
    after()

    snoozed = Enrolment.objects.get(program=program, person=f)
    snoozed.snoozed_until = timezone.localdate()
    snoozed.save()
    assert_true_counts(program)
    after()
    # A snooze ends with the day, so counts from yesterday are counted again.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    ProgramTally.objects.filter(program=program).update(counted_on=yesterday)
    assert counted_afresh(program)


def test_a_transaction_sees_its_own_changes_and_a_rollback_changes_nothing(
    setup: tuple[Organization, Program, list[Person]],
) -> None:
    _org, program, people = setup
    program_counts(program)
    version = ProgramTally.objects.get(program=program).version

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        Enrolment.objects.filter(program=program, person=people[0]).update(
            status=EnrolmentStatus.WITHDRAWN
        )
        Enrolment.objects.get(program=program, person=people[0]).save()
        # Not committed, so in no kept counts: this transaction counts for itself.
        assert program_counts(program).enrolled == 5
        raise Undo
    assert ProgramTally.objects.get(program=program).version == version
    assert not counted_afresh(program)
    assert program_counts(program).enrolled == 6


def test_counts_stored_under_an_older_version_are_not_used(
    setup: tuple[Organization, Program, list[Person]],
) -> None:
    """A change that commits while a page counts: the page may store newer counts under the
    version it read first, never older counts under the newer version."""
    _org, program, people = setup
    program_counts(program)
    tally = ProgramTally.objects.get(program=program)
    # The page read the version, then a change committed and raised it.
    enrol(program, people[7])
    ProgramTally.objects.filter(pk=tally.pk).update(
        counted_version=tally.version, counts={**tally.counts, "enrolled": 6}
    )
    assert program_counts(program).enrolled == 7
