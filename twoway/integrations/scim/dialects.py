"""What identity providers send that RFC 7644 does not say, rewritten into what it does.

Each rule names the provider behaviour it exists for; tests replay their request bodies
(tests/integrations/scim/test_providers.py). scim2-models already accepts capitalised operation
names (Entra's "Replace") and string booleans ("False").
"""

from __future__ import annotations

import re
from typing import Any

MANAGER_PATH = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# attr[type eq "work"].sub — Entra's way to set one typed value.
TYPED_VALUE = re.compile(r'^(?P<attr>\w+)\[type eq "(?P<type>[^"]+)"\]\.(?P<sub>\w+)$', re.I)


def _manager(value: Any) -> Any:
    """RFC 7643 marks the manager's `$ref` required; providers send only its id (Entra even as a
    bare string). The reference is derived from the id."""
    if isinstance(value, str):
        value = {"value": value} if value else None
    if isinstance(value, dict) and value.get("value") and not value.get("$ref"):
        value = {**value, "$ref": f"Users/{value['value']}"}
    return value


def normalize_resource(body: Any) -> Any:
    """A POST or PUT body of a User, with its manager made whole and, when a provider sends
    only an email-shaped userName (Entra's UPN), that address as the work email."""
    if not isinstance(body, dict):
        return body
    user_name = body.get("userName")
    if not body.get("emails") and isinstance(user_name, str) and "@" in user_name:
        body = {**body, "emails": [{"value": user_name, "type": "work", "primary": True}]}
    for key, enterprise in body.items():
        is_enterprise = key.lower() == ENTERPRISE_URN.lower() and isinstance(enterprise, dict)
        if is_enterprise and "manager" in enterprise:
            body = {**body, key: {**enterprise, "manager": _manager(enterprise["manager"])}}
    return body


def normalize_patch(body: Any, current: dict[str, Any] | None) -> Any:
    """Rewrite a PATCH body's operations; anything unrecognised passes through unchanged."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        return body
    operations: list[Any] = []
    for op in body["Operations"]:
        operations.extend(_rewrite(op, current or {}))
    return {**body, "Operations": operations}


def _rewrite(op: Any, current: dict[str, Any]) -> list[Any]:
    if not isinstance(op, dict):
        return [op]
    name = str(op.get("op", "")).lower()
    path = op.get("path")
    value = op.get("value")

    # Entra: the manager as a bare id string instead of {"value": id}.
    if isinstance(path, str) and path.lower() == MANAGER_PATH:
        return [{**op, "value": _manager(value)}]
    if path is None and isinstance(value, dict):
        value = normalize_resource(value)
        manager_key = next((k for k in value if k.lower() == MANAGER_PATH), None)
        if manager_key:
            value = {**value, manager_key: _manager(value[manager_key])}
        return [{**op, "value": value}]

    # Entra: "remove members" with the members to remove as a value list; RFC 7644 would read
    # a remove on "members" as "remove every member".
    removes_members = name == "remove" and isinstance(path, str) and path.lower() == "members"
    if removes_members and isinstance(value, list) and value:
        return [
            {"op": "remove", "path": f'members[value eq "{_quoted(m.get("value"))}"]'}
            for m in value
            if isinstance(m, dict) and m.get("value") is not None
        ]

    # Entra: emails[type eq "work"].value on a user with no work email yet must create it.
    if name in {"add", "replace"} and isinstance(path, str):
        match = TYPED_VALUE.match(path)
        if match:
            attr, kind, sub = match["attr"], match["type"], match["sub"]
            existing = _attribute(current, attr)
            if not any(
                isinstance(e, dict) and str(e.get("type", "")).lower() == kind.lower()
                for e in existing
            ):
                return [{"op": "add", "path": attr, "value": [{"type": kind, sub: value}]}]
    return [op]


def _attribute(resource: dict[str, Any], attr: str) -> list[Any]:
    for key, value in resource.items():
        if key.lower() == attr.lower() and isinstance(value, list):
            return value
    return []


def _quoted(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"')


def deactivates(body: Any) -> bool:
    """Whether a PATCH body sets active to false, in any of the shapes providers use."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        return False
    for op in body["Operations"]:
        if not isinstance(op, dict) or str(op.get("op", "")).lower() not in {"replace", "add"}:
            continue
        path, value = op.get("path"), op.get("value")
        if isinstance(path, str) and path.lower() == "active" and _false(value):
            return True
        if (
            path is None
            and isinstance(value, dict)
            and any(k.lower() == "active" and _false(v) for k, v in value.items())
        ):
            return True
    return False


def _false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")
