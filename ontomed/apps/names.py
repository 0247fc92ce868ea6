"""One way for every application to turn what a person typed into entities.

A clinician types labels ("shortness of breath"), synonyms ("heart attack"),
public identifiers (``HP:0002094``, ``OMIM:219700``, ``DB00331``, ``MESH:D003924``)
or ontomed IRIs, in any mix. :func:`resolve_names` resolves all of them at once
and reports every name it cannot use in one error, each with the closest names
the knowledge base holds, so a form or a command line is corrected in one go
(exit code 2 on the command line, HTTP 400 on the API, with the same message).

An application narrows the candidates to what it can use: the classes it
accepts (a treatment needs a ``Drug``), and a *preference* that says which
entities its model knows and which it prefers when one name means several
(the diagnosis model prefers the phenotype its annotations use). A name that
still means several equally good entities is refused with the candidates
listed, rather than guessed.

Nothing here is logged or kept: names may come from a patient's record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .. import iri as I
from ..errors import BadInputError

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

_RDF_TYPE = ox.NamedNode(I.RDF + "type")
_RDFS_LABEL = ox.NamedNode(I.RDFS + "label")
_EXACT_MATCH = ox.NamedNode(I.SKOS + "exactMatch")
#: ``SCHEME:VALUE`` as people write identifiers (HP:0001945, OMIM:219700, MESH:D003924).
_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(\S+)$")
_DRUGBANK = re.compile(r"^DB\d{5}$")

#: A preference: None when the application cannot use the entity, else a sort key
#: (higher is better) among the entities one name could mean.
Preference = Callable[[str], "float | None"]


@dataclass(frozen=True)
class Resolved:
    """A name as given, the entity it stands for, and how it was recognised."""

    name: str
    iri: str
    label: str
    how: str  # "iri", "identifier", "label" or "synonym"
    alternatives: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "iri": self.iri, "label": self.label, "how": self.how,
                "alternatives": list(self.alternatives)}


@dataclass(frozen=True)
class NameProblem:
    """A name that could not be used: unknown, ambiguous, or of a kind the application cannot use."""

    name: str
    role: str
    reason: str  # "unknown", "ambiguous" or "unusable"
    candidates: tuple[tuple[str, str], ...] = ()  # (IRI, label)
    detail: str = ""

    def message(self) -> str:
        shown = ", ".join(f"{label} ({I.shorten(iri)})" for iri, label in self.candidates[:6])
        if self.reason == "ambiguous":
            return f"{self.role} {self.name!r} names several entities: {shown}; give one by its identifier or IRI"
        if self.reason == "unusable":
            return f"{self.role} {self.name!r} {self.detail}" + (f"; closest usable: {shown}" if shown else "")
        if shown:
            return f"unknown {self.role} {self.name!r}; closest: {shown}"
        return f"unknown {self.role} {self.name!r}; nothing close to it either"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "reason": self.reason, "message": self.message(),
                "candidates": [{"iri": iri, "label": label} for iri, label in self.candidates]}


class UnknownNamesError(BadInputError):
    """Some names could not be resolved; ``problems`` says which and offers the closest names."""

    def __init__(self, problems: Sequence[NameProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message() for p in self.problems))

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "names": [p.to_dict() for p in self.problems]}


@dataclass
class _Lookup:
    kb: KnowledgeBase
    classes: frozenset[str]
    preference: Preference | None
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, iri: str) -> str:
        if iri not in self.labels:
            self.labels[iri] = english_label(self.kb, iri)
        return self.labels[iri]

    def usable(self, iri: str) -> bool:
        if self.classes and not self.classes & entity_classes(self.kb, iri):
            return False
        return self.preference is None or self.preference(iri) is not None

    def closest(self, text: str, limit: int = 5) -> tuple[tuple[str, str], ...]:
        from ..kb.names import name_index

        index = name_index(self.kb)
        found = []
        for entity, _matched, _kind, _score in index.find(text, types=sorted(self.classes),
                                                           limit=limit * 4):
            iri = index.entities[entity]
            if self.usable(iri):
                found.append((iri, self.label(iri)))
            if len(found) == limit:
                break
        return tuple(found)


def resolve_names(kb: KnowledgeBase, names: Iterable[str], *, role: str,
                  classes: Iterable[str] = (), preference: Preference | None = None) -> list[Resolved]:
    """Resolve every name, or raise one :class:`UnknownNamesError` naming each one that fails.

    ``role`` is what the names are to the person ("finding", "drug"), used in
    messages. ``classes`` (``"Drug"``, ``"Condition"``…) keeps entities typed
    with one of them; ``preference`` filters and orders the rest (see
    :data:`Preference`). A name given twice resolves once.
    """
    wanted = {I.class_iri(c)[len(I.OM):] for c in classes}
    if "Condition" in wanted:  # the name index knows the classes entities are typed with
        wanted |= {"Disease", "Symptom"}
    look = _Lookup(kb, frozenset(wanted), preference)
    resolved: list[Resolved] = []
    problems: list[NameProblem] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip()
        if not name:
            problems.append(NameProblem(raw, role, "unknown", detail="(empty)"))
            continue
        if name in seen:
            continue
        seen.add(name)
        outcome = _resolve_one(look, name, role)
        if isinstance(outcome, Resolved):
            resolved.append(outcome)
        else:
            problems.append(outcome)
    if problems:
        raise UnknownNamesError(problems)
    return resolved


class NameResolver:
    """Resolves several groups of names (findings, then excluded findings; a disease, then
    conditions, then drugs) and reports every problem of every group in one error.

    >>> names = NameResolver(kb)
    >>> disease = names.resolve(["hypertension"], role="disease", classes=["Condition"])
    >>> drugs = names.resolve(["aspirin"], role="drug", classes=["Drug"])
    >>> names.check()   # raises UnknownNamesError naming every bad name of both groups
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.problems: list[NameProblem] = []

    def resolve(self, names: Iterable[str], *, role: str, classes: Iterable[str] = (),
                preference: Preference | None = None) -> list[Resolved]:
        try:
            return resolve_names(self.kb, names, role=role, classes=classes, preference=preference)
        except UnknownNamesError as exc:
            self.problems.extend(exc.problems)
            return []

    def check(self) -> None:
        if self.problems:
            raise UnknownNamesError(self.problems)


