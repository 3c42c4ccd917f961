"""/people and /skills: the directory, through the same services as the CSV import and SCIM."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    WithJsonSchema,
)

from twoway.api.core import Cursor, Id, Input, answers, make_cursor, need, read_cursor
from twoway.api.models import Scope
from twoway.directory.records import SkillValue
from twoway.directory.services import (
    DirectoryError,
    UpsertResult,
    person_deactivate,
    person_upsert,
)
from twoway.people.models import Direction, Person, PersonSkill, Skill
from twoway.people.vocabulary import skill_key

router = Router(tags=["Directory"])

# One line of printable text: no control characters (PostgreSQL refuses NUL; names are single
# lines everywhere, an email header among them).
Text = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        max_length=254,
        pattern=r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
    ),
]


ZONES = sorted(zoneinfo.available_timezones())


def _zone(name: str) -> str:
    if name not in ZONES:
        raise ValueError("not an IANA time zone name, e.g. Europe/Berlin")
    return name


TimeZone = Annotated[str, AfterValidator(_zone), WithJsonSchema({"type": "string", "enum": ZONES})]


def _iso_only(value: object) -> object:
    """Pydantic would also read a bare number as seconds since 1970; the schema promises an
    ISO 8601 date-time, so that is all that is accepted."""
    if isinstance(value, str) and value.lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("give an ISO 8601 date-time with a time zone, e.g. 2026-01-31T00:00:00Z")
    return value


EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def _within_any_database(value: dt.datetime) -> dt.datetime:
    """Nothing was updated before 1970 or after 9999: a moment outside says the same as the
    nearest end, and no database has to compare a year 312 with an offset of -23:47."""
    # In UTC: PostgreSQL refuses offsets beyond ±15:59 (ISO 8601 allows -21:20).
    return min(max(value, EARLIEST), LATEST).astimezone(dt.UTC)


IsoDatetime = Annotated[
    AwareDatetime, BeforeValidator(_iso_only), AfterValidator(_within_any_database)
]


class SkillOut(Schema):
    id: int
    name: str
    category: str


class PersonSkillOut(Schema):
    skill: str
    strength: int = Field(..., ge=1, le=3)


SkillName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")
]


class PersonSkillIn(Input):
    skill: SkillName = Field(
        ...,
        description="A skill's name; other spellings, aliases and synonyms land on the "
        "organization's skill ('sql', 'Structured Query Language' → SQL), a new name makes one.",
    )
    strength: int = Field(2, ge=1, le=3)


class PersonOut(Schema):
    id: int
    email: str
    name: str
    title: str
    level: int | None
    department: str | None
    team: str | None
    manager_id: int | None
    location: str
    time_zone: str
    hire_date: dt.date | None
    is_active: bool
    left_on: dt.date | None
    external_id: str
    employee_id: str
    offers: list[PersonSkillOut]
    seeks: list[PersonSkillOut]
    updated: dt.datetime

    @staticmethod
    def of(person: Person) -> PersonOut:
        skills = list(person.skills.all())
        return PersonOut(
            id=person.pk,
            email=person.email,
            name=person.name,
            title=person.title,
            level=person.level,
            department=person.department.name if person.department else None,
            team=person.team.name if person.team else None,
            manager_id=person.manager_id,
            location=person.location,
            time_zone=person.time_zone,
            hire_date=person.hire_date,
            is_active=person.is_active,
            left_on=person.left_on,
            external_id=person.external_id,
            employee_id=person.employee_id,
            offers=[
                PersonSkillOut(skill=s.skill.name, strength=s.strength)
                for s in skills
                if s.direction == Direction.OFFER
            ],
            seeks=[
                PersonSkillOut(skill=s.skill.name, strength=s.strength)
                for s in skills
                if s.direction == Direction.SEEK
            ],
            updated=person.updated,
        )


class PeoplePage(Schema):
    items: list[PersonOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class PeopleFilter(Schema):
    # An unknown parameter is a typo the caller wants to hear about (`?limt=10`).
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None
    email: Email | None = None
    department: Text | None = None
    team: Text | None = None
    active: bool | None = None
    updated_since: IsoDatetime | None = None


class PersonIn(Input):
    """A person as your HR system knows them; optional fields you leave out keep their value."""

    email: Email
    name: Text = Field(..., min_length=1)
    title: Text | None = None
    level: int | None = Field(None, ge=1, le=30)
    department: Text | None = None
    team: Text | None = None
    manager: Email | None = Field(None, description="The manager's email (or employee id).")
    location: Text | None = None
    time_zone: TimeZone | None = None
    hire_date: dt.date | None = None
    external_id: Text | None = None
    employee_id: (
        Annotated[str, StringConstraints(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")] | None
    ) = None
    offers: list[PersonSkillIn] | None = Field(
        None, max_length=100, description="What they can share; sent, it replaces the list."
    )
    seeks: list[PersonSkillIn] | None = Field(
        None, max_length=100, description="What they want to grow; sent, it replaces the list."
    )


class PersonPatch(Input):
    # Left out: unchanged. A person always has a name and an email, so null is not a value here.
    name: Text = Field(None, min_length=1)  # type: ignore[assignment]
    email: Email = Field(None)  # type: ignore[assignment]
    title: Text | None = None
    level: int | None = Field(None, ge=1, le=30)
    department: Text | None = None
    team: Text | None = None
    manager: Email | None = None
    location: Text | None = None
    time_zone: TimeZone | None = None
    hire_date: dt.date | None = None
    external_id: Text | None = None
    offers: list[PersonSkillIn] | None = Field(None, max_length=100)
    seeks: list[PersonSkillIn] | None = Field(None, max_length=100)


class Deactivation(Input):
    left_on: dt.date | None = Field(None, description="The leaving date; today if left out.")


def _people(
    request: object, query: type[Schema] | None = None, scope: Scope = Scope.DIRECTORY_READ
) -> QuerySet[Person]:
    key = need(request, scope, query)  # type: ignore[arg-type]
    return (
        Person.objects.filter(organization=key.organization)
        .select_related("department", "team")
        .prefetch_related(Prefetch("skills", queryset=PersonSkill.objects.select_related("skill")))
    )


@router.get("/people", response=answers(PeoplePage), summary="List people")
def list_people(request: object, filters: Query[PeopleFilter]) -> PeoplePage:
    """Scope `directory:read`. Ordered by id; the same number of queries for any page size."""
    people = (
        _people(request, PeopleFilter).filter(pk__gt=read_cursor(filters.cursor)).order_by("pk")
    )
    if filters.email:
        people = people.filter(email__iexact=filters.email)
    if filters.department:
        people = people.filter(department__name__iexact=filters.department)
    if filters.team:
        people = people.filter(team__name__iexact=filters.team)
    if filters.active is not None:
        people = people.filter(is_active=filters.active)
    if filters.updated_since:
        people = people.filter(updated__gte=filters.updated_since)
    page = list(people[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return PeoplePage(
        items=[PersonOut.of(p) for p in page],
        next_cursor=make_cursor(page[-1].pk) if more and page else None,
    )


@router.get("/people/{person_id}", response=answers(PersonOut), summary="Read a person")
def read_person(request: object, person_id: Id) -> PersonOut:
    """Scope `directory:read`."""
    return PersonOut.of(get_object_or_404(_people(request), pk=person_id))


def _skill_values(levels: list[dict[str, object]]) -> dict[str, SkillValue]:
    """The API's list of {skill, strength} in the directory's form, {folded name: SkillValue};
    two spellings of one skill keep the stronger strength."""
    out: dict[str, SkillValue] = {}
    for level in levels:
        name, strength = str(level["skill"]), int(level["strength"])  # type: ignore[call-overload]
        key = skill_key(name)
        if not key:
            # Only spaces and punctuation: no skill to land on (a 409 like the directory's own
            # refusals; the schema cannot say "a letter somewhere" after Unicode folding).
            raise HttpError(409, f"{name!r} is not a skill name: give it letters or digits.")
        if key not in out or out[key].strength < strength:
            out[key] = SkillValue(name, strength)
    return out


def _upsert(request: object, values: dict[str, object], person: Person | None) -> UpsertResult:
    key = need(request, Scope.DIRECTORY_WRITE)  # type: ignore[arg-type]
    for direction in ("offers", "seeks"):
        if isinstance(values.get(direction), list):
            values[direction] = _skill_values(values[direction])  # type: ignore[arg-type]
        elif direction in values:
            values[direction] = {}  # null in a change: the list is cleared
    try:
        result = person_upsert(
            organization=key.organization,
            values=values,
            actor=None,
            source=f"api:{key.prefix}",
            person=person,
        )
    except DirectoryError as exc:
        # The request was well formed; the directory as it stands refuses it (a manager who is
        # not in it, a level beyond the ladder, two people the keys point at).
        raise HttpError(409, str(exc)) from None
    return result


@router.post(
    "/people", response=answers({201: PersonOut, 200: PersonOut}, 409), summary="Create or update"
)
def upsert_person(request: object, body: PersonIn) -> Status[PersonOut]:
    """Scope `directory:write`. Finds the person by external id, employee id or email and
    updates them, or creates them (201). The same service as the CSV import and SCIM."""
    result = _upsert(request, body.dict(exclude_none=True), None)
    person = PersonOut.of(_people(request, scope=Scope.DIRECTORY_WRITE).get(pk=result.person.pk))
    return Status(201 if result.created else 200, person)


@router.patch("/people/{person_id}", response=answers(PersonOut, 409), summary="Change a person")
def update_person(request: object, person_id: int, body: PersonPatch) -> PersonOut:
    """Scope `directory:write`. Only the fields you send change."""
    person = get_object_or_404(_people(request, scope=Scope.DIRECTORY_WRITE), pk=person_id)
    values = body.dict(exclude_unset=True)
    values.setdefault("email", person.email)
    _upsert(request, {k: ("" if v is None else v) for k, v in values.items()}, person)
    return PersonOut.of(_people(request, scope=Scope.DIRECTORY_WRITE).get(pk=person.pk))


@router.post(
    "/people/{person_id}/deactivate", response=answers(PersonOut), summary="A person leaves"
)
def deactivate_person(request: object, person_id: int, body: Deactivation) -> PersonOut:
    """Scope `directory:write`. A soft leave: the leaving date is kept, open requests are
    withdrawn, partnerships end kindly for the partner, sign-in is refused; history stays."""
    key = need(request, Scope.DIRECTORY_WRITE)  # type: ignore[arg-type]
    person = get_object_or_404(_people(request, scope=Scope.DIRECTORY_WRITE), pk=person_id)
    person_deactivate(
        person=person,
        left_on=body.left_on or timezone.localdate(),
        actor=None,
        source=f"api:{key.prefix}",
    )
    return PersonOut.of(_people(request, scope=Scope.DIRECTORY_WRITE).get(pk=person.pk))


@router.get("/skills", response=answers(list[SkillOut]), summary="List the skill vocabulary")
def list_skills(request: object) -> list[SkillOut]:
    """Scope `directory:read`. The organization's one vocabulary of skills."""
    key = need(request, Scope.DIRECTORY_READ)  # type: ignore[arg-type]
    return [
        SkillOut(id=s.pk, name=s.name, category=s.category)
        for s in Skill.objects.filter(organization=key.organization).order_by("name", "pk")
    ]
