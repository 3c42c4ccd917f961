from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth import AuthorizeUrlGenerator

from twoway.accounts.access import OrgRequest, get_membership, org_view
from twoway.accounts.models import AuditEvent, Role, User
from twoway.notifications import slack as slack_lib
from twoway.notifications.forms import PreferencesForm
from twoway.notifications.kinds import can_turn_off, find, kind_label
from twoway.notifications.models import (
    OutboxMessage,
    OutboxStatus,
    SlackIdentity,
    SlackWorkspace,
)
from twoway.notifications.services import (
    notification_preferences_save,
    outbox_retry,
    preference_unsubscribe,
    preferences_for,
    read_unsubscribe_token,
    settings_for,
)
from twoway.people.selectors import person_for_user

log = logging.getLogger(__name__)


# --- a person's own preferences --------------------------------------------------------------


@org_view()
def preferences(request: OrgRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    person = person_for_user(org=request.org, user=user)
    if person is None:
        return render(request, "notifications/preferences.html", {"form": None})
    row = settings_for(person)
    slack = SlackWorkspace.objects.filter(organization=request.org).exists()
    form = PreferencesForm(
        request.POST or None, person=person, row=row, prefs=preferences_for(person), slack=slack
    )
    if request.method == "POST" and form.is_valid():
        notification_preferences_save(person=person, change=form.change())
        messages.success(request, "Notification settings saved.")
        return redirect("notification_preferences", org_slug=request.org.slug)
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "person": person, "slack": slack},
        status=400 if request.method == "POST" else 200,
    )


# --- the outbox, for org admins --------------------------------------------------------------


