"""Directory writes: upsert people from any source, import an HR file, let people leave kindly.

Every source — the CSV import, an admin, a SCIM feed — goes through the same two doors:
`person_upsert` / `directory_import_apply` (plan, then bulk-write the difference) and
`people_deactivate` (a soft leave with its consequences). Invitations live in `invitations.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from twoway.accounts.models import AuditEvent, Membership, Organization, User
from twoway.accounts.services import audit
from twoway.directory.models import DirectoryImport, ImportStatus, Invitation
from twoway.directory.records import Issue, PersonRecord, read_people_csv
from twoway.directory.sync import Applied, DirectoryIndex, Plan, apply_plan, plan_sync
from twoway.lib.events import event_publish
from twoway.notifications.models import OutboxMessage, OutboxStatus
from twoway.notifications.services import notify
from twoway.people.models import Person
from twoway.people.services import people_joined
from twoway.programs.models import (
    OPEN_PARTNERSHIP_STATUSES,
    Enrolment,
    EnrolmentStatus,
    MatchRequest,
    Partnership,
    PartnershipMember,
    RequestStatus,
)
from twoway.programs.services import (
    PartnershipClosed,
    enrolment_withdraw,
    partnership_end,
    request_decline,
    request_withdraw,
)
from twoway.programs.tally import organization_changed

log = logging.getLogger(__name__)


class DirectoryError(Exception):
    """The input cannot be applied; `issues` say where (row and column) and why."""

    def __init__(self, message: str, issues: Sequence[Issue] = ()) -> None:
        super().__init__(message)
        self.issues = list(issues)


# --- leaving ---------------------------------------------------------------------------------


@transaction.atomic
def people_deactivate(
    *,
    organization: Organization,
    leavers: Sequence[tuple[int, dt.date]],
    actor: User | None,
    source: str,
) -> int:
    """Soft leave for each (person id, leaving date): the record and its history stay.

    The person is marked inactive with the date (retention needs it); their enrolments are
    withdrawn (open requests close, and the people who asked them are told); each running
    partnership ends and the partner is told kindly and offered a new peer; check-ins still to
    come are cancelled; messages still waiting for the leaver are cancelled; their pending
    invitation is revoked; and they can no longer sign in to this organization (the membership
    goes; an account with no other organization is switched off). Returns how many left.
    """
    dates = {pk: day for pk, day in leavers}
    people = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(organization=organization, pk__in=list(dates), is_active=True)
        .select_related("organization")
    }
    if not people:
        return 0
    now = timezone.now()
    ids = list(people)
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for pk in ids:
        by_day[dates[pk]].append(pk)
    for day, pks in by_day.items():
        Person.objects.filter(pk__in=pks).update(
            is_active=False, on_leave=False, left_on=day, updated=now
        )
    organization_changed(organization.pk)  # no signals from an update
    for pk in ids:
        people[pk].is_active = False
        people[pk].left_on = dates[pk]

    for enrolment in Enrolment.objects.filter(
        person_id__in=ids, status=EnrolmentStatus.ACTIVE
    ).select_related("person", "program", "program__organization"):
        enrolment_withdraw(enrolment=enrolment)
    for request in MatchRequest.objects.filter(
        Q(sender_id__in=ids) | Q(receiver_id__in=ids),
        program__organization=organization,
        status=RequestStatus.OPEN,
    ):
        if request.sender_id in people:
            request_withdraw(request=request, by=people[request.sender_id])
        else:
            request_decline(request=request, by=people[request.receiver_id])

    _end_partnerships(organization, people)
    for pk in ids:
        event_publish(
            organization_id=organization.pk,
            name="person.deactivated",
            payload={"id": pk, "left_on": dates[pk].isoformat()},
        )

    OutboxMessage.objects.filter(recipient_id__in=ids, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.SKIPPED, skip_reason="the person has left", claimed_until=None
    )
    Invitation.objects.filter(
        person_id__in=ids, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)

    user_ids = [p.user_id for p in people.values() if p.user_id]
    roles = dict(
        Membership.objects.filter(organization=organization, user_id__in=user_ids).values_list(
            "user_id", "role"
        )
    )
    Membership.objects.filter(organization=organization, user_id__in=user_ids).delete()
    still_members = set(
        Membership.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True)
    )
    User.objects.filter(pk__in=set(user_ids) - still_members, is_staff=False).update(
        is_active=False
    )

    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                organization=organization,
                actor=actor,
                action="person.deactivate",
                target=f"person:{pk}",
                details={
                    "left_on": dates[pk].isoformat(),
                    "source": source,
                    "role_removed": roles.get(people[pk].user_id or 0, ""),
                },
                created=now,
            )
            for pk in ids
        ],
        batch_size=1000,
    )
    return len(ids)


def _end_partnerships(organization: Organization, people: dict[int, Person]) -> None:
    from twoway.meetings.models import CheckinSeries
    from twoway.meetings.services import checkin_series_cancel

    memberships = (
        PartnershipMember.objects.filter(
            person_id__in=list(people),
            partnership__organization=organization,
            partnership__status__in=OPEN_PARTNERSHIP_STATUSES,
        )
        .select_related("partnership", "partnership__program", "partnership__organization")
        .order_by("partnership_id")
    )
    for member in memberships:
        leaver = people[member.person_id]
        try:
            ended = partnership_end(
                partnership=member.partnership, by=leaver, completed=False, rematch=False
            )
        except PartnershipClosed:  # both partners left in the same import
            continue
        partnership: Partnership = member.partnership
        for series in CheckinSeries.objects.filter(
            partnership=ended, cancelled_at__isnull=True
        ).select_related("partnership", "partnership__program"):
            checkin_series_cancel(series=series, by=leaver)
        partners = Person.objects.filter(
            partnership_memberships__partnership=partnership, is_active=True
        ).exclude(pk__in=list(people))
        path = reverse("my_partnerships", kwargs={"org_slug": organization.slug})
        for partner in partners:
            notify(
                person=partner,
                kind="partnership",
                template="partnership_partner_left",
                context={
                    "partner": leaver.name,
                    "program": partnership.program.name,
                    "url": path,
                    "partnership_url": settings.BASE_URL + path,
                },
                dedupe_key=f"partner-left:{partnership.pk}:{partner.pk}",
            )


def person_deactivate(
    *, person: Person, left_on: dt.date, actor: User | None, source: str
) -> Person:
    """One person leaves (see `people_deactivate`); a person who already left is left alone."""
    people_deactivate(
        organization=person.organization,
        leavers=[(person.pk, left_on)],
        actor=actor,
        source=source,
    )
    person.refresh_from_db()
    return person


# --- one person from any source --------------------------------------------------------------


@dataclass
class UpsertResult:
    person: Person
    created: bool
    changed: list[str]
    left: bool


@transaction.atomic
def person_upsert(
    *,
    organization: Organization,
    values: dict[str, Any],
    actor: User | None,
    source: str,
    person: Person | None = None,
) -> UpsertResult:
    """Create or update one person, found by external id, employee id or email (in that order).

    `values` uses the CSV's field names (email, employee_id, external_id, name, title, level as
    a number, department, team, manager as an email or employee id, location, time_zone,
    hire_date, status "active" | "leave" | "terminated", left_on, offers / seeks as
    {folded name: SkillValue}); a key that is absent leaves that field alone. Raises
    DirectoryError with the problems and writes nothing when the values cannot be applied.
    """
    record = PersonRecord(row=1, values=dict(values))
    if person is not None:
        # The caller knows who this is (SCIM's id): a new email or external id updates them.
        record.values["person_id"] = person.pk
    if isinstance(record.values.get("email"), str):
        record.values["email"] = record.values["email"].strip().lower()
    index = DirectoryIndex.for_records(organization, [record])
    plan = plan_sync(organization=organization, records=[record], index=index, actor=actor)
    if plan.errors:
        raise DirectoryError("; ".join(i.message for i in plan.errors), plan.errors)
    applied = _write(plan, actor=actor, leaver_source=source)
    created = bool(applied.created_ids)
    pk = applied.created_ids[0] if created else plan.matched[1]
    changed = [label for u in plan.updates for label in u.shown]
    if created or changed or plan.leaves:
        audit(
            org=organization,
            actor=actor,
            action="person.create" if created else "person.update",
            target=f"person:{pk}",
            source=source,
            changed=changed,
        )
    return UpsertResult(
        person=Person.objects.get(pk=pk), created=created, changed=changed, left=bool(plan.leaves)
    )


def _write(plan: Plan, *, actor: User | None, leaver_source: str) -> Applied:
    applied = apply_plan(plan)
    if plan.leaves:
        people_deactivate(
            organization=plan.organization,
            leavers=[(x.person_id, x.left_on) for x in plan.leaves],
            actor=actor,
            source=leaver_source,
        )
    new_hires = [
        pk
        for pk, c in zip(applied.created_ids, plan.creates, strict=True)
        if c.values.get("is_active", True)
    ]
    if new_hires:
        # Onboarding (buddies) starts once for the whole import, after it commits.
        people_joined(
            organization=plan.organization,
            people=list(Person.objects.filter(pk__in=new_hires)),
        )
    return applied


# --- the HR file -----------------------------------------------------------------------------


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def plan_file(
    *,
    organization: Organization,
    text: str,
    deactivate_missing: bool,
    actor: User | None,
) -> Plan:
    """Read and plan an HR file; file-level problems come back as the plan's errors."""
    parsed = read_people_csv(text, ladder=list(organization.level_ladder))
    plan = plan_sync(
        organization=organization,
        records=parsed.records,
        columns=parsed.columns,
        deactivate_missing=deactivate_missing,
        actor=actor,
    )
    plan.errors = sorted([*parsed.errors, *plan.errors], key=lambda i: (i.row, i.column))
    plan.warnings = [
        *(
            Issue(1, name, f"The column {name!r} is not something Twoway imports; it was ignored.")
            for name in parsed.unknown_columns
        ),
        *plan.warnings,
    ]
    return plan


