from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.lib.web import apply_errors, render_tz
from twoway.people.access import me
from twoway.programs.web import space, space_context
from twoway.support import selectors, services
from twoway.support.forms import HelpRequestForm


@org_view()
def boundaries(request: OrgRequest) -> HttpResponse:
    """What peer mentoring is and is not."""
    return render_tz(request, me(request), "support/boundaries.html", {})


@org_view()
def support_page(request: OrgRequest, partnership_id: int) -> HttpResponse:
    """ "This needs more than a peer": professional help, and with consent a request to HR."""
    partnership, person = space(request, partnership_id)
    form = HelpRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.help_request_send(
                partnership=partnership,
                person=person,
                message=form.cleaned_data["message"],
                consent=form.cleaned_data["consent"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Sent, confidentially. HR will get back to you.")
            return redirect(request.path)
    hr_name, hr_email = partnership.program.hr_contact
    return render_tz(
        request,
        person,
        "support/support.html",
        {
            **space_context(partnership, person),
            "form": form,
            "hr_name": hr_name,
            # The address too, not only a name: a person confiding in HR sees where it goes.
            "hr_email": hr_email,
            "has_hr": bool(hr_email),
            "uncertain": selectors.feels_uncertain(partnership=partnership, person=person),
        },
        status=400 if request.method == "POST" else 200,
    )


@org_view()
@require_POST
def uncertain_flag(request: OrgRequest, partnership_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    uncertain = request.POST.get("uncertain") == "1"
    services.uncertain_flag_set(partnership=partnership, person=person, uncertain=uncertain)
    messages.success(
        request,
        "Noted. Only your program managers see it — your partner does not."
        if uncertain
        else "Flag removed.",
    )
    return redirect("partnership_support", org_slug=request.org.slug, partnership_id=partnership.pk)
