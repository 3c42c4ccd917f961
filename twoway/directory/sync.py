"""Compare what a source says about people with the directory, then write the difference.

`plan_sync` reads the directory in a handful of queries (people, departments, teams, skills, and
the skills of the people named), whatever the number of records, and decides in memory: who is
created, what changes for whom, who leaves, what stays as it is, and every error by row and
column. `apply_plan` writes a plan in bulk inside the caller's transaction. A CSV import plans
from the whole directory; a single upsert (SCIM, an admin) plans from just the people it names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models import Max, Q
from django.utils import timezone

from twoway.accounts.models import Organization, User
from twoway.directory.records import Issue, PersonRecord, SkillValue
from twoway.people.catalogue import SKILL_CATEGORY, SKILL_SPELLING
from twoway.people.models import (
    Department,
    Direction,
    Person,
    PersonSkill,
    Skill,
    SkillAlias,
    SkillCategory,
    Team,
)
from twoway.people.vocabulary import Vocabulary, skill_key
from twoway.programs.tally import organization_changed

# A file that would make more than this share of the active people leave needs a second "yes".
MASS_LEAVE_SHARE = 0.10
BATCH = 1000

# The person fields a record may set, in the order the preview lists changes.
TEXT_FIELDS = ("name", "email", "employee_id", "external_id", "title", "location", "time_zone")
PERSON_VALUES = (
    "id",
    "name",
    "email",
    "employee_id",
    "external_id",
    "title",
    "level",
    "department_id",
    "team_id",
    "manager_id",
    "location",
    "time_zone",
    "hire_date",
    "is_active",
    "on_leave",
    "left_on",
    "user_id",
)
FIELD_LABELS = {
    "name": "name",
    "email": "email",
    "employee_id": "employee id",
    "external_id": "external id",
    "title": "title",
    "level": "level",
    "department": "department",
    "team": "team",
    "manager": "manager",
    "location": "location",
    "time_zone": "time zone",
    "hire_date": "hire date",
    "status": "status",
    "left_on": "leaving date",
    "offers": "can share",
    "seeks": "wants to grow",
}


NodeRef = tuple[str, int]  # ("p", person id) or ("n", index of a person to create)


@dataclass
class Create:
    idx: int
    row: int
    label: str
    values: dict[str, Any]  # person fields; department / team as lower-case names
    manager: NodeRef | None
    skills: dict[str, dict[str, int]]  # direction -> {lower skill name: strength}


@dataclass
class Update:
    person_id: int
    row: int
    label: str
    values: dict[str, Any]
    manager: NodeRef | bool | None  # False: the manager does not change
    skills: dict[str, dict[str, int]]  # only the directions that change
    shown: dict[str, tuple[str, str]]  # field label -> (before, after), for people to read
    reactivate: bool = False


@dataclass
class Leave:
    person_id: int
    row: int  # 0 when the person is missing from a full file
    label: str
    left_on: dt.date


@dataclass
class Plan:
    organization: Organization
    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    leaves: list[Leave] = field(default_factory=list)
    unchanged: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    new_departments: dict[str, str] = field(default_factory=dict)
    new_teams: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower -> (name, dept)
    new_skills: dict[str, str] = field(default_factory=dict)
    active_before: int = 0
    matched: dict[int, int] = field(default_factory=dict)  # record row -> person id

    @property
    def leave_share(self) -> float:
        return len(self.leaves) / self.active_before if self.active_before else 0.0

    @property
    def needs_leave_confirmation(self) -> bool:
        return bool(self.leaves) and self.leave_share > MASS_LEAVE_SHARE

    @property
    def has_changes(self) -> bool:
        return bool(self.creates or self.updates or self.leaves)

    def counts(self) -> dict[str, int]:
        return {
            "create": len(self.creates),
            "update": len(self.updates),
            "deactivate": len(self.leaves),
            "unchanged": self.unchanged,
            "errors": len(self.errors),
        }

    def fingerprint(self) -> str:
        """A digest of every planned write: a confirm must write what the preview showed."""
        digest = hashlib.sha256()
        for c in self.creates:
            digest.update(repr(("c", c.row, c.values, c.manager, c.skills)).encode())
        for u in self.updates:
            parts = ("u", u.person_id, u.values, u.manager, u.skills, u.reactivate)
            digest.update(repr(parts).encode())
        for leave in self.leaves:
            digest.update(repr(("l", leave.person_id, leave.left_on)).encode())
        return digest.hexdigest()

    def summary(self, *, sample: int = 200) -> dict[str, Any]:
        """What the preview page shows: counts, every error and warning, the first changes."""
        return {
            "counts": self.counts(),
            "active_before": self.active_before,
            "create_leavers": sum(1 for c in self.creates if c.values.get("is_active") is False),
            "create_on_leave": sum(1 for c in self.creates if c.values.get("on_leave")),
            "leave_share": round(self.leave_share, 4),
            "needs_leave_confirmation": self.needs_leave_confirmation,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "new_departments": sorted(self.new_departments.values()),
            "new_teams": sorted(name for name, _ in self.new_teams.values()),
            "new_skills": sorted(self.new_skills.values()),
            "creates": [{"row": c.row, "name": c.label} for c in self.creates[:sample]],
            "updates": [
                {
                    "row": u.row,
                    "name": u.label,
                    "changes": [[k, a, b] for k, (a, b) in u.shown.items()],
                }
                for u in self.updates[:sample]
            ],
            "deactivations": [
                {"row": x.row, "name": x.label, "left_on": x.left_on.isoformat()}
                for x in self.leaves[:sample]
            ],
            "fingerprint": self.fingerprint(),
        }


class DirectoryIndex:
    """The organization's people, departments, teams and skills, looked up by their keys."""

    def __init__(self, organization: Organization, people: Iterable[dict[str, Any]]) -> None:
        self.organization = organization
        self.people: dict[int, dict[str, Any]] = {}
        self.by_email: dict[str, int] = {}
        self.by_employee_id: dict[str, int] = {}
        self.by_external_id: dict[str, int] = {}
        self.complete = False
        self.held_skills: dict[tuple[int, str], dict[str, int]] | None = None  # read when needed
        self.add(people)
        self.departments = dict(
            Department.objects.filter(organization=organization).values_list("name", "id")
        )
        self.department_ids = {name.lower(): pk for name, pk in self.departments.items()}
        self.department_names = {pk: name for name, pk in self.departments.items()}
        teams = list(Team.objects.filter(organization=organization).values_list("name", "id"))
        self.team_ids = {name.lower(): pk for name, pk in teams}
        self.team_names = {pk: name for name, pk in teams}
        # Skills are keyed by their folded name (`skill_key`); a file's spelling, an alias or a
        # synonym is resolved to the skill it means before anything is compared.
        skills = list(Skill.objects.filter(organization=organization).values_list("id", "name"))
        self.skill_vocabulary = Vocabulary(
            skills,
            SkillAlias.objects.filter(organization=organization).values_list("key", "skill_id"),
            spellings=SKILL_SPELLING,
        )
        self.skill_names = {pk: skill_key(name) for pk, name in skills}

    def add(self, people: Iterable[dict[str, Any]]) -> None:
        for p in people:
            self.people[p["id"]] = p
            self.by_email[p["email"].lower()] = p["id"]
            if p["employee_id"]:
                self.by_employee_id[p["employee_id"]] = p["id"]
            if p["external_id"]:
                self.by_external_id[p["external_id"]] = p["id"]

    @classmethod
    def whole(cls, organization: Organization) -> DirectoryIndex:
        qs = Person.objects.filter(organization=organization).values(*PERSON_VALUES)
        index = cls(organization, qs.iterator(chunk_size=5000))
        index.complete = True
        return index

    @classmethod
    def for_records(
        cls, organization: Organization, records: Sequence[PersonRecord]
    ) -> DirectoryIndex:
        """Only the people the records name by a key or as a manager (a SCIM call names one)."""
        emails: set[str] = set()
        ids: set[str] = set()
        externals: set[str] = set()
        for r in records:
            if r.get("email"):
                emails.add(r.get("email"))
            if r.get("employee_id"):
                ids.add(r.get("employee_id"))
            if r.get("external_id"):
                externals.add(r.get("external_id"))
            manager = r.get("manager") or ""
            if "@" in manager:
                emails.add(manager.lower())
            elif manager:
                ids.add(manager)
                externals.add(manager)
        q = Q(pk__in=[r.get("person_id") for r in records if r.get("person_id")])
        for email in emails:
            q |= Q(email__iexact=email)
        if ids:
            q |= Q(employee_id__in=ids)
        if externals:
            q |= Q(external_id__in=externals)
        qs = Person.objects.filter(q, organization=organization).values(*PERSON_VALUES)
        return cls(organization, qs)

    def person(self, pk: int) -> dict[str, Any] | None:
        if pk not in self.people and not self.complete:
            self.add(
                Person.objects.filter(organization=self.organization, pk=pk).values(*PERSON_VALUES)
            )
        return self.people.get(pk)

    def find_manager(self, key: str) -> int | None:
        if "@" in key:
            return self.by_email.get(key.lower())
        return self.by_employee_id.get(key) or self.by_external_id.get(key)


