"""The store seam (ontomed.kb.backend): the knowledge base reaches its store only through the
Backend interface, and nothing above the kb package reaches the store at all, so a second
backend (a remote SPARQL server) plugs in under KnowledgeBase and every caller keeps working."""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from ontomed import KnowledgeBase
from ontomed.apps.diagnosis import diagnose
from ontomed.apps.treatment import treat
from ontomed.describe.service import describe_entities
from ontomed.errors import BadInputError, StoreError
from ontomed.kb.backend import Backend

from tests.conftest import EXAMPLE_TTL, add_treatment_facts, make_example_kb

PACKAGE = Path(__file__).resolve().parents[2] / "ontomed"


class RecordingBackend:
    """Another backend: every call is counted, then answered by an Oxigraph store in memory.
    Written out method by method (not ``__getattr__``), as a remote backend would be."""

    def __init__(self) -> None:
        self._store = ox.Store()
        self.calls: Counter[str] = Counter()

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.calls[name] += 1
        return getattr(self._store, name)(*args, **kwargs)

    def __len__(self) -> int:
        self.calls["__len__"] += 1
        return len(self._store)

    def __contains__(self, key: Any) -> bool:
        self.calls["__contains__"] += 1
        return key in self._store

    def quads_for_pattern(self, subject, predicate, object, graph_name=None):  # noqa: ANN001, ANN201
        return self._call("quads_for_pattern", subject, predicate, object, graph_name)

    def query(self, query, **options):  # noqa: ANN001, ANN003, ANN201
        return self._call("query", query, **options)

    def update(self, update, **options):  # noqa: ANN001, ANN003, ANN201
        return self._call("update", update, **options)

    def add(self, quad):  # noqa: ANN001, ANN201
        return self._call("add", quad)

    def remove(self, quad):  # noqa: ANN001, ANN201
        return self._call("remove", quad)

    def extend(self, quads):  # noqa: ANN001, ANN201
        return self._call("extend", quads)

    def bulk_extend(self, quads):  # noqa: ANN001, ANN201
        return self._call("bulk_extend", quads)

    def load(self, input=None, format=None, **options):  # noqa: ANN001, ANN003, ANN201
        return self._call("load", input, format, **options)

    def bulk_load(self, input=None, format=None, **options):  # noqa: ANN001, ANN003, ANN201
        return self._call("bulk_load", input, format, **options)

    def dump(self, output=None, format=None, **options):  # noqa: ANN001, ANN003, ANN201
        return self._call("dump", output, format, **options)

    def named_graphs(self):  # noqa: ANN201
        return self._call("named_graphs")

    def contains_named_graph(self, graph_name):  # noqa: ANN001, ANN201
        return self._call("contains_named_graph", graph_name)

    def add_graph(self, graph_name):  # noqa: ANN001, ANN201
        return self._call("add_graph", graph_name)

    def remove_graph(self, graph_name):  # noqa: ANN001, ANN201
        return self._call("remove_graph", graph_name)

    def clear_graph(self, graph_name):  # noqa: ANN001, ANN201
        return self._call("clear_graph", graph_name)

    def flush(self) -> None:
        self.calls["flush"] += 1

    def backup(self, target_directory):  # noqa: ANN001, ANN201
        raise StoreError("this backend is backed up with its server's own tools")


def _recording_kb() -> tuple[KnowledgeBase, RecordingBackend]:
    backend = RecordingBackend()
    kb = KnowledgeBase(backend=backend)
    kb.initialize()
    kb.load(EXAMPLE_TTL)
    return add_treatment_facts(kb), backend


def test_the_embedded_store_and_another_backend_both_satisfy_the_interface():
    assert isinstance(ox.Store(), Backend)
    assert isinstance(RecordingBackend(), Backend)
    assert isinstance(KnowledgeBase().backend, Backend)


def test_every_application_answers_the_same_through_another_backend():
    kb, backend = _recording_kb()
    plain = add_treatment_facts(make_example_kb())
    assert len(kb) == len(plain) > 900
    assert not kb.in_memory  # not an embedded in-memory store: the backend's own

    report, expected = treat(kb, "hypercholesterolemia"), treat(plain, "hypercholesterolemia")
    assert report.candidates and [(c.label, c.status) for c in report.candidates] == [
        (c.label, c.status) for c in expected.candidates]
    found = diagnose(kb, ["polyuria", "polydipsia"], top=3)
    wanted = diagnose(plain, ["polyuria", "polydipsia"], top=3)
    assert found.candidates and [c.label for c in found.candidates] == [c.label for c in wanted.candidates]
    (text,), (reference,) = (describe_entities(kb, ["metformin"]), describe_entities(plain, ["metformin"]))
    assert text.statements and text.text == reference.text
    assert kb.entity("metformin").facts == plain.entity("metformin").facts
    # and all of it was read through the backend: patterns and SPARQL
    assert backend.calls["quads_for_pattern"] > 50 and backend.calls["query"] > 0


def test_graph_store_calls_go_through_the_knowledge_base():
    kb, backend = _recording_kb()
    g = "https://example.org/graph/extra"
    assert not kb.has_graph(g)
    kb.create_graph(g)
    assert kb.has_graph(g) and backend.calls["add_graph"] == 1
    kb.extend([ox.Quad(ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/p"),
                       ox.Literal("x"), ox.NamedNode(g))])
    out = io.BytesIO()
    kb.dump(out, ox.RdfFormat.N_TRIPLES, graph=g)
    assert out.getvalue().decode() == '<https://example.org/a> <https://example.org/p> "x" .\n'
    assert kb.has_quad("https://example.org/a", graph=g)
    assert not kb.has_quad("https://example.org/a", graph=ox.DefaultGraph())
    with pytest.raises(StoreError, match="own tools"):
        kb.backup("/nonexistent/backup")


def test_a_malformed_iri_in_a_pattern_is_bad_input():
    with pytest.raises(BadInputError, match="not a valid IRI"):
        list(KnowledgeBase().quads("not an iri"))


def test_a_directory_and_a_backend_together_are_refused(tmp_path):
    with pytest.raises(BadInputError, match="not both"):
        KnowledgeBase(tmp_path / "kb", backend=RecordingBackend())


def test_closing_twice_is_harmless(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.close()
    kb.close()
    assert kb.closed


#: Modules above the kb package that may name the embedded store: `ontomed doctor` examines
#: the store's files themselves (it must work when the store cannot be opened).
_ALLOWED = {"ops/doctor.py"}


def test_nothing_above_the_kb_package_reaches_into_the_store():
    """Reads and writes above ontomed.kb go through KnowledgeBase's methods; naming ``.store``,
    ``.backend`` or a pyoxigraph ``Store`` there would tie a caller to one backend."""
    pattern = re.compile(r"\bkb\.(store|backend)\b|\.store\.(quads_for_pattern|query|update|dump)\b"
                         r"|\box\.Store\b")
    offenders = []
    checked = 0
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("kb/") or rel in _ALLOWED:
            continue
        checked += 1
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert checked > 50
    assert offenders == []
