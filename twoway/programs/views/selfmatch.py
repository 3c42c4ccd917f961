"""Suggested peers, everyone in the program, requests and answers, my partnerships."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.matching import pair_score
from twoway.people.access import me as _me
from twoway.programs import selectors, services
from twoway.programs.cohort import engine_settings, open_counts, participants_for
from twoway.programs.forms import (
    RequestForm,
    ResponseForm,
)
from twoway.programs.models import (
    Enrolment,
    EnrolmentStatus,
    MatchRequest,
    RequestStatus,
)
from twoway.programs.suggestions import everyone_page, outside_level_gap, suggestions_for
from twoway.programs.views.enrolment import _my_enrolment
from twoway.programs.wording import reasons_for


@org_view()
def program_peers(request: OrgRequest, program_id: int) -> HttpResponse:
    program, me, enrolment = _my_enrolment(request, program_id)
    if not program.allows_self_match:
        raise Http404
    enrolment.person = me
    suggested = suggestions_for(program, enrolment, k=6)
    q = request.GET.get("q", "").strip()
    page, rows = everyone_page(
        program, me, q=q, page=request.GET.get("page"), per_page=24, others=suggested.others
    )
    # Who on this page has no room: they are shown as full and offered no request, so nobody
    # writes a note only to be told afterwards.
    counts = open_counts(program, [e.person_id for e in rows])
    full_ids = {e.person_id for e in rows if counts.get(e.person_id, 0) >= e.capacity}
    # Requests keep to the level rule too: nobody is offered a request that would be refused.
    far_ids = {e.person_id for e in rows if outside_level_gap(program, me, e.person)}
    return render(
        request,
        "programs/peers.html",
        {
            "program": program,
            # The reasons speak to their reader, as in an introduction ("between you and Ana").
            "suggestions": [
                (person, suggestion, reasons_for(suggestion.reasons, me.name))
                for person, suggestion in suggested.rows
            ],
            "outside_level_rule": suggested.outside_level_rule,
            "level_rule": suggested.level_rule,
            "page": page,
            "rows": rows,
            "q": q,
            "full_ids": full_ids,
            "far_ids": far_ids,
            "full": services.partners_in_program(program, me) >= enrolment.capacity,
        },
    )


@org_view()
def request_new(request: OrgRequest, program_id: int, person_id: int) -> HttpResponse:
    program, me, enrolment = _my_enrolment(request, program_id)
    if person_id == me.pk:
        raise Http404
    peer_enrolment = get_object_or_404(
        Enrolment.objects.select_related("person"),
        program=program,
        person_id=person_id,
        person__organization=request.org,
        status=EnrolmentStatus.ACTIVE,
    )
    peer = peer_enrolment.person
    a, b = participants_for(program, [enrolment, peer_enrolment])
    score = pair_score(a, b, engine_settings(program))
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.request_send(
                program=program, sender=me, receiver=peer, note=form.cleaned_data["note"]
            )
        except services.ProgramError as exc:
            form.add_error(None, str(exc))
        else:
            if sent.status == RequestStatus.ACCEPTED:
                messages.success(
                    request, f"You and {peer.name} asked for each other — you are now partners!"
                )
            else:
                messages.success(request, f"Your request is on its way to {peer.name}.")
            return redirect("requests", org_slug=request.org.slug)
    return render(
        request,
        "programs/request_new.html",
        {"program": program, "peer": peer, "score": score, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@org_view()
def requests(request: OrgRequest) -> HttpResponse:
    me = _me(request)
    base = MatchRequest.objects.filter(program__organization=request.org).select_related(
        "program", "sender", "receiver", "sender__team", "receiver__team"
    )
    return render(
        request,
        "programs/requests.html",
        {
            "incoming": base.filter(receiver=me, status=RequestStatus.OPEN),
            "outgoing": base.filter(sender=me, status=RequestStatus.OPEN),
            "history": base.filter(Q(sender=me) | Q(receiver=me)).exclude(
                status=RequestStatus.OPEN
            )[:30],
            "me": me,
            "response_form": ResponseForm(),
        },
    )


def _request_of(request: OrgRequest, request_id: int) -> MatchRequest:
    return get_object_or_404(
        MatchRequest.objects.select_related(
            "program", "program__organization", "sender", "receiver"
        ),
        pk=request_id,
        program__organization=request.org,
    )


@require_POST
@org_view()
def request_respond(request: OrgRequest, request_id: int) -> HttpResponse:
    match_request = _request_of(request, request_id)
    me = _me(request)
    if match_request.receiver_id != me.pk:
        raise Http404
    form = ResponseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept or decline.")
        return redirect("requests", org_slug=request.org.slug)
    try:
        if form.cleaned_data["decision"] == "accept":
            partnership = services.request_accept(
                request=match_request, by=me, response=form.cleaned_data["response"]
            )
            messages.success(request, f"You and {match_request.sender.name} are now partners.")
            return redirect(
                reverse("my_partnerships", kwargs={"org_slug": request.org.slug})
                + f"#p{partnership.pk}"
            )
        services.request_decline(
            request=match_request, by=me, response=form.cleaned_data["response"]
        )
        messages.success(request, f"We let {match_request.sender.name} know, kindly.")
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    return redirect("requests", org_slug=request.org.slug)


@require_POST
@org_view()
def request_withdraw(request: OrgRequest, request_id: int) -> HttpResponse:
    match_request = _request_of(request, request_id)
    me = _me(request)
    if match_request.sender_id != me.pk:
        raise Http404
    try:
        services.request_withdraw(request=match_request, by=me)
        messages.success(request, "Request withdrawn.")
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    return redirect("requests", org_slug=request.org.slug)


@org_view()
def my_partnerships(request: OrgRequest) -> HttpResponse:
    me = _me(request)
    partnerships = selectors.partnerships_of(me)
    rows = [
        (p, selectors.partners_of(p, me), reasons_for(p.reasons, me.name)) for p in partnerships
    ]
    rematch_offers = Enrolment.objects.filter(
        person=me, status=EnrolmentStatus.ACTIVE, wants_rematch=False
    ).select_related("program")
    return render(
        request,
        "programs/my_partnerships.html",
        {"rows": rows, "me": me, "rematch_offers": rematch_offers},
    )
