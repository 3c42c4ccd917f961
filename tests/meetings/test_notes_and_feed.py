from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
import time_machine
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World, client_for, make_member
from tests.partnerships.factories import past_checkin, program, series
from twoway.accounts.models import Membership, Role
from twoway.lib import crypto
from twoway.meetings.models import CalendarFeed, CheckIn, PrivateNote, SharedNote
from twoway.meetings.selectors import NotYours, private_note_text
from twoway.meetings.services import calendar_feed_regenerate, private_note_save
from twoway.programs.services import partnership_create

SECRET = "I am afraid my manager will find out about the offer"


def checkin_url(checkin: CheckIn) -> str:
    return reverse(
        "checkin_detail",
        kwargs={
            "org_slug": "acme",
            "partnership_id": checkin.partnership_id,
            "checkin_id": checkin.pk,
        },
    )


@pytest.fixture
def alice_and_erin(world: World) -> CheckIn:
    """A pair where bob is only the program manager (not a member) and carol the org admin."""
    erin, erin_person = make_member(
        world.acme, "erin@acme.example", "Erin Ekdahl", Role.PARTICIPANT
    )
    world.erin = erin  # type: ignore[attr-defined]
    partnership = partnership_create(
        program=program(world), people=[world.alice_person, erin_person], source="hand"
    )
    return CheckIn.objects.create(
        partnership=partnership,
        scheduled_start=timezone.now() - dt.timedelta(hours=2),
        status="held",
    )


def test_a_private_note_is_readable_by_its_author_only(
    world: World, alice_and_erin: CheckIn
) -> None:
    checkin = alice_and_erin
    url = checkin_url(checkin)
    response = client_for(world.alice).post(
        url, {"action": "private_note", "private_note-text": SECRET}
    )
    assert response.status_code == 302
    assert SECRET in client_for(world.alice).get(url).content.decode()

    # The partner sees the check-in, never the note.
    partner_page = client_for(world.erin).get(url)  # type: ignore[attr-defined]
    assert partner_page.status_code == 200 and SECRET not in partner_page.content.decode()
    # The program manager and the org admin cannot even open the pair's space.
    for outsider in (world.bob, world.carol):
        assert client_for(outsider).get(url).status_code == 404
    note = PrivateNote.objects.get()
    with pytest.raises(NotYours):
        private_note_text(note=note, reader=world.bob_person)

    # In the database and in a dump there is only ciphertext.
    with connection.cursor() as cursor:
        cursor.execute("SELECT ciphertext FROM meetings_privatenote")
        [(raw,)] = cursor.fetchall()
    assert SECRET not in raw and "afraid" not in raw
    assert crypto.decrypt(raw) == SECRET
    dump = io.StringIO()
    call_command("dumpdata", "meetings", stdout=dump)
    assert SECRET not in dump.getvalue()
    # Operators' admin does not list private notes at all.
    assert PrivateNote not in admin.site._registry


def test_shared_notes_are_markdown_rendered_safely(world: World) -> None:
    checkin = past_checkin(world)
    url = checkin_url(checkin)
    body = "**bold move** <script>alert(1)</script> [x](javascript:alert(1))"
    client_for(world.alice).post(url, {"action": "shared_note", "shared_note-body": body})
    page = client_for(world.bob).get(url).content.decode()
    assert "<strong>bold move</strong>" in page
    assert "<script>alert" not in page and 'href="javascript' not in page
    assert SharedNote.objects.count() == 1


