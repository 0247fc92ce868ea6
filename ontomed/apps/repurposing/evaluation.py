"""Filtered rank metrics of held-out triples: MRR and Hits@1/3/10, per relation and overall.

The protocol is PyKEEN's ``RankBasedEvaluator(filtered=True)`` (Bordes et al.,
2013): each held-out triple is ranked against every entity in its head and in
its tail position, after removing the other triples known to be true (in any
split); ties count as the average of the optimistic and the pessimistic rank
(PyKEEN's "realistic" rank); MRR is the mean reciprocal rank and Hits@k the
share of ranks at most k, over both positions. ``tests/apps/test_repurposing.py``
checks the numbers against PyKEEN's evaluator; the scores come from
:mod:`.scoring` (one matrix product per batch) because PyKEEN's broadcast
scoring is about 30x slower on the README knowledge base's 46k entities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .scoring import Embeddings

KS = (1, 3, 10)


@dataclass(frozen=True)
class RankMetrics:
    """Filtered rank metrics of ``triples`` held-out triples (2 ranks each: head and tail)."""

    triples: int
    mrr: float
    hits_at_1: float
    hits_at_3: float
    hits_at_10: float

    @classmethod
    def from_ranks(cls, ranks: np.ndarray) -> RankMetrics:
        if len(ranks) == 0:
            return cls(0, float("nan"), float("nan"), float("nan"), float("nan"))
        return cls(len(ranks) // 2, float(np.mean(1.0 / ranks)),
                   *(float(np.mean(ranks <= k)) for k in KS))

    def to_dict(self) -> dict[str, Any]:
        """``{"triples": 5, "mrr": 0.41, "hits_at_1": 0.3, "hits_at_3": 0.5, "hits_at_10": 0.7}``"""
        return {"triples": self.triples, "mrr": _round(self.mrr), "hits_at_1": _round(self.hits_at_1),
                "hits_at_3": _round(self.hits_at_3), "hits_at_10": _round(self.hits_at_10)}


def _round(x: float) -> float | None:
    return None if x != x else round(x, 4)  # NaN (no triples) → null in JSON


def filtered_ranks(emb: Embeddings, test: np.ndarray, known: np.ndarray, *,
                   batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(head ranks, tail ranks) of each test triple, filtered by ``known`` (every true
    triple, the test triples included), realistic (ties averaged)."""
    n = len(emb.entities)
    num_rel = len(emb.relations)
    tails_of = _index(known[:, 0] * num_rel + known[:, 1], known[:, 2], n * num_rel, n)
    heads_of = _index(known[:, 2] * num_rel + known[:, 1], known[:, 0], n * num_rel, n)
    head_ranks = np.empty(len(test))
    tail_ranks = np.empty(len(test))
    for start in range(0, len(test), batch_size):
        batch = test[start:start + batch_size]
        h, r, t = batch[:, 0], batch[:, 1], batch[:, 2]
        tail_ranks[start:start + len(batch)] = _ranks(
            emb.score_tails(h, r), t, tails_of[h * num_rel + r])
        head_ranks[start:start + len(batch)] = _ranks(
            emb.score_heads(r, t), h, heads_of[t * num_rel + r])
    return head_ranks, tail_ranks


def evaluate(emb: Embeddings, test: np.ndarray, known: np.ndarray,
             relation_names: Sequence[str]) -> tuple[RankMetrics, dict[str, RankMetrics]]:
    """Overall metrics, and metrics per relation (by name) for the relations with test triples."""
    heads, tails = filtered_ranks(emb, test, known)
    overall = RankMetrics.from_ranks(np.concatenate([heads, tails]))
    per: dict[str, RankMetrics] = {}
    for rel in np.unique(test[:, 1]):
        mask = test[:, 1] == rel
        per[relation_names[rel]] = RankMetrics.from_ranks(np.concatenate([heads[mask], tails[mask]]))
    return overall, per


def _index(rows: np.ndarray, cols: np.ndarray, num_rows: int, num_cols: int) -> Any:
    from scipy.sparse import csr_matrix

    data = np.ones(len(rows), dtype=np.bool_)
    m = csr_matrix((data, (rows, cols)), shape=(num_rows, num_cols))
    m.sum_duplicates()
    return m


def _ranks(scores: np.ndarray, target: np.ndarray, known: Any) -> np.ndarray:
    scores = np.array(scores, dtype=np.float64, copy=True)
    rows = np.arange(len(target))
    true = scores[rows, target]
    mask = known.tocoo()
    scores[mask.row, mask.col] = -np.inf  # every known true answer, the target included
    better = (scores > true[:, None]).sum(axis=1)
    tied = (scores == true[:, None]).sum(axis=1)  # the target itself is -inf now
    # optimistic rank 1 + better, pessimistic 1 + better + tied: the realistic rank is their mean
    return 1.0 + better + tied / 2.0
