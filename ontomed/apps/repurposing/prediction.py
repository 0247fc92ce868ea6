"""Predicting links the graph does not hold yet, each with the graph paths that support it.

``predict(kb, drug="metformin")`` ranks the diseases metformin may treat;
``predict(kb, disease="asthma")`` the drugs that may treat asthma. Any relation
the model learnt can be asked (``relation="interactsWith"``); the entity given
takes the side of the relation its class belongs to (a disease is the object
of ``treats`` but the subject of ``hasSymptom``), and the candidates are the
entities of the other side's class that the model knows.

It reads the saved embeddings with numpy (no torch, no PyKEEN) and keeps them
per process, so a query worker pays for loading once; one prediction then
costs one matrix-vector product over the candidates, one query for the links
the graph already holds (dropped), and a few bounded queries per candidate for
its supporting paths. A store that changed since training gives a warning,
not a failure: the model still answers for what it learnt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyoxigraph as ox

from ... import iri as I
from ...errors import BadInputError
from ...files import write_json
from ..names import resolve_names
from .paths import EntityRef, Labels, SupportingPath, edge_paths, supporting_paths
from .saved import SavedModel, load
from .triples import CLASS_BITS, RelationPlan, content_key_of, fact_counts

if TYPE_CHECKING:
    from ...kb import KnowledgeBase


@dataclass(frozen=True)
class Candidate:
    """A predicted link (``subject``, relation, ``object``): one of them is the entity asked about,
    the other is ``entity``, the candidate."""

    rank: int
    entity: EntityRef
    score: float
    subject: EntityRef
    object: EntityRef
    paths: tuple[SupportingPath, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"rank": 1, "entity": {iri, label}, "score": 3.2, "subject": {iri, label},
        "object": {iri, label}, "paths": [SupportingPath.to_dict(), ...]}``"""
        return {"rank": self.rank, "entity": self.entity.to_dict(), "score": round(self.score, 4),
                "subject": self.subject.to_dict(), "object": self.object.to_dict(),
                "paths": [p.to_dict() for p in self.paths]}


