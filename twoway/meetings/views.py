from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_GET, require_safe

from twoway.accounts.access import OrgRequest, org_view
from twoway.lib.web import apply_errors, render_tz, tz_of
from twoway.meetings import ics, selectors, services
from twoway.meetings.forms import (
    AgendaForm,
    InformalForm,
    LogForm,
    MoveForm,
    NextForm,
    PrivateNoteForm,
    ScheduleForm,
    SharedNoteForm,
)
from twoway.meetings.markdown import render_markdown
from twoway.meetings.models import CheckinStatus
from twoway.people.access import me
from twoway.programs.web import members, space, space_context


@org_view()
def checkin_schedule(request: OrgRequest, partnership_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    series = selectors.live_series(partnership)
    if request.method == "POST" and request.POST.get("action") == "cancel" and series:
        services.checkin_series_cancel(series=series, by=person)
        messages.success(
            request, "The recurring check-ins are stopped; the ones you had stay in your calendars."
        )
        return redirect(
            "partnership_home", org_slug=request.org.slug, partnership_id=partnership.pk
        )
    if series is not None:
        initial: dict[str, Any] = {
            "weekday": series.weekday,
            "local_time": series.local_time,
            "time_zone": series.time_zone,
            "every_weeks": series.every_weeks,
            "duration_minutes": series.duration_minutes,
            "mode": series.mode,
            "location": series.location,
        }
    else:
        program = partnership.program
        initial = {
            "weekday": timezone.localdate().weekday(),
            "local_time": dt.time(10, 0),
            "time_zone": person.time_zone,
            "every_weeks": program.checkin_every_weeks,
            "duration_minutes": program.checkin_minutes,
            "mode": "video",
        }
    form = ScheduleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_schedule_set(partnership=partnership, by=person, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, "Check-ins are scheduled; both of you get a calendar invite by email."
            )
            return redirect(
                "partnership_home", org_slug=request.org.slug, partnership_id=partnership.pk
            )
    return render_tz(
        request,
        person,
        "meetings/schedule.html",
        {**space_context(partnership, person), "form": form, "series": series},
        status=400 if request.method == "POST" else 200,
    )


@org_view()
@require_GET
def checkin_series_ics(request: OrgRequest, partnership_id: int) -> HttpResponse:
    """The current invite as a file, for people who add it to their calendar by hand."""
    partnership, _person = space(request, partnership_id)
    series = selectors.live_series(partnership)
    if series is None:
        from django.http import Http404

        raise Http404
    series.partnership = partnership
    # A file to import is a published calendar, not an invitation: readers then add the events
    # instead of asking to accept on behalf of someone else.
    text = ics.series_published(series, series.checkins.all(), members(partnership))
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8; method=PUBLISH")
    response["Content-Disposition"] = 'attachment; filename="check-ins.ics"'
    return response


@org_view()
def checkin_informal(request: OrgRequest, partnership_id: int) -> HttpResponse:
    partnership, person = space(request, partnership_id)
    tz = tz_of(person)
    with timezone.override(tz):
        form = InformalForm(
            request.POST if request.method == "POST" else None,
            initial={"minutes": 20, "start": timezone.localtime().replace(second=0, microsecond=0)},
        )
        valid = request.method == "POST" and form.is_valid()
    if valid:
        try:
            checkin = services.checkin_log_informal(
                partnership=partnership,
                by=person,
                start=form.cleaned_data["start"],
                minutes=form.cleaned_data["minutes"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Logged. Informal conversations count.")
            return redirect(
                "checkin_detail",
                org_slug=request.org.slug,
                partnership_id=partnership.pk,
                checkin_id=checkin.pk,
            )
    return render_tz(
        request,
        person,
        "meetings/informal.html",
        {**space_context(partnership, person), "form": form},
        status=400 if request.method == "POST" else 200,
    )


CHECKIN_FORMS = {
    "agenda": AgendaForm,
    "shared_note": SharedNoteForm,
    "private_note": PrivateNoteForm,
    "log": LogForm,
    "move": MoveForm,
    "next": NextForm,
}


@org_view()
def checkin_detail(request: OrgRequest, partnership_id: int, checkin_id: int) -> HttpResponse:
    """One check-in: agenda, shared notes, my private note, 'did we meet?', 'when next?'."""
    partnership, person = space(request, partnership_id)
    checkin = selectors.access_checkin(partnership=partnership, checkin_id=checkin_id)
    tz = tz_of(person)
    bound: dict[str, forms.Form] = {}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "cancel":
        try:
            services.checkin_cancel(checkin=checkin, by=person)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "This check-in is cancelled; calendars are told.")
        return redirect(request.path)
    if action in CHECKIN_FORMS:
        with timezone.override(tz):
            form = CHECKIN_FORMS[action](request.POST, prefix=action)
            valid = form.is_valid()
        bound[action] = form
        if valid:
            try:
                done = _apply(action, form.cleaned_data, checkin=checkin, person=person)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect(request.path)
    elif action:
        return HttpResponse("Unknown action.", status=400)

    proposal = services.next_proposal(checkin=checkin, partnership=partnership)
    with timezone.override(tz):
        proposal_local = timezone.localtime(proposal)
        move_initial = timezone.localtime(checkin.scheduled_start)
    private_text = selectors.my_private_note(checkin=checkin, reader=person)
    context = {
        **space_context(partnership, person),
        "checkin": checkin,
        "shared_notes": [(n, render_markdown(n.body)) for n in checkin.shared_notes.all()],
        # Prefixed: several forms on one page must not share field ids.
        "agenda_form": bound.get("agenda") or AgendaForm(prefix="agenda"),
        "shared_form": bound.get("shared_note") or SharedNoteForm(prefix="shared_note"),
        "private_form": bound.get("private_note")
        or PrivateNoteForm(prefix="private_note", initial={"text": private_text}),
        "log_form": bound.get("log") or LogForm(prefix="log"),
        "move_form": bound.get("move") or MoveForm(prefix="move", initial={"start": move_initial}),
        "next_form": bound.get("next")
        or NextForm(prefix="next", initial={"start": proposal_local}),
        "has_started": checkin.scheduled_start <= timezone.now(),
        "is_scheduled": checkin.status == CheckinStatus.SCHEDULED,
        "show_next": checkin.status == CheckinStatus.HELD and partnership.is_open,
    }
    return render_tz(
        request, person, "meetings/checkin.html", context, status=400 if bound else 200
    )


def _apply(action: str, data: dict[str, Any], *, checkin: Any, person: Any) -> str:
    if action == "agenda":
        services.agenda_add(checkin=checkin, by=person, text=data["text"])
        return "Talking point added."
    if action == "shared_note":
        services.shared_note_add(checkin=checkin, by=person, body=data["body"])
        return "Shared note saved."
    if action == "private_note":
        services.private_note_save(checkin=checkin, by=person, text=data["text"])
        return "Private note saved. Only you can read it."
    if action == "log":
        services.checkin_log(checkin=checkin, by=person, status=data["status"])
        return "Thanks — logged." if data["status"] == "held" else "Logged as missed."
    if action == "move":
        services.checkin_move(checkin=checkin, by=person, start=data["start"])
        return "Moved; calendars are updated."
    services.checkin_next_set(
        partnership=checkin.partnership, by=person, after=checkin, start=data["start"]
    )
    return "The next check-in is set."


@org_view()
def calendar_settings(request: OrgRequest) -> HttpResponse:
    """My personal calendar feed: make (the address is shown this once), remake or turn off."""
    person = me(request)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            services.calendar_feed_revoke(person=person)
            messages.success(request, "Your calendar feed is turned off; the old address is dead.")
        elif action == "regenerate":
            token = services.calendar_feed_regenerate(person=person)
            # Shown on the next page only: the session forgets it as soon as it is read.
            request.session[NEW_FEED_TOKEN] = token
            messages.success(request, "Your calendar feed has a new address; any old one is dead.")
        else:
            return HttpResponse("Unknown action.", status=400)
        return redirect("calendar_settings", org_slug=request.org.slug)
    feed = selectors.feed_of(person)
    token = request.session.pop(NEW_FEED_TOKEN, "")
    url = ""
    if feed is not None and token:
        url = settings.BASE_URL + reverse("calendar_feed", kwargs={"token": token})
    # Never cached, as every signed-in page (lib.http.PrivateCacheMiddleware): it shows the
    # secret address the once it exists.
    return render_tz(request, person, "meetings/calendar.html", {"feed": feed, "feed_url": url})


NEW_FEED_TOKEN = "meetings.new_feed_token"


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The public secret URL calendars subscribe to: 404 for an unknown or revoked token, and
    once its person has left. GET and HEAD, with an ETag and Last-Modified so a calendar that
    polls an unchanged feed gets a 304."""
    feed = selectors.feed_for_token(token)
    text, changed = selectors.feed_ics(feed.person)
    body = text.encode()
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    last_modified = int(changed.timestamp()) if changed else None
    selectors.feed_fetched(feed)
    headers = {
        "Cache-Control": "private, max-age=300",
        "X-Robots-Tag": "noindex",
        "ETag": etag,
    }
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    response = HttpResponse(
        b"" if request.method == "HEAD" else body,
        content_type="text/calendar; charset=utf-8",
        headers=headers,
    )
    response["Content-Length"] = str(len(body))
    return response