@transaction.atomic
def directory_import_preview(
    *,
    organization: Organization,
    actor: User | None,
    filename: str,
    data: bytes | str,
    deactivate_missing: bool = False,
) -> DirectoryImport:
    """Keep an uploaded HR file with its plan; nothing about people is written."""
    from twoway.directory.records import decode

    text = decode(data) if isinstance(data, bytes) else data
    plan = plan_file(
        organization=organization, text=text, deactivate_missing=deactivate_missing, actor=actor
    )
    # Older previews are dropped with their file: only the newest can be confirmed.
    DirectoryImport.objects.filter(organization=organization, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.SUPERSEDED, content=""
    )
    return DirectoryImport.objects.create(
        organization=organization,
        created_by=actor,
        filename=filename[:255],
        content=text,
        sha256=sha256_of(text),
        deactivate_missing=deactivate_missing,
        summary=plan.summary(),
    )


def directory_import_apply(
    *,
    directory_import: DirectoryImport,
    actor: User | None,
    sha256: str,
    confirm_deactivations: bool = False,
    source: str = "csv",
) -> DirectoryImport:
    """Write a previewed file, all or nothing, if it is still the file and the plan previewed.

    Refuses when the file is not the one previewed (`sha256`), when the directory changed since
    the preview so that the plan would differ, when the plan has errors, and when more than a
    tenth of the active people would leave without `confirm_deactivations`.
    """
    with transaction.atomic():
        locked = DirectoryImport.objects.select_for_update().get(pk=directory_import.pk)
        if locked.status != ImportStatus.PREVIEWED:
            raise DirectoryError("This preview was already applied or replaced by a newer one.")
        if sha256 != locked.sha256 or sha256_of(locked.content) != locked.sha256:
            raise DirectoryError("This is not the file that was previewed; preview it again.")
        organization = locked.organization
        plan = plan_file(
            organization=organization,
            text=locked.content,
            deactivate_missing=locked.deactivate_missing,
            actor=actor,
        )
        if plan.errors:
            raise DirectoryError("The file has errors; fix them and preview again.", plan.errors)
        if plan.fingerprint() != locked.summary.get("fingerprint"):
            raise DirectoryError(
                "The directory changed since this preview; preview the file again."
            )
        if plan.needs_leave_confirmation and not confirm_deactivations:
            raise DirectoryError(
                f"This file makes {len(plan.leaves)} of {plan.active_before} active people "
                "leave; confirm the deactivations to go on."
            )
        _write(plan, actor=actor, leaver_source=f"{source} import")
        counts = plan.counts()
        audit(
            org=organization,
            actor=actor,
            action="directory.import",
            target=locked.filename,
            sha256=locked.sha256,
            source=source,
            **{k: v for k, v in counts.items() if k != "errors"},
        )
        locked.status = ImportStatus.APPLIED
        locked.applied_at = timezone.now()
        locked.applied_by = actor
        locked.content = ""
        locked.summary = {**locked.summary, "applied": counts}
        locked.save()
    return locked