def _status_target(
    record: PersonRecord, today: dt.date, col: dict[str, str]
) -> tuple[tuple[bool, bool, dt.date | None] | None, list[Issue]]:
    """(is_active, on_leave, left_on) the record asks for, or None when it says nothing."""
    if not record.has("status") and not record.has("left_on"):
        return None, []
    status = record.get("status", "")
    left_on: dt.date | None = record.get("left_on")
    where = col.get("left_on") or col.get("status", "status")
    if not status:
        status = "terminated" if left_on is not None and left_on <= today else "active"
    if status == "terminated":
        if left_on is None:
            return None, [
                Issue(record.row, where, "A leaver needs a leaving date (retention needs it).")
            ]
        if left_on > today:
            return None, [
                Issue(
                    record.row,
                    where,
                    f"The leaving date {left_on} is in the future: import it on or after that day.",
                )
            ]
        return (False, False, left_on), []
    if left_on is not None and left_on <= today:
        return None, [
            Issue(record.row, col.get("status", where), f"{status} but left on {left_on}.")
        ]
    return (True, status == "leave", None), []


def _skill_target(
    record: PersonRecord, direction: str, plan: Plan, index: DirectoryIndex
) -> dict[str, int] | None:
    key = "offers" if direction == Direction.OFFER else "seeks"
    if not record.has(key):
        return None
    chosen: dict[str, SkillValue] = record.get(key)
    target: dict[str, int] = {}
    for value in chosen.values():
        found = index.skill_vocabulary.find(value.name)
        resolved = skill_key(found.name)
        if found.skill is None:
            plan.new_skills.setdefault(resolved, found.name)
        # Two spellings of one skill in a cell: the stronger strength stays.
        target[resolved] = max(value.strength, target.get(resolved, 0))
    return target


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}:{v}" for k, v in sorted(value.items())) or "—"
    return str(value)


