"""Slack's pages: connecting a workspace (org admins), and the endpoints Slack calls (signed).

Slack gives an interactive request 3 seconds. The button's work is a few quick writes, done
before answering; the message update through `response_url` (another HTTP call, to Slack) runs
only once the acknowledgement has been handed to the server, so a slow Slack never makes us
miss the window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth import AuthorizeUrlGenerator

from twoway.accounts.access import OrgRequest, get_membership, org_view
from twoway.accounts.models import Organization, Role, User
from twoway.integrations.slack import interactions
from twoway.integrations.slack import signing as slack_signing
from twoway.integrations.slack.models import SlackIdentity, SlackWorkspace
from twoway.integrations.slack.services import (
    slack_workspace_connect,
    slack_workspace_disconnect,
)
from twoway.integrations.slack.transport import BOT_SCOPES, client_for

log = logging.getLogger(__name__)

# --- connect a workspace (org admins) ----------------------------------------------------------

STATE_SALT = "twoway.notifications.slack-oauth"


def _redirect_uri() -> str:
    return f"{settings.BASE_URL}{reverse('slack_oauth_callback')}"


@org_view(role=Role.ORG_ADMIN)
def slack_settings(request: OrgRequest) -> HttpResponse:
    workspace = SlackWorkspace.objects.filter(organization=request.org).first()
    linked = SlackIdentity.objects.filter(workspace=workspace).count() if workspace else 0
    return render(
        request,
        "slack/settings.html",
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
        scopes=BOT_SCOPES,
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
        answer = client_for(token=None).oauth_v2_access(
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
    actor: User = request.user
    try:
        workspace = slack_workspace_connect(
            organization=org,
            actor=actor,
            team_id=str(team.get("id") or ""),
            team_name=str(team.get("name") or ""),
            bot_user_id=str(answer.get("bot_user_id") or ""),
            bot_token=str(answer.get("access_token") or ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("slack_settings", org_slug=org.slug)
    messages.success(request, f"Slack workspace {workspace.team_name} connected.")
    return redirect("slack_settings", org_slug=org.slug)


@require_POST
@org_view(role=Role.ORG_ADMIN)
def slack_disconnect(request: OrgRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    slack_workspace_disconnect(organization=request.org, actor=actor)
    messages.success(request, "Slack disconnected; messages go by email again.")
    return redirect("slack_settings", org_slug=request.org.slug)


# --- requests from Slack (signed, no session) -------------------------------------------------


def _signed(request: HttpRequest) -> bool:
    return slack_signing.is_signed(
        secret=settings.SLACK_SIGNING_SECRET,
        body=request.body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp"),
        signature=request.headers.get("X-Slack-Signature"),
    )


class AcknowledgeThen(HttpResponse):
    """An empty 200 — Slack's acknowledgement — that runs `then` once it has been handed to the
    server: a WSGI server calls close() after it has written the response."""

    def __init__(self, then: Callable[[], None]) -> None:
        super().__init__(status=200)
        self._then = then

    def close(self) -> None:
        try:
            super().close()
        finally:
            try:
                self._then()
            except Exception:
                log.exception("slack: the follow-up after the acknowledgement failed")


@csrf_exempt
@require_POST
def slack_interactive(request: HttpRequest) -> HttpResponse:
    """Button answers: "Yes, we met" logs the check-in as held (once it has started); "Not yet"
    leaves it scheduled (the nudges go on); "Reschedule" is a link to the check-in's page."""
    if not _signed(request):
        return HttpResponseForbidden("bad signature")
    try:
        interaction = interactions.parse_interaction(request.body)
    except interactions.MalformedPayload as exc:
        return HttpResponseBadRequest(f"malformed payload: {exc}")
    if interaction.type != "block_actions":
        return HttpResponse(status=200)
    person = interactions.person_for_slack_user(
        team_id=interaction.team_id, user_id=interaction.user_id
    )
    if person is None:
        answer: interactions.Answer | None = interactions.Answer(
            "I can't find you in Twoway yet. Ask your admin to invite you."
        )
    else:
        answers = [
            interactions.checkin_answer(person=person, action=a) for a in interaction.actions
        ]
        answer = next((a for a in reversed(answers) if a is not None), None)
    if answer is None:
        return HttpResponse(status=200)
    final = answer
    return AcknowledgeThen(
        lambda: interactions.reply(interaction.response_url, final.text, replace=final.settled)
    )


@csrf_exempt
@require_POST
def slack_command(request: HttpRequest) -> HttpResponse:
    """`/twoway`: my next check-in and my partner, only to me (ephemeral)."""
    if not _signed(request):
        return HttpResponseForbidden("bad signature")
    team_id, user_id = request.POST.get("team_id"), request.POST.get("user_id")
    if not team_id or not user_id:
        return HttpResponseBadRequest("team_id and user_id are required")
    person = interactions.person_for_slack_user(team_id=team_id, user_id=user_id)
    if person is None:
        return JsonResponse(
            {
                "response_type": "ephemeral",
                "text": "I can't find you in Twoway yet. Ask your admin to invite you.",
            }
        )
    return JsonResponse({"response_type": "ephemeral", "text": interactions.status_text(person)})
