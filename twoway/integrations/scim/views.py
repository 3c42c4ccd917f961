"""/scim/v2/… for identity providers, and the org admins' page that makes their tokens."""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    Group,
    ResourceType,
    SCIMException,
    ScimProvider,
    ServiceProviderConfig,
    UnauthorizedException,
    User,
)
from scim2_models import ETag as ETagConfig
from scim2_models import Filter as FilterConfig
from scim2_models import Patch as PatchConfig
from scim2_models import Sort as SortConfig
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation
from scim2_server.service import ScimService

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role, User as Account
from twoway.directory.services import person_deactivate
from twoway.integrations.scim.dialects import deactivates, normalize_patch
from twoway.integrations.scim.models import ScimToken
from twoway.integrations.scim.storage import DirectoryStorage
from twoway.integrations.scim.tokens import (
    scim_token_authenticate,
    scim_token_create,
    scim_token_revoke,
)
from twoway.people.models import Person

log = logging.getLogger(__name__)
MAX_RESULTS = 200


@cache
def provider() -> ScimProvider:
    config = ServiceProviderConfig(
        documentation_uri=None,
        patch=PatchConfig(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=FilterConfig(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=SortConfig(supported=False),
        etag=ETagConfig(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A token an org admin makes at Settings → Provisioning (SCIM).",
                primary=True,
            )
        ],
    )
    return ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[
            ResourceType.from_resource(User[EnterpriseUser]),
            ResourceType.from_resource(Group),
        ],
        config=config,
    )


def _scim_request(request: HttpRequest, path: str) -> ScimRequest:
    base = request.build_absolute_uri(reverse("scim_root")).rstrip("/")
    headers = {k: v for k, v in request.headers.items()}
    return ScimRequest(
        method=request.method or "GET",
        base_url=base,
        path="/" + path.removesuffix(".scim"),
        query={k: v for k, v in request.GET.items()},
        headers=headers,
        body=request.body,
    )


def _django_response(response: ScimResponse) -> HttpResponse:
    body = b"" if response.body is None else json.dumps(response.body).encode()
    result = HttpResponse(body, status=response.status.value)
    for name, value in response.headers.items():
        result[name] = value
    if response.body is None:
        del result["Content-Type"]
    return result


@csrf_exempt
def scim_endpoint(request: HttpRequest, path: str = "") -> HttpResponse:
    service = ScimService(provider())
    scim_request = _scim_request(request, path)
    token: ScimToken | None = None
    try:
        target = service.match(scim_request)
        if target.operation is not Operation.service_provider_config:
            token = scim_token_authenticate(request.headers.get("Authorization"))
            if token is None:
                raise UnauthorizedException(detail="a valid organization SCIM token is required")
            scim_request.subject = token
            _rewrite_patch(scim_request, token)
        storage = DirectoryStorage(token.organization) if token else _NoStorage()
        response = ScimHandler(service, storage).handle(scim_request)
    except Exception as exc:
        if not isinstance(exc, SCIMException):
            log.exception("SCIM %s %s failed", request.method, path)
        elif token is not None:
            _keep_deactivation(scim_request, token)
        response = service.error_response(exc)
    response.headers.setdefault("Cache-Control", "no-store")
    return _django_response(response)


def _user_id(scim_request: ScimRequest) -> str | None:
    parts = scim_request.path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "Users" and parts[1].isdigit():
        return parts[1]
    return None


def _rewrite_patch(scim_request: ScimRequest, token: ScimToken) -> None:
    if scim_request.method.upper() != "PATCH":
        return
    try:
        body = json.loads(scim_request.body or b"null")
    except ValueError:
        return  # scim2-server answers invalidSyntax
    current: dict[str, Any] | None = None
    user_id = _user_id(scim_request)
    if user_id is not None:
        person = Person.objects.filter(organization=token.organization, pk=int(user_id)).first()
        if person is not None:
            current = DirectoryStorage(token.organization).user_resource(person).model_dump()
    scim_request.body = json.dumps(normalize_patch(body, current)).encode()


def _keep_deactivation(scim_request: ScimRequest, token: ScimToken) -> None:
    """A PATCH that fails as a whole must still not keep a leaver signed in: when it asked to
    deactivate the user, that part is applied on its own (RFC 7644 would drop it with the rest,
    and the identity provider would think the person was deprovisioned)."""
    user_id = _user_id(scim_request)
    if scim_request.method.upper() != "PATCH" or user_id is None:
        return
    try:
        body = json.loads(scim_request.body or b"null")
    except ValueError:
        return
    if not deactivates(body):
        return
    person = (
        Person.objects.filter(organization=token.organization, pk=int(user_id), is_active=True)
        .filter(scim_removal__isnull=True)
        .first()
    )
    if person is not None:
        with transaction.atomic():
            person_deactivate(person=person, left_on=timezone.localdate(), actor=None, source="scim")


class _NoStorage(DirectoryStorage):
    """/ServiceProviderConfig needs no token, so no organization, and reads no storage."""

    def __init__(self) -> None:
        pass


# --- org admins ---------------------------------------------------------------------------------


@org_view(Role.ORG_ADMIN)
def scim_settings(request: OrgRequest) -> HttpResponse:
    new_secret = None
    if request.method == "POST":
        user: Account = request.user  # type: ignore[assignment]
        made = scim_token_create(
            organization=request.org, label=request.POST.get("label", ""), actor=user
        )
        new_secret = made.secret
        messages.success(request, "Token made. Copy it now: it will not be shown again.")
    tokens = ScimToken.objects.filter(organization=request.org)
    return render(
        request,
        "scim/settings.html",
        {
            "tokens": tokens,
            "new_secret": new_secret,
            "scim_url": request.build_absolute_uri(reverse("scim_root")),
        },
    )


@require_POST
@org_view(Role.ORG_ADMIN)
def scim_token_revoke_view(request: OrgRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ScimToken, pk=token_id, organization=request.org)
    user: Account = request.user  # type: ignore[assignment]
    scim_token_revoke(token=token, actor=user)
    messages.success(request, f"“{token.label}” can no longer provision this organization.")
    return redirect("scim_settings", org_slug=request.org.slug)
