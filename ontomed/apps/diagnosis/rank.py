"""Ranking diseases for findings: likelihood ratios as sparse column arithmetic.

For a given finding ``f`` and a disease ``d`` (LIRICAL's idea: one rule for
every kind of match)::

    match(f, d) = max( log q[d, f] + IC(f),                        the finding itself
                       max over ancestors a of f with IC(a) >= min_ic:
                           log q[d, a] + IC(a) − ancestor_penalty )  a broader term
    LR(f, d)    = exp(match(f, d)) / size(d) ** size_prior
    score(f, d) = log(noise + (1 − noise) · LR(f, d))

``q[d, a]`` is the disease's frequency of ``a`` propagated up the hierarchy
(true-path rule), so the first line scores an exact match and a broad finding
matched by the disease's more specific phenotypes (their frequencies count for
it); the second a specific finding matched by the disease's broader phenotype,
and two relatives through their most informative common ancestor. Each is
weighed by how rare the matched term is (``IC``) and how often the disease
shows it (``q``); ``q / P`` is the likelihood ratio of having the term.

The constants were chosen on the dev split of ``benchmarks/diagnosis.py``
(the test split was not looked at) and checked against ten textbook cases
(Marfan, NF1, tuberous sclerosis, cystic fibrosis, Fabry, Huntington, classic
Ehlers-Danlos, Williams, achondroplasia, Wilson); each is kept for a reason
that holds beyond the simulation. Dev top-1 / top-10 on the clean, noisy,
imprecise and both conditions: 84/98, 75/93, 67/91, 45/76 (%), and without
each one:

- ``noise`` (0.37): a share of any patient's findings is not explained by
  their disease (a second condition, a chance finding, an annotation missing),
  so a finding the disease does not explain costs ``log noise`` (-1), not minus
  infinity, and one strong match cannot count without bound. With 0.1:
  69/91 on noisy, 38/71 on both; with a hard floor of log 0.1 and neither of
  the next two, median rank 10 on noisy patients.
- ``size_prior`` (0.4): the chance that a given phenotype of a disease is among
  the few a clinician names falls with the number of phenotypes the disease
  shows. ``size(d)`` is the sum of its stated frequencies, relative to the
  median disease's, raised to 0.4 per finding. Without it diseases annotated
  with 100-200 phenotypes catch noisy patients through their extra findings
  (59/85 on noisy, 26/57 on both). The simulation would take a larger value
  (0.7: 82/95 on noisy), but real patients are not drawn that way: at 0.7
  Marfan syndrome fell to third for its four textbook signs, behind two
  diseases with a tenth of its annotations; at 0.4 the textbook cases rank as
  without it (Marfan first).
- ``ancestor_penalty`` (2): a disease annotated with a broader term says it has
  *some* kind of it, not this kind, so a match through an ancestor counts for
  e^-2 of its likelihood ratio. "Focal seizure" still matches a disease with
  "seizure", but a relative through a common ancestor no longer outweighs the
  findings a disease explains itself (without: 61/82 on noisy, 29/60 on both).
- ``min_ic`` (1): organ-system terms (most diseases have one) explain nothing;
  with them the dev split gains 1-3 points on the harder conditions, but "related
  through Abnormality of the nervous system" explains nothing to a reader.

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

from .model import _FRACTION, DiagnosisModel
from .results import CountedAgainst, Finding, FindingMatch, Phenotype, RankedDisease, Term, Unexplained

#: A stated frequency at least this high makes a phenotype worth asking about
#: (HPO's "Frequent" starts at 30%).
ASK_FREQUENCY = 0.30
ASK_LIMIT = 5


@dataclass(frozen=True)
class Scoring:
    """The settings of the ranking (see the module docstring for why these values)."""

    noise: float = 0.37
    ancestor_penalty: float = 2.0
    size_prior: float = 0.4
    min_ic: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 < self.noise < 1.0:
            raise ValueError(f"noise must be between 0 and 1, not {self.noise}")

    @property
    def unexplained(self) -> float:
        """The score of a finding the disease does not explain."""
        return math.log(self.noise)


def _tables(model: DiagnosisModel) -> dict[str, Any]:
    """W = log q + IC, split into dense and sparse columns, and each disease's size;
    computed once per loaded model."""
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
    ann = model.ann
    counts = np.diff(ann.indptr)
    mass = np.zeros(n_d, dtype=np.float64)
    nonempty = counts > 0
    mass[nonempty] = np.add.reduceat(ann.data, ann.indptr[:-1][nonempty])
    log_size = np.log(np.maximum(mass, 1e-3))
    log_size -= float(np.median(log_size))
    ann_unstated = np.array([text is None for text in model.ann_text], dtype=bool)
    ann_share = np.array([_share(text, prob) for text, prob in zip(model.ann_text, ann.data.tolist())])
    derived.update(w_data=w_data, dense=dense, dense_pos=dense_pos, log_size=log_size.astype(np.float32),
                   ann_unstated=ann_unstated, ann_share=ann_share,
                   log_miss_background=np.log1p(-np.minimum(model.p, 0.999)))
    return derived


def ancestors_to_match(model: DiagnosisModel, finding: int, scoring: Scoring) -> np.ndarray:
    """The finding's ancestors (not itself) informative enough to explain it."""
    anc = model.ancestors(finding)
    return anc[(anc != finding) & (model.ic[anc] >= scoring.min_ic)]


