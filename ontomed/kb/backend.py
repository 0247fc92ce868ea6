"""The store behind a knowledge base: the one interface a second backend implements.

:class:`KnowledgeBase` talks to its store only through :class:`Backend`, and
everything above the ``kb`` package talks only to :class:`KnowledgeBase`
(``kb.quads``, ``kb.query``, ``kb.update``, ``kb.extend``, ``kb.dump`` …), so
which store holds the graph is known in this package alone (architecture.md §4).

The interface keeps pyoxigraph's ``Store`` method names and signatures, the
subset ontomed uses: the embedded backend *is* a ``pyoxigraph.Store`` (no
wrapper on the hot paths: a query costs what it costs in raw pyoxigraph), and a
remote backend implements the same calls over the SPARQL 1.1 Protocol and the
Graph Store Protocol (``quads_for_pattern`` becomes a SELECT, ``bulk_extend`` a
batch of N-Quads posted to the store endpoint, query results are parsed back
into pyoxigraph's result objects with ``pyoxigraph.parse_query_results``).

What the embedded backend adds on top of the calls: opening a directory
(:func:`open_embedded`), with the clear errors a user needs when it is in use,
missing or damaged.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

import pyoxigraph as ox

from ..errors import BadInputError, NotFoundError, StoreError, file_error

Subject = ox.NamedNode | ox.BlankNode | ox.Triple
Object = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Graph = ox.NamedNode | ox.BlankNode | ox.DefaultGraph
Results = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


@runtime_checkable
class Backend(Protocol):
    """What a knowledge base needs from a store (pyoxigraph's ``Store`` API, the subset used).

    Reads: ``__len__``, ``__contains__``, :meth:`quads_for_pattern`, :meth:`query`,
    :meth:`named_graphs`, :meth:`contains_named_graph`, :meth:`dump`.
    Writes: :meth:`update`, :meth:`add`, :meth:`remove`, :meth:`extend` (one
    transaction), :meth:`bulk_extend` (fast, not atomic, rerunnable), :meth:`load`
    (one transaction), :meth:`bulk_load` (atomic per file), the graph calls,
    :meth:`flush`, :meth:`backup`. A backend that cannot do one (a read-only remote
    endpoint cannot write; a server is backed up with its own tools) raises
    :class:`~ontomed.errors.StoreError` saying so.
    """

    def __len__(self, /) -> int: ...

    def __contains__(self, key: Any, /) -> bool: ...

    def quads_for_pattern(self, /, subject: Subject | None, predicate: ox.NamedNode | None,
                          object: Object | None, graph_name: Graph | None = None) -> Iterator[ox.Quad]: ...

    def query(self, /, query: str, *, base_iri: str | None = None,
              prefixes: dict[str, str] | None = None, use_default_graph_as_union: bool = False,
              default_graph: Graph | list[Graph] | None = None,
              named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None) -> Results: ...

    def update(self, /, update: str, *, base_iri: str | None = None,
               prefixes: dict[str, str] | None = None) -> None: ...

    def add(self, /, quad: ox.Quad) -> None: ...

    def remove(self, /, quad: ox.Quad) -> None: ...

    def extend(self, /, quads: Iterable[ox.Quad]) -> None: ...

    def bulk_extend(self, /, quads: Iterable[ox.Quad]) -> None: ...

    def load(self, /, input: bytes | str | IO[bytes] | IO[str] | None = None,
             format: ox.RdfFormat | None = None, *, path: str | os.PathLike[str] | None = None,
             base_iri: str | None = None, to_graph: Graph | None = None) -> None: ...

    def bulk_load(self, /, input: bytes | str | IO[bytes] | IO[str] | None = None,
                  format: ox.RdfFormat | None = None, *, path: str | os.PathLike[str] | None = None,
                  base_iri: str | None = None, to_graph: Graph | None = None) -> None: ...

    def dump(self, /, output: IO[bytes] | str | os.PathLike[str] | None = None,
             format: ox.RdfFormat | None = None, *, from_graph: Graph | None = None,
             prefixes: dict[str, str] | None = None, base_iri: str | None = None) -> bytes | None: ...

    def named_graphs(self, /) -> Iterator[ox.NamedNode | ox.BlankNode]: ...

    def contains_named_graph(self, /, graph_name: Graph) -> bool: ...

    def add_graph(self, /, graph_name: Graph) -> None: ...

    def remove_graph(self, /, graph_name: Graph) -> None: ...

    def clear_graph(self, /, graph_name: Graph) -> None: ...

    def flush(self, /) -> None: ...

    def backup(self, /, target_directory: str | os.PathLike[str]) -> None: ...


def in_memory() -> Backend:
    """An empty embedded store in memory."""
    return ox.Store()


def open_embedded(store_dir: Path, *, kb_path: Path, create: bool, read_only: bool) -> Backend:
    """The embedded (RocksDB) store in ``store_dir`` of the knowledge base at ``kb_path``.

    Every way this can fail is said in one line a user can act on: a file where a
    directory should be, a directory that is something else, no knowledge base and
    ``create`` off, a store that lost its ``CURRENT`` file, a store another process
    holds.
    """
    path = kb_path
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{path} is a file, not a knowledge base directory")
    if not store_dir.is_dir():
        if path.is_dir() and any(path.iterdir()):
            raise BadInputError(f"{path} exists but is not an ontomed knowledge base")
        if not create or read_only:
            raise NotFoundError(
                f"no knowledge base at {path} (create one with: ontomed init --kb {path})"
            )
        try:
            store_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise file_error(path, exc, "create") from exc
    if not (store_dir / "CURRENT").is_file() and any(
            f.suffix in (".sst", ".log") or f.name.startswith("MANIFEST") for f in store_dir.iterdir()):
        # RocksDB would take this for a new database and write over what is left
        raise StoreError(f"cannot open the knowledge base at {path}: its store has data files but "
                         f"no CURRENT file (ontomed doctor --kb {path} says how to recover)")
    try:
        if read_only:
            return ox.Store.read_only(str(store_dir))
        return ox.Store(str(store_dir))
    except (OSError, RuntimeError) as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreError(
                f"the knowledge base at {path} is in use by another process "
                "(is `ontomed serve` running? stop it, or use a copy)"
            ) from exc
        raise StoreError(f"cannot open the knowledge base at {path}: {' '.join(text.split())} "
                         f"(ontomed doctor --kb {path} says what is wrong and how to recover)") from exc

