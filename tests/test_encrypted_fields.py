"""What a person confides is encrypted at rest, like private notes. Issue 12 item 15.

Encrypted: feedback entries (before and after the reveal: they are for one reader), the pulse's
free-text word, closing reflections, ending reasons and HR help messages. Numeric pulse scores
stay plain: insights aggregates them in SQL over groups no smaller than the organization's
minimum, and a lone score says far less than a sentence.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.conftest import World, client_for
from tests.partnerships.factories import pair
from twoway.feedback.models import FeedbackEntry, FeedbackRound, PulseResponse
from twoway.feedback.selectors import is_revealed
from twoway.goals.models import Goal, GoalEvent
from twoway.goals.services import goal_create, goal_progress, goal_update
from twoway.lib import crypto
from twoway.lib.encrypted import encrypt_plain_values, encrypted_columns
from twoway.partnerships.models import Reflection
from twoway.partnerships.services import reflection_save
from twoway.programs.models import PartnershipMember
from twoway.support.models import HelpRequest

SECRET = "I am scared my manager will find out"


def confide(world: World) -> None:
    p = pair(world)
    alice = world.alice_person
    reflection_save(partnership=p, author=alice, learned=SECRET, taught="", shared=False)
    PulseResponse.objects.create(
        person=alice, partnership=p, belonging=3, stress=4, confidence=2, energy=3, word=SECRET[:40]
    )
    feedback_round = FeedbackRound.objects.create(
        partnership=p, deadline=timezone.now() + dt.timedelta(days=7)
    )
    FeedbackEntry.objects.create(
        round=feedback_round, author=alice, subject=world.bob_person, appreciated=SECRET
    )
    PartnershipMember.objects.filter(partnership=p, person=alice).update(end_reason=SECRET)
    HelpRequest.objects.create(
        partnership=p,
        person=alice,
        message=SECRET,
        consent_at=timezone.now(),
        hr_email="hr@acme.example",
    )


def raw_values() -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table, column in encrypted_columns():
            cursor.execute(f"SELECT {column} FROM {table}")
            found += [row[0] for row in cursor.fetchall() if row[0]]
    return found


def test_the_database_holds_no_plain_text_of_what_was_confided(world: World) -> None:
    confide(world)
    values = raw_values()
    assert len(values) == 5
    assert not [v for v in values if "scared" in v]
    assert all(v.startswith("gAAAAA") for v in values)
    # The owner still reads it, through the models as before.
    assert Reflection.objects.get().learned == SECRET
    assert PulseResponse.objects.get().word == SECRET[:40]
    assert PulseResponse.objects.get().stress == 4  # scores stay plain for insights
    assert FeedbackEntry.objects.get().appreciated == SECRET
    assert HelpRequest.objects.get().message == SECRET
    assert PartnershipMember.objects.get(person=world.alice_person).end_reason == SECRET


def test_the_author_reads_her_reflection_on_the_page(world: World) -> None:
    confide(world)
    from django.urls import reverse

    url = reverse(
        "partnership_reflection", kwargs={"org_slug": "acme", "partnership_id": pair(world).pk}
    )
    assert SECRET in client_for(world.alice).get(url).content.decode()


def test_dumpdata_holds_tokens_and_loaddata_reads_them_back(world: World, tmp_path: object) -> None:
    confide(world)
    out = io.StringIO()
    call_command(
        "dumpdata", "feedback", "partnerships", "support", "programs.partnershipmember", stdout=out
    )
    dump = out.getvalue()
    assert "scared" not in dump
    rows = json.loads(dump)
    [reflection] = [r for r in rows if r["model"] == "partnerships.reflection"]
    assert reflection["fields"]["learned"].startswith("gAAAAA")
    field = Reflection._meta.get_field("learned")
    assert field.to_python(reflection["fields"]["learned"]) == SECRET


def test_rotation_re_encrypts_every_confided_value(
    world: World, monkeypatch: pytest.MonkeyPatch, encryption_key: str
) -> None:
    confide(world)
    before = raw_values()
    new = crypto.generate_key()
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", f"{new},{encryption_key}")
    out = io.StringIO()
    call_command("rotate_encryption", stdout=out)
    assert f"Re-encrypted {len(before)} other private values." in out.getvalue()
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", new)  # the old key is gone
    crypto.reset_keys()
    assert Reflection.objects.get().learned == SECRET
    assert HelpRequest.objects.get().message == SECRET
    assert set(raw_values()).isdisjoint(before)


def test_the_migration_encrypts_rows_written_before_it(world: World) -> None:
    table = Reflection._meta.db_table
    reflection_save(
        partnership=pair(world), author=world.alice_person, learned="x", taught="", shared=False
    )
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET learned = %s", [SECRET])  # as an old row was
    assert encrypt_plain_values(table, "learned") == 1
    encrypt_plain_values(table, "learned")  # a second run leaves tokens alone (not twice)
    assert SECRET not in raw_values()
    assert Reflection.objects.get().learned == SECRET


# --- goals: every word of a goal and of its history ------------------------------------------

GOAL_SECRET = "Stop hiding my panic attacks before demos"


def private_goal(world: World) -> Goal:
    p = pair(world)
    goal = goal_create(
        partnership=p,
        owner=world.alice_person,
        title=GOAL_SECRET,
        description="Tell someone before it gets bad",
        template="Career advice",
        is_private=True,
        milestones=[("Name it to one person", None)],
    )
    goal_update(
        goal=goal, by=world.alice_person, fields={"title": GOAL_SECRET + "!"}, note="Said it out"
    )
    goal_progress(goal=goal, by=world.alice_person, progress=40, status="active", note="Breathe")
    return goal


def goal_columns() -> list[tuple[str, str]]:
    return [(t, c) for t, c in encrypted_columns() if t.startswith("goals_")]


def test_a_private_goal_and_its_history_rest_encrypted(world: World) -> None:
    goal = private_goal(world)
    raw = []
    with connection.cursor() as cursor:
        for table, column in goal_columns():
            cursor.execute(f"SELECT {column} FROM {table}")
            raw += [str(row[0]) for row in cursor.fetchall() if row[0]]
    # template, title, description, a milestone, three events' changes and two notes
    assert len(raw) == 9
    assert all(v.startswith("gAAAAA") for v in raw), raw
    assert not [v for v in raw if "panic" in v or "Breathe" in v]
    # The owner reads it as before, history included.
    goal = Goal.objects.get()
    assert goal.title == GOAL_SECRET + "!"
    assert goal.milestones.get().title == "Name it to one person"
    edited = goal.events.get(kind="edited")
    assert edited.changes == {"title": [GOAL_SECRET, GOAL_SECRET + "!"]}
    assert edited.note == "Said it out"
    from django.urls import reverse

    url = reverse(
        "goal_detail",
        kwargs={"org_slug": "acme", "partnership_id": goal.partnership_id, "goal_id": goal.pk},
    )
    page = client_for(world.alice).get(url).content.decode()
    assert GOAL_SECRET in page and "Breathe" in page


def test_goal_insights_still_count_by_template(world: World) -> None:
    """The insights metric reads templates in Python (no SQL on the text): it still counts."""
    from twoway.insights.metrics import Loaded

    goal = private_goal(world)
    program = goal.partnership.program
    loaded = Loaded(world.acme, [program], timezone.localdate(), timezone.now())
    assert loaded.goals[program.pk][("Career advice", "active")] == 1


def test_rotation_and_the_migration_cover_goals(
    world: World, monkeypatch: pytest.MonkeyPatch, encryption_key: str
) -> None:
    private_goal(world)
    event_table = GoalEvent._meta.db_table
    with connection.cursor() as cursor:
        # As a row written before the migration: plain JSON text.
        cursor.execute(
            f"UPDATE {event_table} SET changes = %s WHERE kind = 'created'",
            [json.dumps({"title": [None, GOAL_SECRET]})],
        )
    encrypt_plain_values(event_table, "changes")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT changes FROM {event_table} WHERE kind = 'created'")
        [(raw,)] = cursor.fetchall()
    assert str(raw).startswith("gAAAAA")
    assert GoalEvent.objects.get(kind="created").changes == {"title": [None, GOAL_SECRET]}
    new = crypto.generate_key()
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", f"{new},{encryption_key}")
    call_command("rotate_encryption", stdout=io.StringIO())
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", new)
    crypto.reset_keys()
    assert Goal.objects.get().title == GOAL_SECRET + "!"
    assert GoalEvent.objects.get(kind="created").changes == {"title": [None, GOAL_SECRET]}


# --- the whole demo, dumped ------------------------------------------------------------------


def private_texts_of(org_slug: str) -> dict[str, set[str]]:
    """Every private text of the organization, read through the models (as their owners do)."""
    from twoway.meetings.models import PrivateNote

    found: dict[str, set[str]] = {}

    def add(kind: str, *values: object) -> None:
        found.setdefault(kind, set()).update(str(v) for v in values if v)

    in_org = {"partnership__organization__slug": org_slug}
    for note in PrivateNote.objects.filter(checkin__partnership__organization__slug=org_slug):
        add("private note", crypto.decrypt(note.ciphertext))
    for pulse in PulseResponse.objects.filter(**in_org):
        add("pulse answer", pulse.word)
    for entry in FeedbackEntry.objects.filter(
        round__partnership__organization__slug=org_slug
    ).select_related("round"):
        members = entry.round.partnership.members.count()
        written = entry.round.entries.count()
        add(
            "feedback" if is_revealed(entry.round, members, written) else "unrevealed feedback",
            entry.appreciated,
            entry.situation,
            entry.behaviour,
            entry.impact,
            entry.start,
            entry.stop,
            entry.keep,
        )
    for goal in Goal.objects.filter(is_private=True, **in_org):
        add("private goal", goal.title, goal.description)
        add("private goal", *(m.title for m in goal.milestones.all()))
        for event in goal.events.all():
            add("private goal history", event.note)
            # The words (a status, a progress figure or a due date say nothing on their own).
            for key in ("title", "description", "template", "milestone", "milestone_done"):
                before_after = event.changes.get(key) or []
                add("private goal history", *(v for v in before_after if isinstance(v, str)))
    for member in PartnershipMember.objects.filter(**in_org):
        add("ending reason", member.end_reason)
    for reflection in Reflection.objects.filter(shared=False, **in_org):
        add("unshared reflection", reflection.learned, reflection.taught)
    for help_request in HelpRequest.objects.filter(**in_org):
        add("HR message", help_request.message)
    return found


@pytest.mark.slow
@pytest.mark.django_db
def test_a_dump_of_the_demo_holds_none_of_its_private_texts() -> None:
    """`twoway dumpdata` (what a backup or a curious operator reads) of the whole demo: every
    private text of every kind appears in it only as ciphertext."""
    from twoway.demo import demo_build
    from twoway.demo.seed import seed_organization
    from twoway.programs.models import Partnership, Program
    from twoway.support.services import help_request_send

    org = seed_organization(people=40, seed=3, slug="demo").org
    demo_build(org=org, seed=3)
    # The demo has no HR request: one, through the service, like a participant's.
    Program.objects.filter(organization=org).update(
        hr_contact_name="Hana HR", hr_contact_email="hr@demo.example"
    )
    partnership = Partnership.objects.filter(organization=org, status="active").first()
    assert partnership is not None
    help_request_send(
        partnership=partnership,
        person=partnership.members.first().person,  # type: ignore[union-attr]
        message="My partner's team lead keeps shouting at me in meetings",
        consent=True,
    )
    private = private_texts_of("demo")
    assert set(private) >= {
        "private note",
        "pulse answer",
        "unrevealed feedback",
        "private goal",
        "private goal history",
        "ending reason",
        "unshared reflection",
        "HR message",
    }, "the demo no longer has one of each kind: the test would prove nothing for it"
    # A goal started from a program's template may carry its words as a title: they are the
    # program's, published with it, not the person's.
    published = {t for p in Program.objects.filter(organization=org) for t in p.goal_templates}
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    dump = out.getvalue()
    # Every string of the dump as JSON decodes it (quotes and non-ASCII come escaped).
    strings: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(json.loads(dump))
    text = "\x00".join(strings)
    leaks = {
        kind: sorted(t for t in texts if t not in published and t in text)
        for kind, texts in private.items()
    }
    assert {kind: found for kind, found in leaks.items() if found} == {}
