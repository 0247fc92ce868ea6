"""Ranking diseases for findings: likelihood ratios as sparse column arithmetic.

For a given finding ``f`` and a disease ``d`` (LIRICAL's idea, one rule for
every kind of match)::

    log LR(f, d) = max over a in {f} ∪ informative ancestors of f, d has a:
                       log q[d, a] + IC(a)
                   or ``unexplained`` when d has none of them

``q[d, a]`` is the disease's frequency of ``a`` propagated up the hierarchy, so
the same rule scores an exact match, a broad finding matched by the disease's
specific phenotype (its frequency counts for the finding), a specific finding
matched by the disease's broader phenotype, and two relatives through their
most informative common ancestor, each weighed by how rare the matched term is
and how often the disease shows it. Ancestors with an information content
below ``min_ic`` (organ-system terms most diseases have) explain nothing.

An excluded finding ``e`` adds ``log (1 − q[d, e]) / (1 − P(e))``: it counts
against the diseases that usually have it (``q`` is capped at 0.95, so at most
-3), and slightly for the others.

``W = log q + IC`` is precomputed; the columns that most diseases fill are kept
dense (term-major, contiguous), the others sparse, so a finding costs one
``max`` over a few dense rows and a few small scatters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model import DiagnosisModel
from .results import CountedAgainst, Finding, FindingMatch, Phenotype, RankedDisease, Term, Unexplained

#: A stated frequency at least this high makes a phenotype worth asking about
#: (HPO's "Frequent" starts at 30%).
ASK_FREQUENCY = 0.30
ASK_LIMIT = 5


@dataclass(frozen=True)
class Scoring:
    """The settings of the ranking (natural logarithms).

    ``unexplained``: the log likelihood ratio of a finding that no phenotype of
    the disease explains: how much less likely the finding is in a patient of
    that disease than in any patient (noise, a second condition).
    ``min_ic``: ancestors less informative than this explain nothing.
    ``size_prior``: subtracted times log(1 + the disease's stated annotations),
    so that a disease with hundreds of phenotypes does not catch every noisy
    finding through some relative.
    """

    unexplained: float = math.log(0.1)
    min_ic: float = 1.0
    size_prior: float = 0.0


def _tables(model: DiagnosisModel) -> dict[str, Any]:
    """W = log q + IC, split into dense and sparse columns; built once per loaded model."""
    derived = model._derived
    if "w_data" in derived:
        return derived
    q = model.q
    n_d, n_t = model.n_diseases, model.n_terms
    per_col = np.diff(q.indptr)
    cols = np.repeat(np.arange(n_t, dtype=np.int32), per_col)
    w_data = (np.log(q.data) + model.ic[cols]).astype(np.float32)
    dense_cols = np.flatnonzero(per_col >= max(32, n_d // 16))
    dense_pos = np.full(n_t, -1, dtype=np.int32)
    dense_pos[dense_cols] = np.arange(dense_cols.size, dtype=np.int32)
    dense = np.full((dense_cols.size, n_d), -np.inf, dtype=np.float32)
    for k, c in enumerate(dense_cols):
        start, end = q.indptr[c], q.indptr[c + 1]
        dense[k, q.indices[start:end]] = w_data[start:end]
    derived.update(w_data=w_data, dense=dense, dense_pos=dense_pos,
                   log_miss_background=np.log1p(-np.minimum(model.p, 0.999)))
    return derived


def candidates(model: DiagnosisModel, finding: int, scoring: Scoring) -> np.ndarray:
    """The terms through which a disease can explain ``finding``: itself and its
    ancestors informative enough."""
    anc = model.ancestors(finding)
    keep = (model.ic[anc] >= scoring.min_ic) | (anc == finding)
    return anc[keep]


def finding_scores(model: DiagnosisModel, finding: int, scoring: Scoring) -> np.ndarray:
    """log LR(finding, d) for every disease (float32)."""
    t = _tables(model)
    terms = candidates(model, finding, scoring)
    out = np.full(model.n_diseases, scoring.unexplained, dtype=np.float32)
    pos = t["dense_pos"][terms]
    rows = pos[pos >= 0]
    if rows.size:
        np.maximum(out, t["dense"][rows].max(axis=0), out=out)
    q, w = model.q, t["w_data"]
    for c in terms[pos < 0]:
        start, end = q.indptr[c], q.indptr[c + 1]
        if start == end:
            continue
        idx = q.indices[start:end]
        out[idx] = np.maximum(out[idx], w[start:end])
    return out


def excluded_scores(model: DiagnosisModel, term: int) -> np.ndarray:
    """log (1 − q[d, e]) / (1 − P(e)) for every disease."""
    t = _tables(model)
    out = np.full(model.n_diseases, -t["log_miss_background"][term], dtype=np.float64)
    idx, qs = model.q.slice(term)
    out[idx] += np.log1p(-qs.astype(np.float64))
    return out


def scores(model: DiagnosisModel, findings: Sequence[int], excluded: Sequence[int] = (),
           scoring: Scoring | None = None) -> np.ndarray:
    """The score of every disease (by row) for findings and excluded findings given as
    term columns: the sum of their log likelihood ratios, minus the size prior."""
    scoring = scoring or Scoring()
    total = np.zeros(model.n_diseases, dtype=np.float64)
    for f in findings:
        total += finding_scores(model, f, scoring)
    for e in excluded:
        total += excluded_scores(model, e)
    if scoring.size_prior:
        total -= scoring.size_prior * np.log1p(model.annotation_counts)
    return total


def top_diseases(total: np.ndarray, n: int) -> list[int]:
    """The ``n`` best rows, best first; ties keep the model's (IRI) order."""
    n = min(n, total.size)
    part = np.argpartition(-total, n - 1)[:n] if n < total.size else np.arange(total.size)
    return sorted(part.tolist(), key=lambda r: (-total[r], r))


# -- explanations ------------------------------------------------------------------

def _term(model: DiagnosisModel, t: int) -> Term:
    return Term(model.term_iris[t], model.term_labels[t], model.term_hpo[t])


def _phenotype(model: DiagnosisModel, t: int, prob: float, text: str | None) -> Phenotype:
    return Phenotype(model.term_iris[t], model.term_labels[t], model.term_hpo[t], text, float(prob))


@dataclass
class _Stated:
    """A disease's stated phenotypes, with their ancestors flattened for vectorised look-ups:
    ``owner[k]`` is the phenotype (position in ``terms``) whose ancestor is ``above[k]``."""

    terms: np.ndarray
    probs: np.ndarray
    texts: list[str | None]
    above: np.ndarray
    owner: np.ndarray

    def at_or_below(self, term: int) -> np.ndarray:
        """Positions of the phenotypes that are ``term`` or a kind of it (each once: a
        phenotype's ancestors are listed once each)."""
        return self.owner[self.above == term]


def _stated(model: DiagnosisModel, d: int) -> _Stated:
    start, end = model.ann.indptr[d], model.ann.indptr[d + 1]
    terms = model.ann.indices[start:end]
    ptr, idx = model.anc.indptr, model.anc.indices
    lengths = ptr[terms + 1] - ptr[terms]
    above = np.concatenate([idx[ptr[t]:ptr[t + 1]] for t in terms]) if terms.size \
        else np.zeros(0, dtype=np.int32)
    return _Stated(terms, model.ann.data[start:end], model.ann_text[start:end], above,
                   np.repeat(np.arange(terms.size), lengths))


def _most(model: DiagnosisModel, stated: _Stated, positions: np.ndarray, *, specific_first: bool) -> int:
    """Of some phenotypes, the one the disease has most often, then the most specific
    (or the most specific, then the most often)."""
    probs = stated.probs[positions]
    ics = model.ic[stated.terms[positions]]
    order = np.lexsort((probs, ics) if specific_first else (ics, probs))
    return int(positions[order[-1]])


class Explainer:
    """Explains the ranked diseases of one query; what the findings share is computed once."""

    def __init__(self, model: DiagnosisModel, findings: Sequence[Finding], finding_terms: Sequence[int],
                 excluded: Sequence[Finding], excluded_terms: Sequence[int], scoring: Scoring) -> None:
        self.model, self.scoring = model, scoring
        self.findings, self.finding_terms = list(findings), [int(f) for f in finding_terms]
        self.excluded, self.excluded_terms = list(excluded), [int(e) for e in excluded_terms]
        t = _tables(model)
        self.dense, self.dense_pos, self.w_data = t["dense"], t["dense_pos"], t["w_data"]
        self.candidates = [candidates(model, f, scoring) for f in self.finding_terms]
        self.above_finding = [np.zeros(model.n_terms, dtype=bool) for _ in self.finding_terms]
        for mask, f in zip(self.above_finding, self.finding_terms):
            mask[model.ancestors(f)] = True
        given = [*self.finding_terms, *self.excluded_terms]
        self.above_given = np.zeros(model.n_terms, dtype=bool)
        self.is_given = np.zeros(model.n_terms, dtype=bool)
        for g in given:
            self.above_given[model.ancestors(g)] = True
        self.is_given[given] = True

    def best_match(self, d: int, i: int) -> tuple[int | None, float]:
        """The term through which disease ``d`` explains finding ``i`` best, and its log
        LR (None and the floor when it does not)."""
        terms, q = self.candidates[i], self.model.q
        pos = self.dense_pos[terms]
        w = np.full(terms.size, -np.inf, dtype=np.float32)
        dense = pos >= 0
        w[dense] = self.dense[pos[dense], d]
        for k in np.flatnonzero(~dense):
            c = int(terms[k])
            start, end = q.indptr[c], q.indptr[c + 1]
            j = start + int(q.indices[start:end].searchsorted(d))
            if j < end and q.indices[j] == d:
                w[k] = self.w_data[j]
        k = int(np.argmax(w))
        if not w[k] > self.scoring.unexplained:
            return None, self.scoring.unexplained
        return int(terms[k]), float(w[k])

    def __call__(self, d: int, rank: int, score: float) -> RankedDisease:
        """Why disease ``d`` has its score: each finding explained (and how) or not, the
        excluded findings that count against it, and what to ask about next."""
        model = self.model
        stated = _stated(model, d)
        explained, unexplained, against = [], [], []
        for i, (finding, f) in enumerate(zip(self.findings, self.finding_terms)):
            best_a, best_w = self.best_match(d, i)
            if best_a is None:
                unexplained.append(Unexplained(finding, self.scoring.unexplained))
                continue
            via = None
            if best_a == f:
                exact = np.flatnonzero(stated.terms == f)
                if exact.size:
                    k, how = int(exact[0]), "exact"
                else:
                    k, how = _most(model, stated, stated.at_or_below(f), specific_first=False), "narrower"
            else:
                # the disease's phenotypes between the finding and the matched ancestor
                below = stated.at_or_below(best_a)
                between = below[self.above_finding[i][stated.terms[below]]]
                if between.size:
                    k, how = _most(model, stated, between, specific_first=True), "broader"
                else:
                    k, how = _most(model, stated, below, specific_first=False), "related"
                    via = _term(model, best_a)
            t = int(stated.terms[k])
            explained.append(FindingMatch(finding, how, _phenotype(model, t, stated.probs[k], stated.texts[k]),
                                          via, best_w))
        for finding, e in zip(self.excluded, self.excluded_terms):
            qe = model.q.get(e, d)
            if qe <= 0:
                continue
            contribution = math.log1p(-qe) - math.log1p(-min(float(model.p[e]), 0.999))
            below = stated.at_or_below(e)
            if contribution < 0 and below.size:
                k = _most(model, stated, below, specific_first=False)
                t = int(stated.terms[k])
                against.append(CountedAgainst(
                    finding, _phenotype(model, t, stated.probs[k], stated.texts[k]), contribution))
        return RankedDisease(
            rank=rank, iri=model.disease_iris[d], label=model.disease_labels[d],
            identifiers=model.disease_ids[d], score=score, explained=tuple(explained),
            unexplained=tuple(unexplained), counted_against=tuple(against),
            ask_about=tuple(self.ask_about(stated)))

    def ask_about(self, stated: _Stated) -> list[Phenotype]:
        """Up to five of the disease's phenotypes to ask about next: those stated frequent
        (30% or more), most frequent and most specific first, then, when fewer, those
        annotated without a frequency, most specific first; never one related to a finding
        already given or excluded (the same, above or below it), nor two related to each other."""
        model = self.model
        related = self.above_given[stated.terms]             # a finding is a kind of it
        related[stated.owner[self.is_given[stated.above]]] = True  # it is a kind of a finding
        unstated = np.array([text is None for text in stated.texts], dtype=bool)
        keep = ~related & (unstated | (stated.probs >= ASK_FREQUENCY))
        positions = np.flatnonzero(keep)
        order = positions[np.lexsort((-model.ic[stated.terms[positions]], -stated.probs[positions],
                                      unstated[positions]))]
        chosen: list[int] = []
        out = []
        for k in order.tolist():
            t = int(stated.terms[k])
            if any(model.related(t, c) for c in chosen):
                continue
            chosen.append(t)
            out.append(_phenotype(model, t, stated.probs[k], stated.texts[k]))
            if len(out) == ASK_LIMIT:
                break
        return out
