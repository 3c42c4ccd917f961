"""Publishing a round in the background: queued by the page or the API, written by the worker in
batches, the draft locked meanwhile, resumable after a crash, stale groups left out and listed.
The kill test with a real `twoway worker` is in test_publish_crash.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World, client_for
from tests.programs.helpers import make_draft, make_people, make_program
from twoway.accounts.models import AuditEvent
from twoway.integrations.webhooks.services import webhook_endpoint_create
from twoway.notifications.models import OutboxMessage
from twoway.programs import rounds
from twoway.programs.models import (
    MatchRound,
    Partnership,
    PartnershipMember,
    PartnershipSource,
    Program,
    RoundStatus,
)
from twoway.programs.services import ProgramError, partnership_create, partnership_introduce

GROUPS = 23


@pytest.fixture
def program(world: World) -> Program:
    return make_program(world.acme, name="Big round")


@pytest.fixture
def draft(program: Program) -> MatchRound:
    return make_draft(program, make_people(program.organization, 2 * GROUPS))


def intros() -> dict[str, dict[str, object]]:
    return {
        m.dedupe_key: m.context
        for m in OutboxMessage.objects.filter(kind="introduction", template="program_intro")
    }


def assert_one_partnership_per_group(
    draft: MatchRound, skipped: frozenset[int] = frozenset()
) -> None:
    groups = draft.result["groups"]
    made = {
        p.round_group: sorted(p.members.values_list("person_id", flat=True))
        for p in Partnership.objects.filter(round=draft)
    }
    assert Partnership.objects.filter(round=draft).count() == len(made)
    expected = {i: sorted(g["members"]) for i, g in enumerate(groups) if i not in skipped}
    assert made == expected
    members = PartnershipMember.objects.filter(partnership__round=draft)
    assert members.count() == sum(len(m) for m in expected.values())
    # One introduction per member, keyed as partnership_introduce keys it.
    keys = {f"intro:{m.partnership_id}:{m.person_id}" for m in members}
    assert set(intros()) == keys


def test_publishing_is_queued_and_the_worker_starts_every_group(
    world: World, draft: MatchRound
) -> None:
    queued = rounds.round_publish(match_round=draft, actor=world.bob)
    assert queued.status == RoundStatus.PUBLISHING and queued.progress == 0
    assert not Partnership.objects.exists() and not intros()
    assert not AuditEvent.objects.filter(action="round.published").exists()

    assert rounds.run_pending_publishes(batch=5) == 1
    draft.refresh_from_db()
    assert draft.status == RoundStatus.PUBLISHED and draft.progress == 100
    assert draft.publish_done == GROUPS and draft.publish_skipped == []
    assert_one_partnership_per_group(draft)
    assert set(Partnership.objects.values_list("source", flat=True)) == {PartnershipSource.ROUND}
    published = AuditEvent.objects.get(action="round.published")
    assert published.actor == world.bob and published.details["groups"] == GROUPS
    # Nothing is left to claim.
    assert rounds.run_pending_publishes() == 0


def test_an_introduction_is_the_same_as_the_one_a_single_pair_gets(
    world: World, draft: MatchRound
) -> None:
    rounds.round_publish(match_round=draft, actor=world.bob)
    rounds.run_pending_publishes()
    partnership = Partnership.objects.filter(round=draft).order_by("round_group").first()
    assert partnership is not None
    people = [m.person for m in partnership.members.select_related("person").order_by("person")]
    batch = {k: v for k, v in intros().items() if k.startswith(f"intro:{partnership.pk}:")}
    assert len(batch) == 2
    OutboxMessage.objects.filter(dedupe_key__in=list(batch)).delete()
    partnership_introduce(partnership, people, partnership.reasons)
    single = {k: v for k, v in intros().items() if k.startswith(f"intro:{partnership.pk}:")}
    assert single == batch
    # The reasons are turned to their reader, as for a pair started one by one.
    first = single[f"intro:{partnership.pk}:{people[0].pk}"]
    assert first["reasons"] == [f"You can help {people[1].name} with planning"]


def test_the_draft_is_locked_while_it_publishes(world: World, draft: MatchRound) -> None:
    rounds.round_publish(match_round=draft, actor=world.bob)
    members = draft.result["groups"][0]["members"]
    with pytest.raises(ProgramError, match="being published; it cannot be changed"):
        rounds.round_adjust(match_round=draft, actor=world.bob, action="break", people=members)
    with pytest.raises(ProgramError, match="cannot be changed or published again"):
        rounds.round_publish(match_round=draft, actor=world.bob)
    with pytest.raises(ProgramError, match="can no longer be discarded"):
        rounds.round_discard(match_round=draft, actor=world.bob)
    with pytest.raises(ProgramError, match="being published; start the next one"):
        rounds.round_create(program=draft.program, actor=world.bob)
    draft.refresh_from_db()
    assert draft.status == RoundStatus.PUBLISHING and draft.locked_groups == []
    assert MatchRound.objects.filter(program=draft.program).count() == 1

    # The page says the same, and shows where publishing is.
    client = client_for(world.bob)
    kwargs = {"org_slug": "acme", "program_id": draft.program_id, "round_id": draft.pk}
    page = client.post(reverse("round_publish", kwargs=kwargs), follow=True).content.decode()
    assert "cannot be changed or published again" in page
    assert "Waiting for the worker to start publishing 23 groups" in page
    assert not Partnership.objects.exists()


def test_a_resumed_publish_starts_after_the_groups_already_done(
    world: World, draft: MatchRound
) -> None:
    rounds.round_publish(match_round=draft, actor=world.bob)
    first = rounds.claim_next_publish()
    assert first is not None and first.claimed_at is not None
    groups = draft.result["groups"]
    # One batch of 10 commits, then this worker dies (it never comes back to its claim).
    step = rounds._publish_batch(draft.pk, first.claimed_at, groups, 10)
    assert step is not None and step[1] is False
    draft.refresh_from_db()
    assert draft.publish_done == 10 and draft.progress == 43
    done_before = dict(Partnership.objects.values_list("round_group", "pk"))
    assert set(done_before) == set(range(10))

    # While the claim is fresh nobody takes the round over.
    assert rounds.claim_next_publish() is None
    # Its lease runs out (as after ROUND_PUBLISH_LEASE_SECONDS): another worker takes over.
    lease = dt.timedelta(seconds=settings.ROUND_PUBLISH_LEASE_SECONDS + 1)
    MatchRound.objects.filter(pk=draft.pk).update(claimed_at=timezone.now() - lease)
    assert rounds.run_pending_publishes(batch=4) == 1
    draft.refresh_from_db()
    assert draft.status == RoundStatus.PUBLISHED and draft.publish_done == GROUPS
    assert_one_partnership_per_group(draft)
    # The first ten groups are the partnerships the dead worker made, untouched.
    after = dict(Partnership.objects.filter(round_group__lt=10).values_list("round_group", "pk"))
    assert after == done_before

    # The dead worker, back from a pause, finds its claim gone and writes nothing.
    assert rounds._publish_batch(draft.pk, first.claimed_at, groups, 10) is None
    assert Partnership.objects.count() == GROUPS


def test_a_group_gone_stale_while_publishing_is_left_out_and_reported(
    world: World, draft: MatchRound
) -> None:
    carol = world.carol
    endpoint = webhook_endpoint_create(
        organization=world.acme,
        url="https://hr.acme.example/hooks",
        events=["partnership.created", "round.published"],
        actor=carol,
    )
    rounds.round_publish(match_round=draft, actor=world.bob)
    groups = draft.result["groups"]
    # After the click, two people of two groups pair up by request.
    a, b = groups[3]["members"][0], groups[17]["members"][1]
    partnership_create(
        program=draft.program,
        people=[draft.program.organization.people.get(pk=pk) for pk in (a, b)],
        source=PartnershipSource.REQUEST,
    )
    assert rounds.run_pending_publishes(batch=5) == 1
    draft.refresh_from_db()
    assert draft.status == RoundStatus.PUBLISHED
    assert [s["group"] for s in draft.publish_skipped] == [3, 17]
    assert draft.publish_skipped[0]["members"] == groups[3]["members"]
    assert groups[3]["names"][0] in draft.publish_skipped[0]["reason"]
    assert_one_partnership_per_group(draft, skipped=frozenset({3, 17}))
    audit = AuditEvent.objects.get(action="round.published")
    assert audit.details["groups"] == GROUPS - 2 and audit.details["skipped"] == 2
    hooks = list(OutboxMessage.objects.filter(kind="webhook"))
    created = [h for h in hooks if h.context["event"]["type"] == "partnership.created"]
    assert len(created) == GROUPS - 2 + 1  # the round's, and the pair by request
    # A batch's rows are those of one event at a time: same keys, same shape.
    by_request = next(h for h in created if h.context["event"]["data"]["source"] == "request")
    by_round = next(h for h in created if h.context["event"]["data"]["source"] == "round")
    assert set(by_round.context["event"]) == set(by_request.context["event"])
    assert set(by_round.context["event"]["data"]) == set(by_request.context["event"]["data"])
    made = by_round.context["event"]["data"]["id"]
    assert by_round.dedupe_key == f"webhook:{endpoint.endpoint.pk}:partnership.created:{made}"
    assert by_round.context["event"]["data"]["members"] == sorted(
        Partnership.objects.get(pk=made).members.values_list("person_id", flat=True)
    )
    (done,) = [h for h in hooks if h.context["event"]["type"] == "round.published"]
    assert done.context["event"]["data"]["partnerships"] == GROUPS - 2

    page = client_for(world.bob).get(
        reverse(
            "round_detail",
            kwargs={"org_slug": "acme", "program_id": draft.program_id, "round_id": draft.pk},
        )
    )
    text = page.content.decode()
    assert "Left out at publishing" in text and "2 groups of this draft were not started" in text
    assert draft.publish_skipped[1]["reason"] in text


def test_a_failed_batch_keeps_its_claim_and_is_retried_from_where_it_stopped(
    world: World, draft: MatchRound
) -> None:
    rounds.round_publish(match_round=draft, actor=world.bob)
    # A group the engine never makes: one person twice. Its batch fails whole.
    result = draft.result
    bad = result["groups"][12]
    bad["members"] = [bad["members"][0], bad["members"][0]]
    bad["names"] = [bad["names"][0], bad["names"][0]]
    MatchRound.objects.filter(pk=draft.pk).update(result=result)
    assert rounds.run_pending_publishes(batch=10) == 1
    draft.refresh_from_db()
    assert draft.status == RoundStatus.PUBLISHING
    assert draft.publish_done == 10 and "two different people" in draft.error
    assert Partnership.objects.count() == 10
    page = client_for(world.bob).get(
        reverse(
            "round_detail",
            kwargs={"org_slug": "acme", "program_id": draft.program_id, "round_id": draft.pk},
        )
    )
    assert "The last attempt stopped" in page.content.decode()
    # The claim is kept until its lease runs out, so a failing round is not retried in a loop.
    assert rounds.run_pending_publishes() == 0


def test_whoever_the_round_left_out_hears_why_once(world: World, program: Program) -> None:
    people = make_people(program.organization, 8, prefix="Odd")
    draft = make_draft(program, people)
    waiting, left = people[6], people[7]
    draft.result["groups"] = draft.result["groups"][:3]
    draft.result["unmatched"] = [
        {"id": waiting.pk, "name": waiting.name, "reason": "level_gap"},
        {"id": left.pk, "name": left.name, "reason": "odd_one_out"},
    ]
    draft.save(update_fields=["result"])
    # Someone who left the program after the round ran is not written to about it.
    program.enrolments.filter(person=left).delete()

    rounds.round_publish(match_round=draft, actor=world.bob)
    rounds.run_pending_publishes()

    told = OutboxMessage.objects.filter(kind="round_left_out")
    assert list(told.values_list("recipient_id", flat=True)) == [waiting.pk]
    context = told.get().context
    assert context["because"] == "no one waiting was within the program's level range of you"
    assert context["url"].endswith(f"/programs/{program.pk}/peers/") == program.allows_self_match
    # Matched people get their introduction, not this.
    matched = {m for g in draft.result["groups"] for m in g["members"]}
    assert not told.filter(recipient_id__in=matched).exists()
    # A second pass (a resumed publish) does not write twice.
    draft.refresh_from_db()
    assert rounds._tell_left_out(draft) == 0 and told.count() == 1
