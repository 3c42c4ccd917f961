"""Match quality, before vs after: skill exchange, level gaps, and the words of the reasons.

    .venv/bin/python bench/match_quality.py                 # before = the engine on main
    .venv/bin/python bench/match_quality.py --before REF    # any git ref of this repository

For a demo-like program (240 people of `synthetic.company`, shaped like `twoway demo`'s
organization and goals) and a generated 2,000-person one, the same PEOPLE.csv is matched by
the engine of REF (extracted with `git archive` into a temporary directory) and by this
working tree's, each in its own process, with default settings. Everything printed is
computed here from the participants and the groups, not taken from either engine:

- exchange: of every pair inside a group, the share where each can teach the other a skill
  they seek (both), only one can (one), or neither (none); "ceiling" is the most two-way pairs
  the cohort allows (a maximum matching of the pairs with a two-way exchange that pass the
  rules, as a share of the pairs formed after);
- level gap: the share of pairs 0, 1 and 2+ levels apart;
- stop-word reasons: the share of reasons that name goals by a stop word, an everyday word or
  a single word (the old "shared goals: back, go, study") — must be 0.

Then the same cohorts with skills spelled as people type them (`misspell`: about half of the
names in another case, with hyphens, doubled spaces or underscores for spaces, or a common
synonym — "Structured Query Language", "Data analytics", "Prioritization"), matched by this
tree's engine three ways: as spelled (no resolver; the engine only lower-cases), after the
organization's vocabulary resolved every name as an import would (`twoway.people.vocabulary`),
and the cleanly spelled cohort for reference. Exchange is judged on the skills people meant.

    .venv/bin/python bench/match_quality.py --only-spelling      # just that comparison
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Judged here, independently of the engine's own lists: function words and words every goal
# uses. A goal reason that names any of them on its own, or fewer than two other words, is
# counted as a stop-word reason.
STOP_WORDS = set(
    """a about after again all also an and any are as at back be because been before being
    better both but by can could did do does doing down each for from further get getting go
    going good grow had has have how i if in into is it its just learn learning like make me
    more most my new no not now of off on once only or other our out over own plan same so
    some such team teams than that the their them then there these they this those through
    to too up very want was we well were what when where which while who why will with work
    would you your skill skills improve help""".split()
)


def write_people(path: Path, people: list[Any]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            "id name level hire_date department team manager_id location timezone "
            "availability meeting_preference offers seeks goals".split()
        )
        days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        for p in people:
            avail = "; ".join(
                f"{days[x.weekday]} {x.start // 60:02d}:{x.start % 60:02d}-"
                f"{x.end // 60:02d}:{x.end % 60:02d}"
                for x in p.availability
            )
            w.writerow(
                [
                    p.id,
                    p.name,
                    p.level,
                    p.hire_date.isoformat() if p.hire_date else "",
                    p.department,
                    p.team,
                    p.manager_id,
                    p.location,
                    p.timezone,
                    avail,
                    p.meeting_preference,
                    "; ".join(f"{k}:{v}" for k, v in p.offers.items()),
                    "; ".join(f"{k}:{v}" for k, v in p.seeks.items()),
                    p.goals,
                ]
            )


# The child: the engine under test first on sys.path, nothing of this tree imported before.
_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from twoway.matching import MatchSettings, match, read_people
import twoway.matching
assert twoway.matching.__file__.startswith(sys.argv[1]), twoway.matching.__file__
result = match(read_people(sys.argv[2]), MatchSettings())
print(json.dumps({
    "groups": [[list(g.members), list(g.reasons)] for g in result.groups],
    "unmatched": [[u.id, u.reason] for u in result.unmatched],
    "gap": result.gap,
}))
"""


def engine_run(engine_root: Path, people_csv: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(engine_root), str(people_csv)],
        capture_output=True,
        text=True,
        check=True,
        cwd=engine_root,
    )
    return dict(json.loads(proc.stdout))


def goal_words_named(reason: str) -> list[str] | None:
    """The goal words a reason names, or None when it is not about goals."""
    if reason.startswith("shared goals: "):  # the old engine: a list of single words
        return [w.strip() for w in reason[len("shared goals: ") :].split(",")]
    if reason.startswith("shared goal: "):
        return reason[len("shared goal: ") :].strip('"').lower().split()
    return None


def is_stop_word_reason(reason: str) -> bool:
    words = goal_words_named(reason)
    if words is None:
        return False
    if reason.startswith("shared goals: "):
        # Single words, not a phrase: noise when any is a stop word, or fewer than two.
        return len(words) < 2 or any(w in STOP_WORDS for w in words)
    meaningful = [w for w in words if w.strip(",.") not in STOP_WORDS]
    return len(meaningful) < 2


