"""Time the HR file import: a fresh import and a re-import of the same file, 5,000 vs 50,000 rows.

    .venv/bin/python bench/import_people.py                      # SQLite (a temporary file)
    TWOWAY_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/twoway_bench \\
        .venv/bin/python bench/import_people.py                  # and PostgreSQL too
    .venv/bin/python bench/import_people.py --sizes 1000 10000   # other sizes

For each database and size it generates a realistic file (`twoway.demo.hr_file`: a manager
tree, teams, skills, 5 % leavers with dates, 2 % on leave), then measures the preview (read and
plan, what the upload page does) and the confirm (plan again and write, in one transaction) of a
fresh import, then the same for a re-import of the same file (which must change nothing).
Each database runs in its own child process. The PostgreSQL database is written to: use a
throwaway one. Prints wall-clock seconds, queries and rows/s, the CPU seconds of the Python
process (on a shared machine wall time includes waiting for a core; the database server's own
work is in wall time only), and the ratio between the sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(sizes: list[int]) -> list[dict[str, Any]]:
    """Runs inside the child process, whose DATABASE_URL is the database to measure."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twoway.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from twoway.accounts.models import Organization
    from twoway.demo.hr_file import sample_hr_csv
    from twoway.directory.services import directory_import_apply, directory_import_preview
    from twoway.people.models import Person

    call_command("migrate", verbosity=0)
    results = []
    stamp = int(time.time())
    for size in sizes:
        text = sample_hr_csv(size, seed=size)
        org = Organization.objects.create(name=f"Import {size}", slug=f"import-{size}-{stamp}")
        row: dict[str, Any] = {"size": size, "vendor": connection.vendor}
        for phase in ("fresh", "again"):
            with CaptureQueriesContext(connection) as q1:
                c0 = time.process_time()
                t0 = time.perf_counter()
                preview = directory_import_preview(
                    organization=org, actor=None, filename="bench.csv", data=text
                )
                t1 = time.perf_counter()
            with CaptureQueriesContext(connection) as q2:
                applied = directory_import_apply(
                    directory_import=preview,
                    actor=None,
                    sha256=preview.sha256,
                    confirm_deactivations=True,
                )
                t2 = time.perf_counter()
                c2 = time.process_time()
            row[phase] = {
                "cpu_s": c2 - c0,
                "preview_s": t1 - t0,
                "apply_s": t2 - t1,
                "preview_queries": len(q1),
                "apply_queries": len(q2),
                "counts": applied.summary["applied"],
            }
        assert Person.objects.filter(organization=org).count() == size
        assert row["again"]["counts"]["unchanged"] + row["again"]["counts"]["errors"] == size, row
        results.append(row)
    return results


def run_database(url: str, sizes: list[int]) -> list[dict[str, Any]]:
    env = {**os.environ, "DATABASE_URL": url}
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *map(str, sizes)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"the benchmark failed on {url.split('@')[-1]}")
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def report(results: list[dict[str, Any]]) -> None:
    load = os.getloadavg()[0]
    print(
        f"(load average {load:.1f} on {os.cpu_count()} cores: wall time includes waiting for one)"
    )
    for r in results:
        size = r["size"]
        for phase, label in (("fresh", "fresh import"), ("again", "same file again")):
            p = r[phase]
            total = p["preview_s"] + p["apply_s"]
            c = p["counts"]
            print(
                f"{r['vendor']:<10} {size:>7,} rows  {label:<16} preview {p['preview_s']:6.2f} s "
                f"({p['preview_queries']} queries)  confirm {p['apply_s']:6.2f} s "
                f"({p['apply_queries']} queries)  total {total:6.2f} s  "
                f"{size / total:>8,.0f} rows/s  (this process's CPU {p['cpu_s']:.2f} s)  "
                f"[+{c['create']} ~{c['update']} -{c['deactivate']} ={c['unchanged']}]"
            )
    if len(results) >= 2:
        small, large = results[0], results[-1]
        for phase in ("fresh", "again"):
            ts = small[phase]["preview_s"] + small[phase]["apply_s"]
            tl = large[phase]["preview_s"] + large[phase]["apply_s"]
            ratio = large["size"] / small["size"]
            print(
                f"{small['vendor']:<10} {phase}: {ratio:.0f}× the rows took {tl / ts:.1f}× the time"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument(
        "--only", choices=["sqlite", "postgresql"], help="measure just this database"
    )
    parser.add_argument("--child", type=int, nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            report(run_database(f"sqlite:///{tmp}/bench.sqlite3", args.sizes))
    postgres = os.environ.get("TWOWAY_BENCH_DATABASE_URL")
    if postgres and args.only != "sqlite":
        report(run_database(postgres, args.sizes))
    else:
        print("(set TWOWAY_BENCH_DATABASE_URL=postgresql://… to measure PostgreSQL too)")


if __name__ == "__main__":
    main()
