"""The graph as a sparse matrix, for the analyses that work on matrices (architecture.md §9).

``adjacency(kb)`` gives a square scipy CSR matrix over the knowledge base's
entities: ``A[i, j]`` is the number of the chosen properties that link entity
``i`` to entity ``j``. Row ``i`` is ``index[i]``, and the index is the same for
every call on the same store state, whichever properties are chosen: it holds
every entity typed with one of the chosen ontomed classes (by default ``Drug``,
``Disease``, ``Symptom`` and ``Gene``), sorted by IRI, so matrices of different
properties line up. A symmetric property (``om:interactsWith``) appears both
ways in the matrix, however the graph stores it.

How it is built: one SPARQL query per property, whose answer Oxigraph writes as
TSV (in Rust); the cells are split by ``str.split`` and looked up in the index
by ``map(dict.get, ...)`` into numpy, both in C: no Python loop per edge.
Decoding the terms from the store is what costs (a few microseconds a term):
on the README's knowledge base (58k entities, 297k facts) the whole graph
takes a few seconds, nearly all of it inside Oxigraph; see benchmarks/README.md.

``edges`` keeps, per edge, its row, column and property, for tools that want a
multi-relational graph (PyKEEN, DGL, PyG); ``save`` writes the matrix as
``FILE.npz`` (``scipy.sparse.load_npz`` reads it), the index as
``FILE.entities.tsv`` and the edges as ``FILE.edges.npz``.
"""

from __future__ import annotations

import io
import itertools
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .. import iri as I
from ..errors import BadInputError

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse

    from ..kb import KnowledgeBase

ENTITY_CLASSES = ("Drug", "Disease", "Symptom", "Gene")
_TSV = ox.QueryResultsFormat.TSV


@dataclass(frozen=True)
class Adjacency:
    """A square CSR matrix over ``index`` (row/column ``i`` is the entity ``index[i]``)."""

    matrix: scipy.sparse.csr_matrix
    index: tuple[str, ...]
    properties: tuple[str, ...]
    #: per edge: ``row``, ``col``, and ``property``, the position of its property in ``properties``
    edges: dict[str, np.ndarray] = field(repr=False)
    classes: tuple[str, ...] = ()
    seconds: float = 0.0

    def position(self, iri: str) -> int:
        """The row (and column) of an entity; KeyError when it is not in the index."""
        positions = self.__dict__.get("_positions")
        if positions is None:
            positions = {e: i for i, e in enumerate(self.index)}
            object.__setattr__(self, "_positions", positions)
        return positions[iri]

    def edges_by_property(self) -> dict[str, int]:
        """How many edges each property contributed (a symmetric one counted both ways)."""
        import numpy as np

        counts = np.bincount(self.edges["property"], minlength=len(self.properties))
        return {I.shorten(p): int(n) for p, n in zip(self.properties, counts)}

    def to_torch(self, layout: str = "csr") -> Any:
        """The matrix as a torch sparse tensor (``csr`` or ``coo``); needs the ``ml`` extra."""
        if layout not in ("csr", "coo"):
            raise BadInputError(f"unknown torch layout {layout!r} (csr or coo)")
        try:
            import torch
        except ImportError:
            raise BadInputError("torch is not installed: pip install -e '.[ml]'") from None
        import numpy as np

        m = self.matrix
        if layout == "coo":
            coo = m.tocoo()
            ij = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
            return torch.sparse_coo_tensor(ij, torch.from_numpy(coo.data), size=m.shape,
                                           check_invariants=True).coalesce()
        with warnings.catch_warnings():  # "sparse CSR tensor support is in beta": known
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            return torch.sparse_csr_tensor(torch.from_numpy(m.indptr.astype(np.int64)),
                                           torch.from_numpy(m.indices.astype(np.int64)),
                                           torch.from_numpy(m.data), size=m.shape,
                                           check_invariants=True)

    def save(self, path: str | Path) -> list[Path]:
        """``FILE.npz`` (the matrix), ``FILE.entities.tsv`` (row, IRI) and ``FILE.edges.npz``
        (row, col, property per edge, and the property IRIs); returns the paths written."""
        import numpy as np
        import scipy.sparse

        target, entities, edges = output_paths(path)
        try:
            scipy.sparse.save_npz(target, self.matrix)
            with open(entities, "w", encoding="utf-8") as f:
                f.write("row\tiri\n")
                f.writelines(f"{i}\t{iri}\n" for i, iri in enumerate(self.index))
            np.savez_compressed(edges, row=self.edges["row"], col=self.edges["col"],
                                property=self.edges["property"],
                                properties=np.array(self.properties, dtype=str),
                                classes=np.array(self.classes, dtype=str))
        except OSError as exc:
            raise BadInputError(f"{exc.filename or target}: cannot write ({exc.strerror})") from None
        return [target, entities, edges]

    @classmethod
    def load(cls, path: str | Path) -> Adjacency:
        """Read what :meth:`save` wrote."""
        import numpy as np
        import scipy.sparse

        target = Path(path)
        entities, edges = _sidecars(target)
        try:
            matrix = scipy.sparse.load_npz(target).tocsr()
            with open(entities, encoding="utf-8") as f:
                next(f)
                index = tuple(line.rstrip("\n").split("\t", 1)[1] for line in f)
            with np.load(edges) as data:
                edge_arrays = {k: data[k] for k in ("row", "col", "property")}
                properties = tuple(str(p) for p in data["properties"])
                classes = tuple(str(c) for c in data["classes"])
        except (OSError, ValueError, KeyError, IndexError, StopIteration) as exc:
            raise BadInputError(f"{target}: not an ontomed adjacency file set ({exc})") from None
        return cls(matrix, index, properties, edge_arrays, classes)


