"""`twoway match`: match a cohort from a file.

    twoway match PEOPLE.csv --mode peer|mentor --out GROUPS.csv [--explain] [--json]
    twoway match --weights PAIRS.csv --out GROUPS.csv [--json] [--trios]

`main(argv)` takes the arguments after the word "match" and returns the exit code:
0 on success, 2 on bad input (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, NoReturn

from .engine import match
from .io import InputError, read_pairs, read_people, write_groups
from .model import MatchResult, MatchSettings
from .weights import match_weights

LARGE = 5000  # show a progress bar from this many people even when stderr is not a terminal


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage; we promise a one-line error.
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="twoway match",
        description="Match a cohort for the best total fit, with reasons and a certified bound.",
    )
    p.add_argument("people", nargs="?", help="PEOPLE.csv or .json (see README)")
    p.add_argument("--mode", default="peer", help="peer (default) or mentor")
    p.add_argument("--weights", metavar="PAIRS.csv", help="match listed pairs a,b,weight")
    p.add_argument("--out", required=True, metavar="GROUPS.csv", help="write group,member rows")
    p.add_argument("--explain", action="store_true", help="print the reasons of each group")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--trios", action="store_true", help="allow trios with --weights")
    p.add_argument("--no-trios", action="store_true", help="never form trios (peer mode)")
    p.add_argument("--min-fit", type=float, default=0.0, help="no pair below this score")
    p.add_argument("--allow-repeats", action="store_true", help="past partners if nobody else")
    p.add_argument(
        "--max-level-gap",
        default="1",
        metavar="N|any",
        help="peer mode: no pair more than N levels apart (default 1; 'any': no rule)",
    )
    p.add_argument(
        "--mentor-steps",
        metavar="LO-HI",
        help="mentor mode: the mentor must be LO to HI levels ahead (default: no rule)",
    )
    p.add_argument("--top-k", type=int, default=16, help="candidates per person on large cohorts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--swap-rounds",
        type=int,
        default=MatchSettings().swap_rounds,
        help="pair-swap rounds on large cohorts (the work budget: same input, same result)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=MatchSettings().time_limit_seconds,
        help="safety cap in seconds on the local search (reported when hit)",
    )
    return p


@contextmanager
def _progress(total_people: int) -> Iterator[Callable[[int, int], None] | None]:
    if not (sys.stderr.isatty() or total_people >= LARGE):
        yield None
        return
    from tqdm import tqdm

    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, file=sys.stderr, desc="scoring", unit="people", leave=False)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def result_json(result: MatchResult) -> dict[str, Any]:
    return {
        "mode": result.mode,
        "n": result.n,
        "total_weight": result.total_weight,
        "pair_weight": result.pair_weight,
        "upper_bound": result.upper_bound,
        "gap": result.gap,
        "bound_scope": result.bound_scope,
        "bound_method": result.bound_method,
        "solver": result.solver,
        "heuristic": result.heuristic,
        "time_capped": result.time_capped,
        "seconds": round(result.seconds, 4),
        "groups": [
            {
                "group": g.id,
                "members": list(g.members),
                "kind": g.kind,
                "locked": g.locked,
                "score": g.score,
                "fit": g.fit,
                "exchange": g.exchange,
                "note": g.note,
                "components": dict(g.components),
                "reasons": list(g.reasons),
            }
            for g in result.groups
        ],
        "unmatched": [
            {"id": u.id, "reason": u.reason, "message": u.message} for u in result.unmatched
        ],
    }


def summary(result: MatchResult, explain: bool) -> str:
    trios = sum(1 for g in result.groups if g.kind == "trio")
    lines = [
        f"groups: {len(result.groups)} (trios: {trios}), unmatched: {len(result.unmatched)}",
        f"total score: {result.total_weight:.4f} (pairs: {result.pair_weight:.4f})",
        f"upper bound: {result.upper_bound:.4f} ({result.bound_method}, {result.bound_scope}), "
        f"gap: {100 * result.gap:.3f}%",
        f"solver: {result.solver}, seconds: {result.seconds:.2f}",
    ]
    if result.heuristic:
        lines.append(
            f"heuristic result: not a proven optimum; at most {100 * result.gap:.3f}% below "
            "the best possible (certified gap)"
        )
    if result.time_capped:
        lines.append(
            "stopped by the time limit before the search budget: "
            "another run may give a different result"
        )
    for u in result.unmatched:
        lines.append(f"unmatched {u.id}: {u.reason} - {u.message}")
    if explain:
        for g in result.groups:
            lines.append(
                f"group {g.id} ({g.kind}, fit {g.fit:.3f} a pair, exchange: {g.exchange}): "
                f"{', '.join(g.members)}"
            )
            if g.note:
                lines.append(f"  ({g.note})")
            lines += [f"  - {r}" for r in g.reasons]
    return "\n".join(lines)


def _level_gap(text: str) -> int | None:
    if text.strip().lower() in ("any", "none"):
        return None
    try:
        gap = int(text)
    except ValueError:
        raise UsageError(
            f"--max-level-gap must be a number of levels or 'any', got {text!r}"
        ) from None
    if gap < 0:
        raise UsageError("--max-level-gap must be 0 or more")
    return gap


def _mentor_steps(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    lo, sep, hi = text.partition("-")
    try:
        pair = (int(lo), int(hi if sep else lo))
    except ValueError:
        raise UsageError(f"--mentor-steps must look like 1-2, got {text!r}") from None
    if pair[0] > pair[1]:
        raise UsageError("--mentor-steps: the first number must not be above the second")
    return pair


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        if args.mode not in ("peer", "mentor"):
            raise UsageError(f"unknown mode {args.mode!r} (use peer or mentor)")
        if args.weights is None and args.people is None:
            raise UsageError("give PEOPLE.csv, or --weights PAIRS.csv")
        if args.top_k < 1:
            raise UsageError("--top-k must be at least 1")
        if args.swap_rounds < 0 or args.time_limit <= 0:
            raise UsageError("--swap-rounds must be 0 or more and --time-limit above 0")
        max_gap = _level_gap(args.max_level_gap)
        mentor_steps = _mentor_steps(args.mentor_steps)
        people = read_people(args.people) if args.people else None
        if args.weights is not None:
            pairs = read_pairs(args.weights)
            ids = [p.id for p in people] if people is not None else None
            with _progress(len(pairs)) as progress:
                result = match_weights(
                    pairs, ids, args.trios, args.time_limit, progress, args.swap_rounds
                )
        else:
            assert people is not None
            settings = replace(
                MatchSettings(),
                mode=args.mode,
                min_fit=args.min_fit,
                allow_trios=not args.no_trios,
                allow_repeats=args.allow_repeats,
                top_k=args.top_k,
                seed=args.seed,
                time_limit_seconds=args.time_limit,
                swap_rounds=args.swap_rounds,
                max_level_gap=max_gap,
                mentor_level_range=mentor_steps,
            )
            with _progress(len(people)) as progress:
                result = match(people, settings, progress)
        write_groups(args.out, result)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except (UsageError, InputError, ValueError) as exc:
        print(f"twoway match: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"twoway match: error: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        if args.json:
            print(json.dumps(result_json(result), ensure_ascii=False))
        else:
            print(summary(result, args.explain))
        sys.stdout.flush()
    except BrokenPipeError:
        # `twoway match … | head` closed the pipe; GROUPS.csv is already written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
