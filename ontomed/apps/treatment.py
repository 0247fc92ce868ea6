"""Treatment checks: the drugs the graph says treat a disease, checked against one patient.

``treat(kb, disease, conditions=..., taking=...)`` lists every drug that
``om:treats`` the disease, or one of its broader terms (``skos:broader``, said
so: a drug for *infarction* is offered for *myocardial infarction*), and checks
each against the patient's context:

- **contraindication**: the drug is ``om:contraindicatedFor`` one of the
  patient's conditions (the disease being treated counts as one), or a broader
  term of one (contraindicated in *kidney disease*, the patient has *chronic
  kidney disease*): **excluded**. Contraindicated for a narrower term of a
  condition (contraindicated in *chronic kidney disease*, the patient has
  *kidney disease*, unspecified): **caution**, since it depends on which.
- **interaction**: the drug ``om:interactsWith`` a drug the patient takes (either
  direction). The severity comes from the evidence (``om:severity``; the most
  severe statement counts): *contraindicated* or *not recommended* → **excluded**;
  *precaution for use*, *to be taken into account*, or no severity stated →
  **caution**.
- **side effect**: the drug ``om:hasSideEffect`` one of the patient's conditions
  (not the disease being treated, which the patient has anyway),
  or a broader term of one (the drug causes *bleeding*, the patient has
  *gastrointestinal bleeding*): **excluded**; a narrower term of one: **caution**.

A drug class offered as a treatment (*NSAIDs* for gout) gets a **caution** for
each of its members (its narrower drugs) that the checks above exclude or
flag, naming the member and its reason: the class may still be right, some of
its members are not. A drug with no such reason is **suggested**. Every reason cites its evidence:
the source (document title and identifier, or curated record), the sentence and
the extractor, as the knowledge base holds them. Inverse properties a user may
have asserted instead (``om:treatedBy``, ``om:hasContraindication``,
``om:sideEffectOf``) are read too.

What is said of a drug class (a ``skos:broader`` term of the drug, as MeSH's
pharmacological classes are) holds for its members, so a contraindication of
*ACE inhibitors* excludes lisinopril, said so; an interaction with a class of a
drug the patient takes counts as well.

The patient's context is only read: never written to the knowledge base, logged
or cached (architecture.md §9).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .. import iri as I
from ..errors import BadInputError
from ..values import Evidence
from .names import NameResolver, Resolved, english_label

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

SUGGESTED, CAUTION, EXCLUDED = "suggested", "caution", "excluded"
_STATUS_ORDER = {SUGGESTED: 0, CAUTION: 1, EXCLUDED: 2}
#: Interaction severities (om:severity, as the bundled ANSM thesaurus states them), most severe
#: first, and what each does to a candidate.
SEVERITIES: tuple[tuple[str, str], ...] = (
    ("contraindicated", EXCLUDED),
    ("not recommended", EXCLUDED),
    ("precaution for use", CAUTION),
    ("to be taken into account", CAUTION),
)
#: At most this many drugs the patient takes, and conditions (a form, not a record system).
MAX_CONTEXT = 100
#: A drug class offered as a treatment: at most this many of its members are checked, and
#: at most MAX_MEMBERS_SHOWN of those that need caution are named.
MAX_MEMBERS = 200
MAX_MEMBERS_SHOWN = 5

_BROADER = ox.NamedNode(I.SKOS + "broader")
_DEFAULT = ox.DefaultGraph()
_DCTERMS_TITLE = ox.NamedNode(I.DCTERMS + "title")
_DCTERMS_ID = ox.NamedNode(I.DCTERMS + "identifier")
#: property → the inverse a user may have asserted instead (read from both sides)
_INVERSES = {"treats": "treatedBy", "contraindicatedFor": "hasContraindication",
             "hasSideEffect": "sideEffectOf"}


@dataclass(frozen=True)
class Source:
    """One piece of evidence, as a person reads it: where it comes from and what it says."""

    document: str
    title: str | None
    identifier: str | None
    record: str | None
    text: str | None
    extractor: str
    confidence: float | None
    severity: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def cite(self) -> str:
        where = self.title or self.record or self.identifier or self.document
        return f"{where}: {self.text}" if self.text else where


@dataclass(frozen=True)
class Reason:
    """Why a candidate is excluded or needs caution."""

    kind: str        # "contraindication", "interaction" or "side effect"
    effect: str      # EXCLUDED or CAUTION
    patient: Resolved  # the condition the patient has, or the drug they take
    matched: str     # the entity of the fact (the condition or drug the graph names)
    matched_label: str
    relation: str    # "same", "broader" (the fact names a broader term of the patient's),
                     # "narrower" (a narrower one)
    severity: str | None
    message: str
    sources: tuple[Source, ...]
    via_class: str | None = None  # the fact is said of this class of the drug

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "effect": self.effect, "patient": self.patient.to_dict(),
                "matched": self.matched, "matched_label": self.matched_label,
                "relation": self.relation, "severity": self.severity, "message": self.message,
                "via_class": self.via_class, "sources": [s.to_dict() for s in self.sources]}


@dataclass(frozen=True)
class Candidate:
    """A drug that treats the disease (or a broader term), and what the patient's context says."""

    drug: str
    label: str
    status: str
    treats: str           # the disease, or the broader term the drug treats
    treats_label: str
    via: tuple[str, ...]  # the broader terms from the disease to ``treats`` (empty: direct)
    indication: tuple[Source, ...]
    reasons: tuple[Reason, ...]
    already_taking: bool

    def to_dict(self) -> dict[str, Any]:
        return {"drug": self.drug, "label": self.label, "status": self.status,
                "treats": self.treats, "treats_label": self.treats_label, "via": list(self.via),
                "indication": [s.to_dict() for s in self.indication],
                "reasons": [r.to_dict() for r in self.reasons],
                "already_taking": self.already_taking}


