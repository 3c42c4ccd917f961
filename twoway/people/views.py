from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role, User
from twoway.lib.errors import DomainError
from twoway.people import selectors
from twoway.people.access import me
from twoway.people.forms import (
    AvailabilityFormSet,
    DirectorySearchForm,
    ProfileForm,
    SkillMergeForm,
    SkillRenameForm,
    SkillsForm,
)
from twoway.people.models import Direction, Person
from twoway.people.services import (
    person_provision,
    person_update_profile,
    skill_merge,
    skill_rename,
)

PAGE_SIZE = 24


def _skills_by_direction(person: Person) -> dict[str, list[object]]:
    skills = list(person.skills.all())
    return {
        "offers": [s for s in skills if s.direction == Direction.OFFER],
        "seeks": [s for s in skills if s.direction == Direction.SEEK],
    }


@org_view()
def my_profile(request: OrgRequest) -> HttpResponse:
    person = selectors.profile_of(me(request))
    return render(
        request,
        "people/profile.html",
        {"person": person, "is_me": True, **_skills_by_direction(person)},
    )


@org_view()
def my_profile_edit(request: OrgRequest) -> HttpResponse:
    person = selectors.profile_of(me(request))
    skills = selectors.org_skills(request.org)
    strengths = {(ps.direction, ps.skill_id): ps.strength for ps in person.skills.all()}
    windows_initial = [
        {"weekday": w.weekday, "start": w.start, "end": w.end} for w in person.availability.all()
    ]
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, instance=person, org=request.org)
    skills_form = SkillsForm(data, skills=skills, initial_strengths=strengths)
    windows = AvailabilityFormSet(data, initial=windows_initial, prefix="windows")
    if (
        request.method == "POST"
        and form.is_valid()
        and skills_form.is_valid()
        and windows.is_valid()
    ):
        resolved = person_update_profile(
            person=person,
            fields={name: form.cleaned_data[name] for name in form.Meta.fields},
            offers=skills_form.strengths("offer"),
            seeks=skills_form.strengths("seek"),
            windows=[
                (f.cleaned_data["weekday"], f.cleaned_data["start"], f.cleaned_data["end"])
                for f in windows.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ],
            typed=[
                (direction, name, strength)
                for direction in (Direction.OFFER, Direction.SEEK)
                for name, strength in skills_form.typed(direction)
            ],
        )
        for note in dict.fromkeys(r.note for r in resolved if r.note):
            messages.info(request, note)
        messages.success(request, "Your profile is saved.")
        return redirect("my_profile", org_slug=request.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "people/profile_edit.html",
        {
            "person": person,
            "form": form,
            "skills_form": skills_form,
            "offer_groups": skills_form.grouped("offer"),
            "seek_groups": skills_form.grouped("seek"),
            "windows": windows,
            "skill_suggestions": selectors.skill_suggestions(request.org),
        },
        status=status,
    )


@org_view()
def directory(request: OrgRequest) -> HttpResponse:
    form = DirectorySearchForm(
        request.GET or None,
        skills=selectors.skill_choices(request.org),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    people = selectors.directory_people(
        org=request.org,
        q=filters.get("q") or "",
        team=filters.get("team") or "",
        skill_id=filters.get("skill"),
    )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/directory.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@org_view()
def person_detail(request: OrgRequest, person_id: int) -> HttpResponse:
    person = selectors.access_person(org=request.org, person_id=person_id)
    is_me = person.user_id == request.user.pk
    return render(
        request,
        "people/profile.html",
        {"person": person, "is_me": is_me, **_skills_by_direction(person)},
    )


@require_POST
@org_view()
def person_setup(request: OrgRequest) -> HttpResponse:
    """A member without an employee record asks for one (the page a read shows them instead of
    making one behind their back)."""
    user: User = request.user  # type: ignore[assignment]
    person_provision(organization=request.org, user=user, source="self_service")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("my_profile_edit", org_slug=request.org.slug)


@org_view(role=Role.ORG_ADMIN)
def skill_vocabulary(request: OrgRequest) -> HttpResponse:
    """The organization's skills with how many people hold each: search, rename, pick two to
    merge."""
    q = " ".join(request.GET.get("q", "").split())[:100]
    page = Paginator(selectors.skills_with_people(request.org, q), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "people/skills.html",
        {"page": page, "q": q, "skill_suggestions": selectors.skill_suggestions(request.org)},
    )


@org_view(role=Role.ORG_ADMIN)
def skill_merge_view(request: OrgRequest) -> HttpResponse:
    """GET ?source=&target= (names, any spelling or alias): a preview of the merge. POST the
    two ids the preview showed: merge."""
    back = redirect("skill_vocabulary", org_slug=request.org.slug)
    if request.method == "POST":
        form = SkillMergeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Pick the two skills to merge again.")
            return back
        source = selectors.access_skill(org=request.org, skill_id=form.cleaned_data["source"])
        target = selectors.access_skill(org=request.org, skill_id=form.cleaned_data["target"])
        actor: User = request.user  # type: ignore[assignment]
        try:
            skill_merge(organization=request.org, source=source, target=target, actor=actor)
        except DomainError as exc:
            messages.error(request, str(exc))
            return back
        messages.success(
            request,
            f"{source.name} is merged into {target.name}; '{source.name}' now lands on "
            f"{target.name}.",
        )
        return back
    picked = selectors.skills_by_names(
        org=request.org,
        names=[request.GET.get("source", ""), request.GET.get("target", "")],
    )
    problems = [
        f"No skill is called '{typed}'." if typed else f"Choose the skill to merge {which}."
        for which, (typed, skill) in zip(("away", "into"), picked, strict=True)
        if skill is None
    ]
    chosen_source, chosen_target = picked[0][1], picked[1][1]
    if chosen_source is None or chosen_target is None or chosen_source.pk == chosen_target.pk:
        if chosen_source is not None and chosen_source == chosen_target:
            problems.append(
                f"Both names are {chosen_source.name} already: choose two different skills."
            )
        for problem in problems:
            messages.error(request, problem)
        return back
    return render(
        request,
        "people/skill_merge.html",
        {
            "source": chosen_source,
            "target": chosen_target,
            "both": selectors.skill_overlap(source=chosen_source, target=chosen_target),
        },
    )


@require_POST
@org_view(role=Role.ORG_ADMIN)
def skill_rename_view(request: OrgRequest, skill_id: int) -> HttpResponse:
    skill = selectors.access_skill(org=request.org, skill_id=skill_id)
    form = SkillRenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        old = skill.name
        actor: User = request.user  # type: ignore[assignment]
        try:
            skill_rename(
                organization=request.org, skill=skill, name=form.cleaned_data["name"], actor=actor
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{old} is now called {skill.name}.")
    return redirect("skill_vocabulary", org_slug=request.org.slug)
