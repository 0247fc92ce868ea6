"""The answer of a diagnosis, as frozen values with a stable ``to_dict()`` for the JSON API.

``Diagnosis.to_dict()`` (every value a string, a number, null, a list or an object)::

    {"findings": [FINDING, ...],          # as resolved, in the order given
     "excluded": [FINDING, ...],
     "diseases_considered": 11914,
     "model": {"diseases": 11914, "terms": 19012, "annotations": 245896,
               "content_key": "...", "built_at": "2025-...Z", "build_seconds": 9.8},
     "candidates": [
       {"rank": 1, "iri": "...", "label": "Marfan syndrome", "identifiers": ["OMIM:154700", ...],
        "score": 21.4,                     # sum of natural-log likelihood ratios, higher first
        "explained": [{"finding": REF, "match": "exact" | "narrower" | "broader" | "related",
                       "phenotype": PHENOTYPE, "via": TERM | null, "contribution": 4.1,
                       "explanation": "its phenotype (Frequent)"}, ...],
        "unexplained": [{"finding": REF, "contribution": -2.3}, ...],
        "counted_against": [{"finding": REF, "phenotype": PHENOTYPE, "contribution": -1.9}, ...],
        "ask_about": [PHENOTYPE, ...]}, ...]}

    FINDING   = {"name": "fever", "iri": "...", "label": "Fever", "hpo": "HP:0001945" | null,
                 "how": "label" | "synonym" | "identifier" | "iri", "alternatives": [IRI, ...]}
    REF       = {"name": "fever", "iri": "...", "label": "Fever", "hpo": "HP:0001945" | null}
    TERM      = {"iri": "...", "label": "...", "hpo": "HP:..." | null}
    PHENOTYPE = TERM + {"frequency": "Frequent" | "3/7" | "40%" | null, "probability": 0.545}

``match`` says how the disease's phenotype explains the finding: ``exact`` (the
same term), ``narrower`` (the disease's phenotype is a kind of the finding: a
broad finding, a specific phenotype), ``broader`` (the finding is a kind of the
disease's phenotype), ``related`` (both are kinds of ``via``, their most
informative common ancestor). ``contribution`` is the finding's log likelihood
ratio for that disease, mixed with the chance that it is noise (see
:mod:`ontomed.apps.diagnosis.rank`); ``score`` is the sum of the findings'
contributions, explained and unexplained, and of the excluded findings' (those
in ``counted_against``, plus a small positive one for each excluded finding the
disease does not have). ``probability`` is the
phenotype's frequency in the disease as the model reads it (``null`` frequency:
none stated, the default probability is used).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _r(x: float) -> float:
    return round(float(x), 4)


@dataclass(frozen=True)
class Term:
    """A phenotype term of the model."""

    iri: str
    label: str
    hpo: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"iri": self.iri, "label": self.label, "hpo": self.hpo}


@dataclass(frozen=True)
class Phenotype:
    """A disease's phenotype: the term and its frequency in the disease."""

    iri: str
    label: str
    hpo: str | None
    frequency: str | None
    probability: float

    def stated(self) -> str:
        """`` (Frequent)``: the frequency as stated, in parentheses, or nothing."""
        return f" ({self.frequency})" if self.frequency else ""

    def to_dict(self) -> dict[str, Any]:
        return {"iri": self.iri, "label": self.label, "hpo": self.hpo,
                "frequency": self.frequency, "probability": _r(self.probability)}


@dataclass(frozen=True)
class Finding:
    """A finding as the person named it and the term it resolved to."""

    name: str
    iri: str
    label: str
    hpo: str | None
    how: str = "iri"
    alternatives: tuple[str, ...] = ()

    def ref(self) -> dict[str, Any]:
        return {"name": self.name, "iri": self.iri, "label": self.label, "hpo": self.hpo}

    def to_dict(self) -> dict[str, Any]:
        return {**self.ref(), "how": self.how, "alternatives": list(self.alternatives)}


@dataclass(frozen=True)
class FindingMatch:
    """A given finding a disease explains, and with which of its phenotypes."""

    finding: Finding
    match: str  # "exact", "narrower", "broader" or "related"
    phenotype: Phenotype
    via: Term | None
    contribution: float

    def explanation(self) -> str:
        """How the disease explains the finding, as a person reads it ("its phenotype (Frequent)")."""
        p = self.phenotype
        if self.match == "exact":
            return f"its phenotype{p.stated()}"
        if self.match == "narrower":
            return f"its {p.label}{p.stated()} is a kind of it"
        if self.match == "broader":
            return f"a kind of its {p.label}{p.stated()}"
        via = self.via.label if self.via is not None else "a common broader term"
        return f"related through {via}: its {p.label}{p.stated()}"

    def to_dict(self) -> dict[str, Any]:
        return {"finding": self.finding.ref(), "match": self.match,
                "phenotype": self.phenotype.to_dict(),
                "via": self.via.to_dict() if self.via is not None else None,
                "contribution": _r(self.contribution), "explanation": self.explanation()}


@dataclass(frozen=True)
class Unexplained:
    """A given finding no phenotype of the disease explains."""

    finding: Finding
    contribution: float

    def to_dict(self) -> dict[str, Any]:
        return {"finding": self.finding.ref(), "contribution": _r(self.contribution)}


@dataclass(frozen=True)
class CountedAgainst:
    """An excluded finding the disease usually has."""

    finding: Finding
    phenotype: Phenotype
    contribution: float

    def to_dict(self) -> dict[str, Any]:
        return {"finding": self.finding.ref(), "phenotype": self.phenotype.to_dict(),
                "contribution": _r(self.contribution)}


@dataclass(frozen=True)
class RankedDisease:
    """One disease of the ranking, with why it stands there."""

    rank: int
    iri: str
    label: str
    identifiers: tuple[str, ...]
    score: float
    explained: tuple[FindingMatch, ...]
    unexplained: tuple[Unexplained, ...]
    counted_against: tuple[CountedAgainst, ...]
    ask_about: tuple[Phenotype, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "iri": self.iri, "label": self.label,
                "identifiers": list(self.identifiers), "score": _r(self.score),
                "explained": [m.to_dict() for m in self.explained],
                "unexplained": [u.to_dict() for u in self.unexplained],
                "counted_against": [c.to_dict() for c in self.counted_against],
                "ask_about": [p.to_dict() for p in self.ask_about]}


@dataclass(frozen=True)
class Diagnosis:
    """Diseases ranked for a set of findings (see the module docstring for ``to_dict``)."""

    findings: tuple[Finding, ...]
    excluded: tuple[Finding, ...]
    candidates: tuple[RankedDisease, ...]
    diseases_considered: int
    model: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings],
                "excluded": [f.to_dict() for f in self.excluded],
                "diseases_considered": self.diseases_considered,
                "model": dict(self.model),
                "candidates": [c.to_dict() for c in self.candidates]}
