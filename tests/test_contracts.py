"""Every registered extractor, reader, linker and text generator keeps the plugin contract.

The components are listed at collection time from ``ontomed.plugins``, so a
built-in or an installed plugin is covered the moment it is registered, with
no test written for it. Each runs the same :mod:`ontomed.testing` checks that
third parties run in their own tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .needs import need_module

from ontomed import KnowledgeBase, plugins
from ontomed.values import Mention
from ontomed.testing import (
    check_extractor,
    check_linker,
    check_reader,
    check_text_generator,
)

from .conftest import REPO, make_example_kb

CORPUS = REPO / "data" / "corpus"


def _ids(components: dict) -> list:
    """Registered ids, one per component (aliases point at a component already listed);
    a kind with none gives one skipped case that says so."""
    ids = sorted({component.id for component in components.values()})
    return ids or [pytest.param(None, marks=pytest.mark.skip(reason="none of this kind is registered"))]


plugins.reset()
EXTRACTORS = _ids(plugins.get_extractors())
READERS = _ids(plugins.get_readers())
LINKERS = _ids(plugins.get_linkers())
TEXT_GENERATORS = _ids(plugins.get_text_generators())
plugins.reset()


@pytest.fixture(scope="module")
def example_kb() -> KnowledgeBase:
    """The ontology and the example data: a vocabulary for extractors and linkers to use."""
    kb = make_example_kb()
    return kb


def test_the_built_ins_are_among_the_checked():
    assert {"dictionary", "transformer"} <= set(EXTRACTORS)
    assert {"text", "jsonl", "pubmed", "clinicaltrials"} <= set(READERS)
    assert "vocabulary" in LINKERS


@pytest.mark.parametrize("name", EXTRACTORS)
def test_extractor_keeps_the_contract(name: str, example_kb: KnowledgeBase, request, monkeypatch):
    from ontomed.ingest.extractors.transformer import TransformerExtractor

    if isinstance(plugins.get_extractors()[name], TransformerExtractor):
        need_module("torch", "the ml extra (torch) is not installed")
        from . import tiny_ner

        tmp = request.getfixturevalue("tmp_path_factory")
        monkeypatch.setenv("ONTOMED_NER_MODEL", str(tiny_ner.model_dir(tmp.getbasetemp())))
    extractor = plugins.get_extractors()[name]
    extractions = check_extractor(extractor, kb=example_kb)
    assert len(extractions) > 0


def _samples(reader) -> list[Path]:
    """Up to three files of the sample corpus that this reader takes."""
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    return [p for p in files if reader.can_read(str(p))][:3]


@pytest.mark.parametrize("name", READERS)
def test_reader_keeps_the_contract(name: str):
    reader = plugins.get_readers()[name]
    samples = _samples(reader)
    documents = check_reader(reader, samples)
    assert len(documents) >= len(samples)


@pytest.mark.parametrize("name", LINKERS)
def test_linker_keeps_the_contract(name: str, example_kb: KnowledgeBase):
    linker = plugins.get_linkers()[name]
    names = [("metformin", "Drug"), ("Glucophage", "Drug"), ("T2DM", "Disease"), ("fever", "Symptom"),
             ("CFTR", "Gene")]
    check_linker(linker, [Mention(text, cls, 0, len(text)) for text, cls in names], kb=example_kb)


@pytest.mark.parametrize("name", TEXT_GENERATORS)
def test_text_generator_keeps_the_contract(name: str):
    generator = plugins.get_text_generators()[name]
    check_text_generator(generator)
