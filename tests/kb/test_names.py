"""ontomed.kb.names on a small knowledge base: identifiers, and the name index kept beside the
knowledge base per store state (the full vocabularies are in tests/vocab/test_import.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ontomed import KnowledgeBase, iri
from ontomed.kb import names as search_module
from ontomed.kb import cache
from ontomed.kb.names import search

from tests.conftest import make_example_kb


@pytest.fixture
def kb_path(tmp_path: Path) -> Path:
    make_example_kb(tmp_path / "kb").close()
    cache.forget()
    return tmp_path / "kb"


def test_a_public_identifier_finds_its_entity_first(kb_path: Path):
    with KnowledgeBase(kb_path, create=False) as kb:
        [hit, *_] = search(kb, "DB00331")
        assert (hit.iri, hit.match, hit.matched) == (iri.ENTITY + "metformin", "identifier", "DB00331")
        assert search(kb, "MESH:D003924")[0].iri == iri.ENTITY + "type_2_diabetes_mellitus"
        assert search(kb, "DB00331", types=["Drug"])[0].iri == iri.ENTITY + "metformin"
        assert all(h.match != "identifier"  # may be empty: the line above shows the type filter finds
                   for h in search(kb, "DB00331", types=["Disease"]))


def test_the_name_index_is_kept_beside_the_knowledge_base_and_read_back(kb_path: Path, monkeypatch):
    with KnowledgeBase(kb_path, create=False) as kb:
        assert search(kb, "Glucophage")[0].iri == iri.ENTITY + "metformin"
    assert (kb_path / "cache" / f"search-index-v{search_module.INDEX_VERSION}.pickle").is_file()
    cache.forget()  # as a new process

    def reading_the_store(kb):
        raise AssertionError("the index was built again from the store")

    monkeypatch.setattr(search_module.NameIndex, "from_kb", classmethod(lambda cls, kb: reading_the_store(kb)))
    with KnowledgeBase(kb_path, create=False) as kb:
        hits = search(kb, "metfromin", types=["Drug"])
        assert hits[0].iri == iri.ENTITY + "metformin" and hits[0].match == "fuzzy"


def test_a_new_name_is_found_after_the_store_changed(kb_path: Path):
    with KnowledgeBase(kb_path, create=False) as kb:
        search(kb, "metformin")
        kb.add_entity("zolpidem", "Drug", "zolpidem", synonyms=["Ambien"])
        assert search(kb, "Ambien")[0].iri == iri.ENTITY + "zolpidem"
