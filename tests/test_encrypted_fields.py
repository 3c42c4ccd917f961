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
