"""Real SPARQL clients against a real ``ontomed serve``: SPARQLWrapper and
rdflib's SPARQLStore, the way a user's script talks to the endpoint."""

from __future__ import annotations

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper


OME = rdflib.Namespace("https://w3id.org/ontomed/entity/")
OM = rdflib.Namespace("https://w3id.org/ontomed#")


@pytest.fixture
def server(web_server):
    """The session's read-only server of the example knowledge base (tests/web/conftest.py)."""
    return web_server


def wrapper(server, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    sw = SPARQLWrapper(server.sparql)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_as_json(server, method):
    q = "SELECT ?drug ?label WHERE { ?drug om:treats ome:type_2_diabetes_mellitus ; rdfs:label ?label }"
    result = wrapper(server, q, JSON, method).queryAndConvert()
    labels = {b["label"]["value"] for b in result["results"]["bindings"]}
    assert "metformin" in labels


def test_sparqlwrapper_select_as_xml_and_csv(server):
    q = "SELECT ?l WHERE { ome:metformin rdfs:label ?l }"
    xml = wrapper(server, q, XML).queryAndConvert()
    assert {n.firstChild.data for n in xml.getElementsByTagName("literal")} >= {"metformin", "二甲双胍"}
    csv = wrapper(server, q, CSV).queryAndConvert().decode("utf-8")
    assert csv.splitlines()[0] == "l" and "二甲双胍" in csv


def test_sparqlwrapper_ask_and_construct(server):
    assert wrapper(server, "ASK { ome:metformin a om:Drug }", JSON).queryAndConvert()["boolean"] is True
    graph = wrapper(server, "CONSTRUCT WHERE { ome:metformin ?p ?o }", TURTLE).queryAndConvert()
    g = rdflib.Graph().parse(data=graph, format="turtle")
    assert (OME.metformin, rdflib.RDF.type, OM.Drug) in g


def test_sparqlwrapper_sees_a_syntax_error_as_a_query_bad_format(server):
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    with pytest.raises(QueryBadFormed) as info:
        wrapper(server, "SELECT * WHERE {", JSON).queryAndConvert()
    assert "SPARQL syntax error" in str(info.value)


def test_rdflib_sparqlstore_queries_and_iterates(server):
    store = SPARQLStore(server.sparql, returnFormat="json")
    graph = rdflib.Graph(store=store)
    rows = list(graph.query(
        "PREFIX om: <https://w3id.org/ontomed#> PREFIX ome: <https://w3id.org/ontomed/entity/> "
        "SELECT ?drug WHERE { ?drug om:treats ome:type_2_diabetes_mellitus }"))
    assert (OME.metformin,) in [tuple(r) for r in rows]
    labels = set(graph.objects(OME.metformin, rdflib.RDFS.label))
    assert rdflib.Literal("二甲双胍", lang="zh") in labels
    assert (OME.metformin, rdflib.RDF.type, OM.Drug) in graph
    store.close()


def test_rdflib_sparqlstore_with_xml_results(server):
    graph = rdflib.Graph(store=SPARQLStore(server.sparql))  # rdflib asks for XML by default
    answer = graph.query("ASK { <https://w3id.org/ontomed/entity/metformin> ?p ?o }")
    assert answer.askAnswer is True