def plan_sync(
    *,
    organization: Organization,
    records: Sequence[PersonRecord],
    columns: dict[str, str] | None = None,
    index: DirectoryIndex | None = None,
    deactivate_missing: bool = False,
    actor: User | None = None,
    today: dt.date | None = None,
) -> Plan:
    """Decide every write for `records` without writing anything."""
    today = today or timezone.localdate()
    index = index or DirectoryIndex.whole(organization)
    col = {name: (columns or {}).get(name, FIELD_LABELS.get(name, name)) for name in FIELD_LABELS}
    col.update(columns or {})
    plan = Plan(organization=organization)
    plan.active_before = (
        sum(1 for p in index.people.values() if p["is_active"])
        if index.complete
        else Person.objects.filter(organization=organization, is_active=True).count()
    )

    # 1. Who is who: each record against the directory's keys and the file's other rows.
    seen_email: dict[str, int] = {}
    seen_employee: dict[str, int] = {}
    seen_person: dict[int, int] = {}
    target_of: dict[int, int | None] = {}  # record position -> existing person id (None = new)
    for pos, r in enumerate(records):
        email, emp, ext = r.get("email"), r.get("employee_id"), r.get("external_id")
        bad = False
        for key, seen, label in ((email, seen_email, "email"), (emp, seen_employee, "employee_id")):
            if key:
                if key in seen:
                    plan.errors.append(
                        Issue(r.row, col[label], f"{key!r} is also on row {seen[key]}.")
                    )
                    bad = True
                else:
                    seen[key] = r.row
        # A source that already knows the person (SCIM's id) names them by `person_id`, so a
        # change of email or external id in the same record cannot make a second person.
        known = r.get("person_id")
        found = {
            k: v
            for k, v in (
                ("person_id", known if known in index.people else None),
                ("external_id", index.by_external_id.get(ext) if ext else None),
                ("employee_id", index.by_employee_id.get(emp) if emp else None),
                ("email", index.by_email.get(email) if email else None),
            )
            if v is not None
        }
        if len(set(found.values())) > 1:
            owners = ", ".join(
                f"{FIELD_LABELS.get(k, k)} {r.get(k)!r} is {index.people[v]['name']}'s"
                for k, v in found.items()
            )
            plan.errors.append(Issue(r.row, col["employee_id"], f"Two people match: {owners}."))
            bad = True
        person_id = next(iter(found.values()), None)
        if person_id is not None:
            if person_id in seen_person:
                plan.errors.append(
                    Issue(r.row, col["email"], f"Same person as row {seen_person[person_id]}.")
                )
                bad = True
            seen_person[person_id] = r.row
        elif not email:
            if not any(i.row == r.row and i.column == col["email"] for i in plan.errors):
                plan.errors.append(Issue(r.row, col["email"], "The email is empty."))
            bad = True
        if not bad:
            target_of[pos] = person_id
            if person_id is not None:
                plan.matched[r.row] = person_id

    # 2. Managers: by email or employee id, in the file first, then in the directory.
    file_email = {r.get("email"): pos for pos, r in enumerate(records) if r.get("email")}
    file_emp = {r.get("employee_id"): pos for pos, r in enumerate(records) if r.get("employee_id")}
    create_idx: dict[int, int] = {}
    for pos in target_of:
        if target_of[pos] is None:
            create_idx[pos] = len(create_idx)

    def node_of(pos: int) -> NodeRef | None:
        if pos not in target_of:
            return None
        pid = target_of[pos]
        return ("p", pid) if pid is not None else ("n", create_idx[pos])

    manager_of: dict[int, NodeRef | None] = {}
    for pos, r in enumerate(records):
        if not r.has("manager") or pos not in target_of:
            continue
        key = r.get("manager")
        if not key:
            manager_of[pos] = None
            continue
        in_file = file_email.get(key.lower()) if "@" in key else file_emp.get(key)
        ref: NodeRef | None = None
        if in_file is not None:
            ref = node_of(in_file)
            if ref is None:
                plan.errors.append(
                    Issue(r.row, col["manager"], f"The manager's row ({key}) has errors.")
                )
                continue
        else:
            pid = index.find_manager(key)
            if pid is None:
                plan.errors.append(
                    Issue(r.row, col["manager"], f"No one with email or employee id {key!r}.")
                )
                continue
            ref = ("p", pid)
        if ref == node_of(pos):
            plan.errors.append(Issue(r.row, col["manager"], "A person cannot manage themselves."))
            continue
        manager_of[pos] = ref

    # 3. Cycles in the manager chain as it will be after the import.
    row_of_node: dict[NodeRef, int] = {}
    next_node: dict[NodeRef, NodeRef | None] = {}
    for pos in target_of:
        own = node_of(pos)
        assert own is not None
        row_of_node[own] = pos
        if pos in manager_of:
            next_node[own] = manager_of[pos]
        elif own[0] == "p":
            current = index.person(own[1])
            next_node[own] = (
                ("p", current["manager_id"]) if current and current["manager_id"] else None
            )
        else:
            next_node[own] = None

    def follow(node: NodeRef) -> NodeRef | None:
        if node in next_node:
            return next_node[node]
        current = index.person(node[1]) if node[0] == "p" else None
        nxt: NodeRef | None = (
            ("p", current["manager_id"]) if current and current["manager_id"] else None
        )
        next_node[node] = nxt
        return nxt

    done: set[NodeRef] = set()
    in_cycle: set[NodeRef] = set()
    for start in list(row_of_node):
        path: list[NodeRef] = []
        on_path: dict[NodeRef, int] = {}
        node: NodeRef | None = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = follow(node)
        if node is not None and node in on_path:
            cycle = path[on_path[node] :]
            in_cycle.update(cycle)
            names = []
            for n in [*cycle, cycle[0]]:
                if n in row_of_node:
                    names.append(records[row_of_node[n]].label)
                else:
                    p = index.person(n[1])
                    names.append(p["name"] if p else str(n[1]))
            for n in cycle:
                if n in row_of_node and row_of_node[n] in manager_of:
                    r = records[row_of_node[n]]
                    plan.errors.append(
                        Issue(r.row, col["manager"], "Manager chain loops: " + " → ".join(names))
                    )
        done.update(path)

    # 4. What each record changes.
    for pos, r in enumerate(records):
        if pos not in target_of:
            continue
        status, issues = _status_target(r, today, col)
        plan.errors.extend(issues)
        if issues:
            continue
        hire = r.get("hire_date")
        if status and status[2] and hire and status[2] < hire:
            plan.errors.append(
                Issue(r.row, col["left_on"], "The leaving date is before the hire date.")
            )
            continue
        skills: dict[str, dict[str, int]] = {
            str(d): t
            for d in (Direction.OFFER, Direction.SEEK)
            if (t := _skill_target(r, d, plan, index)) is not None
        }
        department = r.get("department")
        team = r.get("team")
        if department and department.lower() not in index.department_ids:
            plan.new_departments.setdefault(department.lower(), department)
        if team and team.lower() not in index.team_ids and team.lower() not in plan.new_teams:
            plan.new_teams[team.lower()] = (team, (department or "").lower())

        pid = target_of[pos]
        if pid is None:
            if not r.get("name"):
                plan.errors.append(Issue(r.row, col.get("name", "name"), "The name is empty."))
                continue
            values: dict[str, Any] = {
                name: r.get(name) for name in TEXT_FIELDS if r.has(name) and r.get(name) is not None
            }
            values.setdefault("time_zone", "UTC")
            for name in ("level", "hire_date"):
                if r.has(name):
                    values[name] = r.get(name)
            values["department"] = (department or "").lower()
            values["team"] = (team or "").lower()
            if status:
                values["is_active"], values["on_leave"], values["left_on"] = status
            plan.creates.append(
                Create(
                    idx=create_idx[pos],
                    row=r.row,
                    label=r.label,
                    values=values,
                    manager=manager_of.get(pos),
                    skills=skills,
                )
            )
            continue

        current = index.people[pid]
        changed: dict[str, Any] = {}
        shown: dict[str, tuple[str, str]] = {}
        for name in TEXT_FIELDS:
            if not r.has(name):
                continue
            new = r.get(name)
            if name == "name" and not new:
                plan.errors.append(Issue(r.row, col["name"], "The name is empty."))
                continue
            old = current[name]
            same = (old or "").lower() == (new or "").lower() if name == "email" else old == new
            if not same:
                changed[name] = new
                shown[FIELD_LABELS[name]] = (_display(old), _display(new))
        for name in ("level", "hire_date"):
            if r.has(name) and current[name] != r.get(name):
                changed[name] = r.get(name)
                shown[FIELD_LABELS[name]] = (_display(current[name]), _display(r.get(name)))
        if r.has("department"):
            new_id = index.department_ids.get((department or "").lower())
            if new_id != current["department_id"] or (department and new_id is None):
                changed["department"] = (department or "").lower()
                before = index.department_names.get(current["department_id"], "")
                shown["department"] = (_display(before), _display(department))
        if r.has("team"):
            new_id = index.team_ids.get((team or "").lower())
            if new_id != current["team_id"] or (team and new_id is None):
                changed["team"] = (team or "").lower()
                before = index.team_names.get(current["team_id"], "")
                shown["team"] = (_display(before), _display(team))
        manager: NodeRef | bool | None = False
        if pos in manager_of:
            ref = manager_of[pos]
            if ref != (("p", current["manager_id"]) if current["manager_id"] else None):
                manager = ref
                before_m = index.people.get(current["manager_id"] or 0)
                shown["manager"] = (
                    _display(before_m["name"] if before_m else None),
                    _display(r.get("manager")),
                )
        leave: Leave | None = None
        reactivate = False
        if status:
            active, on_leave, left_on = status
            if current["is_active"] and not active:
                assert left_on is not None
                leave = Leave(pid, r.row, r.label, left_on)
            elif not current["is_active"] and not active:
                if current["left_on"] != left_on:
                    changed["left_on"] = left_on
                    shown["leaving date"] = (_display(current["left_on"]), _display(left_on))
            else:
                if not current["is_active"]:
                    reactivate = True
                    changed.update(is_active=True, left_on=None)
                    shown["status"] = (f"left {current['left_on']}", "active")
                if current["on_leave"] != on_leave:
                    changed["on_leave"] = on_leave
                    shown["on leave"] = (_display(current["on_leave"]), _display(on_leave))
        skill_changes: dict[str, dict[str, int]] = {}
        for direction, target in skills.items():
            now_held = _current_skills(plan, index, pid, direction)
            if now_held != target:
                skill_changes[direction] = target
                label = FIELD_LABELS["offers" if direction == Direction.OFFER else "seeks"]
                shown[label] = (_display(now_held), _display(target))
        if leave is not None and actor is not None and current["user_id"] == actor.pk:
            # Whoever runs the import would lock themselves out halfway through.
            plan.errors.append(
                Issue(r.row, col["status"], "This is you: someone else must record your leaving.")
            )
            continue
        if leave is not None:
            plan.leaves.append(leave)
        if changed or manager is not False or skill_changes:
            plan.updates.append(
                Update(
                    person_id=pid,
                    row=r.row,
                    label=r.label,
                    values=changed,
                    manager=manager,
                    skills=skill_changes,
                    shown=shown,
                    reactivate=reactivate,
                )
            )
        elif leave is None:
            plan.unchanged += 1

    # 5. A full file: people it does not name have left.
    if deactivate_missing and index.complete:
        named = set(plan.matched.values())
        own = next(
            (p["id"] for p in index.people.values() if actor and p["user_id"] == actor.pk), None
        )
        for pid, p in index.people.items():
            if pid in named or not p["is_active"]:
                continue
            if pid == own:
                plan.warnings.append(
                    Issue(0, "", f"You ({p['name']}) are not in the file; you stay active.")
                )
                continue
            plan.leaves.append(Leave(pid, 0, p["name"], today))
    return plan


