"""The knowledge base's entity-to-entity facts as integer triples, for a link prediction model.

What the model learns from: every asserted fact of an object property between
two IRIs in the default graph (inferred facts live in their own named graph and
are left out, architecture.md §3). The ontology's inverse properties (``om:treatedBy``…)
are folded into the property they invert, with subject and object swapped, so
one relation never appears under two names. A symmetric property
(``om:interactsWith``, ``owl:SymmetricProperty``) is stored one way (architecture.md §3)
and reaches the model both ways: :meth:`GraphTriples.directed` adds the reverse
of each of its facts.

Each property is read with one SPARQL query whose answer Oxigraph serializes as
CSV and pandas parses: on the README knowledge base (335k facts) that is 3 s,
the same as a Python loop over the quads, and no per-quad Python code. Entity
and relation ids are the sorted IRIs' positions, so the same store state gives
the same ids.

Only numpy and pandas here: nothing imports torch or PyKEEN until training.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyoxigraph as ox

from ... import iri as I

if TYPE_CHECKING:
    import pandas as pd

    from ...kb import KnowledgeBase

BROADER = I.SKOS + "broader"

#: Entity classes the model keeps per entity (one bit each), to choose the candidates
#: of a prediction: a drug's ``treats`` candidates are the diseases it knows.
CLASS_BITS: dict[str, int] = {"Drug": 1, "Disease": 2, "Symptom": 4, "Gene": 8}


def class_mask(class_iris: Iterable[str]) -> int:
    """The bit mask of the classes named (``om:Condition`` is a disease or a symptom)."""
    mask = 0
    for iri in class_iris:
        name = iri[len(I.OM):] if iri.startswith(I.OM) else iri
        if name == "Condition":
            mask |= CLASS_BITS["Disease"] | CLASS_BITS["Symptom"]
        mask |= CLASS_BITS.get(name, 0)
    return mask


@dataclass(frozen=True)
class RelationPlan:
    """Which properties the model learns and how each is read.

    ``relations``: the model's relations (property IRIs), sorted. ``folded``:
    inverse property → the relation whose facts it states the other way round.
    ``symmetric``: relations given to the model in both directions.
    """

    relations: tuple[str, ...]
    folded: dict[str, str]
    symmetric: frozenset[str]

    def sources(self) -> list[tuple[str, str, bool]]:
        """(property read, relation it feeds, swap subject and object) for every query to run."""
        out = [(p, p, False) for p in self.relations]
        out += [(p, target, True) for p, target in sorted(self.folded.items())]
        return out


def relation_plan(kb: KnowledgeBase, *, broader: bool = False) -> RelationPlan:
    """The object properties of the store (the contract's seven and any other declared one),
    inverses folded, symmetric ones marked; ``broader`` adds ``skos:broader`` between entities."""
    props = set(kb.object_properties())
    contract = {I.om(p) for p in I.PROPERTIES}
    folded: dict[str, str] = {}
    for row in kb.select("SELECT ?p ?q WHERE { ?p owl:inverseOf ?q . FILTER(isIRI(?p) && isIRI(?q)) }"):
        p, q = row["p"].value, row["q"].value
        if p not in props or q not in props or p == q or p in folded or q in folded:
            continue
        # the contract's property is the one kept; between two others, the one whose
        # declaration says "inverseOf" is the inverse (om:treatedBy owl:inverseOf om:treats)
        if p in contract and q not in contract:
            p, q = q, p
        folded[p] = q
    symmetric = {row["p"].value for row in kb.select(
        "SELECT ?p WHERE { ?p a owl:SymmetricProperty }")}
    relations = sorted(props - set(folded))
    if broader:
        relations = sorted([*relations, BROADER])
    return RelationPlan(tuple(relations), folded, frozenset(symmetric & set(relations)))


@dataclass(frozen=True)
class GraphTriples:
    """The facts as ids: ``triples`` (n x 3: head, relation, tail), one row per stored fact.

    ``entities`` and ``relations`` are the IRIs behind the ids, sorted;
    ``classes`` the class bits (:data:`CLASS_BITS`) of each entity; ``counts``
    the statements per relation (:func:`fact_counts`), the *content key* that
    says whether a trained model still matches the store.
    """

    entities: np.ndarray  # object array of IRIs, sorted
    relations: tuple[str, ...]
    triples: np.ndarray  # int64, (n, 3)
    classes: np.ndarray  # uint8, one per entity
    plan: RelationPlan
    counts: dict[str, int]

    @property
    def symmetric_ids(self) -> list[int]:
        return [i for i, r in enumerate(self.relations) if r in self.plan.symmetric]

    def directed(self, triples: np.ndarray | None = None) -> np.ndarray:
        """``triples`` (default: all) plus the reverse of each symmetric relation's fact."""
        t = self.triples if triples is None else triples
        sym = np.isin(t[:, 1], self.symmetric_ids)
        if not sym.any():
            return t
        return np.concatenate([t, t[sym][:, ::-1]])

    def content_key(self) -> str:
        return content_key_of(self.counts)


def content_key_of(counts: dict[str, int]) -> str:
    return json.dumps({I.shorten(k): v for k, v in sorted(counts.items())}, sort_keys=True)


def read_triples(kb: KnowledgeBase, *, broader: bool = False,
                 plan: RelationPlan | None = None) -> GraphTriples:
    """Every entity-to-entity fact of the plan's relations (default: :func:`relation_plan`)."""
    import pandas as pd

    plan = plan or relation_plan(kb, broader=broader)
    frames = []
    for prop, relation, swap in plan.sources():
        pairs = _pairs(kb, prop)
        if swap:
            pairs = pairs[["o", "s"]].set_axis(["s", "o"], axis=1)
        frames.append(pairs.assign(r=relation))
    facts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["s", "o", "r"])
    # a fact stated both as p and as its inverse, or twice, is one fact; a symmetric
    # fact stated both ways is one fact too (the model gets both directions anyway)
    sym = facts["r"].isin(plan.symmetric) & (facts["s"] > facts["o"])
    facts.loc[sym, ["s", "o"]] = facts.loc[sym, ["o", "s"]].to_numpy()
    facts = facts.drop_duplicates(ignore_index=True)
    codes, entities = pd.factorize(pd.concat([facts["s"], facts["o"]], ignore_index=True), sort=True)
    n = len(facts)
    relations = plan.relations
    rel_codes = pd.Categorical(facts["r"], categories=list(relations)).codes
    triples = np.stack([codes[:n], rel_codes, codes[n:]], axis=1).astype(np.int64)
    entities = np.asarray(entities, dtype=object)
    return GraphTriples(entities, tuple(relations), triples, entity_classes(kb, entities), plan,
                        fact_counts(kb, plan))