def measure(people: list[Any], run: dict[str, Any]) -> dict[str, float]:
    by_id = {p.id: p for p in people}

    def teaches(a: Any, b: Any) -> bool:
        offers = {k.lower() for k in a.offers}
        return any(k.lower() in offers for k in b.seeks)

    exchange = {"both": 0, "one": 0, "none": 0}
    gaps = {"0": 0, "1": 0, "2+": 0}
    reasons = stop = 0
    for members, texts in run["groups"]:
        for x, a_id in enumerate(members):
            for b_id in members[x + 1 :]:
                a, b = by_id[a_id], by_id[b_id]
                ab, ba = teaches(a, b), teaches(b, a)
                exchange["both" if ab and ba else "one" if ab or ba else "none"] += 1
                if a.level is not None and b.level is not None:
                    gap = abs(a.level - b.level)
                    gaps["0" if gap == 0 else "1" if gap == 1 else "2+"] += 1
        reasons += len(texts)
        stop += sum(is_stop_word_reason(t) for t in texts)
    pairs = sum(exchange.values()) or 1
    known = sum(gaps.values()) or 1
    out = {f"exchange {k}": v / pairs for k, v in exchange.items()}
    out.update({f"level gap {k}": v / known for k, v in gaps.items()})
    out["stop-word reasons"] = stop / max(reasons, 1)
    out["reasons"] = float(reasons)
    out["pairs"] = float(pairs)
    out["unmatched"] = float(len(run["unmatched"]))
    out["gap"] = float(run["gap"])
    return out


def two_way_ceiling(people: list[Any]) -> int:
    """The most pairs with a two-way exchange the rules allow (exact maximum matching)."""
    import numpy as np
    import rustworkx as rx

    from twoway.matching import MatchSettings
    from twoway.matching.engine import Context

    ctx = Context.build(people, MatchSettings())
    n = len(people)
    g = rx.PyGraph()
    g.add_nodes_from(range(n))
    c = ctx.cohort
    for start in range(0, n, 256):
        rows = np.arange(start, min(start + 256, n))
        gives = (c.offer[rows] @ c.seek.T) > 0
        takes = (c.seek[rows] @ c.offer.T) > 0
        i, j = np.nonzero(gives & takes)
        i = rows[i]
        keep = i < j
        i, j = i[keep], j[keep]
        _, ok = ctx.feasible_scores(i.astype(np.int64), j.astype(np.int64))
        g.add_edges_from_no_data(list(zip(i[ok].tolist(), j[ok].tolist(), strict=True)))
    return len(rx.max_weight_matching(g, max_cardinality=True))


def misspell(people: list[Any], seed: int, share: float = 0.5) -> list[Any]:
    """The cohort as people would type it: each skill name, with probability `share`, in one
    person's own spelling of it (case, separators, spaces, or a synonym)."""
    import dataclasses
    import random

    from twoway.people.vocabulary import BUILT_IN_SYNONYMS

    rng = random.Random(seed)

    def spelled(name: str) -> str:
        if rng.random() >= share:
            return name
        ways = ["case", "separators", "spaces"]
        if BUILT_IN_SYNONYMS.get(name):
            ways += ["synonym", "synonym"]
        way = rng.choice(ways)
        if way == "case":
            return rng.choice([name.lower(), name.upper(), name.title()])
        if way == "separators":
            return name.replace(" ", rng.choice(["-", "_", " - "])).replace(
                "-", rng.choice(["-", " "])
            )
        if way == "spaces":
            return name.replace(" ", "  ") + rng.choice(["", " "])
        return rng.choice(BUILT_IN_SYNONYMS[name])

    def respell(skills: dict[str, int]) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, strength in skills.items():
            typed = spelled(name)
            out[typed] = max(strength, out.get(typed, 0))
        return out

    return [
        dataclasses.replace(p, offers=respell(p.offers), seeks=respell(p.seeks)) for p in people
    ]


def resolved(people: list[Any]) -> list[Any]:
    """Every typed name replaced by the skill the organization's vocabulary lands it on, in the
    order an import meets them (the catalogue's spelling for a name nobody used yet)."""
    import dataclasses

    from twoway.matching.synthetic import COMPANY_SKILLS
    from twoway.people.vocabulary import Vocabulary, skill_key

    catalogue = {skill_key(n): n for names in COMPANY_SKILLS.values() for n in names}
    vocabulary: Vocabulary[str] = Vocabulary([], spellings=catalogue)

    def land(skills: dict[str, int]) -> dict[str, int]:
        out: dict[str, int] = {}
        for typed, strength in skills.items():
            found = vocabulary.find(typed)
            if found.skill is None:
                vocabulary.add(found.name, found.name)
            name = found.skill or found.name
            out[name] = max(strength, out.get(name, 0))
        return out

    return [dataclasses.replace(p, offers=land(p.offers), seeks=land(p.seeks)) for p in people]


