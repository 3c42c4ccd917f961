"""From an HR export to `PersonRecord`s: header spellings, cells, every error by row and column.

Nothing here touches the database; `sync.plan_sync` compares records with the directory. A SCIM
or HRIS feed builds the same records from its own payloads and reuses the planner.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from twoway.people.vocabulary import skill_key

# Header spellings, compared after lower-casing and dropping everything but letters and digits,
# so "Employee ID", "employee_id" and "EmployeeID" are one column.
ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "workemail", "mail", "businessemail", "primaryemail"),
    "employee_id": (
        "employeeid",
        "employeenumber",
        "employeeno",
        "empid",
        "staffid",
        "staffnumber",
        "personnelnumber",
        "workerid",
    ),
    "external_id": ("externalid", "ssoid", "idpid"),
    "name": ("name", "fullname", "displayname", "employeename", "preferredname"),
    "first_name": ("firstname", "givenname", "forename"),
    "last_name": ("lastname", "surname", "familyname"),
    "title": ("title", "jobtitle", "position", "role"),
    "level": ("level", "joblevel", "grade", "band", "careerlevel"),
    "department": ("department", "dept", "division"),
    "team": ("team", "teamname", "group"),
    "manager": (
        "manager",
        "manageremail",
        "managerid",
        "manageremployeeid",
        "reportsto",
        "supervisor",
        "linemanager",
    ),
    "location": ("location", "office", "worklocation", "site", "city"),
    "time_zone": ("timezone", "tz"),
    "hire_date": ("hiredate", "startdate", "datehired", "joiningdate", "originalhiredate"),
    "status": ("status", "employmentstatus", "employeestatus"),
    "left_on": (
        "leavingdate",
        "leftdate",
        "lefton",
        "terminationdate",
        "enddate",
        "lastday",
        "lastworkingday",
    ),
    "offers": ("offers", "canshare", "skillsoffered", "skillsicanshare"),
    "seeks": ("seeks", "wantstogrow", "skillssought", "skillsiwanttogrow"),
}
HEADER_TO_FIELD = {alias: name for name, aliases in ALIASES.items() for alias in aliases}

# Words people write in a status column.
STATUSES = {
    "active": "active",
    "employed": "active",
    "current": "active",
    "leave": "leave",
    "onleave": "leave",
    "leaveofabsence": "leave",
    "loa": "leave",
    "terminated": "terminated",
    "inactive": "terminated",
    "left": "terminated",
    "leaver": "terminated",
    "former": "terminated",
}

MAX_BYTES = 25 * 1024 * 1024


def header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class Issue:
    """One problem in the input: `row` is the file's line number (the header is line 1)."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class SkillValue:
    name: str  # as written, for a skill the organization does not have yet
    strength: int