@dataclass(frozen=True)
class Prediction:
    """The top candidates for one entity and relation.

    ``predicts`` is ``"object"`` for (entity, relation, ?) and ``"subject"`` for
    (?, relation, entity). ``known`` counts the links the graph already holds,
    which are left out. ``warnings`` says when the store changed since training.
    """

    entity: EntityRef
    relation: str
    relation_label: str
    predicts: str
    candidates: tuple[Candidate, ...]
    considered: int
    known: int
    model: str
    trained_at: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"entity": {iri, label}, "relation": IRI, "relation_label": "treats",
        "predicts": "object" | "subject", "candidates": [Candidate.to_dict(), ...],
        "considered": 16095, "known": 3, "model": "ComplEx", "trained_at": ISO time,
        "warnings": [str, ...]}``"""
        return {"entity": self.entity.to_dict(), "relation": self.relation,
                "relation_label": self.relation_label, "predicts": self.predicts,
                "candidates": [c.to_dict() for c in self.candidates], "considered": self.considered,
                "known": self.known, "model": self.model, "trained_at": self.trained_at,
                "warnings": list(self.warnings)}


def predict(kb: KnowledgeBase, *, drug: str | None = None, disease: str | None = None,
            relation: str = "treats", top: int = 10, paths: int = 3) -> Prediction:
    """Rank the links (``drug``, relation, ?) or (?, relation, ``disease``) the graph does not hold.

    Raises :class:`~.saved.NoModelError` without a trained model, and
    :class:`~ontomed.errors.BadInputError` (exit code 2, HTTP 400) for a bad
    question: both or neither of ``drug`` and ``disease``, a name that is not a
    drug (disease) the knowledge base knows, a relation the model did not learn.
    """
    if (drug is None) == (disease is None):
        raise BadInputError("give a drug or a disease (one of them)")
    if top < 1:
        raise BadInputError(f"top must be at least 1, not {top}")
    saved = load(kb)
    rel = _relation(kb, saved, relation)
    info = saved.config["relation_info"][rel]
    role, cls, name = ("drug", "Drug", drug) if drug is not None else ("disease", "Disease", disease)
    assert name is not None
    bit = CLASS_BITS[cls]
    domain, range_ = info["domain_mask"], info["range_mask"]
    order = ("subject", "object") if drug is not None else ("object", "subject")
    # a relation without a declared domain (range) takes subjects (objects) of any class
    side = next((s for s in order if _accepts(domain if s == "subject" else range_, bit)), None)
    if side is None:
        raise BadInputError(f"{I.shorten(rel)} does not link a {role}: "
                            f"its subjects are {_names(domain)}, its objects {_names(range_)}")
    # of several entities one name means, the one the model learnt most about
    [found] = resolve_names(kb, [name], role=role, classes=[cls],
                            preference=lambda iri: _facts_about(kb, iri) if iri in saved.index else 0.0)
    index = saved.index.get(found.iri)
    if index is None:
        raise BadInputError(f"{found.label} ({I.shorten(found.iri)}) has no facts the model learnt from: "
                            "run ontomed repurpose train after adding some")
    predicts = "object" if side == "subject" else "subject"
    want = range_ if predicts == "object" else domain
    classes = saved.classes
    candidates = np.flatnonzero((classes & want) != 0) if want else np.arange(len(classes))
    known = _known(kb, saved, found.iri, rel, predicts)
    keep = np.ones(len(candidates), dtype=bool)
    keep[np.isin(candidates, np.array(sorted(known | {index}), dtype=np.int64))] = False
    candidates = candidates[keep]
    r = np.array([saved.relations.index(rel)])
    e = np.array([index])
    emb = saved.embeddings
    if predicts == "object":
        scores = emb.score_tails(e, r, candidates)[0]
    else:
        scores = emb.score_heads(r, e, candidates)[0]
    n = min(top, len(candidates))
    best = np.argpartition(-scores, n - 1)[:n] if n else np.array([], dtype=np.int64)
    best = best[np.lexsort((candidates[best], -scores[best]))]  # by score, ties by id: stable
    labels = Labels(kb)
    me = labels.ref(found.iri)
    edge = edge_paths(saved.config.get("inverses", {}), saved.config.get("symmetric", []))
    out = []
    for rank, j in enumerate(best, 1):
        other_iri = saved.entities[int(candidates[j])]
        other = labels.ref(other_iri)
        s, o = (me, other) if predicts == "object" else (other, me)
        found_paths = supporting_paths(
            kb, s.iri, rel, o.iri, subject_classes=_classes(saved, s.iri),
            object_classes=_classes(saved, o.iri), edge=edge, labels=labels, limit=paths) if paths else ()
        out.append(Candidate(rank, other, float(scores[j]), s, o, found_paths))
    return Prediction(me, rel, labels(rel), predicts, tuple(out), int(len(candidates)), len(known),
                      saved.config["model"], saved.config.get("trained_at", ""),
                      tuple(store_warnings(kb, saved)))


def _facts_about(kb: KnowledgeBase, iri: str) -> float:
    """1 + the number of statements the entity is the subject or object of (a tie-breaker)."""
    node = ox.NamedNode(iri)
    return 1.0 + sum(1 for _ in kb.quads(node, None, None, ox.DefaultGraph())) + sum(
        1 for _ in kb.quads(None, None, node, ox.DefaultGraph()))


def _accepts(mask: int, bit: int) -> bool:
    return mask == 0 or bool(mask & bit)


def _relation(kb: KnowledgeBase, saved: SavedModel, relation: str) -> str:
    """The model's relation named by ``relation``: ``treats``, ``om:treats``, ``skos:broader``, an IRI."""
    name = relation.strip()
    prefix, _, local = name.partition(":")
    if not I.is_iri(name) and local and prefix in I.PREFIXES:
        rel = I.PREFIXES[prefix] + local
    else:
        rel = I.property_iri(name)
    if rel in saved.relations:
        return rel
    for target, inverses in saved.config.get("inverses", {}).items():
        if rel in inverses:
            raise BadInputError(f"{I.shorten(rel)} is the inverse of {I.shorten(target)}: "
                                f"ask for {I.shorten(target)} with the other entity")
    if rel in kb.object_properties():
        raise BadInputError(f"the model was not trained on {I.shorten(rel)}: "
                            "run ontomed repurpose train again")
    known = ", ".join(I.shorten(r) for r in saved.relations)
    raise BadInputError(f"{relation!r} is not an object property between entities (the model knows {known})")