def test_an_empty_shared_note_is_a_400_and_saves_nothing(world: World) -> None:
    checkin = past_checkin(world)
    response = client_for(world.alice).post(
        checkin_url(checkin), {"action": "agenda", "agenda-text": ""}
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_rotate_encryption_re_encrypts_with_the_newest_key(
    world: World, monkeypatch: pytest.MonkeyPatch, encryption_key: str
) -> None:
    private_note_save(checkin=past_checkin(world), by=world.alice_person, text=SECRET)
    new = crypto.generate_key()
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", f"{new},{encryption_key}")
    out = io.StringIO()
    call_command("rotate_encryption", stdout=out)
    assert "Re-encrypted 1 private note." in out.getvalue()
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", new)  # the old key is gone
    crypto.reset_keys()
    note = PrivateNote.objects.get()
    assert private_note_text(note=note, reader=world.alice_person) == SECRET


def feed_url_shown(client: Client) -> str:
    """Make a new feed address and read it off the settings page, the one time it is shown."""
    settings_url = reverse("calendar_settings", kwargs={"org_slug": "acme"})
    client.post(settings_url, {"action": "regenerate"})
    page = client.get(settings_url).content.decode()
    [url] = re.findall(r'value="http://[^/"]+(/calendar/[^"]+\.ics)"', page)
    # Shown once: the next visit no longer has it.
    assert url not in client.get(settings_url).content.decode()
    return url


def test_the_feed_is_a_revocable_secret_url(world: World) -> None:
    s = series(world)
    client = client_for(world.alice)
    settings_url = reverse("calendar_settings", kwargs={"org_slug": "acme"})
    feed_url = feed_url_shown(client)

    anonymous = Client()
    response = anonymous.get(feed_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f"UID:{s.uid}" in response.content.decode()

    new_url = feed_url_shown(client)
    assert anonymous.get(feed_url).status_code == 404  # the old address is dead
    assert anonymous.get(new_url).status_code == 200
    client.post(settings_url, {"action": "revoke"})
    assert anonymous.get(new_url).status_code == 404


def test_feed_tokens_are_stored_as_hashes_only(world: World) -> None:
    series(world)
    token = calendar_feed_regenerate(person=world.alice_person)
    stored = CalendarFeed.objects.get(person=world.alice_person)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    dump = io.StringIO()
    call_command("dumpdata", "meetings.calendarfeed", stdout=dump)
    assert token not in dump.getvalue()
    assert Client().get(f"/calendar/{token}.ics").status_code == 200
    # The hash itself is not a key to the feed.
    assert Client().get(f"/calendar/{stored.token_hash}.ics").status_code == 404


@pytest.mark.parametrize("leaves", ["deactivated", "left", "membership_removed", "inactive"])
def test_the_feed_stops_when_its_person_leaves(world: World, leaves: str) -> None:
    series(world)
    token = calendar_feed_regenerate(person=world.alice_person)
    url = f"/calendar/{token}.ics"
    assert Client().get(url).status_code == 200
    person = world.alice_person
    if leaves == "deactivated":
        world.alice.is_active = False
        world.alice.save(update_fields=["is_active"])
    elif leaves == "left":
        person.left_on = timezone.localdate()
        person.save(update_fields=["left_on"])
    elif leaves == "inactive":
        person.is_active = False
        person.save(update_fields=["is_active"])
    else:
        Membership.objects.filter(user=world.alice, organization=world.acme).delete()
    assert Client().get(url).status_code == 404
    assert Client().head(url).status_code == 404


def test_the_feed_answers_head_and_conditional_requests(world: World) -> None:
    series(world)
    token = calendar_feed_regenerate(person=world.alice_person)
    url = f"/calendar/{token}.ics"
    first = Client().get(url)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        second = Client().get(url)
    # Nothing in it depends on the moment of the request: calendars see no change.
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert first["Last-Modified"]
    head = Client().head(url)
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == first["ETag"]
    assert head["Content-Type"].startswith("text/calendar")
    assert int(head["Content-Length"]) == len(first.content)
    again = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    since = Client().get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_the_feed_holds_only_the_persons_own_partnerships(world: World) -> None:
    series(world)
    token = calendar_feed_regenerate(person=world.carol_person)
    body = Client().get(f"/calendar/{token}.ics").content.decode()
    assert "VEVENT" not in body


@pytest.mark.parametrize("token", ["%00abc", "a%00", "x" * 300, "%F0%9F%90%8D"])
def test_a_malformed_feed_token_is_a_404(world: World, token: str) -> None:
    """Only a hash of the token reaches the database, so no byte of it can upset the query."""
    assert Client().get(f"/calendar/{token}.ics").status_code == 404
    assert Client().head(f"/calendar/{token}.ics").status_code == 404


def test_the_page_showing_the_new_address_is_never_cached(world: World) -> None:
    client = client_for(world.alice)
    settings_url = reverse("calendar_settings", kwargs={"org_slug": "acme"})
    client.post(settings_url, {"action": "regenerate"})
    response = client.get(settings_url)
    assert "/calendar/" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_a_renamed_partner_changes_the_feed_and_its_dates(world: World) -> None:
    series(world)
    token = calendar_feed_regenerate(person=world.alice_person)
    url = f"/calendar/{token}.ics"
    first = Client().get(url)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        world.bob_person.name = "Bob Baker-Lee"
        world.bob_person.save()
        second = Client().get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert second.status_code == 200 and "Bob Baker-Lee" in second.content.decode()
    assert second["ETag"] != first["ETag"]