def _current_skills(plan: Plan, index: DirectoryIndex, pid: int, direction: str) -> dict[str, int]:
    """What the person holds now in one direction, {lower skill name: strength}; the skills of
    everyone in the index are read in one query the first time."""
    if index.held_skills is None:
        held: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
        qs = PersonSkill.objects.filter(person__organization=plan.organization)
        if not index.complete:
            qs = qs.filter(person_id__in=list(index.people))
        for person_id, skill_id, d, strength in qs.values_list(
            "person_id", "skill_id", "direction", "strength"
        ).iterator(chunk_size=10000):
            held[(person_id, d)][index.skill_names.get(skill_id, str(skill_id))] = strength
        index.held_skills = held
    return dict(index.held_skills.get((pid, direction), {}))


@dataclass
class Applied:
    created_ids: list[int]
    updated_ids: list[int]


def _resolve(ref: NodeRef | None, new_ids: dict[int, int]) -> int | None:
    if ref is None:
        return None
    return ref[1] if ref[0] == "p" else new_ids[ref[1]]


def _depths(creates: Sequence[Create]) -> dict[int, int]:
    """How far each new person is below the nearest existing manager, so that every layer is
    inserted after the layer of its managers and `manager_id` is known at insert time."""
    by_idx = {c.idx: c for c in creates}
    depth: dict[int, int] = {}
    for c in creates:
        chain = []
        cur: Create | None = c
        while cur is not None and cur.idx not in depth:
            chain.append(cur)
            m = cur.manager
            cur = by_idx[m[1]] if m is not None and m[0] == "n" else None
        base = depth[cur.idx] + 1 if cur is not None else 0
        for offset, item in enumerate(reversed(chain)):
            depth[item.idx] = base + offset
    return depth


