from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.feedback import selectors, services
from twoway.feedback.forms import FeedbackForm, FitForm, PulseForm
from twoway.feedback.models import FitAnswer
from twoway.lib.web import apply_errors, render_tz, tz_of
from twoway.meetings.selectors import access_checkin
from twoway.people.access import me
from twoway.programs.selectors import partners_of
from twoway.programs.web import space, space_context


@org_view()
def feedback_page(request: OrgRequest, partnership_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    partners = partners_of(partnership, person)
    form = FeedbackForm(request.POST if request.method == "POST" else None, partners=partners)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        subject = next(p for p in partners if p.pk == data.pop("subject"))
        try:
            services.feedback_write(
                partnership=partnership, author=person, subject=subject, answers=data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            latest = selectors.feedback_for(partnership=partnership, viewer=person)
            if latest and latest[0].revealed:
                # The last to write opens the round: say so, not that it stays hidden.
                messages.success(
                    request,
                    "Thank you. Everyone has written now, so the feedback is revealed: "
                    "read what was written about you below.",
                )
            else:
                messages.success(
                    request,
                    "Thank you. Your feedback stays hidden until your partner has written too.",
                )
            return redirect(request.path)
    rounds = selectors.feedback_for(partnership=partnership, viewer=person)
    current = rounds[0] if rounds and not rounds[0].revealed else None
    can_write = partnership.is_open and not (current and current.mine)
    return render_tz(
        request,
        person,
        "feedback/feedback.html",
        {
            **space_context(partnership, person),
            "form": form,
            "rounds": rounds,
            "current": current,
            "can_write": can_write,
        },
        status=400 if request.method == "POST" else 200,
    )


@org_view()
@require_POST
def fit_check(request: OrgRequest, partnership_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    form = FitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one answer for the fit check.")
        return redirect(
            "partnership_home", org_slug=request.org.slug, partnership_id=partnership.pk
        )
    services.fit_check_set(
        partnership=partnership, person=person, answer=form.cleaned_data["answer"]
    )
    if form.cleaned_data["answer"] == FitAnswer.NOT_A_FIT and partnership.is_open:
        messages.info(
            request,
            "Thank you for being honest — that happens. You can end this partnership kindly "
            "and be matched with someone else right away.",
        )
        url = reverse(
            "partnership_end",
            kwargs={"org_slug": request.org.slug, "partnership_id": partnership.pk},
        )
        return redirect(f"{url}?rematch=1&fit=1")
    messages.success(request, "Thanks — only you and, in aggregate, the program team see this.")
    return redirect("partnership_home", org_slug=request.org.slug, partnership_id=partnership.pk)


@org_view()
def pulse(request: OrgRequest, partnership_id: int, checkin_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    checkin = access_checkin(partnership=partnership, checkin_id=checkin_id)
    form = PulseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pulse_record(
                person=person,
                checkin=checkin,
                scores={k: data[k] for k in services.PULSE_ITEMS},
                word=data["word"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Thanks. Only you see your answers.")
            return redirect("wellbeing", org_slug=request.org.slug)
    return render_tz(
        request,
        person,
        "feedback/pulse.html",
        {**space_context(partnership, person), "checkin": checkin, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@org_view()
def wellbeing(request: OrgRequest) -> HttpResponse:
    """My own pulse answers and trend; nobody else's view ever reads them."""
    person = me(request)
    pulses = selectors.my_pulses(person)
    return render_tz(
        request,
        person,
        "feedback/wellbeing.html",
        {
            "pulses": list(reversed(pulses)),
            "chart": selectors.pulse_chart(pulses, tz_of(person)),
            "wording": selectors.PULSE_WORDING,
        },
    )