def spelling_section(label: str, n: int, people: list[Any], tmp: Path, share: float) -> None:
    typed = misspell(people, seed=n, share=share)
    distinct = {k for p in people for k in (*p.offers, *p.seeks)}
    distinct_typed = {k.lower().strip() for p in typed for k in (*p.offers, *p.seeks)}
    runs = {}
    for name, cohort in (
        ("as spelled", typed),
        ("resolved", resolved(typed)),
        ("clean", people),
    ):
        path = tmp / f"people-{n}-{name.replace(' ', '-')}.csv"
        write_people(path, cohort)
        # Exchange judged on the skills people meant (the clean cohort), whatever they typed.
        runs[name] = measure(people, engine_run(ROOT, path))
    print(
        f"\n{label} cohort, {n:,} people, each skill name respelled with probability {share:g} "
        "(this tree's engine)"
    )
    print(
        f"{len(distinct)} skills typed as {len(distinct_typed)} distinct lower-cased spellings; "
        "the vocabulary lands them back on "
        f"{len({k for p in resolved(typed) for k in (*p.offers, *p.seeks)})}"
    )
    print(f"{'':24} {'no resolver':>12} {'resolver':>10} {'clean':>10}")
    for key in ("exchange both", "exchange one", "exchange none"):
        a, b, c = (runs[x][key] for x in ("as spelled", "resolved", "clean"))
        print(f"{key:24} {100 * a:>11.1f}% {100 * b:>9.1f}% {100 * c:>9.1f}%")
    for key in ("pairs", "unmatched"):
        a, b, c = (runs[x][key] for x in ("as spelled", "resolved", "clean"))
        print(f"{key:24} {a:>12.0f} {b:>10.0f} {c:>10.0f}")
    ratio = runs["resolved"]["exchange both"] / max(runs["as spelled"]["exchange both"], 1e-9)
    print(f"two-way pairs, resolver / no resolver: {ratio:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref of the engine before")
    parser.add_argument("--sizes", type=int, nargs="+", default=[240, 2000])
    parser.add_argument(
        "--only-spelling", action="store_true", help="only the inconsistent-spelling comparison"
    )
    parser.add_argument(
        "--respell", type=float, default=0.5, help="share of skill names spelled another way"
    )
    args = parser.parse_args()
    from twoway.matching.synthetic import company

    with tempfile.TemporaryDirectory() as tmp:
        if args.only_spelling:
            for n in args.sizes:
                label = "demo-like" if n <= 500 else "generated"
                cohort = company(n, seed=1 if n <= 500 else 2)
                spelling_section(label, n, cohort, Path(tmp), args.respell)
            return 0
        before_root = Path(tmp) / "before"
        before_root.mkdir()
        archive = subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "archive",
                args.before,
                "twoway/__init__.py",
                "twoway/matching",
            ],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(before_root)], input=archive.stdout, check=True)
        for n in args.sizes:
            people = company(n, seed=1 if n <= 500 else 2)
            path = Path(tmp) / f"people-{n}.csv"
            write_people(path, people)
            before = measure(people, engine_run(before_root, path))
            after = measure(people, engine_run(ROOT, path))
            ceiling = two_way_ceiling(people) / max(after["pairs"], 1)
            label = "demo-like" if n <= 500 else "generated"
            print(f"\n{label} cohort, {n:,} people (synthetic.company)")
            print(f"{'':24} {'before (' + args.before + ')':>16} {'after':>10}")
            for key in (
                "exchange both",
                "exchange one",
                "exchange none",
                "level gap 0",
                "level gap 1",
                "level gap 2+",
                "stop-word reasons",
            ):
                print(f"{key:24} {100 * before[key]:>15.1f}% {100 * after[key]:>9.1f}%")
            for key in ("pairs", "reasons", "unmatched"):
                print(f"{key:24} {before[key]:>16.0f} {after[key]:>10.0f}")
            print(f"{'reported gap':24} {100 * before['gap']:>15.3f}% {100 * after['gap']:>9.3f}%")
            print(f"two-way ceiling (rules of after): {100 * min(ceiling, 1.0):.1f}% of pairs")
            spelling_section(label, n, people, Path(tmp), args.respell)
    return 0


if __name__ == "__main__":
    sys.exit(main())
