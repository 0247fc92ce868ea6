"""The Protégé export, checked by the OWL API (the library Protégé itself loads files with)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ontomed import KnowledgeBase
from tests.owlapi_check import owlapi_check, requires_owlapi

from tests.conftest import EXAMPLE_TTL, add_sample_facts


def _export(kb: KnowledgeBase, tmp_path: Path) -> Path:
    out = tmp_path / "kb.owl"
    kb.export_protege(out)
    return out


@requires_owlapi
def test_protege_export_of_facts_with_evidence_passes_the_owl_api_dl_check(kb: KnowledgeBase, tmp_path: Path):
    add_sample_facts(kb)
    kb.load(EXAMPLE_TTL)
    report = owlapi_check(_export(kb, tmp_path))
    assert report["format"] == "RDF/XML Syntax"
    assert report["ontology_iri"] == "https://w3id.org/ontomed"
    assert report["unparsed_triples"] == 0, report["unparsed"]
    assert report["dl_violations"] == 0, report["violations"]
    assert report["declared_individuals"] == 36  # 35 example entities + 1 document


@requires_owlapi
def test_protege_export_declares_individuals_that_loaded_data_left_undeclared(kb: KnowledgeBase, tmp_path: Path):
    kb.load_data("""
        @prefix om: <https://w3id.org/ontomed#> . @prefix ome: <https://w3id.org/ontomed/entity/> .
        ome:ibuprofen a om:Drug ; om:treats ome:headache .""", "ttl")
    report = owlapi_check(_export(kb, tmp_path))
    assert report["dl_violations"] == 0, report["violations"]
    assert report["unparsed_triples"] == 0


def test_protege_export_of_an_uninitialized_knowledge_base_includes_the_ontology(tmp_path: Path):
    kb = KnowledgeBase()
    kb.load(EXAMPLE_TTL)
    triples = [ox.Triple(q.subject, q.predicate, q.object)
               for q in ox.parse(path=str(_export(kb, tmp_path)), format=ox.RdfFormat.RDF_XML)]
    assert ox.Triple(ox.NamedNode("https://w3id.org/ontomed"),
                     ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                     ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology")) in triples
