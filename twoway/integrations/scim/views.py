"""/scim/v2/… for identity providers, and the org admins' page that makes their tokens."""

from __future__ import annotations

import json
import logging
from functools import cache
from http import HTTPStatus
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
    ListResponse,
    NotFoundException,
    Required,
    ResourceType,
    Schema,
    SCIMException,
    ScimProvider,
    ServiceProviderConfig,
    UnauthorizedException,
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
from twoway.accounts.models import Role
from twoway.accounts.models import User as Account
from twoway.directory.services import person_deactivate
from twoway.integrations.scim.dialects import deactivates, normalize_patch, normalize_resource
from twoway.integrations.scim.models import ScimToken
from twoway.integrations.scim.storage import DirectoryStorage, ScimUser, WorkUser
from twoway.integrations.scim.tokens import (
    scim_token_authenticate,
    scim_token_create,
    scim_token_revoke,
)
from twoway.people.models import Person

log = logging.getLogger(__name__)
MAX_RESULTS = 200


# What /Schemas says Twoway keeps. Requests are still read against the whole standard schema, so
# a provider's usual mappings (phoneNumbers, addresses, locale…) are accepted and ignored instead
# of failing every sync; but only these come back, and a client should plan on only these.
KEPT_ATTRIBUTES = {
    "urn:ietf:params:scim:schemas:core:2.0:User": {
        "userName": None,
        "displayName": None,
        "title": None,
        "active": None,
        "emails": {"value"},
    },
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": None,
        "department": None,
        "manager": {"value", "$ref"},
    },
    "urn:ietf:params:scim:schemas:core:2.0:Group": {
        "displayName": None,
        "members": {"value", "$ref"},
    },
}
# Providers always send these, and a person cannot be without them.
REQUIRED_ATTRIBUTES = {"userName", "displayName", "active", "emails"}


def _kept(schema: Schema) -> Schema:
    kept = KEPT_ATTRIBUTES.get(schema.id or "")
    if kept is None:
        return schema
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in kept:
            continue
        subs = kept[attribute.name]
        attribute = attribute.model_copy(
            update={
                "required": Required.true
                if attribute.name in REQUIRED_ATTRIBUTES
                else attribute.required,
                "sub_attributes": [
                    sub.model_copy(
                        update={"required": Required.true}
                        if attribute.name == "emails" and sub.name == "value"
                        else {}
                    )
                    for sub in attribute.sub_attributes or []
                    if subs is None or sub.name in subs
                ]
                or None,
            }
        )
        attributes.append(attribute)
    return schema.model_copy(update={"attributes": attributes})


class TwowayScimService(ScimService):
    """scim2-server's service, publishing only the attributes Twoway keeps."""

    def schemas(self, location: str, query: Any) -> ScimResponse:
        self.forbid_filter(query)
        schemas = [_kept(s) for s in self.provider.schemas]
        response = ListResponse[Schema](
            total_results=len(schemas),
            items_per_page=len(schemas),
            start_index=1,
            resources=[self.locate(s, f"{location}/{s.id}") for s in schemas],
        )
        return ScimResponse(HTTPStatus.OK, response.model_dump())

    def schema(self, location: str, schema_id: str, query: Any) -> ScimResponse:
        self.forbid_filter(query)
        for schema in self.provider.schemas:
            if schema.id == schema_id:
                return self.discovery_response(self.locate(_kept(schema), location))
        raise NotFoundException(detail=f"Schema {schema_id!r} not found")


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
        models=[WorkUser, EnterpriseUser, Group],
        resource_types=[
            ResourceType.from_resource(ScimUser),
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
        query={k: str(v) for k, v in request.GET.items()},
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
    service = TwowayScimService(provider())
    scim_request = _scim_request(request, path)
    token: ScimToken | None = None
    try:
        target = service.match(scim_request)
        if target.operation is not Operation.service_provider_config:
            token = scim_token_authenticate(request.headers.get("Authorization"))
            if token is None:
                raise UnauthorizedException(detail="a valid organization SCIM token is required")
            scim_request.subject = token
            _rewrite_body(scim_request, token)
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


def _rewrite_body(scim_request: ScimRequest, token: ScimToken) -> None:
    method = scim_request.method.upper()
    if method not in {"POST", "PUT", "PATCH"}:
        return
    try:
        body = json.loads(scim_request.body or b"null")
    except ValueError:
        return  # scim2-server answers invalidSyntax
    if method != "PATCH":
        scim_request.body = json.dumps(normalize_resource(body)).encode()
        return
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
        .exclude(scim__removed_at__isnull=False)
        .first()
    )
    if person is not None:
        with transaction.atomic():
            person_deactivate(
                person=person, left_on=timezone.localdate(), actor=None, source="scim"
            )


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
