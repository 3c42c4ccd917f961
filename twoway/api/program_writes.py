"""Running programs from another system: create, edit, open and close programs, enrol and
withdraw people, start and publish matching rounds, end partnerships. Every write goes through
the service the pages use; the key stands for the actor (`source="api:<prefix>"` in the audit)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Schema, Status
from ninja.errors import HttpError
from pydantic import StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from twoway.api.core import Id, answers, need
from twoway.api.models import ApiKey, Scope
from twoway.api.programs import (
    EnrolmentOut,
    PartnershipOut,
    ProgramOut,
    _partnership_out,
    _partnerships,
    _with_last_held,
)
from twoway.api.programs import router as programs_router
from twoway.partnerships.services import partnership_close_by_admin
from twoway.people.models import Direction, MeetingPreference, Person, PersonSkill, Skill
from twoway.programs import rounds
from twoway.programs.models import (
    Enrolment,
    EnrolmentRole,
    MatchingMode,
    MatchRound,
    Partnership,
    Program,
    ProgramKind,
    ProgramStatus,
)
from twoway.programs.services import (
    ProgramError,
    enrolment_save,
    enrolment_withdraw,
    program_create,
    program_set_status,
    program_update,
)
from twoway.programs.tally import program_counts

# The programs router: ninja serves one path from one router, and POST /programs shares its path
# with GET /programs.
router = programs_router

# Free text over several lines; no NUL (PostgreSQL refuses it).
LongText = Annotated[str, StringConstraints(max_length=5000, pattern=r"^[^\x00]*$")]
Reason = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]


# One line, as the model's `single_line` validator wants it (no line or paragraph separators).
Line = Annotated[
    str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f\x85\u2028\u2029]*$")
]
# An address Django's EmailValidator accepts too: dot-atom local part, hostname labels, a TLD.
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
StrictEmail = Annotated[
    str,
    StringConstraints(
        max_length=254,
        pattern=rf"^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:{LABEL}\.)+[A-Za-z]{{2,63}}$",
    ),
]


class ProgramIn(Schema):
    """A new program's settings."""

    name: Line = Field(..., min_length=1)
    description: LongText = ""
    kind: ProgramKind = ProgramKind.PEER_PAIRS
    matching_mode: MatchingMode = MatchingMode.BOTH
    term_weeks: int = Field(26, ge=1, le=104)
    checkin_every_weeks: int = Field(2, ge=1, le=12)
    checkin_minutes: int = Field(30, ge=10, le=240)
    enrolment_opens: dt.date | None = None
    enrolment_closes: dt.date | None = None
    invite_only: bool = False
    allow_trios: bool = True
    allow_repeats: bool = False
    max_open_requests: int = Field(3, ge=1, le=20)
    hr_contact_name: Line = ""
    hr_contact_email: StrictEmail | None = None


NOT_NULL = (
    "name",
    "kind",
    "matching_mode",
    "term_weeks",
    "checkin_every_weeks",
    "checkin_minutes",
    "invite_only",
    "allow_trios",
    "allow_repeats",
    "max_open_requests",
)


