"""Why a predicted link is plausible: paths in the graph that support it, found by SPARQL.

For a predicted (subject, relation, object), three kinds of path, strongest first:

- ``target_gene`` (for ``om:treats``): the drug targets a gene associated with
  the disease: ``metformin → targets → PRKAA1 → associated with → T2DM``.
- ``similar_<class>`` on the subject's side: another entity that already holds
  the relation to the object and shares neighbours with the subject (targets,
  side effects or interaction partners for a drug):
  ``drug X ← shares 3 targets → drug Y → treats → disease``.
- ``similar_<class>`` on the object's side: the subject already holds the
  relation to an entity that shares neighbours with the object (symptoms or
  associated genes for a disease):
  ``drug → treats → disease Z ← shares 12 symptoms → disease``.

One query per kind and candidate, each bounded by the two entities' own
neighbourhoods (milliseconds on the README knowledge base). A step is a fact
read forwards (``source → property → target``, asserted that way, as its
inverse, or as a symmetric fact) or a ``shares`` step between two similar
entities, with how many neighbours they share and a few of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import iri as I
from ..names import english_label

if TYPE_CHECKING:
    from ...kb import KnowledgeBase

#: What two entities of a class can share, as (property, the entity is its object, words).
SHARED: dict[str, tuple[tuple[str, bool, str], ...]] = {
    "Drug": ((I.om("targets"), False, "targets"), (I.om("hasSideEffect"), False, "side effects"),
             (I.om("interactsWith"), False, "interaction partners")),
    "Disease": ((I.om("hasSymptom"), False, "symptoms"), (I.om("associatedWith"), True, "associated genes")),
    "Symptom": ((I.om("hasSymptom"), True, "diseases"),),
    "Gene": ((I.om("associatedWith"), False, "diseases"), (I.om("targets"), True, "drugs")),
}
#: Two-step paths that support a relation: (subject → first → middle → second → object).
BRIDGES: dict[str, tuple[tuple[str, str, str], ...]] = {
    I.om("treats"): ((I.om("targets"), I.om("associatedWith"), "target_gene"),),
}
EXAMPLES = 3


@dataclass(frozen=True)
class EntityRef:
    """An entity as a page shows it."""

    iri: str
    label: str

    def to_dict(self) -> dict[str, str]:
        return {"iri": self.iri, "label": self.label}


@dataclass(frozen=True)
class PathStep:
    """One step of a path: a fact (``source → property → target``) or, when ``shared`` is
    set, two entities sharing ``shared`` neighbours through ``property``."""

    source: EntityRef
    property: str
    label: str  # "treats", or "shares 12 symptoms"
    target: EntityRef
    shared: int = 0
    examples: tuple[EntityRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"from": {iri, label}, "property": IRI, "label": "treats", "to": {iri, label},
        "shares": null | {"count": 12, "examples": [{iri, label}, ...]}}``"""
        return {"from": self.source.to_dict(), "property": self.property, "label": self.label,
                "to": self.target.to_dict(),
                "shares": {"count": self.shared, "examples": [e.to_dict() for e in self.examples]}
                if self.shared else None}


@dataclass(frozen=True)
class SupportingPath:
    """A path from the subject to the object of a predicted link; ``strength`` is how many
    neighbours its similar entities share (1 for a target gene)."""

    kind: str
    steps: tuple[PathStep, ...]
    strength: int

    @property
    def text(self) -> str:
        """``metformin → treats → type 2 diabetes ← shares 12 symptoms → obesity``"""
        out = self.steps[0].source.label
        for step in self.steps:
            out += f" ← {step.label} → " if step.shared else f" → {step.label} → "
            out += step.target.label
        return out

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "similar_disease", "text": "...", "strength": 12, "steps": [PathStep.to_dict()...]}``"""
        return {"kind": self.kind, "text": self.text, "strength": self.strength,
                "steps": [s.to_dict() for s in self.steps]}


class Labels:
    """English labels of entities and properties, read once each."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._known: dict[str, str] = {}

    def __call__(self, iri: str) -> str:
        if iri not in self._known:
            self._known[iri] = english_label(self.kb, iri)
        return self._known[iri]

    def ref(self, iri: str) -> EntityRef:
        return EntityRef(iri, self(iri))


#: property IRI (and whether read backwards) → a SPARQL property path
Edge = Callable[[str, bool], str]


def edge_paths(inverses: dict[str, list[str]], symmetric: Iterable[str]) -> Edge:
    """A property as a SPARQL path that also matches its inverse's and, for a symmetric
    property, its reverse statements (``(om:treats|^om:treatedBy)``)."""
    sym = set(symmetric)

    def edge(prop: str, backwards: bool = False) -> str:
        forms = [f"<{prop}>"] + [f"^<{inv}>" for inv in inverses.get(prop, ())]
        if prop in sym:
            forms.append(f"^<{prop}>")
        path = forms[0] if len(forms) == 1 else "(" + "|".join(forms) + ")"
        return f"^{path}" if backwards else path

    return edge


