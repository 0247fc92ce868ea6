"""Consistency checks with the real HermiT (through owlready2 and Java), and their explanations."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import owlready2
import pytest

from ontomed import Evidence, KnowledgeBase
from ontomed import iri as I
from ontomed.errors import ReasonerError
from ontomed.reasoning import Problem, check, find_clashes

from tests.conftest import add_sample_facts

PREFIXES = """
@prefix om: <https://w3id.org/ontomed#> . @prefix ome: <https://w3id.org/ontomed/entity/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://example.org/> .
"""
EVIDENCE = Evidence(document="https://pubmed.ncbi.nlm.nih.gov/12345678", extractor="test-extractor",
                    text="Metformin lowers blood glucose.", confidence=0.9)


def _only_problem(problems: tuple[Problem, ...]) -> Problem:
    assert len(problems) == 1, [p.message for p in problems]
    return problems[0]


def _declares_disjoint(axioms: tuple[str, ...], a: str, b: str) -> bool:
    """The ontology may say it with owl:disjointWith or owl:AllDisjointClasses."""
    return any("isjoint" in ax and a in ax and b in ax for ax in axioms)


@pytest.mark.slow
def test_consistent_knowledge_base_with_evidence_passes_in_one_reasoner_run(kb: KnowledgeBase):
    add_sample_facts(kb)
    kb.add_entity("aspirin", "Drug", "aspirin")
    kb.add_entity("warfarin", "Drug", "warfarin")
    kb.add_fact("aspirin", "interactsWith", "warfarin", evidence=EVIDENCE)
    kb.add_fact("metformin", "hasSideEffect", "polyuria", evidence=EVIDENCE)

    report = check(kb)

    assert report.consistent
    assert report.problems == ()
    assert report.unsatisfiable_classes == ()
    assert report.reasoner_runs == 1
    assert report.reasoner.startswith("HermiT (owlready2 ")
    assert report.individuals >= 8  # entities plus the source document
    assert report.triples > 0 and report.seconds > 0
    json.dumps(report.to_dict())


@pytest.mark.slow
def test_entity_typed_drug_and_gene_is_reported_with_both_classes(kb: KnowledgeBase):
    add_sample_facts(kb)
    kb.add_entity("aspirin", "Drug", "aspirin")
    kb.add_entity("aspirin", "Gene", "aspirin")

    report = check(kb)

    assert not report.consistent
    problem = _only_problem(report.problems)
    assert "ome:aspirin" in problem.message
    assert "Drug" in problem.message and "Gene" in problem.message
    assert "disjoint" in problem.message
    assert problem.entities[0] == I.entity_iri("aspirin")
    assert {I.om("Drug"), I.om("Gene")} <= set(problem.entities)
    assert "ome:aspirin a om:Drug" in problem.axioms
    assert "ome:aspirin a om:Gene" in problem.axioms
    assert _declares_disjoint(problem.axioms, "om:Drug", "om:Gene")
    assert json.loads(json.dumps(report.to_dict()))["problems"][0]["message"] == problem.message


@pytest.mark.slow
def test_fact_whose_object_breaks_a_range_names_the_fact_and_the_range_axiom(kb: KnowledgeBase):
    add_sample_facts(kb)
    kb.add_fact("metformin", "treats", "cftr", evidence=EVIDENCE)  # cftr is a Gene

    report = check(kb)

    assert not report.consistent
    problem = _only_problem(report.problems)
    assert "ome:metformin om:treats ome:cftr" in problem.message
    assert "ome:metformin om:treats ome:cftr" in problem.axioms
    assert "om:treats range om:Disease" in problem.axioms
    assert "om:Disease subClassOf om:Condition" in problem.axioms
    assert "ome:cftr a om:Gene" in problem.axioms
    assert _declares_disjoint(problem.axioms, "om:Gene", "om:Condition")
    assert {I.entity_iri("cftr"), I.entity_iri("metformin")} <= set(problem.entities)
    # The patterns explained everything: one confirming run, no black-box search.
    assert report.reasoner_runs == 2


def test_pattern_pass_follows_inverse_properties_declared_by_extensions(kb: KnowledgeBase):
    add_sample_facts(kb)
    kb.load_data(PREFIXES + """
        ex:curedBy a owl:ObjectProperty ; owl:inverseOf om:treats .
        ome:cftr ex:curedBy ome:metformin .""", "ttl")

    problem = _only_problem(find_clashes(kb))

    assert problem.entities[0] == I.entity_iri("cftr")
    assert "ome:cftr <https://example.org/curedBy> ome:metformin" in problem.axioms
    assert "<https://example.org/curedBy> inverseOf om:treats" in problem.axioms
    assert "om:treats range om:Disease" in problem.axioms


def test_pattern_pass_follows_symmetric_properties(kb: KnowledgeBase):
    add_sample_facts(kb)
    kb.add_fact("cystic_fibrosis", "interactsWith", "metformin", evidence=EVIDENCE)

    problems = {p.entities[0]: p for p in find_clashes(kb)}

    assert set(problems) == {I.entity_iri("cystic_fibrosis")}
    axioms = problems[I.entity_iri("cystic_fibrosis")].axioms
    assert "ome:cystic_fibrosis om:interactsWith ome:metformin" in axioms
    assert "om:interactsWith domain om:Drug" in axioms


def test_pattern_pass_finds_nothing_in_a_consistent_knowledge_base(kb: KnowledgeBase):
    add_sample_facts(kb)
    assert find_clashes(kb) == ()


@pytest.mark.slow
def test_clash_the_patterns_cannot_see_is_localised_by_rerunning_hermit(kb: KnowledgeBase):
    add_sample_facts(kb)
    kb.add_entity("aspirin", "Drug", "aspirin")
    kb.add_entity("ptgs1", "Gene", "PTGS1")
    kb.load_data(PREFIXES + "ome:aspirin owl:sameAs ome:ptgs1 .", "ttl")

    report = check(kb)

    assert not report.consistent
    problem = _only_problem(report.problems)
    assert problem.message.startswith("HermiT reports the knowledge base inconsistent; the clash involves")
    assert set(problem.axioms) == {"ome:aspirin owl:sameAs ome:ptgs1", "ome:aspirin a om:Drug",
                                   "ome:ptgs1 a om:Gene"}
    assert set(problem.entities) == {I.entity_iri("aspirin"), I.entity_iri("ptgs1")}
    assert report.reasoner_runs <= 13


@pytest.mark.slow
def test_clash_left_over_after_the_patterns_is_reported_too(kb: KnowledgeBase):
    add_sample_facts(kb)
    kb.add_fact("metformin", "treats", "cftr", evidence=EVIDENCE)
    kb.add_entity("aspirin", "Drug", "aspirin")
    kb.add_entity("ptgs1", "Gene", "PTGS1")
    kb.load_data(PREFIXES + "ome:aspirin owl:sameAs ome:ptgs1 .", "ttl")

    report = check(kb)

    assert len(report.problems) == 2
    pattern, localised = report.problems
    assert "om:treats range om:Disease" in pattern.axioms
    assert "ome:aspirin owl:sameAs ome:ptgs1" in localised.axioms


@pytest.mark.slow
def test_unsatisfiable_class_is_listed_in_a_consistent_knowledge_base(kb: KnowledgeBase):
    add_sample_facts(kb)
    kb.load_data(PREFIXES + """
        ex:GeneTherapyDrug a owl:Class ; rdfs:subClassOf om:Drug , om:Gene .""", "ttl")

    report = check(kb)

    assert report.consistent
    assert report.unsatisfiable_classes == ("https://example.org/GeneTherapyDrug",)


@pytest.mark.slow
def test_explain_false_reports_the_verdict_only(kb: KnowledgeBase):
    kb.add_entity("aspirin", "Drug", "aspirin")
    kb.add_entity("aspirin", "Gene", "aspirin")

    report = check(kb, explain=False)

    assert not report.consistent
    assert report.problems == ()
    assert report.reasoner_runs == 1


@pytest.mark.slow
def test_check_prints_nothing_and_leaves_no_temporary_files(kb: KnowledgeBase, tmp_path: Path,
                                                            capfd: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch):
    # owlready2 writes HermiT's input to the temporary directory and, on an
    # inconsistent answer, does not remove it; check() must.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    kb.add_entity("aspirin", "Drug", "aspirin")
    kb.add_entity("aspirin", "Gene", "aspirin")

    assert not check(kb).consistent

    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert list(tmp_path.iterdir()) == []


def test_missing_java_is_a_reasoner_error_not_an_inconsistency(kb: KnowledgeBase,
                                                                monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(owlready2, "JAVA_EXE", "/nonexistent/bin/java")
    add_sample_facts(kb)

    with pytest.raises(ReasonerError) as info:
        check(kb)

    assert "Java" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_reasoner_crash_is_a_one_line_reasoner_error(kb: KnowledgeBase):
    add_sample_facts(kb)

    with pytest.raises(ReasonerError) as info:
        check(kb, memory_mb=1)  # the JVM refuses to start with a 1 MB heap

    assert "memory" in str(info.value)
    assert "\n" not in str(info.value)

