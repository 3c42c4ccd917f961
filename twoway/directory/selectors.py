"""Reads for the directory pages, scoped to one organization."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.directory.models import DirectoryImport
from twoway.people.models import Person


def access_import(*, org: Organization, import_id: int) -> DirectoryImport:
    return get_object_or_404(DirectoryImport.objects.filter(organization=org), pk=import_id)


def recent_imports(*, org: Organization, limit: int = 10) -> list[DirectoryImport]:
    return list(
        DirectoryImport.objects.filter(organization=org)
        .select_related("created_by", "applied_by")
        .defer("content")[:limit]
    )


def invitation_counts(*, org: Organization) -> dict[str, int]:
    """Active people by where they are on the way to signing in."""
    now = timezone.now()
    return Person.objects.filter(organization=org, is_active=True).aggregate(
        people=Count("pk", distinct=True),
        members=Count("pk", distinct=True, filter=Q(user__memberships__organization=org)),
        not_invited=Count(
            "pk",
            distinct=True,
            filter=Q(invitation__isnull=True) & ~Q(user__memberships__organization=org),
        ),
        pending=Count(
            "pk",
            distinct=True,
            filter=Q(
                invitation__accepted_at__isnull=True,
                invitation__revoked_at__isnull=True,
                invitation__expires_at__gt=now,
            ),
        ),
        expired=Count(
            "pk",
            distinct=True,
            filter=Q(invitation__accepted_at__isnull=True, invitation__expires_at__lte=now),
        ),
    )


def people_with_invitations(*, org: Organization, q: str = "", state: str = "") -> QuerySet[Person]:
    now = timezone.now()
    qs = Person.objects.filter(organization=org, is_active=True)
    for term in q.split():
        qs = qs.filter(Q(name__icontains=term) | Q(email__icontains=term))
    if state == "not_invited":
        qs = qs.filter(invitation__isnull=True).exclude(user__memberships__organization=org)
    elif state == "pending":
        qs = qs.filter(
            invitation__accepted_at__isnull=True,
            invitation__revoked_at__isnull=True,
            invitation__expires_at__gt=now,
        )
    elif state == "expired":
        qs = qs.filter(invitation__accepted_at__isnull=True, invitation__expires_at__lte=now)
    elif state == "accepted":
        qs = qs.filter(invitation__accepted_at__isnull=False)
    return qs.select_related("team", "invitation").order_by("name", "id")