def _column_max(model: DiagnosisModel, t: dict[str, Any], terms: np.ndarray, out: np.ndarray) -> None:
    """out = max(out, W[:, terms] row-wise)."""
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


def finding_scores(model: DiagnosisModel, finding: int, scoring: Scoring) -> np.ndarray:
    """score(finding, d) for every disease (float32)."""
    t = _tables(model)
    match = np.full(model.n_diseases, -np.inf, dtype=np.float32)
    _column_max(model, t, ancestors_to_match(model, finding, scoring), match)
    match -= np.float32(scoring.ancestor_penalty)
    _column_max(model, t, np.array([finding]), match)
    return _mix(match - np.float32(scoring.size_prior) * t["log_size"], scoring)


def _mix(log_lr: np.ndarray | float, scoring: Scoring) -> np.ndarray:
    """log(noise + (1 − noise) · LR), elementwise."""
    x = np.exp(np.asarray(log_lr, dtype=np.float32))
    x *= np.float32(1.0 - scoring.noise)
    x += np.float32(scoring.noise)
    return np.log(x, out=x)


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
    term columns: the sum of their scores."""
    scoring = scoring or Scoring()
    total = np.zeros(model.n_diseases, dtype=np.float64)
    for f in findings:
        total += finding_scores(model, f, scoring)
    for e in excluded:
        total += excluded_scores(model, e)
    return total


def top_diseases(total: np.ndarray, n: int) -> list[int]:
    """The ``n`` best rows, best first; ties keep the model's (IRI) order."""
    n = min(n, total.size)
    part = np.argpartition(-total, n - 1)[:n] if n < total.size else np.arange(total.size)
    return sorted(part.tolist(), key=lambda r: (-total[r], r))


# -- explanations ------------------------------------------------------------------

def _share(text: str | None, probability: float) -> float:
    """The share of patients a frequency states: a count as counted ("1/4": 0.25, though the
    model reads it as 0.3, shrunk towards one half), anything else as the model reads it."""
    if text is not None and (m := _FRACTION.match(text)) and int(m.group(2)):
        return int(m.group(1)) / int(m.group(2))
    return float(probability)


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
    shares: np.ndarray    # the share of patients stated (see ``_share``)
    unstated: np.ndarray  # no frequency stated
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
    # every stated phenotype's ancestor list, end to end, in one gather
    ends = np.cumsum(lengths)
    above = idx[np.repeat(ptr[terms] - (ends - lengths), lengths) + np.arange(int(ends[-1]) if terms.size else 0)]
    t = _tables(model)
    return _Stated(terms, model.ann.data[start:end], model.ann_text[start:end], t["ann_share"][start:end],
                   t["ann_unstated"][start:end], above, np.repeat(np.arange(terms.size), lengths))


def _most(model: DiagnosisModel, stated: _Stated, positions: np.ndarray, *, specific_first: bool) -> int:
    """Of some phenotypes, the one the disease has most often, then the most specific
    (or the most specific, then the most often)."""
    probs = stated.probs[positions]
    ics = model.ic[stated.terms[positions]]
    order = np.lexsort((probs, ics) if specific_first else (ics, probs))
    return int(positions[order[-1]])


