"""What every programs page needs: who is asking, and in which role."""

from __future__ import annotations

from twoway.accounts.access import OrgRequest
from twoway.accounts.models import Role, User
from twoway.people.models import Person
from twoway.people.services import person_get_or_create_for_user


def _me(request: OrgRequest) -> Person:
    user: User = request.user  # type: ignore[assignment]
    return person_get_or_create_for_user(org=request.org, user=user)


def _user(request: OrgRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_manager(request: OrgRequest) -> bool:
    return request.membership.has_role(Role.PROGRAM_MANAGER)