def supporting_paths(kb: KnowledgeBase, subject: str, relation: str, obj: str, *,
                     subject_classes: Iterable[str], object_classes: Iterable[str], edge: Edge,
                     labels: Labels, limit: int = 3) -> tuple[SupportingPath, ...]:
    """Up to ``limit`` paths supporting (subject, relation, obj): the best of each kind
    first, then the next strongest."""
    found: list[SupportingPath] = []
    for first, second, kind in BRIDGES.get(relation, ()):
        found += _bridges(kb, subject, relation, obj, first, second, kind, edge, labels, limit)
    for cls in subject_classes:
        found += _similar(kb, subject, relation, obj, cls, "subject", edge, labels, limit)
    for cls in object_classes:
        found += _similar(kb, subject, relation, obj, cls, "object", edge, labels, limit)
    best: dict[str, SupportingPath] = {}
    for path in sorted(found, key=lambda p: -p.strength):
        best.setdefault(path.kind, path)
    chosen = sorted(best.values(), key=lambda p: -p.strength)[:limit]
    rest = [p for p in sorted(found, key=lambda p: -p.strength) if p not in chosen]
    return tuple(chosen + rest[: limit - len(chosen)])


def _rows(kb: KnowledgeBase, query: str) -> list[Any]:
    return list(kb.select(query))


def _bridges(kb: KnowledgeBase, subject: str, relation: str, obj: str, first: str, second: str, kind: str,
             edge: Edge, labels: Labels, limit: int) -> list[SupportingPath]:
    rows = _rows(kb, f"""SELECT DISTINCT ?m WHERE {{ <{subject}> {edge(first, False)} ?m .
                          ?m {edge(second, False)} <{obj}> }} ORDER BY STR(?m) LIMIT {limit}""")
    s, o = labels.ref(subject), labels.ref(obj)
    out = []
    for row in rows:
        m = labels.ref(row["m"].value)
        out.append(SupportingPath(kind, (PathStep(s, first, labels(first), m),
                                         PathStep(m, second, labels(second), o)), 1))
    return out


def _similar(kb: KnowledgeBase, subject: str, relation: str, obj: str, cls: str, side: str,
             edge: Edge, labels: Labels, limit: int) -> list[SupportingPath]:
    shared = SHARED.get(cls, ())
    if not shared:
        return []
    me = subject if side == "subject" else obj
    if side == "subject":  # another subject holds the relation to the object
        anchor = f"?other {edge(relation, False)} <{obj}> ."
    else:  # the subject holds the relation to another object
        anchor = f"<{subject}> {edge(relation, False)} ?other ."
    unions = " UNION ".join(
        f"{{ <{me}> {edge(prop, back)} ?x . ?other {edge(prop, back)} ?x . BIND({k} AS ?k) }}"
        for k, (prop, back, _words) in enumerate(shared))
    rows = _rows(kb, f"""
        SELECT ?other ?k (COUNT(DISTINCT ?x) AS ?n) (GROUP_CONCAT(DISTINCT STR(?x); separator=" ") AS ?xs)
        WHERE {{ {anchor} FILTER(?other != <{me}> && isIRI(?other)) {unions} }}
        GROUP BY ?other ?k ORDER BY DESC(?n) STR(?other) LIMIT {limit}""")
    out = []
    s, o = labels.ref(subject), labels.ref(obj)
    for row in rows:
        other = labels.ref(row["other"].value)
        prop, _back, words = shared[int(row["k"].value)]
        n = int(row["n"].value)
        examples = tuple(labels.ref(x) for x in sorted(row["xs"].value.split())[:EXAMPLES])
        noun = words if n != 1 else _singular(words)
        if side == "subject":
            steps = (PathStep(s, prop, f"shares {n} {noun}", other, n, examples),
                     PathStep(other, relation, labels(relation), o))
        else:
            steps = (PathStep(s, relation, labels(relation), other),
                     PathStep(other, prop, f"shares {n} {noun}", o, n, examples))
        out.append(SupportingPath(f"similar_{cls.lower()}", steps, n))
    return out


def _singular(words: str) -> str:
    head, _, last = words.rpartition(" ")
    last = {"diseases": "disease", "symptoms": "symptom", "targets": "target", "drugs": "drug",
            "genes": "gene", "effects": "effect", "partners": "partner"}.get(last, last)
    return f"{head} {last}".strip()