def output_paths(path: str | Path) -> tuple[Path, Path, Path]:
    """The three files :meth:`Adjacency.save` writes for ``FILE.npz``; bad input when it cannot."""
    target = Path(path)
    if target.suffix != ".npz":
        raise BadInputError(f"{target}: the matrix is written as .npz (scipy.sparse.save_npz)")
    if not target.parent.is_dir():
        raise BadInputError(f"{target}: no such directory {target.parent}")
    return (target, *_sidecars(target))


def _sidecars(target: Path) -> tuple[Path, Path]:
    stem = target.with_suffix("")
    return stem.with_name(stem.name + ".entities.tsv"), stem.with_name(stem.name + ".edges.npz")


def property_iris(kb: KnowledgeBase, names: Iterable[str] | None) -> tuple[str, ...]:
    """``treats``, ``om:treats``, ``skos:broader`` or full IRIs → IRIs; None → every
    object property of the ontology."""
    known = kb.object_properties()
    if names is None:
        return tuple(sorted(known))
    out = []
    for name in names:
        text = name.strip()
        prefix, _, local = text.partition(":")
        if not I.is_iri(text) and local and prefix in I.PREFIXES and prefix != "om":
            iri = I.PREFIXES[prefix] + local
        else:
            iri = I.property_iri(text)
        if iri not in known and not _used(kb, iri):
            listed = ", ".join(sorted(I.shorten(p) for p in known))
            raise BadInputError(f"{name!r} is not an object property of the ontology nor used "
                                f"in the knowledge base (known: {listed})")
        out.append(iri)
    if not out:
        raise BadInputError("no property given")
    return tuple(dict.fromkeys(out))


def _used(kb: KnowledgeBase, iri: str) -> bool:
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    return any(True for _ in kb.quads(None, node, None, ox.DefaultGraph()))