class ProgramPatch(Schema):
    """Only the fields you send change; `null` clears a date, a description or the HR contact."""

    # Settings that always have a value cannot be null: leave them out to keep them.
    name: Annotated[Line, Field(min_length=1)] | SkipJsonSchema[None] = None
    kind: ProgramKind | SkipJsonSchema[None] = None
    matching_mode: MatchingMode | SkipJsonSchema[None] = None
    term_weeks: Annotated[int, Field(ge=1, le=104)] | SkipJsonSchema[None] = None
    checkin_every_weeks: Annotated[int, Field(ge=1, le=12)] | SkipJsonSchema[None] = None
    checkin_minutes: Annotated[int, Field(ge=10, le=240)] | SkipJsonSchema[None] = None
    invite_only: bool | SkipJsonSchema[None] = None
    allow_trios: bool | SkipJsonSchema[None] = None
    allow_repeats: bool | SkipJsonSchema[None] = None
    max_open_requests: Annotated[int, Field(ge=1, le=20)] | SkipJsonSchema[None] = None
    description: LongText | None = None
    enrolment_opens: dt.date | None = None
    enrolment_closes: dt.date | None = None
    hr_contact_name: Line | None = None
    hr_contact_email: StrictEmail | None = None

    @field_validator(*NOT_NULL, mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Defaults are not validated: only an explicit null reaches here.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


class StatusIn(Schema):
    status: ProgramStatus


class SkillLevel(Schema):
    skill_id: Id
    strength: int = Field(2, ge=1, le=3)


class EnrolmentIn(Schema):
    """Enrol a person. Without `offers` and `seeks` their profile's skills are used."""

    person_id: Id
    role: EnrolmentRole = EnrolmentRole.PEER
    capacity: int = Field(1, ge=1, le=5)
    meeting_preference: MeetingPreference = MeetingPreference.EITHER
    offers: list[SkillLevel] = Field(default_factory=list, max_length=50)
    seeks: list[SkillLevel] = Field(default_factory=list, max_length=50)


class GroupOut(Schema):
    members: list[int]
    score: float
    reasons: list[str]
    kind: str
    locked: bool


class UnmatchedOut(Schema):
    person_id: int
    reason: str
    why: str


class DraftOut(Schema):
    groups: list[GroupOut]
    unmatched: list[UnmatchedOut]
    total_weight: float
    pair_weight: float | None
    upper_bound: float | None
    gap_percent: float | None
    solver: str
    bound_method: str


class SkippedGroupOut(Schema):
    members: list[int]
    reason: str


class RoundOut(Schema):
    id: int
    program_id: int
    status: str = Field(
        description="queued, running, draft, publishing (the worker is starting its groups; "
        "`progress` says how far), published, discarded or failed."
    )
    progress: int
    error: str
    created: dt.datetime
    finished_at: dt.datetime | None
    published_at: dt.datetime | None
    skipped: list[SkippedGroupOut] = Field(
        default_factory=list,
        description="Groups of the draft not started at publishing: someone in them was "
        "matched elsewhere or left the program after publishing began.",
    )
    draft: DraftOut | None = Field(
        None, description="The engine's proposal, its scores, reasons and optimality bound."
    )

    @staticmethod
    def of(match_round: MatchRound) -> RoundOut:
        result: dict[str, Any] = match_round.result or {}
        draft = None
        if result.get("groups") is not None:
            draft = DraftOut(
                groups=[
                    GroupOut(
                        members=list(g["members"]),
                        score=g["score"],
                        reasons=list(g["reasons"]),
                        kind=str(g.get("kind", "")),
                        locked=bool(g.get("locked")),
                    )
                    for g in result["groups"]
                ],
                unmatched=[
                    UnmatchedOut(person_id=u["id"], reason=u["reason"], why=u["why"])
                    for u in result.get("unmatched", [])
                ],
                total_weight=result.get("total_weight", 0.0),
                pair_weight=result.get("pair_weight"),
                upper_bound=result.get("upper_bound"),
                gap_percent=result.get("gap_percent"),
                solver=str(result.get("solver", "")),
                bound_method=str(result.get("bound_method", "")),
            )
        return RoundOut(
            id=match_round.pk,
            program_id=match_round.program_id,
            status=match_round.status,
            progress=match_round.progress,
            error=match_round.error,
            created=match_round.created,
            finished_at=match_round.finished_at,
            published_at=match_round.published_at,
            skipped=[
                SkippedGroupOut(members=list(g["members"]), reason=str(g["reason"]))
                for g in match_round.publish_skipped
            ],
            draft=draft,
        )


class EndIn(Schema):
    completed: bool = Field(False, description="True when the term is over, false to end early.")
    reason: Reason = Field(
        "", description="Why HR ended it: kept in the audit log for org admins, never returned."
    )


def _writer(request: object) -> ApiKey:
    return need(request, Scope.PROGRAMS_WRITE)  # type: ignore[arg-type]


def _source(key: ApiKey) -> str:
    return f"api:{key.prefix}"


def _program(key: ApiKey, program_id: int) -> Program:
    return get_object_or_404(
        Program.objects.select_related("organization"),
        organization=key.organization,
        pk=program_id,
    )


def _program_out(program: Program) -> ProgramOut:
    program.enrolled = program_counts(program).enrolled  # type: ignore[attr-defined]
    return ProgramOut.of(program)


CLEARED_TO_EMPTY = {"description", "hr_contact_name", "hr_contact_email"}


def _refused(exc: ValidationError | ProgramError) -> HttpError:
    """A well-formed request the program's rules refuse (enrolment closing before it opens, a
    draft that cannot be paused, enrolment not open): a 409 saying which rule, as the directory
    does."""
    if isinstance(exc, ValidationError):
        return HttpError(409, " ".join(exc.messages))
    return HttpError(409, str(exc))


@router.post(
    "/programs", response=answers({201: ProgramOut}, 409), summary="Create a program (as a draft)"
)
def create_program(request: object, body: ProgramIn) -> Status[ProgramOut]:
    """Scope `programs:write`. The program starts as a draft; open it with `/status`."""
    key = _writer(request)
    fields = body.dict()
    fields["hr_contact_email"] = fields["hr_contact_email"] or ""
    try:
        program = program_create(
            organization=key.organization, actor=None, fields=fields, source=_source(key)
        )
    except (ValidationError, ProgramError) as exc:
        raise _refused(exc) from None
    return Status(201, _program_out(program))


@router.patch(
    "/programs/{program_id}", response=answers(ProgramOut, 409), summary="Change a program"
)
def update_program(request: object, program_id: Id, body: ProgramPatch) -> ProgramOut:
    """Scope `programs:write`. Only the fields you send change."""
    key = _writer(request)
    program = _program(key, program_id)
    fields = {
        name: "" if value is None and name in CLEARED_TO_EMPTY else value
        for name, value in body.dict(exclude_unset=True).items()
    }
    try:
        program = program_update(
            program=program,
            actor=None,
            fields=fields,
            departments=program.eligible_departments.all(),
            invitees=program.invitees.all(),
            source=_source(key),
        )
    except (ValidationError, ProgramError) as exc:
        raise _refused(exc) from None
    return _program_out(program)


@router.post(
    "/programs/{program_id}/status", response=answers(ProgramOut, 409), summary="Open or close"
)
def set_program_status(request: object, program_id: Id, body: StatusIn) -> ProgramOut:
    """Scope `programs:write`. draft → open or closed; open ↔ paused; open or paused → closed;
    closed → open. Any other change is a 409 saying why."""
    key = _writer(request)
    try:
        program = program_set_status(
            program=_program(key, program_id), status=body.status, actor=None, source=_source(key)
        )
    except ProgramError as exc:
        raise _refused(exc) from None
    return _program_out(program)


def _skills(key: ApiKey, levels: list[SkillLevel]) -> dict[int, int]:
    wanted = {level.skill_id: level.strength for level in levels}
    known = set(
        Skill.objects.filter(organization=key.organization, pk__in=list(wanted)).values_list(
            "pk", flat=True
        )
    )
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise HttpError(409, f"No such skills in this organization: {unknown}.")
    return wanted


def _enrolment_out(enrolment: Enrolment) -> EnrolmentOut:
    return EnrolmentOut(
        person_id=enrolment.person_id,
        status=enrolment.status,
        role=enrolment.role,
        capacity=enrolment.capacity,
        created=enrolment.created,
    )


@router.post(
    "/programs/{program_id}/enrolments",
    response=answers({201: EnrolmentOut}, 409),
    summary="Enrol a person",
)
def enrol_person(request: object, program_id: Id, body: EnrolmentIn) -> Status[EnrolmentOut]:
    """Scope `programs:write`. The program's rules apply as on the page: enrolment must be open
    and the person eligible (otherwise a 409 saying which). Enrolling again updates the intake."""
    key = _writer(request)
    program = _program(key, program_id)
    person = get_object_or_404(Person, organization=key.organization, pk=body.person_id)
    offers, seeks = _skills(key, body.offers), _skills(key, body.seeks)
    if not offers and not seeks:
        for skill in PersonSkill.objects.filter(person=person):
            (offers if skill.direction == Direction.OFFER else seeks)[skill.skill_id] = (
                skill.strength
            )
    existing = Enrolment.objects.filter(program=program, person=person).first()
    goals = existing.goals if existing else ""
    try:
        enrolment = enrolment_save(
            program=program,
            person=person,
            offers=offers,
            seeks=seeks,
            goals=goals,
            meeting_preference=body.meeting_preference,
            capacity=body.capacity,
            role=body.role,
            source=_source(key),
        )
    except (ValidationError, ProgramError) as exc:
        raise _refused(exc) from None
    return Status(201, _enrolment_out(enrolment))


@router.post(
    "/programs/{program_id}/enrolments/{person_id}/withdraw",
    response=answers(EnrolmentOut),
    summary="Withdraw a person",
)
def withdraw_enrolment(request: object, program_id: Id, person_id: Id) -> EnrolmentOut:
    """Scope `programs:write`. Their open requests are withdrawn; running partnerships go on."""
    key = _writer(request)
    enrolment = get_object_or_404(Enrolment, program=_program(key, program_id), person_id=person_id)
    return _enrolment_out(enrolment_withdraw(enrolment=enrolment, source=_source(key)))


def _round(key: ApiKey, round_id: int) -> MatchRound:
    return get_object_or_404(
        MatchRound.objects.select_related("program", "program__organization"),
        program__organization=key.organization,
        pk=round_id,
    )


@router.post(
    "/programs/{program_id}/rounds",
    response=answers({202: RoundOut}, 409),
    summary="Start a matching round",
)
def start_round(request: object, program_id: Id) -> Status[RoundOut]:
    """Scope `programs:write`. The round is queued and runs in the background; read it with
    `GET /rounds/{id}` until its status is `draft`, then publish it. An older draft is set
    aside."""
    key = _writer(request)
    try:
        match_round = rounds.round_create(
            program=_program(key, program_id), actor=None, source=_source(key)
        )
    except ProgramError as exc:
        raise _refused(exc) from None
    return Status(202, RoundOut.of(match_round))


@router.get("/rounds/{round_id}", response=answers(RoundOut), summary="Read a round")
def read_round(request: object, round_id: Id) -> RoundOut:
    """Scope `programs:read`. The draft: groups with scores and reasons, who was left unmatched
    and why, and the bound that says how far from the best possible the draft can be."""
    key = need(request, Scope.PROGRAMS_READ)  # type: ignore[arg-type]
    return RoundOut.of(_round(key, round_id))


@router.post(
    "/rounds/{round_id}/publish",
    response=answers({202: RoundOut}, 409),
    summary="Publish a draft",
)
def publish_round(request: object, round_id: Id) -> Status[RoundOut]:
    """Scope `programs:write`. Publishing is queued: the round's status becomes `publishing`
    and the worker starts every group as an active partnership and introduces its members, in
    batches; read it with `GET /rounds/{id}` until its status is `published` (`progress` says
    how far, `skipped` lists groups left out because someone in them changed meanwhile). Only a
    draft can be published (a 409 otherwise, also while it is publishing)."""
    key = _writer(request)
    match_round = _round(key, round_id)
    try:
        queued = rounds.round_publish(match_round=match_round, actor=None, source=_source(key))
    except ProgramError as exc:
        raise _refused(exc) from None
    return Status(202, RoundOut.of(queued))


@router.post(
    "/partnerships/{partnership_id}/end",
    response=answers(PartnershipOut, 409),
    summary="End a partnership",
)
def end_partnership(request: object, partnership_id: Id, body: EndIn) -> PartnershipOut:
    """Scope `programs:write`. Ended by the program team, as from the pages: future check-ins
    are cancelled (calendar updates to every member), every member gets a kind note without the
    reason, the reason goes to the audit log only, `partnership.ended` goes to webhooks. A
    partnership that has already ended is a 409."""
    key = _writer(request)
    partnership = get_object_or_404(
        Partnership.objects.select_related("program", "organization"),
        organization=key.organization,
        pk=partnership_id,
    )
    partnership_close_by_admin(
        partnership=partnership,
        actor=None,
        reason=body.reason,
        completed=body.completed,
        source=_source(key),
    )
    return _partnership_out(
        get_object_or_404(
            _with_last_held(_partnerships(request, scope=Scope.PROGRAMS_WRITE)), pk=partnership_id
        )
    )
