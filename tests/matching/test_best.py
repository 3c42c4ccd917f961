"""`suggest_row`'s choice of the best candidates by partition: the same as sorting the whole
pool by score, ties by id, whatever the ties and the number asked."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from twoway.matching.engine import _best


@given(
    scores=st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=0, max_size=60),
    allowed=st.data(),
    k=st.integers(min_value=0, max_value=70),
)
def test_the_best_are_those_of_a_full_sort(
    scores: list[float], allowed: st.DataObject, k: int
) -> None:
    n = len(scores)
    ok = np.array(allowed.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    w = np.array(scores, dtype=np.float64)
    cand = np.arange(n, dtype=np.int64)[::-1].copy()  # positions and cohort indices differ
    ids = [f"p{(i * 7) % 31:02}-{i}" for i in range(n)]
    full = sorted((r for r in range(n) if ok[r]), key=lambda r: (-w[r], ids[int(cand[r])]))
    assert _best(w, ok, cand, ids, k) == full[:k]