@org_view(role=Role.ORG_ADMIN)
def outbox(request: OrgRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = OutboxMessage.objects.filter(organization=request.org).select_related("recipient")
    if status in OutboxStatus.values:
        qs = qs.filter(status=status)
    # Newest first for the page; the partial index serves the worker, this one the admin list.
    qs = qs.order_by("-due_at", "-id")
    counts = dict(
        OutboxMessage.objects.filter(organization=request.org)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/outbox.html",
        {
            "page": page,
            "status": status,
            "statuses": OutboxStatus.choices,
            "counts": counts,
            "kind_label": kind_label,
        },
    )


@require_POST
@org_view(role=Role.ORG_ADMIN)
def outbox_retry_view(request: OrgRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(OutboxMessage, organization=request.org, pk=message_id)
    actor: User = request.user  # type: ignore[assignment]
    if message.status == OutboxStatus.SENT:
        messages.error(request, "That message was sent already.")
    else:
        outbox_retry(message=message, actor=actor)
        messages.success(request, "The message will be sent again in a moment.")
    return redirect("notification_outbox", org_slug=request.org.slug)


# --- one-click unsubscribe (no sign-in) -------------------------------------------------------


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation (link scanners must not unsubscribe anyone); POST unsubscribes —
    that is what mail clients send for `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    The page names the kind of message only: whoever holds the link learns nothing else.

    A kind that cannot be turned off (calendar invites) is never turned off here, by GET or
    POST: the page explains why and links to the settings, where it can be moved to Slack."""
    found = read_unsubscribe_token(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    person, kind = found
    context = {
        "label": kind_label(kind),
        # A link in an old email may name a kind Twoway no longer sends.
        "retired": find(kind) is None,
        "fixed": not can_turn_off(kind),
        "settings_path": reverse(
            "notification_preferences", kwargs={"org_slug": person.organization.slug}
        ),
    }
    if request.method == "POST":
        context["done"] = preference_unsubscribe(person=person, kind=kind)
    return render(request, "notifications/unsubscribe.html", context)


# --- Slack: connect a workspace (org admins) --------------------------------------------------

STATE_SALT = "twoway.notifications.slack-oauth"


def _redirect_uri() -> str:
    return f"{settings.BASE_URL}{reverse('slack_oauth_callback')}"


@org_view(role=Role.ORG_ADMIN)
def slack_settings(request: OrgRequest) -> HttpResponse:
    workspace = SlackWorkspace.objects.filter(organization=request.org).first()
    linked = SlackIdentity.objects.filter(workspace=workspace).count() if workspace else 0
    return render(
        request,
        "notifications/slack.html",
        {
            "workspace": workspace,
            "linked": linked,
            "configured": bool(settings.SLACK_CLIENT_ID and settings.SLACK_CLIENT_SECRET),
        },
    )


@org_view(role=Role.ORG_ADMIN)
def slack_install(request: OrgRequest) -> HttpResponse:
    if not (settings.SLACK_CLIENT_ID and settings.SLACK_CLIENT_SECRET):
        messages.error(request, "Slack is not configured on this server (SLACK_CLIENT_ID).")
        return redirect("slack_settings", org_slug=request.org.slug)
    state = signing.dumps(
        {"org": request.org.pk, "user": request.user.pk, "t": time.time()}, salt=STATE_SALT
    )
    url = AuthorizeUrlGenerator(
        client_id=settings.SLACK_CLIENT_ID,
        redirect_uri=_redirect_uri(),
        scopes=slack_lib.BOT_SCOPES,
        authorization_url=settings.SLACK_AUTHORIZE_URL,
    ).generate(state=state)
    return redirect(url)


@login_required
def slack_oauth_callback(request: HttpRequest) -> HttpResponse:
    """Slack sends the admin back here with a code; the signed state names the organization and
    the admin who started, and expires after ten minutes."""
    try:
        state = signing.loads(request.GET.get("state", ""), salt=STATE_SALT, max_age=600)
    except signing.BadSignature:
        return HttpResponseBadRequest("This Slack connection link is invalid or has expired.")
    if state.get("user") != request.user.pk:
        return HttpResponseBadRequest("This Slack connection was started by someone else.")
    from twoway.accounts.models import Organization

    org = Organization.objects.filter(pk=state.get("org")).first()
    if org is None:
        return HttpResponseBadRequest("Unknown organization.")
    membership = get_membership(request, org.slug)
    if not membership.has_role(Role.ORG_ADMIN):
        return HttpResponseForbidden("Only an org admin can connect Slack.")
    if request.GET.get("error") or not request.GET.get("code"):
        messages.error(request, "Slack was not connected.")
        return redirect("slack_settings", org_slug=org.slug)
    try:
        answer = slack_lib.client_for(token=None).oauth_v2_access(
            client_id=settings.SLACK_CLIENT_ID,
            client_secret=settings.SLACK_CLIENT_SECRET,
            code=request.GET["code"],
            redirect_uri=_redirect_uri(),
        )
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("slack oauth failed: %s", exc)
        messages.error(request, "Slack did not accept the connection; please try again.")
        return redirect("slack_settings", org_slug=org.slug)
    team = answer.get("team") or {}
    with transaction.atomic():
        workspace = SlackWorkspace.objects.filter(organization=org).first() or SlackWorkspace(
            organization=org
        )
        if workspace.pk and workspace.team_id != team.get("id"):
            workspace.identities.all().delete()  # another workspace: old links mean nothing
        workspace.team_id = str(team.get("id", ""))
        workspace.team_name = str(team.get("name", ""))
        workspace.bot_user_id = str(answer.get("bot_user_id", ""))
        workspace.set_bot_token(str(answer["access_token"]))
        actor: User = request.user
        workspace.installed_by = actor
        workspace.installed_at = timezone.now()
        workspace.save()
        AuditEvent.objects.create(
            organization=org,
            actor=actor,
            action="slack.connect",
            target=workspace.team_name or workspace.team_id,
        )
    messages.success(request, f"Slack workspace {workspace.team_name} connected.")
    return redirect("slack_settings", org_slug=org.slug)


@require_POST
@org_view(role=Role.ORG_ADMIN)
def slack_disconnect(request: OrgRequest) -> HttpResponse:
    with transaction.atomic():
        deleted, _ = SlackWorkspace.objects.filter(organization=request.org).delete()
        if deleted:
            AuditEvent.objects.create(
                organization=request.org,
                actor=request.user,  # type: ignore[misc]
                action="slack.disconnect",
            )
    messages.success(request, "Slack disconnected; messages go by email again.")
    return redirect("slack_settings", org_slug=request.org.slug)


# --- Slack: requests from Slack (signed, no session) -----------------------------------------


def _verified(request: HttpRequest) -> bool:
    if not settings.SLACK_SIGNING_SECRET:
        return False
    return slack_lib.verifier().is_valid(
        body=request.body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp"),
        signature=request.headers.get("X-Slack-Signature"),
    )


def _slack_person(team_id: str, user_id: str) -> Any:
    identity = (
        SlackIdentity.objects.filter(workspace__team_id=team_id, slack_user_id=user_id)
        .select_related("person__organization")
        .first()
    )
    return identity.person if identity else None


@csrf_exempt
@require_POST
def slack_interactive(request: HttpRequest) -> HttpResponse:
    """Button answers: "Yes, we met" logs the check-in as held; "Not yet" leaves it scheduled
    (the nudges go on); "Reschedule" answers with a link to move it."""
    if not _verified(request):
        return HttpResponseForbidden("bad signature")
    try:
        payload = json.loads(parse_qs(request.body.decode())["payload"][0])
    except (KeyError, IndexError, ValueError):
        return HttpResponseBadRequest("no payload")
    if payload.get("type") != "block_actions":
        return HttpResponse(status=200)
    person = _slack_person(
        str((payload.get("team") or {}).get("id", "")),
        str((payload.get("user") or {}).get("id", "")),
    )
    if person is None:
        return JsonResponse({"text": "I don't know you yet: sign in to Twoway once."})
    results = []
    for action in payload.get("actions") or []:
        try:
            checkin_id = int(json.loads(action.get("value") or "{}")["checkin"])
        except (KeyError, TypeError, ValueError):
            continue
        results.append(
            slack_lib.answer_checkin(
                person=person, checkin_id=checkin_id, action=str(action.get("action_id"))
            )
        )
    text = results[-1] if results else "Nothing to do."
    slack_lib.reply(payload.get("response_url"), text)
    return JsonResponse({"text": text})


@csrf_exempt
@require_POST
def slack_command(request: HttpRequest) -> HttpResponse:
    """`/twoway`: my next check-in and my partner, only to me (ephemeral)."""
    if not _verified(request):
        return HttpResponseForbidden("bad signature")
    form = request.POST
    person = _slack_person(form.get("team_id", ""), form.get("user_id", ""))
    if person is None:
        return JsonResponse(
            {
                "response_type": "ephemeral",
                "text": "I can't find you in Twoway yet. Ask your admin to invite you.",
            }
        )
    return JsonResponse({"response_type": "ephemeral", "text": slack_lib.status_text(person)})