@dataclass
class PersonRecord:
    """One person as a source describes them; only the fields in `values` were given.

    A field that is absent leaves the directory's value alone; a field given empty clears it.
    """

    row: int
    values: dict[str, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    @property
    def label(self) -> str:
        return str(self.values.get("name") or self.values.get("email") or f"row {self.row}")


@dataclass
class ParsedFile:
    records: list[PersonRecord]
    columns: dict[str, str]  # field -> header as written
    unknown_columns: list[str]
    errors: list[Issue]


def decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else Windows-1252, the other usual export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_date(text: str) -> dt.date:
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date like 2024-03-31")


def parse_skill_list(text: str) -> dict[str, SkillValue]:
    """ "sql:3; client relationships:2" -> {folded name: (name, strength)}, strength 1-3
    (default 2), the same notation as the matching CLI's offers and seeks. Two spellings of one
    skill keep the stronger strength."""
    out: dict[str, SkillValue] = {}
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        name, _, strength_text = part.partition(":")
        name = " ".join(name.split())
        strength_text = strength_text.strip() or "2"
        if not name:
            raise ValueError(f"{part.strip()!r} has no skill name")
        if strength_text not in {"1", "2", "3"}:
            raise ValueError(f"the strength of {name!r} must be 1, 2 or 3, not {strength_text!r}")
        key = skill_key(name)
        if not key:
            raise ValueError(f"{part.strip()!r} has no skill name")
        if key not in out or out[key].strength < int(strength_text):
            out[key] = SkillValue(name, int(strength_text))
    return out


@cache
def _ladder_labels(ladder: tuple[str, ...]) -> dict[str, int]:
    return {str(label).strip().lower(): i + 1 for i, label in enumerate(ladder)}


def parse_level(text: str, ladder: list[str]) -> int:
    """A level as a number on the ladder (1 = most junior) or as one of its labels."""
    text = text.strip()
    labels = _ladder_labels(tuple(ladder))
    if text.lower() in labels:
        return labels[text.lower()]
    if text.isdigit() and 1 <= int(text) <= len(ladder):
        return int(text)
    shown = ", ".join(str(x) for x in ladder)
    raise ValueError(f"{text!r} is not a level: use 1-{len(ladder)} or one of {shown}")


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TEXT_LIMITS = {
    "name": 200,
    "first_name": 100,
    "last_name": 100,
    "title": 200,
    "department": 120,
    "team": 120,
    "manager": 254,
    "location": 120,
}


def _email(text: str) -> str:
    email = text.lower()
    if not email:
        raise ValueError("the email is empty")
    if len(email) > 254 or not EMAIL.fullmatch(email):
        raise ValueError(f"{text!r} is not an email address")
    return email


def _time_zone(text: str) -> str:
    if not text:
        return "UTC"
    if text not in _time_zones():
        raise ValueError(f"{text!r} is not a time zone name like Europe/Berlin")
    return text


def _status(text: str) -> str:
    if not text:
        return ""
    status = STATUSES.get(header_key(text))
    if status is None:
        raise ValueError(f"{text!r} is not a status: use active, leave or terminated")
    return status


def _limited(limit: int, squeeze: bool) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if squeeze and "  " in text:
            text = " ".join(text.split())
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return text

    return convert


def converter(field_name: str, ladder: list[str]) -> Callable[[str], Any]:
    """The parser of one column's (stripped) cells; it raises ValueError with the reason."""
    if field_name == "email":
        return _email
    if field_name == "employee_id":
        return _limited(64, squeeze=False)
    if field_name == "external_id":
        return _limited(255, squeeze=False)
    if field_name == "level":
        return lambda text: parse_level(text, ladder) if text else None
    if field_name in {"hire_date", "left_on"}:
        return lambda text: parse_date(text) if text else None
    if field_name == "time_zone":
        return _time_zone
    if field_name == "status":
        return _status
    if field_name in {"offers", "seeks"}:
        return parse_skill_list
    return _limited(TEXT_LIMITS.get(field_name, 200), squeeze=True)


def read_people_csv(data: bytes | str, *, ladder: list[str]) -> ParsedFile:
    """Read an HR export. Every row is checked; problems come back as `Issue`s, never raised."""
    errors: list[Issue] = []
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        return ParsedFile([], {}, [], [Issue(0, "", "The file is larger than 25 MB.")])
    text = decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    # The delimiter is whichever of , ; and tab the header line uses most (European Excel writes
    # semicolons). Only the header decides: skill cells like "SQL:3; Python:2" hold semicolons.
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        return ParsedFile([], {}, [], [Issue(1, "", "The file is empty: it needs a header row.")])

    columns: dict[str, str] = {}
    index: list[tuple[int, str]] = []
    unknown: list[str] = []
    for i, heading in enumerate(header):
        name = HEADER_TO_FIELD.get(header_key(heading))
        if name is None:
            if heading.strip():
                unknown.append(heading.strip())
            continue
        if name in columns:
            errors.append(
                Issue(1, heading, f"Two columns mean {name.replace('_', ' ')}: keep one.")
            )
            continue
        columns[name] = heading.strip()
        index.append((i, name))
    if "email" not in columns:
        errors.append(Issue(1, "", "No email column: the email is how people are recognised."))
        return ParsedFile([], columns, unknown, errors)
    if "name" not in columns and "first_name" not in columns and "last_name" not in columns:
        errors.append(Issue(1, "", "No name column (name, or first name and last name)."))

    records: list[PersonRecord] = []
    width = len(header)
    converters = [(i, name, converter(name, ladder)) for i, name in index]
    for row in reader:
        line = reader.line_num
        if not "".join(row).strip():
            continue
        if len(row) > width and any(c.strip() for c in row[width:]):
            errors.append(Issue(line, "", f"{len(row)} cells in a file with {width} columns."))
        values: dict[str, Any] = {}
        for i, name, convert in converters:
            cell = row[i].strip() if i < len(row) else ""
            try:
                values[name] = convert(cell)
            except ValueError as exc:
                errors.append(Issue(line, columns[name], str(exc)))
        first = values.pop("first_name", None)
        last = values.pop("last_name", None)
        if "name" not in columns and (first is not None or last is not None):
            values["name"] = " ".join(x for x in (first, last) if x)
        records.append(PersonRecord(row=line, values=values))
    if not records and not errors:
        errors.append(Issue(2, "", "The file has a header but no people."))
    columns.pop("first_name", None)
    columns.pop("last_name", None)
    if "name" not in columns and "name" in {k for r in records for k in r.values}:
        columns["name"] = "first name + last name"
    return ParsedFile(records, columns, unknown, errors)
