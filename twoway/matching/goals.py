"""Goals in plain words: a light lexical method (no model, nothing downloaded).

Words are lower-cased and stemmed by a few suffix rules ("presenting", "presentation" and
"presents" meet as "present"; "leaders", "leadership" and "leading" as "lead"). Function words
(STOP) never count; words every goal uses (COMMON: "team", "work", "skill", "better") may sit
inside a phrase but do not make one meaningful on their own. Two goals are compared by

- a score: the cosine of tf-idf vectors of their meaningful stems and of each two stems that
  follow each other (a shared phrase weighs more than the same words scattered), counted only
  from GOAL_MIN_SIMILARITY up; and
- a reason: the longest run of words the two goals share, shown as one person wrote it, and
  only when it holds at least two meaningful words ("presenting to senior leaders"); a single
  shared word is never a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Function words and filler: never meaningful, trimmed from the ends of a phrase.
STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other others our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until
    up very was we were what when where whether which while who whom why will with would you
    your yours yourself yourselves i'm i'd i've don't can't want wants wanted wanting like
    would get gets getting got go goes going back become becoming make making find really
    well enough bit lot lots much many way ways thing things someone something still even
    next ever new better best good""".split()
)
# Words (as stems) nearly every goal uses: allowed inside a phrase, never a reason alone.
COMMON = frozenset(
    """learn improve improv grow build develop help understand team work skill peer goal
    year time job role people person company someone other plan tip""".split()
)
_WORD = re.compile(r"[a-z0-9][a-z0-9+#'&-]*")
# Suffix rules, longest first; a stem keeps at least MIN_STEM letters.
_SUFFIXES = (
    ("ations", ""),
    ("ation", ""),
    ("ments", ""),
    ("ment", ""),
    ("ships", ""),
    ("ship", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ers", ""),
    ("er", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)
MIN_STEM = 3
MAX_WORDS = 80  # a goal's first words compared for phrases (goals are a sentence or two)
# A goal pair scores only from this cosine up. On the examples of tests/matching/test_goals.py
# (idf from a demo-shaped cohort), goals sharing a phrase of two meaningful words score
# 0.53-0.82 ("public speaking", "presenting to senior leaders", "career advice"), goals sharing
# a single word 0.07-0.36 ("clients", "feedback", "presenting"), and goals sharing only filler
# ("go back", "other teams plan their work") 0: 0.4 keeps the first and drops the rest.
GOAL_MIN_SIMILARITY = 0.4


def stem(word: str) -> str:
    """A light stem: a few English suffixes, repeated ("leaderships" -> "lead")."""
    word = word.strip("'-&").removesuffix("'s")
    for _ in range(2):
        for suffix, repl in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) + len(repl) >= MIN_STEM:
                if suffix == "s" and word.endswith(("ss", "us", "is")):
                    continue
                word = word[: len(word) - len(suffix)] + repl
                # "getting" -> "gett" -> "get", "planning" -> "plan"
                if len(word) > MIN_STEM and word[-1] == word[-2] and word[-1] not in "ls":
                    word = word[:-1]
                break
        else:
            break
    return word


@dataclass(frozen=True)
class GoalText:
    """A goal text split into words as written, their stems, and what each word counts for."""

    words: tuple[str, ...]
    stems: tuple[str, ...]
    meaningful: tuple[bool, ...]
    stop: tuple[bool, ...]

    @property
    def features(self) -> list[str]:
        """What the score compares: meaningful stems, and adjacent stems as phrases."""
        out = [s for s, m in zip(self.stems, self.meaningful, strict=True) if m]
        # Two words in a row, neither filler, one meaningful: "public speak", "senior lead".
        for k in range(len(self.stems) - 1):
            if self.stop[k] or self.stop[k + 1]:
                continue
            if self.meaningful[k] or self.meaningful[k + 1]:
                out.append(f"{self.stems[k]} {self.stems[k + 1]}")
        return out


def parse(text: str) -> GoalText:
    words = _WORD.findall(text.lower())[:MAX_WORDS]
    original = re.findall(r"[A-Za-z0-9][A-Za-z0-9+#'&-]*", text)[:MAX_WORDS]
    if len(original) != len(words):
        original = words
    stems = tuple(stem(w) for w in words)
    stop = tuple(w in STOP or s in STOP for w, s in zip(words, stems, strict=True))
    meaningful = tuple(
        not st and s not in COMMON and len(s) >= 2 for s, st in zip(stems, stop, strict=True)
    )
    return GoalText(tuple(original), stems, meaningful, stop)


def shared_phrase(a: GoalText, b: GoalText) -> str | None:
    """The longest run of words both goals share, as `a` wrote it, when it holds at least two
    meaningful words; None otherwise. Equal goals give the whole goal."""
    if not a.stems or not b.stems:
        return None
    best: tuple[int, int, int, int] | None = None  # (meaningful, length, -start, end)
    prev = [0] * (len(b.stems) + 1)
    for i in range(1, len(a.stems) + 1):
        cur = [0] * (len(b.stems) + 1)
        for j in range(1, len(b.stems) + 1):
            if a.stems[i - 1] == b.stems[j - 1]:
                cur[j] = prev[j - 1] + 1
                start, end = i - cur[j], i
                # Trim filler from both ends: a phrase starts and ends on a content word.
                while start < end and a.stop[start]:
                    start += 1
                while end > start and a.stop[end - 1]:
                    end -= 1
                count = sum(a.meaningful[start:end])
                key = (count, end - start, -start, end)
                if count >= 2 and (best is None or key > best):
                    best = key
        prev = cur
    if best is None:
        return None
    _, _, neg_start, end = best
    if a.stems == b.stems:
        return " ".join(a.words)
    return " ".join(a.words[-neg_start:end])
