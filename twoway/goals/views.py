from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from twoway.accounts.access import OrgRequest, org_view
from twoway.goals import selectors, services
from twoway.goals.forms import GoalForm, MilestoneForm, ProgressForm
from twoway.lib.web import apply_errors, posted_id, render_tz
from twoway.programs.web import space, space_context


def _templates(partnership: Any) -> list[str]:
    return [str(t) for t in (partnership.program.goal_templates or [])]


@org_view()
def goal_create(request: OrgRequest, partnership_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    form = GoalForm(
        request.POST if request.method == "POST" else None, templates=_templates(partnership)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            goal = services.goal_create(
                partnership=partnership,
                owner=person,
                title=data["title"],
                description=data["description"],
                template=data["template"],
                is_private=data["is_private"],
                milestones=[(data["milestone"], data["milestone_due"])]
                if data["milestone"]
                else [],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Goal set: {goal.title}")
            return redirect(
                "partnership_home", org_slug=request.org.slug, partnership_id=partnership.pk
            )
    return render_tz(
        request,
        person,
        "goals/goal_form.html",
        {**space_context(partnership, person), "form": form, "goal": None},
        status=400 if request.method == "POST" else 200,
    )


@org_view()
def goal_edit(request: OrgRequest, partnership_id: int, goal_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    goal = selectors.access_goal(partnership=partnership, viewer=person, goal_id=goal_id)
    if goal.owner_id != person.pk:
        raise Http404
    form = GoalForm(
        request.POST if request.method == "POST" else None,
        templates=_templates(partnership),
        editing=True,
        initial={
            "template": goal.template,
            "title": goal.title,
            "description": goal.description,
            "is_private": goal.is_private,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.goal_update(
                goal=goal,
                by=person,
                fields={
                    "template": data["template"],
                    "title": data["title"] or data["template"],
                    "description": data["description"],
                    "is_private": data["is_private"],
                },
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Goal changed; the change is kept in its history.")
            return redirect(
                "goal_detail",
                org_slug=request.org.slug,
                partnership_id=partnership.pk,
                goal_id=goal.pk,
            )
    return render_tz(
        request,
        person,
        "goals/goal_form.html",
        {**space_context(partnership, person), "form": form, "goal": goal},
        status=400 if request.method == "POST" else 200,
    )


GOAL_FORMS: dict[str, type[forms.Form]] = {"progress": ProgressForm, "milestone": MilestoneForm}


@org_view()
def goal_detail(request: OrgRequest, partnership_id: int, goal_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    goal = selectors.access_goal(partnership=partnership, viewer=person, goal_id=goal_id)
    mine = goal.owner_id == person.pk
    bound: dict[str, forms.Form] = {}
    if request.method == "POST":
        if not mine:
            raise Http404
        action = request.POST.get("action", "")
        if action == "toggle":
            milestone = goal.milestones.filter(pk=posted_id(request, "milestone")).first()
            if milestone is None:
                return HttpResponse("No such milestone.", status=400)
            services.milestone_toggle(milestone=milestone, by=person)
            return redirect(request.path)
        if action not in GOAL_FORMS:
            return HttpResponse("Unknown action.", status=400)
        form = GOAL_FORMS[action](request.POST)
        bound[action] = form
        if form.is_valid():
            try:
                if action == "progress":
                    services.goal_progress(goal=goal, by=person, **form.cleaned_data)
                else:
                    services.milestone_add(goal=goal, by=person, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Saved.")
                return redirect(request.path)
    return render_tz(
        request,
        person,
        "goals/goal_detail.html",
        {
            **space_context(partnership, person),
            "goal": goal,
            "mine": mine,
            "progress_form": bound.get("progress")
            or ProgressForm(initial={"progress": goal.progress, "status": goal.status}),
            "milestone_form": bound.get("milestone") or MilestoneForm(),
        },
        status=400 if bound else 200,
    )
