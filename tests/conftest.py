"""Shared fixtures: real knowledge bases (the real Oxigraph store), never mocks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ontomed import Evidence, KnowledgeBase

#: register_plugin: a plugin registered for one test (ontomed.testing)
pytest_plugins = ["ontomed.testing"]

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_TTL = REPO / "ontologies" / "examples" / "ontomed-example.ttl"


# -- caches: never in the user's home ---------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``$XDG_CACHE_HOME`` for the whole run: a temporary directory, so that nothing a test
    builds (the compiled vocabularies, converted models) lands in ``~/.cache/ontomed``, and
    no test reads a cache that an earlier run or the user left there. Set in the environment, it
    holds for the processes the tests start too (the CLI, ``ontomed serve``).
    ``tests/test_test_hygiene.py`` checks that ontomed's cache directory resolves inside it.

    A cold build of the vocabularies takes minutes: ``ONTOMED_TEST_CACHE=DIR`` keeps the
    caches in DIR between runs instead (a directory of your choosing, never ~/.cache)."""
    chosen = os.environ.get("ONTOMED_TEST_CACHE")
    home = Path(chosen).resolve() if chosen else tmp_path_factory.mktemp("xdg-cache")
    home.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(home))
        yield home


def make_example_kb(path: Path | str | None = None) -> KnowledgeBase:
    """A knowledge base (in memory, or on disk at ``path``) holding the ontology and the
    example data: 35 entities with labels in two languages and facts with evidence."""
    k = KnowledgeBase(path)
    k.initialize()
    k.load(EXAMPLE_TTL)
    return k


@pytest.fixture
def kb() -> KnowledgeBase:
    """An in-memory knowledge base holding the ontomed ontology."""
    k = KnowledgeBase()
    k.initialize()
    return k


@pytest.fixture
def disk_kb(tmp_path: Path):
    """An on-disk knowledge base holding the ontology, closed after the test."""
    k = KnowledgeBase(tmp_path / "kb")
    k.initialize()
    yield k
    if k.store is not None:
        k.close()


def add_sample_facts(kb: KnowledgeBase) -> None:
    """A few real facts with evidence, enough for export and reasoning tests."""
    kb.add_entity("metformin", "Drug", "metformin", labels={"zh": "二甲双胍"},
                  synonyms=["Glucophage"], identifiers={"drugbank": "DB00331", "mesh": "D008687"})
    kb.add_entity("type_2_diabetes_mellitus", "Disease", "type 2 diabetes mellitus",
                  synonyms=["T2DM", "type 2 diabetes"], identifiers={"mesh": "D003924", "icd10": "E11"})
    kb.add_entity("polyuria", "Symptom", "polyuria", identifiers={"hpo": "HP:0000103"})
    kb.add_entity("cftr", "Gene", "CFTR", identifiers={"hgnc": "HGNC:1884"})
    kb.add_entity("cystic_fibrosis", "Disease", "cystic fibrosis", identifiers={"omim": "219700"})
    doc = kb.add_document("Metformin improves glycemic control in type 2 diabetes.", title="example")
    kb.add_fact("metformin", "treats", "type_2_diabetes_mellitus", evidence=Evidence(
        document=doc, text="Metformin improves glycemic control in type 2 diabetes.",
        extractor="test-extractor", confidence=0.93))
    kb.add_fact("type_2_diabetes_mellitus", "hasSymptom", "polyuria", evidence=Evidence(
        document="https://omim.org/entry/125853", extractor="curated:test", source_record="125853"))
    kb.add_fact("cftr", "associatedWith", "cystic_fibrosis", evidence=Evidence(
        document="https://omim.org/entry/219700", extractor="curated:omim",
        source_record="219700", annotations={"severity": "causal"}))


def _label_ev(text: str, **annotations: str) -> Evidence:
    return Evidence(document="https://example.org/label", extractor="test", text=text,
                    annotations=annotations)