def fact_counts(kb: KnowledgeBase, plan: RelationPlan) -> dict[str, int]:
    """Statements per relation (its own and its inverse's), from COUNT queries: the
    content key of a trained model. 20-70 ms a property on the README knowledge base
    (a filter on the terms' kinds would make it 10x slower: any change counts)."""
    counts: dict[str, int] = {}
    for prop, relation, _swap in plan.sources():
        row = next(iter(kb.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{prop}> ?o }}")))
        counts[relation] = counts.get(relation, 0) + int(row["n"].value)
    return counts


def _pairs(kb: KnowledgeBase, prop: str) -> pd.DataFrame:
    import pandas as pd

    result = kb.select(f"SELECT ?s ?o WHERE {{ ?s <{prop}> ?o . FILTER(isIRI(?s) && isIRI(?o)) }}")
    data = result.serialize(format=ox.QueryResultsFormat.CSV)
    # CSV writes IRIs bare and quotes any with a comma or a quote
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, header=0, names=["s", "o"])


def entity_classes(kb: KnowledgeBase, entities: Sequence[str] | np.ndarray) -> np.ndarray:
    """The class bits (:data:`CLASS_BITS`) of each entity, in order."""
    import pandas as pd

    values = " ".join(f"om:{c}" for c in CLASS_BITS)
    result = kb.select(f"SELECT ?e ?c WHERE {{ VALUES ?c {{ {values} }} ?e a ?c . FILTER(isIRI(?e)) }}")
    typed = pd.read_csv(io.BytesIO(result.serialize(format=ox.QueryResultsFormat.CSV)),
                        dtype=str, keep_default_na=False, header=0, names=["e", "c"])
    bits = typed["c"].str.removeprefix(I.OM).map(CLASS_BITS).astype(np.uint8)
    per_entity = bits.groupby(typed["e"]).agg(np.bitwise_or.reduce)
    index = pd.Index(np.asarray(entities, dtype=object))
    return per_entity.reindex(index, fill_value=0).to_numpy(dtype=np.uint8)