@dataclass(frozen=True)
class TreatmentReport:
    """``treat``'s answer: the resolved context and the candidates, suggested first."""

    disease: Resolved
    conditions: tuple[Resolved, ...]
    taking: tuple[Resolved, ...]
    candidates: tuple[Candidate, ...]
    broader_terms: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict, compare=False)

    def counts(self) -> dict[str, int]:
        out = {SUGGESTED: 0, CAUTION: 0, EXCLUDED: 0}
        for c in self.candidates:
            out[c.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``disease``/``conditions``/``taking`` (name, iri, label, how),
        ``counts`` per status, ``candidates`` (drug, label, status, treats, via,
        indication sources, reasons with their sources, already_taking)."""
        return {"disease": self.disease.to_dict(),
                "conditions": [c.to_dict() for c in self.conditions],
                "taking": [t.to_dict() for t in self.taking],
                "broader_terms": [{"iri": b, "label": self.labels.get(b, b)} for b in self.broader_terms],
                "counts": self.counts(),
                "candidates": [c.to_dict() for c in self.candidates]}


def treat(kb: KnowledgeBase, disease: str, *, conditions: Sequence[str] = (),
          taking: Sequence[str] = ()) -> TreatmentReport:
    """Drugs for ``disease``, each suggested, to use with caution, or excluded for this patient.

    Names may be labels, synonyms, identifiers or IRIs; every unknown one is
    reported at once (:class:`~ontomed.apps.names.UnknownNamesError`).
    """
    if len(conditions) > MAX_CONTEXT or len(taking) > MAX_CONTEXT:
        raise BadInputError(f"at most {MAX_CONTEXT} conditions and {MAX_CONTEXT} drugs taken")
    reader = _Reader(kb)
    names = NameResolver(kb)
    targets = names.resolve([disease], role="disease", classes=["Condition"],
                            preference=reader.indication_count)
    patient_conditions = names.resolve(conditions, role="condition", classes=["Condition"])
    patient_drugs = names.resolve(taking, role="drug", classes=["Drug"])
    names.check()
    target = targets[0]

    ancestry = reader.ancestors(target.iri)  # broader term → path from the disease
    offered: dict[str, tuple[str, tuple[str, ...]]] = {}
    for term, path in [(target.iri, ()), *ancestry.items()]:
        for drug in reader.subjects("treats", term):
            if drug not in offered or len(path) < len(offered[drug][1]):
                offered[drug] = (term, path)

    # the conditions to check: the patient's, and the disease itself
    checked = list(patient_conditions)
    if target.iri not in {c.iri for c in checked}:
        checked.append(target)
    closures = {c.iri: (set(reader.ancestors(c.iri)), reader.descendants(c.iri)) for c in checked}
    taken = {d.iri for d in patient_drugs}

    # what is said of a drug class holds for its members (its skos:broader terms)
    taken_with_classes = [(t, [t.iri, *reader.ancestors(t.iri)]) for t in patient_drugs]

    def own_reasons(drug: str) -> list[Reason]:
        sides = [(drug, None)] + [(cls, cls) for cls in reader.ancestors(drug)]
        return [*reader.condition_reasons(drug, sides, "contraindicatedFor", checked, closures),
                *reader.condition_reasons(drug, sides, "hasSideEffect", patient_conditions, closures),
                *reader.interaction_reasons(drug, sides, taken_with_classes)]

    candidates = []
    for drug, (term, path) in offered.items():
        reasons = own_reasons(drug)
        # a drug class offered as a treatment: what holds for its members is a caution for it
        flagged = 0
        for member in reader.members(drug):
            found = [r for r in own_reasons(member) if r.via_class != drug]
            if not found:
                continue
            flagged += 1
            if flagged > MAX_MEMBERS_SHOWN:
                continue
            worst = max(found, key=lambda r: _STATUS_ORDER[r.effect])
            reasons.append(Reason(
                "class member", CAUTION, worst.patient, member, reader.label(member), "narrower",
                worst.severity, f"{reader.label(member)}, one of the {reader.label(drug)}, is "
                f"{worst.effect} for this patient: {worst.message}", worst.sources))
        if flagged > MAX_MEMBERS_SHOWN:
            extra = reasons[-1]
            reasons[-1] = Reason(extra.kind, extra.effect, extra.patient, extra.matched, extra.matched_label,
                                 extra.relation, extra.severity, extra.message + f" (and {flagged - MAX_MEMBERS_SHOWN}"
                                 f" more of its members)", extra.sources)
        status = max((r.effect for r in reasons), key=_STATUS_ORDER.__getitem__, default=SUGGESTED)
        candidates.append(Candidate(
            drug, reader.label(drug), status, term, reader.label(term), path,
            reader.sources(drug, "treats", term), tuple(reasons), drug in taken))
    candidates.sort(key=lambda c: (_STATUS_ORDER[c.status], len(c.via), -len(c.indication),
                                   c.label.lower(), c.drug))
    return TreatmentReport(target, tuple(patient_conditions), tuple(patient_drugs), tuple(candidates),
                           tuple(ancestry), dict(reader.labels))


class _Reader:
    """The store reads a treatment check needs, with the labels it has seen."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.labels: dict[str, str] = {}

    def label(self, iri: str) -> str:
        if iri not in self.labels:
            self.labels[iri] = english_label(self.kb, iri)
        return self.labels[iri]

    def _objects(self, subject: str, prop: str) -> set[str]:
        return {q.object.value for q in self.kb.quads(
            ox.NamedNode(subject), ox.NamedNode(I.OM + prop), None, _DEFAULT)
            if isinstance(q.object, ox.NamedNode)}

    def _subjects_of(self, prop: str, obj: str) -> set[str]:
        return {q.subject.value for q in self.kb.quads(
            None, ox.NamedNode(I.OM + prop), ox.NamedNode(obj), _DEFAULT)
            if isinstance(q.subject, ox.NamedNode)}

    def subjects(self, prop: str, obj: str) -> list[str]:
        """Entities ``?s prop obj``, or ``obj inverse ?s``."""
        found = self._subjects_of(prop, obj)
        if prop in _INVERSES:
            found |= self._objects(obj, _INVERSES[prop])
        return sorted(found)

    def objects(self, subject: str, prop: str) -> set[str]:
        found = self._objects(subject, prop)
        if prop in _INVERSES:
            found |= self._subjects_of(_INVERSES[prop], subject)
        return found

    def indication_count(self, iri: str) -> float:
        """How many drugs treat it: the disease a name most likely means, when it means several."""
        return float(len(self.subjects("treats", iri)))

    def ancestors(self, iri: str) -> dict[str, tuple[str, ...]]:
        """Every broader term, with the path of broader terms from ``iri`` to it (shortest first)."""
        paths: dict[str, tuple[str, ...]] = {}
        queue = deque([(iri, ())])
        while queue:
            node, path = queue.popleft()
            for q in self.kb.quads(ox.NamedNode(node), _BROADER, None, _DEFAULT):
                parent = q.object.value
                if isinstance(q.object, ox.NamedNode) and parent != iri and parent not in paths:
                    paths[parent] = (*path, parent)
                    queue.append((parent, paths[parent]))
        return paths

    def descendants(self, iri: str) -> set[str]:
        seen: set[str] = set()
        queue = deque([iri])
        while queue:
            node = queue.popleft()
            for q in self.kb.quads(None, _BROADER, ox.NamedNode(node), _DEFAULT):
                child = q.subject.value
                if isinstance(q.subject, ox.NamedNode) and child != iri and child not in seen:
                    seen.add(child)
                    queue.append(child)
        return seen

    def members(self, drug: str) -> list[str]:
        """The drugs a drug class holds (its narrower Drug entities), at most MAX_MEMBERS."""
        drug_class = ox.NamedNode(I.OM + "Drug")
        rdf_type = ox.NamedNode(I.RDF + "type")
        found = sorted(m for m in self.descendants(drug) if any(
            True for _ in self.kb.quads(ox.NamedNode(m), rdf_type, drug_class, _DEFAULT)))
        return found[:MAX_MEMBERS]

    def sources(self, subject: str, prop: str, obj: str) -> tuple[Source, ...]:
        """The evidence of ``subject prop obj`` (and of the inverse or, for a symmetric
        property, the reversed fact), one per distinct statement."""
        facts = self.kb.facts(subject=subject, predicate=prop, object=obj)
        if prop == "interactsWith":
            facts += self.kb.facts(subject=obj, predicate=prop, object=subject)
        if prop in _INVERSES:
            facts += self.kb.facts(subject=obj, predicate=_INVERSES[prop], object=subject)
        seen: dict[tuple[Any, ...], Source] = {}
        for fact in facts:
            for ev in fact.evidence:
                source = self._source(ev)
                key = (source.text, source.severity, source.extractor, source.document
                       if not source.text else None)
                seen.setdefault(key, source)
        return tuple(sorted(seen.values(), key=lambda s: (_severity_rank(s.severity),
                                                           -(s.confidence or 0.0), s.title or "",
                                                           s.text or "")))

    def _source(self, ev: Evidence) -> Source:
        title = identifier = None
        try:
            doc = ox.NamedNode(ev.document)
        except ValueError:
            doc = None
        if doc is not None:
            for q in self.kb.quads(doc, None, None, _DEFAULT):
                if q.predicate == _DCTERMS_TITLE and title is None:
                    title = q.object.value
                elif q.predicate == _DCTERMS_ID and identifier is None:
                    identifier = q.object.value
        severity = ev.annotations.get("severity")
        title = str(ev.annotations.get("sourceTitle") or "") or title  # the fact's own readable title
        return Source(ev.document, title, identifier, ev.source_record, ev.text, ev.extractor,
                      ev.confidence, str(severity) if severity is not None else None)

    def condition_reasons(self, drug: str, sides: list[tuple[str, str | None]], prop: str,
                          conditions: Iterable[Resolved],
                          closures: dict[str, tuple[set[str], set[str]]]) -> list[Reason]:
        """Contraindications (``contraindicatedFor``) or side effects (``hasSideEffect``) of the
        drug, or of a class it belongs to, that are a patient's condition, a broader term of
        one, or a narrower one. ``sides``: (the drug or a class of it, the class or None)."""
        named = [(term, subject, via) for subject, via in sides for term in sorted(self.objects(subject, prop))]
        if not named:
            return []
        kind = "contraindication" if prop == "contraindicatedFor" else "side effect"
        out = []
        for condition in conditions:
            broader, narrower = closures[condition.iri]
            for term, subject, via in named:
                if term == condition.iri:
                    relation, effect = "same", EXCLUDED
                elif term in broader:
                    relation, effect = "broader", EXCLUDED
                elif term in narrower:
                    relation, effect = "narrower", CAUTION
                else:
                    continue
                message = _message(kind, relation, self.label(drug), condition.label, self.label(term))
                if via is not None:
                    message += f" (said of {self.label(via)}, a class it belongs to)"
                out.append(Reason(kind, effect, condition, term, self.label(term), relation, None,
                                  message, self.sources(subject, prop, term), via))
        return out

    def interaction_reasons(self, drug: str, sides: list[tuple[str, str | None]],
                            taking: Iterable[tuple[Resolved, list[str]]]) -> list[Reason]:
        """Interactions of the drug (or a class of it) with a drug the patient takes (or a class
        of that one)."""
        partners = {subject: self.objects(subject, "interactsWith") | self._subjects_of("interactsWith", subject)
                    for subject, _ in sides}
        out = []
        for other, other_sides in taking:
            if other.iri == drug:
                continue
            for subject, via in sides:
                met = [o for o in other_sides if o in partners[subject]]
                if not met:
                    continue
                sources = tuple(s for o in met for s in self.sources(subject, "interactsWith", o))
                severity = min((s.severity for s in sources if s.severity), key=_severity_rank, default=None)
                effect = dict(SEVERITIES).get(severity or "", CAUTION)
                stated = f"severity: {severity}" if severity else "no severity stated"
                said = [self.label(x) for x in (via, *(o for o in met if o != other.iri)) if x]
                message = (f"{self.label(drug)} interacts with {other.label}, which the patient takes "
                           f"({stated})" + (f"; said of {', '.join(said)}" if said else ""))
                out.append(Reason("interaction", effect, other, met[0], self.label(met[0]), "same",
                                  severity, message, sources, via))
                break
        return out


def _severity_rank(severity: str | None) -> int:
    ranks = {name: i for i, (name, _) in enumerate(SEVERITIES)}
    return ranks.get(severity or "", len(SEVERITIES))


def _message(kind: str, relation: str, drug: str, condition: str, term: str) -> str:
    if kind == "contraindication":
        if relation == "same":
            return f"{drug} is contraindicated for {condition}, which the patient has"
        if relation == "broader":
            return f"{drug} is contraindicated for {term}; the patient's {condition} is a kind of it"
        return (f"{drug} is contraindicated for {term}, a kind of the patient's {condition}: "
                "check which the patient has")
    if relation == "same":
        return f"{drug} can cause {condition}, which the patient already has"
    if relation == "broader":
        return f"{drug} can cause {term}; the patient's {condition} is a kind of it"
    return f"{drug} can cause {term}, a kind of the patient's {condition}"
