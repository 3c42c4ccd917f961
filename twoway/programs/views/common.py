"""What every programs page needs: who is asking (`twoway.people.access.me`), and in which
role."""

from __future__ import annotations

from twoway.accounts.access import OrgRequest
from twoway.accounts.models import Role, User


def _user(request: OrgRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_manager(request: OrgRequest) -> bool:
    return request.membership.has_role(Role.PROGRAM_MANAGER)
