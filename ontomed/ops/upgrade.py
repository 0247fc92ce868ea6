"""Upgrading the ontology a knowledge base holds to the one this ontomed bundles.

A knowledge base holds the ontomed ontology in its default graph, beside the
data (architecture.md §2, §4), stamped with ``owl:versionInfo`` on the ontology IRI. When
ontomed ships a newer ontology, ``ontomed init`` (``KnowledgeBase.initialize``)
replaces the old one in one SPARQL update, which Oxigraph applies as one
transaction: the old version's triples that the new one does not have are
deleted, the new ones added, the data is not touched. A process killed half-way
leaves the old ontology whole.

Which triples were the old ontology's: each released version is kept in
``ontologies/releases/ontomed-<version>.owl``, so exactly its triples are
removed (a triple of the ontology that the data repeats is removed with it; the
new ontology has it back if it still holds). A knowledge base stamped with a
version no release file describes (a development build) has the triples about
the ontology IRI and the ``om:`` terms replaced instead.

A knowledge base with a newer ontology than the bundled one is refused: an
older ontomed would remove terms its data may use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .. import iri as I
from ..errors import StoreError

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

_VERSION_INFO = ox.NamedNode(I.OWL + "versionInfo")
_ONTOLOGY = ox.NamedNode(I.ONTOLOGY)
_DEFAULT = ox.DefaultGraph()


@dataclass(frozen=True)
class OntologyUpgrade:
    """What one upgrade did."""

    old: str
    new: str
    removed: int
    added: int
    exact: bool  # the old version's release file said which triples were its own


def version_key(version: str) -> tuple[int, ...]:
    """``"0.10.2"`` → ``(0, 10, 2)``; anything else sorts first (an unknown development build)."""
    parts = re.findall(r"\d+", version)
    return tuple(int(p) for p in parts) if parts else (-1,)


def bundled_ontology() -> tuple[str, list[ox.Triple]]:
    """The bundled ontology's version and triples."""
    from ..kb import bundled_ontology_path

    return _read(bundled_ontology_path())


def _read(path: Path) -> tuple[str, list[ox.Triple]]:
    try:
        triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.RDF_XML)]
    except (OSError, SyntaxError) as exc:  # a broken installation, not user input
        raise StoreError(f"{path}: cannot read the ontology ({exc})") from None
    version = next((t.object.value for t in triples
                    if t.subject == _ONTOLOGY and t.predicate == _VERSION_INFO), "")
    return version, triples


def release_file(version: str) -> Path | None:
    """The released ontology of ``version``, when this installation ships it."""
    from ..kb import bundled_ontology_path

    path = bundled_ontology_path().parent / "releases" / f"ontomed-{version}.owl"
    return path if path.is_file() else None


def upgrade(kb: KnowledgeBase) -> OntologyUpgrade | None:
    """Replace an older ontology in the store by the bundled one, in one transaction.

    None when the store already holds the bundled version. Raises
    :class:`~ontomed.errors.StoreError` when it holds a newer one.
    """
    new_version, new_triples = bundled_ontology()
    old_version = kb.ontology_version() or "unknown"
    if old_version == new_version:
        return None
    if version_key(old_version) > version_key(new_version):
        raise StoreError(f"this knowledge base holds ontology {old_version}, newer than the "
                         f"{new_version} this ontomed bundles; upgrade ontomed instead (no downgrade)")
    new = set(new_triples)
    release = release_file(old_version)
    if release is not None:
        old = set(_read(release)[1])
    else:  # a development build: whatever the store says about the ontology and its terms
        old = {q.triple for q in kb.quads(None, None, None, _DEFAULT)
               if isinstance(q.subject, ox.NamedNode)
               and (q.subject == _ONTOLOGY or q.subject.value.startswith(I.OM))}
    held = {t for t in old if any(True for _ in kb.quads(
        t.subject, t.predicate, t.object, _DEFAULT))}
    remove = held - new
    add = [t for t in new_triples if t not in held]
    body_remove = " .\n".join(str(t) for t in sorted(remove, key=str))
    body_add = " .\n".join(str(t) for t in add)
    kb.update(f"DELETE DATA {{ {body_remove} }} ;\nINSERT DATA {{ {body_add} }}")
    kb.flush()
    return OntologyUpgrade(old_version, new_version, len(remove), len(add), release is not None)