def add_treatment_facts(kb: KnowledgeBase) -> KnowledgeBase:
    """The example data plus hierarchies, a drug class and interactions with severities."""
    kb.add_entity("hyperlipidemia", "Disease", "hyperlipidemia")
    kb.add_entity("hypercholesterolemia", "Disease", "hypercholesterolemia", broader=["hyperlipidemia"])
    kb.add_entity("niacin", "Drug", "niacin")
    kb.add_fact("niacin", "treats", "hyperlipidemia", evidence=_label_ev("Niacin lowers triglycerides."))
    kb.add_entity("statins", "Drug", "statins")
    kb.add_entity("simvastatin", "Drug", "simvastatin", broader=["statins"])
    kb.add_entity("atorvastatin", "Drug", "atorvastatin", broader=["statins"])
    kb.add_fact("simvastatin", "treats", "hypercholesterolemia", evidence=_label_ev("Simvastatin lowers LDL."))
    kb.add_entity("liver_disease", "Disease", "liver disease")
    kb.add_entity("hepatitis", "Disease", "hepatitis", broader=["liver_disease"])
    kb.add_fact("statins", "contraindicatedFor", "liver_disease",
                evidence=_label_ev("Statins are contraindicated in active liver disease."))
    kb.add_fact("atorvastatin", "interactsWith", "clarithromycin", evidence=_label_ev(
        "Clarithromycin raises atorvastatin levels.", severity="precaution for use"))
    kb.add_fact("simvastatin", "interactsWith", "clarithromycin", evidence=_label_ev(
        "Do not combine simvastatin with clarithromycin.", severity="contraindicated"))
    kb.add_entity("kidney_disease", "Disease", "kidney disease")
    kb.add_entity("chronic_kidney_disease", "Disease", "chronic kidney disease", broader=["kidney_disease"])
    kb.add_entity("duodenal_ulcer", "Disease", "duodenal ulcer", broader=["peptic_ulcer"])
    kb.add_entity("gi_bleeding", "Symptom", "gastrointestinal bleeding", broader=["bleeding"])
    return kb


# -- where a knowledge base lives: a directory, or a SPARQL server (the second backend) --------

@pytest.fixture(scope="session")
def sparql_server(tmp_path_factory: pytest.TempPathFactory):
    """One Oxigraph server for the session (tests/sparql_server.py); its base URL."""
    from .needs import missing
    from .sparql_server import MISSING, OXIGRAPH, oxigraph

    if OXIGRAPH is None:
        missing(MISSING)
    with oxigraph("serve", tmp_path_factory.mktemp("sparql-server") / "db") as url:
        yield url


@pytest.fixture(params=["directory", "server"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where a test's knowledge base lives: a new directory, or an emptied SPARQL server with
    its own bookkeeping (so that each test runs on both backends)."""
    if request.param == "directory":
        return str(tmp_path / "kb")
    return server_location(request, tmp_path, monkeypatch)


def server_location(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The session's SPARQL server, emptied, with this test's own bookkeeping directory."""
    from .sparql_server import empty

    url = request.getfixturevalue("sparql_server")
    empty(url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return url


# -- the bundled vocabularies: read and imported once per test session ----------

@pytest.fixture(scope="session")
def vocabulary(cache_home: Path):
    """Every vocabulary source read and merged (ontomed.vocab.build.read_vocabulary)."""
    from ontomed.vocab.build import read_vocabulary

    return read_vocabulary()


@pytest.fixture(scope="session")
def vocab_import(tmp_path_factory: pytest.TempPathFactory, cache_home: Path):
    """(path, report): a knowledge base holding the full vocabularies, built once per
    session (into the session's cache, ``cache_home``), and the import's report. The
    knowledge base is closed: open it, and close it before a CLI command uses it."""
    from ontomed.vocab import import_vocabulary

    path = tmp_path_factory.mktemp("vocab") / "kb"
    with KnowledgeBase(path) as k:
        report = import_vocabulary(k, progress=False)
    return path, report
