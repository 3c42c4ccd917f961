from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect

from twoway.accounts.access import OrgRequest, org_view
from twoway.feedback.forms import FitForm
from twoway.feedback.selectors import feedback_for, my_fit_check
from twoway.goals.selectors import visible_goals
from twoway.lib.web import apply_errors, render_tz
from twoway.meetings import selectors as meetings
from twoway.meetings.models import CheckinStatus
from twoway.partnerships import selectors, services
from twoway.partnerships.forms import EndForm, ReflectionForm
from twoway.partnerships.models import Reflection
from twoway.programs.selectors import partners_of
from twoway.programs.web import space, space_context


@org_view()
def partnership_home(request: OrgRequest, partnership_id: int) -> HttpResponse:
    """The pair's own space: who my partner is, goals, check-ins, notes, feedback, actions."""
    partnership, person = space(request, partnership_id)
    goals = list(visible_goals(partnership=partnership, viewer=person))
    history = meetings.past_checkins(partnership)
    held = [c for c in history if c.status == CheckinStatus.HELD]
    fit = my_fit_check(partnership=partnership, person=person)
    rounds = feedback_for(partnership=partnership, viewer=person)
    profiles = selectors.profiles(partnership)
    context = {
        **space_context(partnership, person),
        "partner_cards": [
            (p, profiles.get(p.pk, {}).get("offer", []), profiles.get(p.pk, {}).get("seek", []))
            for p in partners_of(partnership, person)
        ],
        "exchanges": selectors.exchanges(partnership=partnership, viewer=person, goals=goals),
        "goals": goals,
        "series": meetings.live_series(partnership),
        "upcoming": meetings.upcoming_checkins(partnership),
        "history": history,
        "my_private": meetings.checkins_with_my_private_notes(
            partnership=partnership, reader=person
        ),
        "fit": fit,
        "fit_form": FitForm(initial={"answer": fit.answer if fit else None}),
        "show_fit": bool(held) and partnership.is_open,
        "feedback_round": rounds[0] if rounds else None,
        "reflection": Reflection.objects.filter(partnership=partnership, author=person).first(),
    }
    return render_tz(request, person, "partnerships/home.html", context)


@org_view()
def partnership_end(request: OrgRequest, partnership_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    if not partnership.is_open:
        messages.info(request, "This partnership has already ended.")
        return redirect(
            "partnership_home", org_slug=request.org.slug, partnership_id=partnership.pk
        )
    initial = {"rematch": True, "outcome": "early" if request.GET.get("fit") else None}
    form = EndForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.partnership_close(
                partnership=partnership,
                by=person,
                completed=form.cleaned_data["outcome"] == "completed",
                reason=form.cleaned_data["reason"],
                rematch=form.cleaned_data["rematch"],
                fit_rating=form.cleaned_data["fit_rating"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                "The partnership has ended. Your partner is told kindly, without your reason."
                + (
                    " You are back in the pool for a new match."
                    if form.cleaned_data["rematch"]
                    else ""
                ),
            )
            return redirect(
                "partnership_reflection", org_slug=request.org.slug, partnership_id=partnership.pk
            )
    return render_tz(
        request,
        person,
        "partnerships/end.html",
        {**space_context(partnership, person), "form": form},
        status=400 if request.method == "POST" else 200,
    )


@org_view()
def partnership_reflection(request: OrgRequest, partnership_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    existing = Reflection.objects.filter(partnership=partnership, author=person).first()
    initial = (
        {"learned": existing.learned, "taught": existing.taught, "shared": existing.shared}
        if existing
        else {}
    )
    form = ReflectionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.reflection_save(partnership=partnership, author=person, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Your reflection is saved.")
            return redirect(
                "partnership_home", org_slug=request.org.slug, partnership_id=partnership.pk
            )
    return render_tz(
        request,
        person,
        "partnerships/reflection.html",
        {**space_context(partnership, person), "form": form},
        status=400 if request.method == "POST" else 200,
    )