def entity_classes(names: Iterable[str] | None) -> tuple[str, ...]:
    """``drug``, ``om:Disease``, ``Condition`` (Disease and Symptom) → class local names."""
    if names is None:
        return ENTITY_CLASSES
    out: list[str] = []
    for name in names:
        cls = I.class_iri(name.strip())[len(I.OM):]
        if cls == "Condition":
            out.extend(("Disease", "Symptom"))
        elif cls in ENTITY_CLASSES:
            out.append(cls)
        else:
            raise BadInputError(f"unknown class {name!r} (known: {', '.join(ENTITY_CLASSES)}, Condition)")
    if not out:
        raise BadInputError("no class given")
    return tuple(dict.fromkeys(out))


def _tsv_cells(kb: KnowledgeBase, query: str) -> list[str]:
    """Every cell of a SELECT's answer, row by row, as TSV writes it (IRIs as ``<iri>``).

    TSV escapes tabs and newlines inside values, so splitting on them is exact.
    """
    result = kb.select(query)
    buffer = io.BytesIO()
    result.serialize(buffer, _TSV)
    text = buffer.getvalue().decode("utf-8")
    if text.endswith("\n"):
        text = text[:-1]
    return text.replace("\n", "\t").split("\t")[len(result.variables):]


def adjacency(kb: KnowledgeBase, properties: Sequence[str] | None = None,
              classes: Sequence[str] | None = None) -> Adjacency:
    """The chosen properties' facts between entities of the chosen classes, as a CSR matrix.

    ``properties``: names or IRIs (default: every object property of the ontology).
    ``classes``: ``Drug``, ``Disease``, ``Symptom``, ``Gene`` or ``Condition`` (default:
    the first four); the index holds every entity of these classes, and an edge
    with an end outside it is left out.
    """
    import numpy as np
    import scipy.sparse

    began = time.perf_counter()
    props = property_iris(kb, properties)
    wanted = entity_classes(classes)
    values = " ".join(f"om:{c}" for c in wanted)
    cells = _tsv_cells(kb, f"SELECT DISTINCT ?e WHERE {{ VALUES ?c {{ {values} }} ?e a ?c FILTER(isIRI(?e)) }}")
    index = tuple(sorted(c[1:-1] for c in set(cells) if c))  # cells are "<iri>"
    position = {f"<{iri}>": i for i, iri in enumerate(index)}
    symmetric = {q.subject.value for q in kb.quads(
        None, ox.NamedNode(I.RDF + "type"), ox.NamedNode(I.OWL + "SymmetricProperty"), ox.DefaultGraph())}
    n = len(index)
    rows, cols, kinds = [], [], []
    for number, prop in enumerate(props if n else ()):
        cells = _tsv_cells(kb, f"SELECT ?s ?o WHERE {{ ?s {ox.NamedNode(prop)} ?o }}")
        if len(cells) < 2:
            continue
        # a cell that is no indexed entity (a literal, a blank node, an entity of
        # another class) becomes -1, and its edge is left out
        found = np.fromiter(map(position.get, cells, itertools.repeat(-1)), dtype=np.int64,
                            count=len(cells))
        s_pos, o_pos = found[0::2], found[1::2]
        inside = (s_pos >= 0) & (o_pos >= 0)
        s_pos, o_pos = s_pos[inside], o_pos[inside]
        if prop in symmetric:
            s_pos, o_pos = np.concatenate([s_pos, o_pos]), np.concatenate([o_pos, s_pos])
        linear = np.unique(s_pos * n + o_pos)  # one edge per pair and property
        rows.append(linear // n)
        cols.append(linear % n)
        kinds.append(np.full(len(linear), number, dtype=np.int16))
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    kind = np.concatenate(kinds) if kinds else np.zeros(0, dtype=np.int16)
    matrix = scipy.sparse.csr_matrix((np.ones(len(row), dtype=np.float32), (row, col)), shape=(n, n))
    matrix.sum_duplicates()
    return Adjacency(matrix, index, props, {"row": row, "col": col, "property": kind}, wanted,
                     time.perf_counter() - began)
