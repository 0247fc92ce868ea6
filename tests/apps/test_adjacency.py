"""The graph as a sparse matrix: ``kb.adjacency`` and ``ontomed adjacency``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.needs import need_module
import scipy.sparse
from click.testing import CliRunner

from ontomed import Evidence
from ontomed.apps.adjacency import Adjacency
from ontomed.cli import cli
from ontomed.errors import BadInputError
from ontomed.iri import ENTITY, OM

from tests.conftest import make_example_kb

EV = Evidence(document="https://example.org/doc", extractor="test")


@pytest.fixture
def example_kb():
    return make_example_kb()


def _edge(adj: Adjacency, s: str, o: str) -> float:
    return float(adj.matrix[adj.position(ENTITY + s), adj.position(ENTITY + o)])


def test_facts_become_entries_over_a_sorted_index_of_every_entity(example_kb):
    adj = example_kb.adjacency()
    assert list(adj.index) == sorted(adj.index) and len(adj.index) == 35  # the example's entities
    assert adj.matrix.shape == (35, 35) and scipy.sparse.isspmatrix_csr(adj.matrix)
    assert _edge(adj, "metformin", "type_2_diabetes_mellitus") == 1.0
    assert _edge(adj, "type_2_diabetes_mellitus", "metformin") == 0.0  # treats is directed
    counts = adj.edges_by_property()
    expected = {row["p"].value: int(row["n"].value) for row in example_kb.query(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?p a owl:ObjectProperty } GROUP BY ?p")}
    assert OM + "treats" in expected and OM + "interactsWith" in expected
    for prop, n in expected.items():
        factor = 2 if prop == OM + "interactsWith" else 1
        assert counts["om:" + prop[len(OM):]] == n * factor
    assert adj.matrix.sum() == sum(counts.values())


def test_the_index_is_in_iri_order_even_where_one_iri_extends_another(example_kb):
    example_kb.add_entity("abc12", "Gene", "ABC12")
    example_kb.add_entity("abc1", "Gene", "ABC1")
    index = example_kb.adjacency().index
    assert index.index(ENTITY + "abc1") + 1 == index.index(ENTITY + "abc12")


def test_the_index_is_the_same_whichever_properties_are_chosen(example_kb):
    everything = example_kb.adjacency()
    treats = example_kb.adjacency(["treats"])
    assert treats.index == everything.index
    assert treats.properties == (OM + "treats",)
    assert treats.matrix.nnz == len(list(example_kb.query("SELECT * WHERE { ?s om:treats ?o }")))
    again = example_kb.adjacency(["om:treats"])
    assert (again.matrix != treats.matrix).nnz == 0 and again.index == treats.index


def test_a_symmetric_property_is_entered_both_ways_once(example_kb):
    example_kb.add_fact("aspirin", "interactsWith", "warfarin", evidence=EV)  # both directions stored
    adj = example_kb.adjacency(["interactsWith"])
    assert _edge(adj, "warfarin", "aspirin") == 1.0 and _edge(adj, "aspirin", "warfarin") == 1.0
    assert (adj.matrix != adj.matrix.T).nnz == 0


def test_entries_count_the_properties_linking_a_pair(example_kb):
    example_kb.add_fact("aspirin", "hasSideEffect", "peptic_ulcer", evidence=EV)
    adj = example_kb.adjacency(["hasSideEffect", "contraindicatedFor"])
    assert _edge(adj, "aspirin", "peptic_ulcer") == 2.0
    pair = (adj.edges["row"] == adj.position(ENTITY + "aspirin")) & (
        adj.edges["col"] == adj.position(ENTITY + "peptic_ulcer"))
    assert sorted(adj.properties[k] for k in adj.edges["property"][pair]) == [
        OM + "contraindicatedFor", OM + "hasSideEffect"]


def test_classes_restrict_the_index_and_the_edges(example_kb):
    adj = example_kb.adjacency(classes=["Drug", "Gene"])
    assert len(adj.index) == 16 and adj.classes == ("Drug", "Gene")
    assert set(adj.edges_by_property()) >= {"om:targets", "om:interactsWith"}
    assert adj.edges_by_property()["om:treats"] == 0  # diseases are outside the index
    assert _edge(adj, "imatinib", "abl1") == 1.0
    assert example_kb.adjacency(classes=["Condition"]).classes == ("Disease", "Symptom")


def test_skos_broader_and_other_used_properties_can_be_chosen(example_kb):
    example_kb.add_entity("diabetes_mellitus", "Disease", "diabetes mellitus")
    example_kb.update("INSERT DATA { ome:type_2_diabetes_mellitus skos:broader ome:diabetes_mellitus }")
    adj = example_kb.adjacency(["skos:broader"])
    assert _edge(adj, "type_2_diabetes_mellitus", "diabetes_mellitus") == 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"properties": ["cures"]}, "'cures' is not an object property"),
    ({"classes": ["Pill"]}, "unknown class 'Pill'"),
    ({"properties": []}, "no property given"),
])
def test_unknown_properties_and_classes_are_bad_input(example_kb, kwargs, message):
    with pytest.raises(BadInputError, match=message):
        example_kb.adjacency(**kwargs)


def test_save_and_load_round_trip_with_scipy_and_the_sidecars(example_kb, tmp_path):
    adj = example_kb.adjacency()
    paths = adj.save(tmp_path / "kb.npz")
    assert [p.name for p in paths] == ["kb.npz", "kb.entities.tsv", "kb.edges.npz"]
    assert (scipy.sparse.load_npz(tmp_path / "kb.npz") != adj.matrix).nnz == 0
    lines = (tmp_path / "kb.entities.tsv").read_text().splitlines()
    assert lines[0] == "row\tiri" and lines[1] == f"0\t{adj.index[0]}"
    back = Adjacency.load(tmp_path / "kb.npz")
    assert back.index == adj.index and back.properties == adj.properties and back.classes == adj.classes
    for key in ("row", "col", "property"):
        assert np.array_equal(back.edges[key], adj.edges[key])
    with pytest.raises(BadInputError, match="not an ontomed adjacency file set"):
        Adjacency.load(tmp_path / "missing.npz")
    with pytest.raises(BadInputError, match="written as .npz"):
        adj.save(tmp_path / "kb.csv")


def test_torch_sparse_tensors_hold_the_same_matrix(example_kb):
    torch = need_module("torch", "the ml extra (torch) is not installed")
    torch.set_num_threads(1)
    adj = example_kb.adjacency()
    dense = adj.matrix.toarray()
    assert np.array_equal(adj.to_torch("csr").to_dense().numpy(), dense)
    assert np.array_equal(adj.to_torch("coo").to_dense().numpy(), dense)
    with pytest.raises(BadInputError):
        adj.to_torch("bsr")


def test_the_command_writes_the_files_and_a_summary(tmp_path):
    make_example_kb(tmp_path / "kb").close()
    runner = CliRunner()
    result = runner.invoke(cli, ["adjacency", "--kb", str(tmp_path / "kb"), "--property", "treats",
                                 "--property", "interactsWith", "-o", str(tmp_path / "a.npz"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["entities"] == 35 and summary["edges_by_property"]["om:interactsWith"] % 2 == 0
    assert summary["edges"] == summary["edges_by_property"]["om:treats"] + summary[
        "edges_by_property"]["om:interactsWith"]
    assert scipy.sparse.load_npz(tmp_path / "a.npz").nnz == summary["nonzeros"]
    text = runner.invoke(cli, ["adjacency", "--kb", str(tmp_path / "kb"), "-o", str(tmp_path / "b.npz")])
    assert text.exit_code == 0 and "om:hasSymptom" in text.output and "wrote" in text.output
    bad = runner.invoke(cli, ["adjacency", "--kb", str(tmp_path / "kb"), "-o", str(tmp_path / "no" / "c.npz")])
    assert bad.exit_code == 2 and bad.output.strip().startswith("error:") and "no such directory" in bad.output
    assert "Example" in runner.invoke(cli, ["adjacency", "--help"]).output