def insert_many(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows (dicts by attname) with one prepared statement and executemany.

    Django's bulk_create compiles SQL for every object, and on SQLite caps a statement at 999
    parameters (about 50 people): for 50,000 people that is most of an import's time. Here the
    statement is built once per batch. Only plain columns: fields without a value take their
    model default; dates go through the field's own conversion for the database.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {
        f.attname: None
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields
    }
    dated = {f.attname: f for f in fields if isinstance(f, models.DateField)}  # and DateTimeField
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    names = [f.attname for f in fields]
    # An import has few distinct dates (and one "now"): convert each once.
    converted: dict[tuple[str, Any], Any] = {}
    params = []
    for row in rows:
        values = []
        for name in names:
            value = row.get(name, defaults[name])
            if value is not None and name in dated:
                key = (name, value)
                if key not in converted:
                    converted[key] = dated[name].get_db_prep_save(value, connection)
                value = converted[key]
            values.append(value)
        params.append(values)
    if connection.vendor == "postgresql":
        _copy_rows(model._meta.db_table, [f.column for f in fields], params)
        return
    with connection.cursor() as cursor:
        # SQLite runs in this process: one prepared statement stepped per row is fastest. A
        # bigger page cache while it runs keeps more of the indexes' pages in memory (measured:
        # a tenth less CPU for 50,000 people than with the default 2 MB).
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -131072")
        try:
            for start in range(0, len(params), 5000):
                cursor.executemany(sql, params[start : start + 5000])
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _copy_rows(table: str, columns: list[str], rows: list[list[Any]]) -> None:
    """PostgreSQL's COPY: the server takes the rows as one stream, with no statement per row."""
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(quote(table), ", ".join(quote(c) for c in columns))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    if connection.queries_logged:
        # Django logs only what goes through its wrapper; count the COPY with the queries.
        connection.queries_log.append(
            {"sql": f"{sql} -- {len(rows)} rows", "time": f"{time.perf_counter() - started:.3f}"}
        )