class Explainer:
    """Explains the ranked diseases of one query: the matches of every finding are read for
    all of them at once, and what the findings share is computed once."""

    def __init__(self, model: DiagnosisModel, findings: Sequence[Finding], finding_terms: Sequence[int],
                 excluded: Sequence[Finding], excluded_terms: Sequence[int], scoring: Scoring) -> None:
        self.model, self.scoring = model, scoring
        self.findings, self.finding_terms = list(findings), [int(f) for f in finding_terms]
        self.excluded, self.excluded_terms = list(excluded), [int(e) for e in excluded_terms]
        t = _tables(model)
        self.dense, self.dense_pos, self.w_data = t["dense"], t["dense_pos"], t["w_data"]
        self.log_size = t["log_size"]
        self.candidates = [np.concatenate(([f], ancestors_to_match(model, f, scoring)))
                           for f in self.finding_terms]
        self.above_finding = [np.zeros(model.n_terms, dtype=bool) for _ in self.finding_terms]
        for mask, f in zip(self.above_finding, self.finding_terms):
            mask[model.ancestors(f)] = True
        given = [*self.finding_terms, *self.excluded_terms]
        self.above_given = np.zeros(model.n_terms, dtype=bool)
        self.is_given = np.zeros(model.n_terms, dtype=bool)
        for g in given:
            self.above_given[model.ancestors(g)] = True
        self.is_given[given] = True

    def best_matches(self, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each finding: the candidate term (its position in ``candidates``, -1 for
        none) through which each disease of ``rows`` explains it best, and the score."""
        q, out = self.model.q, []
        for terms in self.candidates:
            w = np.full((terms.size, rows.size), -np.inf, dtype=np.float32)
            pos = self.dense_pos[terms]
            dense = pos >= 0
            if dense.any():
                w[dense] = self.dense[pos[dense]][:, rows]
            for k in np.flatnonzero(~dense):
                c = int(terms[k])
                start, end = q.indptr[c], q.indptr[c + 1]
                column = q.indices[start:end]
                j = np.minimum(column.searchsorted(rows), max(end - start - 1, 0))
                found = (column[j] == rows) if end > start else np.zeros(rows.size, dtype=bool)
                w[k, found] = self.w_data[start + j[found]]
            w[1:] -= self.scoring.ancestor_penalty  # candidates[0] is the finding itself
            best = np.argmax(w, axis=0)
            value = w[best, np.arange(rows.size)].astype(np.float64)
            matched = value > -np.inf
            score = np.full(rows.size, self.scoring.unexplained)
            score[matched] = _mix(value[matched] - self.scoring.size_prior * self.log_size[rows[matched]],
                                  self.scoring)
            out.append((np.where(matched, best, -1), score))
        return out

    def __call__(self, rows: Sequence[int], total: np.ndarray) -> tuple[RankedDisease, ...]:
        """Why each disease of ``rows`` (best first) has its score: each finding explained
        (and how) or not, the excluded findings that count against it, and what to ask
        about next."""
        rows_arr = np.asarray(rows, dtype=np.int64)
        matches = self.best_matches(rows_arr)
        return tuple(self.explain(int(d), rank, float(total[d]), [(int(m[0][n]), float(m[1][n])) for m in matches])
                     for n, (rank, d) in enumerate(enumerate(rows, 1)))

    def explain(self, d: int, rank: int, score: float, matches: list[tuple[int, float]]) -> RankedDisease:
        model = self.model
        stated = _stated(model, d)
        explained, unexplained, against = [], [], []
        for i, (finding, f) in enumerate(zip(self.findings, self.finding_terms)):
            best, contribution = matches[i]
            if best < 0:
                unexplained.append(Unexplained(finding, contribution))
                continue
            best_a = int(self.candidates[i][best])
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
                                          via, contribution))
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
        keep = ~related & (stated.unstated | (stated.shares >= ASK_FREQUENCY))
        positions = np.flatnonzero(keep)
        order = positions[np.lexsort((-model.ic[stated.terms[positions]], -stated.probs[positions],
                                      stated.unstated[positions]))]
        chosen: set[int] = set()
        above_chosen: set[int] = set()
        out = []
        for k in order.tolist():
            t = int(stated.terms[k])
            above = model.ancestors(t).tolist()
            if t in above_chosen or chosen.intersection(above):
                continue
            chosen.add(t)
            above_chosen.update(above)
            out.append(_phenotype(model, t, stated.probs[k], stated.texts[k]))
            if len(out) == ASK_LIMIT:
                break
        return out