def _known(kb: KnowledgeBase, saved: SavedModel, iri: str, rel: str, predicts: str) -> set[int]:
    """Ids of the entities ``iri`` is already linked to by ``rel`` (either statement, and its
    inverse's), on the side being predicted."""
    edge = edge_paths(saved.config.get("inverses", {}), saved.config.get("symmetric", []))
    pattern = f"<{iri}> {edge(rel, False)} ?x" if predicts == "object" else f"?x {edge(rel, False)} <{iri}>"
    out = set()
    for row in kb.select(f"SELECT DISTINCT ?x WHERE {{ {pattern} FILTER(isIRI(?x)) }}"):
        i = saved.index.get(row["x"].value)
        if i is not None:
            out.add(i)
    return out


def _classes(saved: SavedModel, iri: str) -> list[str]:
    bits = int(saved.classes[saved.index[iri]])
    return [name for name, bit in CLASS_BITS.items() if bits & bit]


def _names(mask: int) -> str:
    names = [f"om:{name}" for name, bit in CLASS_BITS.items() if mask & bit]
    return " or ".join(names) if names else "of any class"


def store_warnings(kb: KnowledgeBase, saved: SavedModel) -> list[str]:
    """A warning when the facts the model learnt from changed since training.

    The store's file fingerprint answers in microseconds when nothing was
    written. It also changes when RocksDB compacts its files (reopening a store
    after writes does), so a new fingerprint is checked by the statements per
    relation (COUNT queries, ~0.3 s on the README knowledge base) and the
    outcome kept for that fingerprint, in this process and in
    ``store-state.json`` beside the model, so the next process need not count.
    """
    store = saved.config.get("store", {})
    files = kb.files_fingerprint()
    if files is not None and files == store.get("files"):
        return []
    state_file = saved.path / STATE_FILE if saved.path is not None else None
    held = _checked.get(id(saved))
    checked = held[1:] if held is not None and held[0] is saved else None
    if checked is None and state_file is not None:
        try:
            data = json.loads(state_file.read_text("utf-8"))
            checked = (data["files"], list(data["warnings"]))
        except (OSError, ValueError, KeyError, TypeError):
            checked = None
    if checked is not None and files is not None and checked[0] == files:
        return list(checked[1])
    plan = RelationPlan(tuple(saved.relations), dict(saved.config.get("folded", {})),
                        frozenset(saved.config.get("symmetric", [])))
    now = fact_counts(kb, plan)
    then = {k: int(v) for k, v in store.get("counts", {}).items()}
    out = []
    if content_key_of(now) != content_key_of(then):
        changed = [f"{I.shorten(r)} {then.get(r, 0):,} → {now.get(r, 0):,}"
                   for r in sorted(set(now) | set(then)) if now.get(r, 0) != then.get(r, 0)]
        out.append("the knowledge base changed since the model was trained (" + "; ".join(changed)
                   + "): run ontomed repurpose train to learn from it")
    if files is not None:
        _checked[id(saved)] = (saved, files, out)
        if state_file is not None and not kb.read_only:
            _write_json(state_file, {"files": files, "warnings": out})
    return out


STATE_FILE = "store-state.json"
_checked: dict[int, tuple[SavedModel, str, list[str]]] = {}  # the model is held: its id stays its own


def _write_json(path: Path, data: dict[str, Any]) -> None:
    try:
        write_json(path, data, ensure_ascii=False)
    except OSError:
        pass  # a model on a read-only disk is checked again next time
