"""The KnowledgeBase API against the real Oxigraph store, on disk and in memory."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from ontomed import Evidence, KnowledgeBase
from ontomed.kb import store as kb_module
from ontomed.errors import (
    AmbiguousError,
    BadInputError,
    NotFoundError,
    QuerySyntaxError,
    RDFSyntaxError,
    StoreError,
)
from ontomed.iri import ENTITY, OM

from tests.conftest import EXAMPLE_TTL, add_sample_facts, server_location


@pytest.fixture(params=["memory", "server"])
def kb(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KnowledgeBase:
    """A knowledge base holding the ontology: in memory, then on a SPARQL server (both backends)."""
    k = KnowledgeBase(server_location(request, tmp_path, monkeypatch) if request.param == "server" else None)
    k.initialize()
    return k

SMALL_TTL = """
@prefix ex: <https://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:aspirin a ex:Drug ; rdfs:label "aspirin"@en ; ex:treats ex:pain .
ex:pain rdfs:label "pain"@en , "疼痛"@zh .
[] ex:note "a blank node" ; ex:about ex:aspirin .
"""


def canonical(quads) -> set:
    """A canonical form of a set of quads, so blank-node relabelling does not matter."""
    ds = ox.Dataset(quads)
    ds.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(ds)


def default_graph(kb: KnowledgeBase) -> list[ox.Quad]:
    return list(kb.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))


# -- opening ------------------------------------------------------------------

def test_init_creates_a_persistent_store_holding_the_ontology(tmp_path: Path):
    path = tmp_path / "kb"
    with KnowledgeBase(path) as kb:
        assert not kb.is_initialized()
        assert kb.initialize() is True
        assert kb.initialize() is False  # idempotent
        n = len(kb)
    assert (path / "store").is_dir()
    with KnowledgeBase(path, create=False) as again:
        assert again.is_initialized()
        assert len(again) == n > 100


def test_in_memory_knowledge_base_needs_no_path():
    kb = KnowledgeBase(":memory:")
    assert kb.in_memory and len(kb) == 0
    kb.initialize()
    assert kb.is_initialized()


def test_opening_a_missing_knowledge_base_without_create_says_how_to_make_one(tmp_path: Path):
    with pytest.raises(NotFoundError, match="ontomed init"):
        KnowledgeBase(tmp_path / "nope", create=False)


def test_a_directory_that_is_not_a_knowledge_base_is_refused(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("hello")
    with pytest.raises(BadInputError, match="not an ontomed knowledge base"):
        KnowledgeBase(tmp_path / "docs")


def test_a_knowledge_base_in_use_gives_a_clear_error(disk_kb: KnowledgeBase):
    with pytest.raises(StoreError, match="in use by another process"):
        KnowledgeBase(disk_kb.path)


def test_read_only_knowledge_base_refuses_writes(disk_kb: KnowledgeBase):
    path = disk_kb.path
    disk_kb.close()
    ro = KnowledgeBase(path, read_only=True, create=False)
    assert ro.is_initialized()
    with pytest.raises(StoreError, match="read-only"):
        ro.add_entity("x", "Drug", "x")


# -- loading ------------------------------------------------------------------

@pytest.mark.parametrize("ext", ["ttl", "nt", "nq", "trig", "rdf", "owl", "jsonld"])
def test_load_reads_every_supported_format_by_extension(tmp_path: Path, ext: str):
    source = list(ox.parse(SMALL_TTL, format=ox.RdfFormat.TURTLE))
    fmt = {"rdf": ox.RdfFormat.RDF_XML, "owl": ox.RdfFormat.RDF_XML}.get(ext) or ox.RdfFormat.from_extension(ext)
    path = tmp_path / f"data.{ext}"
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in source]
    ox.serialize(source if fmt.supports_datasets else triples, str(path), fmt)
    kb = KnowledgeBase()
    report = kb.load(path)
    assert report.quads == len(source) == 7
    assert not report.skipped
    assert canonical(default_graph(kb)) == canonical(source)


def test_load_with_explicit_format_overrides_the_extension(tmp_path: Path):
    path = tmp_path / "data.txt"
    path.write_text(SMALL_TTL)
    kb = KnowledgeBase()
    with pytest.raises(BadInputError, match="--format"):
        kb.load(path)
    assert kb.load(path, format="turtle").quads == 7


def test_load_into_a_named_graph(tmp_path: Path):
    path = tmp_path / "data.ttl"
    path.write_text(SMALL_TTL)
    kb = KnowledgeBase()
    kb.load(path, graph="https://example.org/graph/g1")
    assert [g.value for g in kb.store.named_graphs()] == ["https://example.org/graph/g1"]
    assert default_graph(kb) == []


@pytest.mark.parametrize("on_disk", [False, True])
@pytest.mark.parametrize("bulk", [False, True])
def test_malformed_rdf_is_rejected_with_line_and_column_and_the_store_is_unchanged(
        tmp_path: Path, monkeypatch, on_disk: bool, bulk: bool):
    if bulk:  # force the validate-then-bulk-load path on a small file
        monkeypatch.setattr(kb_module, "BULK_THRESHOLD", 10)
    kb = KnowledgeBase(tmp_path / "kb" if on_disk else None)
    kb.initialize()
    before = canonical(kb.store)
    bad = tmp_path / "bad.nt"
    good_lines = "".join(f"<https://e.org/s{i}> <https://e.org/p> <https://e.org/o{i}> .\n" for i in range(50))
    bad.write_text(good_lines + '<https://e.org/s> <https://e.org/p> "unterminated .\n')
    with pytest.raises(RDFSyntaxError) as info:
        kb.load(bad)
    assert info.value.line == 51
    assert info.value.column is not None
    assert "bad.nt, line 51, column" in str(info.value)
    assert canonical(kb.store) == before


def test_a_second_identical_load_adds_nothing_even_with_blank_nodes(tmp_path: Path):
    path = tmp_path / "data.ttl"
    path.write_text(SMALL_TTL)
    kb = KnowledgeBase(tmp_path / "kb")
    first = kb.load(path)
    n = len(kb)
    second = kb.load(path)
    assert second.skipped and second.sha256 == first.sha256
    assert len(kb) == n
    forced = kb.load(path, force=True)  # --force loads again: the blank node is new
    assert not forced.skipped and len(kb) == n + 2


def test_load_history_survives_reopening(tmp_path: Path):
    path = tmp_path / "data.ttl"
    path.write_text(SMALL_TTL)
    with KnowledgeBase(tmp_path / "kb") as kb:
        kb.load(path)
    with KnowledgeBase(tmp_path / "kb") as kb:
        assert kb.load(path).skipped
        assert kb.loads()[0]["source"] == str(path)


def test_load_of_a_missing_file_is_a_not_found_error(tmp_path: Path):
    with pytest.raises(NotFoundError, match="no such file"):
        KnowledgeBase().load(tmp_path / "missing.ttl")


def test_named_graph_option_is_refused_for_dataset_formats(tmp_path: Path):
    path = tmp_path / "data.nq"
    path.write_text("<https://e.org/s> <https://e.org/p> <https://e.org/o> <https://e.org/g> .\n")
    with pytest.raises(BadInputError, match="names its own graphs"):
        KnowledgeBase().load(path, graph="https://e.org/other")


# -- SPARQL -------------------------------------------------------------------

def test_query_returns_oxigraph_results_with_ontomed_prefixes_predeclared(kb: KnowledgeBase):
    add_sample_facts(kb)
    rows = list(kb.query("SELECT ?d WHERE { ome:metformin om:treats ?d }"))
    assert [r["d"].value for r in rows] == [ENTITY + "type_2_diabetes_mellitus"]
    assert bool(kb.query("ASK { ?x a om:Gene }")) is True
    triples = list(kb.query("CONSTRUCT { ?s om:treats ?o } WHERE { ?s om:treats ?o }"))
    assert len(triples) == 1


def test_a_query_syntax_error_carries_the_parser_position(kb: KnowledgeBase):
    with pytest.raises(QuerySyntaxError, match=r"line 1, column \d+"):
        kb.query("SELECT * WHERE { ?s ?p }")


def test_sparql_update_changes_the_store(kb: KnowledgeBase):
    kb.update("INSERT DATA { ome:x a om:Drug }")
    assert bool(kb.query("ASK { ome:x a om:Drug }"))
    with pytest.raises(QuerySyntaxError):
        kb.update("INSERT DATA { ome:x }")


# -- entities and facts -------------------------------------------------------

def test_add_entity_records_class_labels_synonyms_and_resolvable_identifiers(kb: KnowledgeBase):
    iri = kb.add_entity("metformin", "drug", "metformin", labels={"zh": "二甲双胍"},
                        synonyms=["Glucophage", "metformin"],
                        identifiers={"drugbank": "DB00331", "mesh": ["D008687"]})
    assert iri == ENTITY + "metformin"
    e = kb.entity("metformin")
    assert e.types == (OM + "Drug",)
    assert e.labels["en"] == ("metformin",) and e.labels["zh"] == ("二甲双胍",)
    assert e.synonyms == ("Glucophage",)  # the label itself is not repeated as a synonym
    assert ("drugbank", "DB00331") in e.identifiers
    assert "http://id.nlm.nih.gov/mesh/D008687" in e.exact_matches
    assert "https://go.drugbank.com/drugs/DB00331" in e.exact_matches


@pytest.mark.parametrize("scheme,value", [("mesh", "12345"), ("unknownscheme", "1"), ("drugbank", "DB1")])
def test_add_entity_rejects_malformed_identifiers(kb: KnowledgeBase, scheme: str, value: str):
    with pytest.raises(BadInputError):
        kb.add_entity("x", "Drug", "x", identifiers={scheme: value})
    assert not bool(kb.query("ASK { ome:x ?p ?o }"))  # nothing half-written


def test_adding_the_same_fact_with_the_same_evidence_twice_changes_nothing(kb: KnowledgeBase):
    ev = Evidence(document="https://pubmed.ncbi.nlm.nih.gov/12345/", text="Metformin treats T2DM.",
                  extractor="x", confidence=0.9)
    kb.add_fact("metformin", "treats", "t2dm", evidence=ev)
    n = len(kb)
    kb.add_fact("metformin", "om:treats", "t2dm", evidence=ev)
    assert len(kb) == n


def test_several_pieces_of_evidence_give_several_annotation_nodes(kb: KnowledgeBase):
    evs = [Evidence(document=f"https://pubmed.ncbi.nlm.nih.gov/{i}/", text=f"sentence {i}",
                    extractor="x", confidence=0.5 + i / 10) for i in range(3)]
    kb.add_fact("metformin", "treats", "t2dm", evidence=evs)
    rows = list(kb.query("""SELECT ?ax ?conf ?text WHERE {
        ?ax a owl:Axiom ; owl:annotatedSource ome:metformin ; owl:annotatedProperty om:treats ;
            owl:annotatedTarget ome:t2dm ; om:confidence ?conf ; om:evidenceText ?text ;
            prov:wasDerivedFrom ?doc ; om:extractedBy "x" ; prov:generatedAtTime ?t }"""))
    assert len(rows) == 3
    assert {r["text"].value for r in rows} == {"sentence 0", "sentence 1", "sentence 2"}
    facts = kb.entity("ome:metformin").facts
    assert len(facts) == 1 and len(facts[0].evidence) == 3
    assert facts[0].evidence[0].confidence == pytest.approx(0.7)  # most confident first


def test_add_fact_refuses_a_property_the_ontology_does_not_define(kb: KnowledgeBase):
    with pytest.raises(BadInputError, match="not an object property"):
        kb.add_fact("metformin", "cures", "t2dm")


def test_add_entity_refuses_a_class_the_ontology_does_not_define(kb: KnowledgeBase):
    with pytest.raises(BadInputError, match="om:Gen is not a class"):
        kb.add_entity("x", "Gen", "x")


def test_confidence_is_a_valid_xsd_decimal_even_when_tiny(kb: KnowledgeBase):
    kb.add_fact("a", "treats", "b", evidence=Evidence(document="https://x.org/d", extractor="x",
                                                      confidence=0.00001))
    value = next(iter(kb.query("SELECT ?c WHERE { ?ax om:confidence ?c }")))["c"]
    assert value.value == "0.00001"


def test_evidence_validates_its_fields():
    with pytest.raises(ValueError):
        Evidence(document="https://x.org/d", extractor="x", confidence=1.5)
    with pytest.raises(ValueError):
        Evidence(document="", extractor="x")


def test_add_facts_adds_many_in_one_transaction(kb: KnowledgeBase):
    ev = Evidence(document="https://x.org/d", extractor="bulk")
    report = kb.add_facts((f"drug{i}", "treats", f"disease{i}", ev) for i in range(100))
    assert (report.facts, report.new_facts, report.evidence_added) == (100, 100, 100)
    again = kb.add_facts([("drug0", "treats", "disease0", ev), ("drug0", "treats", "disease0", ev)])
    assert (again.facts, again.new_facts, again.evidence_added) == (2, 0, 0)
    assert int(next(iter(kb.query("SELECT (COUNT(*) AS ?n) WHERE { ?s om:treats ?o }")))["n"].value) == 100


def test_entity_lookup_by_label_is_case_insensitive_and_finds_synonyms(kb: KnowledgeBase):
    add_sample_facts(kb)
    t2d = ENTITY + "type_2_diabetes_mellitus"
    assert kb.entity("Type 2 Diabetes Mellitus").iri == t2d
    assert kb.entity("t2dm").iri == t2d
    assert kb.entity(t2d).label == "type 2 diabetes mellitus"
    assert kb.entity("ome:metformin").labels["zh"] == ("二甲双胍",)


def test_entity_lookup_of_an_unknown_name_is_not_found(kb: KnowledgeBase):
    with pytest.raises(NotFoundError):
        kb.entity("unobtainium")
    with pytest.raises(NotFoundError):
        kb.entity(ENTITY + "unobtainium")


def test_entity_lookup_of_an_ambiguous_synonym_lists_the_candidates(kb: KnowledgeBase):
    kb.add_entity("multiple_sclerosis", "Disease", "multiple sclerosis", synonyms=["MS"])
    kb.add_entity("mitral_stenosis", "Disease", "mitral stenosis", synonyms=["MS"])
    with pytest.raises(AmbiguousError) as info:
        kb.entity("ms")
    assert set(info.value.candidates) == {ENTITY + "multiple_sclerosis", ENTITY + "mitral_stenosis"}


def test_entity_lists_facts_in_both_directions_with_evidence(kb: KnowledgeBase):
    add_sample_facts(kb)
    t2d = kb.entity("type 2 diabetes mellitus")
    assert [(f.predicate, f.object_label) for f in t2d.facts] == [(OM + "hasSymptom", "polyuria")]
    assert [(f.subject_label, f.predicate) for f in t2d.incoming] == [("metformin", OM + "treats")]
    ev = t2d.incoming[0].evidence[0]
    assert ev.extractor == "test-extractor" and ev.confidence == pytest.approx(0.93)
    assert ev.text.startswith("Metformin improves")
    assert ev.generated_at is not None
    gene = kb.entity("CFTR")
    assert gene.facts[0].evidence[0].annotations == {"severity": "causal"}
    assert gene.facts[0].evidence[0].source_record == "219700"


def test_documents_are_identified_by_a_hash_of_their_content(kb: KnowledgeBase):
    a = kb.add_document("Aspirin inhibits COX-1.", title="t")
    n = len(kb)
    assert kb.add_document("Aspirin inhibits COX-1.", title="t") == a
    assert len(kb) == n
    assert kb.add_document("Aspirin inhibits COX-2.") != a


# -- export -------------------------------------------------------------------

@pytest.mark.parametrize("fmt,ext", [("ttl", "ttl"), ("nt", "nt"), ("xml", "rdf"), ("jsonld", "jsonld"),
                                     ("nq", "nq"), ("trig", "trig")])
def test_export_then_reload_gives_an_isomorphic_graph(tmp_path: Path, kb: KnowledgeBase, fmt: str, ext: str):
    add_sample_facts(kb)
    kb.load(EXAMPLE_TTL)
    out = tmp_path / f"export.{ext}"
    kb.export(out, fmt)
    fresh = KnowledgeBase()
    fresh.load(out)
    assert canonical(fresh.quads()) == canonical(kb.quads())


def test_export_of_one_named_graph(tmp_path: Path, kb: KnowledgeBase):
    src = tmp_path / "g.ttl"
    src.write_text(SMALL_TTL)
    kb.load(src, graph="https://example.org/g")
    out = tmp_path / "g.nt"
    kb.export(out, "nt", graph="https://example.org/g")
    assert len(list(ox.parse(path=str(out)))) == 7


def test_export_to_an_unknown_format_is_bad_input(tmp_path: Path, kb: KnowledgeBase):
    with pytest.raises(BadInputError, match="unknown RDF format"):
        kb.export(tmp_path / "x", "docx")


# -- stats --------------------------------------------------------------------

def test_stats_counts_entities_facts_evidence_and_documents(kb: KnowledgeBase):
    add_sample_facts(kb)
    s = kb.stats()
    assert s["initialized"] is True
    assert s["entities"]["om:Drug"] == 1 and s["entities"]["om:Disease"] == 2
    assert s["facts"]["om:treats"] == 1 and s["facts"]["om:targets"] == 0
    assert s["evidence_annotations"] == 3
    assert s["documents"] == 3
    assert s["triples"] == len(kb)


def test_provenance_is_queryable_by_sparql(kb: KnowledgeBase):
    kb.load(EXAMPLE_TTL)
    rows = list(kb.query("""
        SELECT ?text ?source WHERE {
          ?ax owl:annotatedSource ome:metformin ; owl:annotatedProperty om:treats ;
              owl:annotatedTarget ome:type_2_diabetes_mellitus ;
              om:evidenceText ?text ; prov:wasDerivedFrom ?source ; om:extractedBy "curated:ontomed-example" }"""))
    assert len(rows) == 1
    assert rows[0]["source"].value == "https://go.drugbank.com/drugs/DB00331"


# -- what is kept per store state ---------------------------------------------------

def _probe_quads() -> list[ox.Quad]:
    return [ox.Quad(ox.NamedNode(ENTITY + "metformin"), ox.NamedNode(OM + "treats"),
                    ox.NamedNode(ENTITY + "type_2_diabetes_mellitus"), ox.DefaultGraph())]


def test_a_stamp_holds_across_processes_and_additions_until_something_may_delete(tmp_path: Path):
    with KnowledgeBase(tmp_path / "kb") as k:
        k.initialize()
        add_sample_facts(k)
        k.stamp("vocabulary:test", {"build": "b1"}, probe=_probe_quads())
        assert k.stamped("vocabulary:test") == {"build": "b1"}
    with KnowledgeBase(tmp_path / "kb", create=False) as k:  # another process would see the same
        assert k.stamped("vocabulary:test") == {"build": "b1"}
        k.load(EXAMPLE_TTL)  # additions keep it
        assert k.stamped("vocabulary:test") == {"build": "b1"}
        k.update("INSERT DATA { ome:x a om:Drug }")  # an update may delete: it no longer holds
        assert k.stamped("vocabulary:test") is None
        assert k.stamped("never-stamped") is None


def test_a_stamp_does_not_hold_when_what_it_covers_is_gone(tmp_path: Path):
    with KnowledgeBase(tmp_path / "kb") as k:
        k.initialize()
        add_sample_facts(k)
        k.stamp("vocabulary:test", {"build": "b1"}, probe=_probe_quads())
        k.store.remove(_probe_quads()[0])  # behind ontomed's back
        assert k.stamped("vocabulary:test") is None


def test_stats_on_disk_are_kept_per_store_state(tmp_path: Path, monkeypatch):
    from ontomed.kb import stats as stats_module

    with KnowledgeBase(tmp_path / "kb") as k:
        k.initialize()
    with KnowledgeBase(tmp_path / "kb", create=False) as k:  # as the next command would
        first = k.stats()
    with KnowledgeBase(tmp_path / "kb", create=False) as k:
        def counting_again(kb):
            raise AssertionError("the store was counted again though it did not change")

        monkeypatch.setattr(stats_module, "_counts", counting_again)
        assert k.stats() == first
        monkeypatch.undo()
        k.load(EXAMPLE_TTL)
        after = k.stats()
        assert after["entities"] != first["entities"] and after["files_loaded"] == 1
        k.update("DELETE DATA { ome:metformin a om:Drug } ; INSERT DATA { ome:metformin a om:Disease }")
        swapped = k.stats()  # as many quads as before, but an update may have changed anything
        assert swapped["quads"] == after["quads"]
        assert swapped["entities"]["om:Drug"] == after["entities"]["om:Drug"] - 1
