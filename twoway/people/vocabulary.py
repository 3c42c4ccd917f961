"""One skill vocabulary per organization: how a typed skill name finds the skill it means.

Pure Python (no Django), so the matching bench can resolve a generated cohort's names the same
way the directory does. A name is reduced to a key (case, spacing, hyphens and punctuation
variants fold together: "Public-speaking" and "public  speaking" share "public speaking"); a key
finds, in this order, a skill of that key, an alias the organization made (a merge keeps the old
name as one), or a synonym from the built-in list below, which points at its canonical name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

# Dashes and hyphens of every width, underscores and slashes between words read as a space.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_/]+")
# Dropped: quotes, dots and commas inside a name ("Node.js" ~ "NodeJS", "people's" ~ "peoples").
# Kept: + and # (C, C++ and C# are three languages) and & (spelled "and" below).
_DROPPED = re.compile(r"[.,'’‘\"“”()\[\]{}!?:;*]")


def clean_name(name: str) -> str:
    """The name as a person would want it shown: one line, single spaces, no edge spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def skill_key(name: str) -> str:
    """The folded form two spellings of one skill share."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = text.replace("&", " and ")
    text = _DROPPED.sub("", text)
    text = _SEPARATORS.sub(" ", text)
    return text.strip()


# canonical name → other names for the same skill. Only names that mean one thing at work: "PM"
# (project or product manager), "CS" (customer success or computer science), "BA" (business
# analyst or a degree) and "Go" (the language or the verb) are left out on purpose.
BUILT_IN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "SQL": ("Structured Query Language", "SQL queries", "SQL querying"),
    "PostgreSQL": ("Postgres",),
    "JavaScript": ("JS", "ECMAScript"),
    "TypeScript": ("TS",),
    "Kubernetes": ("k8s", "kube"),
    "Machine learning": ("ML",),
    "Artificial intelligence": ("AI",),
    "Amazon Web Services": ("AWS",),
    "Google Cloud": ("GCP", "Google Cloud Platform"),
    "Continuous integration and delivery": ("CI/CD", "CICD"),
    "User experience design": ("UX design",),
    "UX research": ("User research", "UXR"),
    "Spreadsheet modelling": ("Spreadsheet modeling", "Excel modelling", "Excel modeling"),
    "Prioritisation": ("Prioritization", "Prioritising", "Prioritizing"),
    "Public speaking": ("Speaking in public",),
    "Project management": ("Project mgmt",),
    "Cross-team collaboration": ("Cross-functional collaboration", "Collaborating across teams"),
    "Storytelling with data": ("Data storytelling",),
    "Data analysis": ("Data analytics",),
    "Negotiation": ("Negotiating",),
    "Delegation": ("Delegating",),
    "Coaching others": ("Coaching",),
    "Giving feedback": ("Feedback giving", "Giving and receiving feedback"),
    "Client relationships": ("Client relationship management", "Customer relationships"),
    "System design": ("Systems design",),
    "Security basics": ("Security fundamentals",),
}

SYNONYM_OF: dict[str, str] = {
    skill_key(alias): canonical
    for canonical, aliases in BUILT_IN_SYNONYMS.items()
    for alias in aliases
}

T = TypeVar("T")


@dataclass(frozen=True)
class Found(Generic[T]):
    """What a typed name resolved to: an existing skill's id and name, or (id None) the name a
    new skill takes."""

    typed: str
    skill: T | None
    name: str
    how: str  # "same" (the name as it stands), "spelling", "alias", "synonym", "new"

    @property
    def renamed(self) -> bool:
        """The typed text landed on a name that reads differently (worth telling the person)."""
        return self.typed != self.name


class Vocabulary(Generic[T]):
    """An organization's skills (id, name) and aliases (key, id), looked up by key.

    `spellings` gives the name a new skill takes for a key nobody uses yet (the catalogue's
    "SQL" for a typed "sql"); otherwise the typed name, cleaned.
    """

    def __init__(
        self,
        skills: Iterable[tuple[T, str]],
        aliases: Iterable[tuple[str, T]] = (),
        spellings: dict[str, str] | None = None,
    ) -> None:
        self.by_key: dict[str, tuple[T, str]] = {}
        for pk, name in skills:
            self.by_key.setdefault(skill_key(name), (pk, name))
        self.names = {pk: name for pk, name in self.by_key.values()}
        self.aliases = {key: pk for key, pk in aliases if pk in self.names}
        self.spellings = spellings or {}

    def find(self, typed: str) -> Found[T]:
        cleaned = clean_name(typed)
        key = skill_key(cleaned)
        if not key:
            raise ValueError("a skill needs a name")
        if key in self.by_key:
            pk, name = self.by_key[key]
            return Found(cleaned, pk, name, "same" if name == cleaned else "spelling")
        if key in self.aliases:
            pk = self.aliases[key]
            return Found(cleaned, pk, self.names[pk], "alias")
        canonical = SYNONYM_OF.get(key)
        if canonical is not None:
            canonical_key = skill_key(canonical)
            if canonical_key in self.by_key:
                pk, name = self.by_key[canonical_key]
                return Found(cleaned, pk, name, "synonym")
            if canonical_key in self.aliases:
                pk = self.aliases[canonical_key]
                return Found(cleaned, pk, self.names[pk], "synonym")
            return Found(cleaned, None, canonical, "synonym")
        return Found(cleaned, None, self.spellings.get(key, cleaned), "new")

    def add(self, pk: T, name: str) -> None:
        """A skill made after the vocabulary was read (so later names in a batch find it)."""
        self.by_key.setdefault(skill_key(name), (pk, name))
        self.names[pk] = name