def _resolve_one(look: _Lookup, name: str, role: str) -> Resolved | NameProblem:
    kb = look.kb
    how = "identifier"
    found = by_identifier(kb, name)
    if found is None and (I.is_iri(name) or name.startswith("ome:")):
        how = "iri"
        iri = I.entity_iri(name)
        found = [iri] if any(True for _ in kb.quads(ox.NamedNode(iri), None, None)) else []
    if found is None:
        how = "label"
        found = kb.find_entities(name)
    if not found:
        return NameProblem(name, role, "unknown", look.closest(name))
    usable = [iri for iri in found if look.usable(iri)]
    if not usable:
        kinds = sorted({c for iri in found for c in entity_classes(kb, iri)}) or ["not typed"]
        what = ", ".join(f"{look.label(iri)} ({I.shorten(iri)})" for iri in found[:3])
        return NameProblem(name, role, "unusable", look.closest(name),
                           detail=f"names {what}, a {'/'.join(kinds)} this cannot use")

    def rank(iri: str) -> tuple[float, int]:
        pref = look.preference(iri) if look.preference is not None else 0.0
        is_label = 1 if how != "label" or _has_label(kb, iri, name) else 0
        return (float(pref or 0.0), is_label)

    ranked = sorted(usable, key=rank, reverse=True)  # stable: the knowledge base's order breaks no tie
    if len(ranked) > 1 and rank(ranked[0]) == rank(ranked[1]):
        tied = [iri for iri in ranked if rank(iri) == rank(ranked[0])]
        return NameProblem(name, role, "ambiguous", tuple((iri, look.label(iri)) for iri in tied))
    best = ranked[0]
    if how == "label" and not _has_label(kb, best, name):
        how = "synonym"
    return Resolved(name, best, look.label(best), how, tuple(ranked[1:]))


def by_identifier(kb: KnowledgeBase, text: str) -> list[str] | None:
    """Entities whose ``skos:exactMatch`` is the identifier ``text`` (``HP:0001945``,
    ``OMIM:219700``, ``DB00331``); None when ``text`` is not written as an identifier."""
    if _DRUGBANK.match(text):
        target = I.identifier_iri("drugbank", text)
    else:
        m = _CURIE.match(text)
        if m is None or m.group(1).lower() in ("ome", "om", "http", "https", "urn"):
            return None
        try:
            target = I.identifier_iri(m.group(1), m.group(2))
        except ValueError:
            return None
    return sorted({q.subject.value for q in kb.quads(
        None, _EXACT_MATCH, ox.NamedNode(target), ox.DefaultGraph())
        if isinstance(q.subject, ox.NamedNode)})


def entity_classes(kb: KnowledgeBase, iri: str) -> set[str]:
    """The ontomed classes (``Drug``, ``Disease``…) an entity is typed with."""
    out = set()
    for q in kb.quads(ox.NamedNode(iri), _RDF_TYPE, None, ox.DefaultGraph()):
        value = q.object.value
        if value.startswith(I.OM):
            out.add(value[len(I.OM):])
    if out & {"Disease", "Symptom"}:
        out.add("Condition")
    return out


def english_label(kb: KnowledgeBase, iri: str) -> str:
    """The entity's English label (else any label, else the IRI's last part)."""
    return kb.label(iri) or iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _has_label(kb: KnowledgeBase, iri: str, text: str) -> bool:
    wanted = text.strip().lower()
    return any(q.object.value.lower() == wanted for q in kb.quads(
        ox.NamedNode(iri), _RDFS_LABEL, None, ox.DefaultGraph()))