def apply_plan(plan: Plan) -> Applied:
    """Write the creates and updates of an error-free plan in bulk (leavers are the caller's:
    leaving has consequences beyond the directory). Run inside a transaction."""
    if plan.errors:
        raise ValueError("a plan with errors cannot be applied")
    org = plan.organization
    now = timezone.now()
    # Written in bulk, without signals: programs count their people again after this.
    organization_changed(org.pk)
    if plan.new_departments:
        Department.objects.bulk_create(
            Department(organization=org, name=name) for name in plan.new_departments.values()
        )
    dept_ids = {
        name.lower(): pk
        for name, pk in Department.objects.filter(organization=org).values_list("name", "id")
    }
    if plan.new_teams:
        Team.objects.bulk_create(
            Team(organization=org, name=name, department_id=dept_ids.get(dept))
            for name, dept in plan.new_teams.values()
        )
    team_ids = {
        name.lower(): pk
        for name, pk in Team.objects.filter(organization=org).values_list("name", "id")
    }
    if plan.new_skills:
        Skill.objects.bulk_create(
            Skill(
                organization=org,
                name=name,
                category=SKILL_CATEGORY.get(lower, SkillCategory.WAYS_OF_WORKING),
            )
            for lower, name in plan.new_skills.items()
        )
    skill_ids = dict(Skill.objects.filter(organization=org).values_list("key", "id"))

    def person_fields(values: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in values.items() if k not in {"department", "team"}}
        if "department" in values:
            out["department_id"] = (
                dept_ids.get(values["department"]) if values["department"] else None
            )
        if "team" in values:
            out["team_id"] = team_ids.get(values["team"]) if values["team"] else None
        return out

    new_ids: dict[int, int] = {}
    depth = _depths(plan.creates)
    layers: dict[int, list[Create]] = defaultdict(list)
    for c in plan.creates:
        layers[depth[c.idx]].append(c)
    before = Person.objects.aggregate(top=Max("pk"))["top"] or 0
    for level in sorted(layers):
        layer = layers[level]
        insert_many(
            Person,
            [
                {
                    "organization_id": org.pk,
                    "created": now,
                    "updated": now,
                    "manager_id": _resolve(c.manager, new_ids),
                    **person_fields(c.values),
                }
                for c in layer
            ],
        )
        # Emails are unique in an organization: they tell which new id is whose.
        wanted = {c.values["email"]: c.idx for c in layer}
        for email, pk in Person.objects.filter(organization=org, pk__gt=before).values_list(
            "email", "pk"
        ):
            if email in wanted:
                new_ids[wanted[email]] = pk

    groups: dict[tuple[str, ...], list[Person]] = defaultdict(list)
    for u in plan.updates:
        values = person_fields(u.values)
        if u.manager is not False:
            values["manager_id"] = _resolve(u.manager, new_ids)  # type: ignore[arg-type]
        if not values:
            continue
        values["updated"] = now
        groups[tuple(sorted(values))].append(Person(pk=u.person_id, **values))
    for fields, objs in groups.items():
        Person.objects.bulk_update(objs, list(fields), batch_size=BATCH)

    # Skills: a direction that changes is replaced whole.
    replace: dict[str, list[int]] = defaultdict(list)
    rows: list[dict[str, Any]] = []
    for u in plan.updates:
        for direction, target in u.skills.items():
            replace[direction].append(u.person_id)
            rows.extend(
                {
                    "person_id": u.person_id,
                    "skill_id": skill_ids[k],
                    "direction": direction,
                    "strength": s,
                }
                for k, s in sorted(target.items())
            )
    for c in plan.creates:
        for direction, target in c.skills.items():
            rows.extend(
                {
                    "person_id": new_ids[c.idx],
                    "skill_id": skill_ids[k],
                    "direction": direction,
                    "strength": s,
                }
                for k, s in sorted(target.items())
            )
    for direction, ids in replace.items():
        for start in range(0, len(ids), BATCH):
            PersonSkill.objects.filter(
                person_id__in=ids[start : start + BATCH], direction=direction
            ).delete()
    insert_many(PersonSkill, rows)
    return Applied(
        created_ids=[new_ids[c.idx] for c in plan.creates],
        updated_ids=[u.person_id for u in plan.updates],
    )
