"""scim2-server's storage over one organization's directory: Users are people, Groups are groups.

scim2-server has already validated each request, applied PUT and PATCH to the stored resource
and checked the filter's syntax; this storage turns resources into directory writes (through the
directory services, as the CSV import does) and filters into SQL. Only what identity providers
really send is searched: `eq` and `and` on userName, externalId, id, emails (with or without
`[type eq "work"]`), displayName and employeeNumber; anything else is `invalidFilter`, never a
silent scan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from scim2_models import (
    Email,
    EnterpriseUser,
    Group,
    GroupMember,
    InvalidFilterException,
    InvalidValueException,
    Manager,
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Required,
    Resource,
    ResourceType,
    SearchRequest,
    UniquenessException,
    User,
)
from scim2_models.path.expressions import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    ValuePath,
)
from scim2_server.storage import ScimStorage, SearchPage

from twoway.accounts.models import Organization
from twoway.accounts.services import audit
from twoway.directory.services import DirectoryError, person_deactivate, person_upsert
from twoway.integrations.scim.models import ScimGroup, ScimIdentity
from twoway.people.models import Person


class WorkEmail(Email):
    value: Annotated[str | None, Required.true] = None


class WorkUser(User):
    """The core User, with a work email required: Twoway reaches people by email. The schema
    says so (/Schemas), and providers that send only an email-shaped userName get it copied
    into `emails` (dialects.normalize_resource)."""

    # Narrowing a field of a pydantic model is how scim2-models marks it required.
    emails: Annotated[list[WorkEmail] | None, Required.true] = None  # type: ignore[assignment]


ScimUser = WorkUser[EnterpriseUser]  # type: ignore[type-arg]
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"

# Lower-case SCIM attribute → (queryset field, how to compare), per resource type.
USER_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("pk", "id"),
    "username": ("user_name", "username"),
    "externalid": ("external_id", "exact"),
    "emails": ("email", "iexact"),
    "emails.value": ("email", "iexact"),
    "displayname": ("name", "exact"),
    "employeenumber": ("employee_id", "exact"),
    "active": ("is_active", "bool"),
}
GROUP_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("pk", "id"),
    "displayname": ("display_name", "iexact"),
    "externalid": ("external_id", "exact"),
}


def _version(updated: dt.datetime, *extra: object) -> str:
    digest = hashlib.sha256(repr((updated.isoformat(), *extra)).encode()).hexdigest()[:16]
    return f'W/"{digest}"'


def _attr_key(path: AttrPath) -> str:
    name = path.attr.lower() + (f".{path.sub_attr.lower()}" if path.sub_attr else "")
    return name


def _condition(node: FilterNode, fields: dict[str, tuple[str, str]]) -> Q:
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_:
        combined = Q()
        for term in node.terms:
            combined &= _condition(term, fields)
        return combined
    if isinstance(node, ValuePath) and node.attr_path.attr.lower() == "emails":
        # emails[type eq "work" and value eq "x"]: the work address is the only one we keep.
        return _email_selection(node.val_filter)
    if isinstance(node, Comparison) and node.op == CompareOperator.eq:
        uri = (node.attr_path.uri or "").lower()
        if uri and uri != ENTERPRISE and not uri.startswith("urn:ietf:params:scim:schemas:core"):
            raise InvalidFilterException(detail=f"unknown attribute {node.attr_path}")
        key = _attr_key(node.attr_path)
        if key not in fields:
            raise InvalidFilterException(detail=f"cannot filter on {node.attr_path}")
        column, how = fields[key]
        if how == "id":
            return Q(pk=int(node.value)) if str(node.value).isdigit() else Q(pk__in=[])
        if how == "bool":
            return Q(**{column: str(node.value).lower() == "true"})
        if how == "username":
            # The provider's userName when it set one, else the email it stands for.
            value = str(node.value)
            return Q(scim__user_name__iexact=value) | (
                (Q(scim__isnull=True) | Q(scim__user_name="")) & Q(email__iexact=value)
            )
        return Q(**{f"{column}__{how}": str(node.value)})
    raise InvalidFilterException(
        detail="only 'eq' and 'and' on userName, externalId, id, emails, displayName and "
        "employeeNumber are supported"
    )


def _email_selection(node: FilterNode) -> Q:
    terms = node.terms if isinstance(node, LogicalExpr) else (node,)
    if isinstance(node, LogicalExpr) and node.op != LogicalOperator.and_:
        raise InvalidFilterException(detail="only 'and' inside emails[…]")
    condition = Q()
    for term in terms:
        if not isinstance(term, Comparison) or term.op != CompareOperator.eq:
            raise InvalidFilterException(detail="only 'eq' inside emails[…]")
        key = _attr_key(term.attr_path)
        if key == "type":
            if str(term.value).lower() != "work":
                condition &= Q(pk__in=[])
        elif key == "value":
            condition &= Q(email__iexact=str(term.value))
        else:
            raise InvalidFilterException(detail=f"cannot filter emails on {term.attr_path}")
    return condition


def _page(queryset: QuerySet[Any], request: SearchRequest[Any]) -> tuple[int, list[Any]]:
    total = queryset.count()
    start = max((request.start_index or 1), 1) - 1
    count = request.count if request.count is not None else 100
    return total, list(queryset[start : start + max(count, 0)]) if count else []


class DirectoryStorage(ScimStorage):
    """The directory of one organization, as SCIM Users and Groups."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization

    # --- reading ------------------------------------------------------------------------------

    def _people(self) -> QuerySet[Person]:
        return (
            Person.objects.filter(organization=self.organization)
            .exclude(scim__removed_at__isnull=False)
            .select_related("department", "manager", "scim")
            .order_by("pk")
        )

    def _groups(self) -> QuerySet[ScimGroup]:
        return ScimGroup.objects.filter(organization=self.organization).order_by("pk")

    def _person(self, resource_id: str | None) -> Person:
        person = (
            self._people().filter(pk=int(str(resource_id))).first() if _is_id(resource_id) else None
        )
        if person is None:
            raise NotFoundException(detail=f"User {resource_id!r} not found")
        return person

    def _group(self, resource_id: str | None) -> ScimGroup:
        group = (
            self._groups().filter(pk=int(str(resource_id))).first() if _is_id(resource_id) else None
        )
        if group is None:
            raise NotFoundException(detail=f"Group {resource_id!r} not found")
        return group

    def user_resource(self, person: Person) -> Resource[Any]:
        identity = getattr(person, "scim", None)
        user = ScimUser(
            id=str(person.pk),
            user_name=(identity.user_name if identity else "") or person.email,
            external_id=person.external_id or None,
            display_name=person.name,
            title=person.title or None,
            active=person.is_active,
            emails=[WorkEmail(value=person.email)],
            meta=Meta(
                resource_type="User",
                created=person.created,
                last_modified=person.updated,
                version=_version(person.updated),
            ),
        )
        user[EnterpriseUser] = EnterpriseUser(
            employee_number=person.employee_id or None,
            department=person.department.name if person.department else None,
            manager=Manager(value=str(person.manager_id), ref=_ref(f"Users/{person.manager_id}"))
            if person.manager_id
            else None,
        )
        return user

    def group_resource(self, group: ScimGroup) -> Resource[Any]:
        members = list(
            group.members.exclude(scim__removed_at__isnull=False).order_by("pk").values("pk")
        )
        return Group(
            id=str(group.pk),
            external_id=group.external_id or None,
            display_name=group.display_name,
            members=[
                GroupMember(value=str(m["pk"]), ref=_ref(f"Users/{m['pk']}"), type=None)
                for m in members
            ]
            or None,
            meta=Meta(
                resource_type="Group",
                created=group.created,
                last_modified=group.updated,
                version=_version(group.updated, tuple(m["pk"] for m in members)),
            ),
        )

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: Any = None,
    ) -> Resource[Any]:
        if resource_type.name == "User":
            return self.user_resource(self._person(resource_id))
        return self.group_resource(self._group(resource_id))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        if len(resource_types) != 1:
            from scim2_models import NotImplementedException

            raise NotImplementedException(detail="search one resource type at a time")
        is_user = resource_types[0].name == "User"
        queryset: QuerySet[Any] = self._people() if is_user else self._groups()
        scim_filter = search_request.filter
        if scim_filter is not None:
            fields = USER_FIELDS if is_user else GROUP_FIELDS
            try:
                queryset = queryset.filter(_condition(scim_filter.ast, fields))
            except ValueError as exc:
                raise InvalidFilterException(detail=str(exc)) from None
        if not is_user:
            queryset = queryset.prefetch_related("members")
        total, rows = _page(queryset, search_request)
        build = self.user_resource if is_user else self.group_resource
        return SearchPage(total=total, resources=[build(row) for row in rows])

    # --- writing ------------------------------------------------------------------------------

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        with transaction.atomic():
            if resource_type.name == "User":
                return self.user_resource(self._write_user(None, resource))
            return self.group_resource(self._write_group(None, resource))

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        with transaction.atomic():
            if resource_type.name == "User":
                person = self._person(resource.id)
                _check_version(self.user_resource(person), expected_version)
                return self.user_resource(self._write_user(person, resource))
            group = self._group(resource.id)
            _check_version(self.group_resource(group), expected_version)
            return self.group_resource(self._write_group(group, resource))

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        with transaction.atomic():
            if resource_type.name == "User":
                person = self._person(resource_id)
                _check_version(self.user_resource(person), expected_version)
                if person.is_active:
                    person_deactivate(
                        person=person, left_on=timezone.localdate(), actor=None, source="scim"
                    )
                ScimIdentity.objects.update_or_create(
                    person=person, defaults={"removed_at": timezone.now()}
                )
                return
            group = self._group(resource_id)
            _check_version(self.group_resource(group), expected_version)
            audit(
                org=self.organization,
                actor=None,
                action="scim.group_delete",
                target=group.display_name,
            )
            group.delete()

    def operation(self) -> Any:
        # A failed operation of a bulk request rolls back alone.
        return transaction.atomic()

    def _write_user(self, person: Person | None, resource: Resource[Any]) -> Person:
        values = self._person_values(resource)
        if person is None:
            keys = Q(email__iexact=values["email"])
            if values.get("external_id"):
                keys |= Q(external_id=values["external_id"])
            taken = (
                Person.objects.filter(organization=self.organization)
                .filter(keys)
                .select_related("scim")
                .first()
            )
            identity = getattr(taken, "scim", None)
            if taken is not None and not (identity is not None and identity.removed_at):
                raise UniquenessException(detail=f"{values['email']} is already a user")
            # A person the provider deleted once and now creates again (a rehire) is the same
            # record, so their history stays theirs.
            person = taken
        try:
            result = person_upsert(
                organization=self.organization,
                values=values,
                actor=None,
                source="scim",
                person=person,
            )
        except DirectoryError as exc:
            raise InvalidValueException(detail=str(exc)) from None
        ScimIdentity.objects.update_or_create(
            person=result.person,
            defaults={
                "user_name": str(getattr(resource, "user_name", "") or ""),
                "removed_at": None,
            },
        )
        return Person.objects.select_related("department", "manager", "scim").get(
            pk=result.person.pk
        )

    def _person_values(self, user: Resource[Any]) -> dict[str, Any]:
        resource: Any = user
        email = _work_email(resource)
        if not email:
            raise InvalidValueException(detail="a user needs a work email (or an email userName)")
        name = resource.display_name or (resource.name and resource.name.formatted)
        if not name and resource.name:
            name = " ".join(p for p in (resource.name.given_name, resource.name.family_name) if p)
        values: dict[str, Any] = {
            "email": email.lower(),
            "name": " ".join(str(name or email.split("@")[0]).split()),
            "external_id": resource.external_id or "",
            "title": resource.title or "",
        }
        if resource.timezone:
            values["time_zone"] = resource.timezone
        values["status"] = "terminated" if resource.active is False else "active"
        if resource.active is False:
            values["left_on"] = timezone.localdate()
        # PUT and PATCH hand over the user's whole new state: an attribute that is gone is
        # cleared, the extension's included.
        enterprise = resource[EnterpriseUser]
        values["employee_id"] = (enterprise and enterprise.employee_number) or ""
        values["department"] = (enterprise and enterprise.department) or ""
        values["manager"] = self._manager_key(enterprise.manager if enterprise else None)
        return values

    def _manager_key(self, manager: Manager | None) -> str:
        """The directory names managers by email; SCIM by the manager's SCIM id."""
        if manager is None or not manager.value:
            return ""
        boss = (
            self._people().filter(pk=int(manager.value)).first() if _is_id(manager.value) else None
        )
        if boss is None:
            boss = self._people().filter(external_id=manager.value).first()
        if boss is None:
            raise InvalidValueException(detail=f"manager {manager.value!r} is not a user here")
        return boss.email

    def _write_group(self, group: ScimGroup | None, sent: Resource[Any]) -> ScimGroup:
        resource: Any = sent
        name = " ".join(str(resource.display_name or "").split())
        if not name:
            raise InvalidValueException(detail="a group needs a displayName")
        clash = self._groups().filter(display_name__iexact=name)
        if group is not None:
            clash = clash.exclude(pk=group.pk)
        if clash.exists():
            raise UniquenessException(detail=f"a group named {name!r} exists")
        member_ids = {m.value for m in (resource.members or []) if m.value}
        people = list(self._people().filter(pk__in=[int(i) for i in member_ids if _is_id(i)]))
        if len(people) != len(member_ids):
            missing = sorted(member_ids - {str(p.pk) for p in people})
            raise InvalidValueException(detail=f"unknown members: {', '.join(missing)}")
        created = group is None
        if group is None:
            group = ScimGroup(organization=self.organization)
        group.display_name = name
        group.external_id = resource.external_id or ""
        group.save()
        group.members.set(people)
        audit(
            org=self.organization,
            actor=None,
            action="scim.group_create" if created else "scim.group_update",
            target=name,
            members=len(people),
        )
        return group


def _ref(path: str) -> Any:
    """A reference relative to the SCIM root; scim2-server makes it a full URL on the way out."""
    return path


def _is_id(value: object) -> bool:
    return isinstance(value, str) and value.isdigit() and len(value) < 19


def _work_email(user: Resource[Any]) -> str:
    resource: Any = user
    emails = list(resource.emails or [])
    for email in emails:
        if email.value and (email.primary or str(email.type or "").endswith("work")):
            return str(email.value)
    if emails and emails[0].value:
        return str(emails[0].value)
    user_name = str(resource.user_name or "")
    return user_name if "@" in user_name else ""


def _check_version(current: Resource[Any], expected: str | None) -> None:
    if expected is not None and current.meta is not None and current.meta.version != expected:
        raise PreconditionFailedException(detail="the resource changed since that version")
