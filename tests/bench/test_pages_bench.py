"""bench/pages.py at tiny sizes (60 and 200 people), so the instrument cannot rot between runs.

The full run (500 vs 50,000 people on PostgreSQL) takes minutes; this one builds the same
scenario through the same functions, opens every page and API list once or twice, and checks
that each answered and was timed. The API's query counts must already be equal here: a list
endpoint whose count grows with the organization fails this test before anyone runs the bench.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "pages.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_pages", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up by name while the file runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.django_db
def test_it_measures_every_page_and_api_list_at_two_sizes() -> None:
    bench = _bench()
    published: list[int] = []

    def publish(match_round: object, actor: object) -> None:
        bench.publish_round(match_round, actor)
        published.append(match_round.pk)  # type: ignore[attr-defined]

    for size in (60, 200):
        times = bench.build_org(size, seed=3, publish=publish, say=lambda line: None)
        assert set(times.steps) >= {"people", "enrolments", "rounds run", "publishing"}
    scenarios = [bench.load_scenario(60), bench.load_scenario(200)]
    pages = bench.measure_pages(scenarios, repeat=2, budget=5.0)
    api = bench.measure_api(scenarios, repeat=2, budget=5.0)
    figures = {60: (pages[0], api[0]), 200: (pages[1], api[1])}
    # Both "Running" programs of both organizations went through the one publishing helper.
    assert len(published) == 4

    for size, (pages, api) in figures.items():
        assert len(pages) == 12 and len(api) == 6
        for name, figure in {**pages, **api}.items():
            assert not figure.error, f"{name} at {size} people: {figure.error}"
            assert len(figure.times) == 2 and figure.queries and figure.queries > 0
            assert figure.p50 <= figure.p95
    small_api, large_api = figures[60][1], figures[200][1]
    assert {n: f.queries for n, f in small_api.items()} == {
        n: f.queries for n, f in large_api.items()
    }

    lines = bench.table("Pages", 60, 200, figures[60][0], figures[200][0])
    for name in figures[60][0]:
        row = next(line for line in lines if line.startswith(name))
        ratio = float(row.split()[-2])
        assert math.isfinite(ratio) and ratio > 0


def test_it_takes_the_nearest_rank_percentile() -> None:
    bench = _bench()
    figure = bench.Figure(times=[i / 1000 for i in range(1, 21)])
    assert figure.p95 == pytest.approx(0.019)
    assert figure.p50 == pytest.approx(0.0105)
    assert math.isnan(bench.Figure().p95)
    assert "ERROR at 500 people: HTTP 500" in "\n".join(
        bench.table("t", 500, 50_000, {"x": bench.Figure(error="HTTP 500")}, {})
    )


def test_it_keys_the_cached_database_by_sizes_seed_and_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = _bench()
    key = bench.cache_key(500, 50_000, 1)
    assert key == bench.cache_key(500, 50_000, 1)
    assert key.startswith(f"pages-v{bench.BENCH_VERSION}-500-50000-s1-")
    assert len({key, bench.cache_key(500, 50_000, 2), bench.cache_key(60, 50_000, 1)}) == 3
    monkeypatch.setattr(bench, "BENCH_VERSION", bench.BENCH_VERSION + 1)
    assert bench.cache_key(500, 50_000, 1) != key
