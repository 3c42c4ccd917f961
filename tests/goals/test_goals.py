from __future__ import annotations

from django.urls import reverse

from tests.conftest import World, client_for
from tests.partnerships.factories import pair
from twoway.goals.models import Goal, GoalEvent


def url(name: str, w: World, **kw: int) -> str:
    return reverse(name, kwargs={"org_slug": "acme", "partnership_id": pair(w).pk, **kw})


def test_a_goal_from_a_template_with_a_milestone(world: World) -> None:
    response = client_for(world.alice).post(
        url("goal_create", world),
        {
            "template": "Executive presence",
            "milestone": "Present at all-hands",
            "milestone_due": "2026-09-01",
        },
    )
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.title == "Executive presence" and goal.owner == world.alice_person
    assert goal.milestones.get().title == "Present at all-hands"
    page = client_for(world.bob).get(url("partnership_home", world)).content.decode()
    assert "Executive presence" in page


def test_a_private_goal_is_seen_by_its_owner_only(world: World) -> None:
    client_for(world.alice).post(
        url("goal_create", world), {"title": "Ask for the raise", "is_private": "on"}
    )
    goal = Goal.objects.get()
    assert (
        "Ask for the raise"
        in client_for(world.alice).get(url("partnership_home", world)).content.decode()
    )
    assert (
        "Ask for the raise"
        not in client_for(world.bob).get(url("partnership_home", world)).content.decode()
    )
    assert client_for(world.bob).get(url("goal_detail", world, goal_id=goal.pk)).status_code == 404


def test_goals_change_any_time_and_keep_their_history(world: World) -> None:
    client = client_for(world.alice)
    client.post(url("goal_create", world), {"title": "Learn SQL"})
    goal = Goal.objects.get()
    client.post(url("goal_edit", world, goal_id=goal.pk), {"title": "Learn SQL window functions"})
    client.post(
        url("goal_detail", world, goal_id=goal.pk),
        {"action": "progress", "progress": "60", "status": "active", "note": "Did the course"},
    )
    client.post(
        url("goal_detail", world, goal_id=goal.pk),
        {"action": "progress", "progress": "60", "status": "achieved"},
    )
    goal.refresh_from_db()
    assert goal.title == "Learn SQL window functions" and goal.status == "achieved"
    assert goal.progress == 100
    kinds = list(GoalEvent.objects.filter(goal=goal).order_by("id").values_list("kind", flat=True))
    assert kinds == ["created", "edited", "progress", "status"]
    page = client_for(world.bob).get(url("goal_detail", world, goal_id=goal.pk)).content.decode()
    assert "Learn SQL → Learn SQL window functions" in page
    # Reciprocity at a glance: bob sees what he helped alice with.
    home = client_for(world.bob).get(url("partnership_home", world)).content.decode()
    assert "Has helped with" in home and "Learn SQL window functions (achieved" in home


def test_a_goal_without_a_name_is_a_400_and_keeps_the_description(world: World) -> None:
    response = client_for(world.alice).post(
        url("goal_create", world), {"description": "Something about clients"}
    )
    assert response.status_code == 400
    assert "Something about clients" in response.content.decode()
    assert not Goal.objects.exists()


def test_only_the_owner_changes_a_goal(world: World) -> None:
    client_for(world.alice).post(url("goal_create", world), {"title": "Mine"})
    goal = Goal.objects.get()
    response = client_for(world.bob).post(
        url("goal_detail", world, goal_id=goal.pk),
        {"action": "progress", "progress": "90", "status": "active"},
    )
    assert response.status_code == 404
    goal.refresh_from_db()
    assert goal.progress == 0
