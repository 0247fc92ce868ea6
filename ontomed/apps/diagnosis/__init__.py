"""Diagnosis from findings: phenotypes in, diseases ranked and explained out (architecture.md §9).

>>> from ontomed import KnowledgeBase
>>> from ontomed.apps import diagnose
>>> with KnowledgeBase("ontomed-kb", create=False) as kb:            # doctest: +SKIP
...     result = diagnose(kb, ["Arachnodactyly", "Ectopia lentis", "HP:0002616"],
...                       excluded=["Intellectual disability"], top=5)
...     for c in result.candidates:
...         print(c.rank, c.label, round(c.score, 1))

Findings are labels, synonyms, identifiers (``HP:0001945``) or IRIs, in any
mix (:func:`ontomed.apps.names.resolve_names`). Diseases are ranked by the sum
of the findings' log likelihood ratios (:mod:`.rank`): information content
weighs rare phenotypes over common ones, the hierarchy is used both ways, the
annotations' frequencies count, and excluded findings count against the
diseases that usually have them. Each ranked disease says which findings it
explains and through which of its phenotypes, which it does not, and which of
its frequent phenotypes were not given (ask about these next).

The model the ranking needs (:mod:`.model`) is built from the graph once per
store state and cached beside the knowledge base; a query is then a few
column reads. The findings themselves are never written, logged or cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ...errors import BadInputError
from ..names import NameResolver
from .model import DiagnosisModel, build_model, diagnosis_model, frequency_probability
from .rank import Explainer, Scoring, scores, top_diseases
from .results import (
    CountedAgainst,
    Diagnosis,
    Finding,
    FindingMatch,
    Phenotype,
    RankedDisease,
    Term,
    Unexplained,
)

if TYPE_CHECKING:
    from ...kb import KnowledgeBase

__all__ = [
    "CountedAgainst",
    "Diagnosis",
    "DiagnosisModel",
    "Finding",
    "FindingMatch",
    "Phenotype",
    "RankedDisease",
    "Scoring",
    "Term",
    "Unexplained",
    "build_model",
    "diagnose",
    "diagnosis_model",
    "frequency_probability",
    "scores",
]


def diagnose(kb: KnowledgeBase, findings: Iterable[str], *, excluded: Iterable[str] = (),
             top: int = 10, refresh: bool = False, scoring: Scoring | None = None) -> Diagnosis:
    """Rank the diseases of the knowledge base for the findings a patient has (and has not).

    ``findings``/``excluded``: names, synonyms, identifiers or IRIs of phenotypes.
    ``top``: how many diseases to return, each explained. ``refresh``: rebuild the
    cached model first. Raises :class:`~ontomed.apps.names.UnknownNamesError` (exit
    code 2, HTTP 400) listing every name it cannot use with the closest usable ones,
    and :class:`~ontomed.errors.BadInputError` for no finding, a finding both given
    and excluded (or a kind of an excluded one), or ``top`` below 1.
    """
    names = [n for n in findings]
    excluded_names = [n for n in excluded]
    if not any(n.strip() for n in names):
        raise BadInputError("give at least one finding the patient has")
    if top < 1:
        raise BadInputError(f"top must be at least 1, not {top}")
    model = diagnosis_model(kb, refresh=refresh)
    given, absent = _resolve(kb, model, names, excluded_names)
    finding_terms = [model.term_index[f.iri] for f in given]
    excluded_terms = [model.term_index[f.iri] for f in absent]
    for f, ft in zip(given, finding_terms):
        for e, et in zip(absent, excluded_terms):
            if ft == et:
                raise BadInputError(f"{f.label!r} is both a finding and an excluded finding")
            if model.is_ancestor(et, ft):
                raise BadInputError(f"the finding {f.label!r} is a kind of the excluded {e.label!r}: "
                                    "a patient who has one has the other")
    scoring = scoring or Scoring()
    total = scores(model, finding_terms, excluded_terms, scoring)
    explain = Explainer(model, given, finding_terms, absent, excluded_terms, scoring)
    ranked = explain(top_diseases(total, top), total)
    return Diagnosis(findings=tuple(given), excluded=tuple(absent), candidates=ranked,
                     diseases_considered=model.n_diseases, model=model.info())


def _resolve(kb: KnowledgeBase, model: DiagnosisModel, names: list[str],
             excluded: list[str]) -> tuple[list[Finding], list[Finding]]:
    """Both lists resolved, every problem of both reported in one error; a term
    named twice (a label and its HPO id) counts once."""
    index, counts = model.term_index, model.diseases_with_term

    def preference(iri: str) -> float | None:
        # only the model's terms; of several, the one most diseases have
        t = index.get(iri)
        return None if t is None else float(counts[t])

    resolver = NameResolver(kb)
    out: list[list[Finding]] = []
    for role, group in (("finding", names), ("excluded finding", excluded)):
        resolved = resolver.resolve(group, role=role, preference=preference)
        seen: set[str] = set()
        findings = []
        for r in resolved:
            if r.iri not in seen:
                seen.add(r.iri)
                t = index[r.iri]
                findings.append(Finding(r.name, r.iri, model.term_labels[t], model.term_hpo[t],
                                        r.how, r.alternatives))
        out.append(findings)
    resolver.check()
    return out[0], out[1]
