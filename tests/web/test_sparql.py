"""The SPARQL 1.1 Protocol at /sparql of a real ``ontomed serve``: the three ways to
send a query, content negotiation, datasets, the service description, errors."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest

from tests.live_server import http

TREATS_DIABETES = """SELECT ?drug WHERE { ?drug om:treats ome:type_2_diabetes_mellitus } ORDER BY ?drug"""
RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


@pytest.fixture
def server(web_server):
    """The session's read-only server of the example knowledge base (tests/web/conftest.py)."""
    return web_server


def get(server, query: str, **params: str):
    headers = {"Accept": params.pop("accept")} if "accept" in params else {}
    return http("GET", server.sparql + "?" + urlencode({"query": query, **params}), headers=headers)


def drugs(body: bytes, fmt=ox.QueryResultsFormat.JSON) -> list[str]:
    return [row["drug"].value for row in ox.parse_query_results(body, fmt)]


def test_query_by_get_post_form_and_post_direct_agree(server):
    by_get = get(server, TREATS_DIABETES)
    by_form = http("POST", server.sparql, urlencode({"query": TREATS_DIABETES}),
                   {"Content-Type": "application/x-www-form-urlencoded"})
    direct = http("POST", server.sparql, TREATS_DIABETES,
                  {"Content-Type": "application/sparql-query"})
    assert by_get.status == by_form.status == direct.status == 200
    found = drugs(by_get.body)
    assert "https://w3id.org/ontomed/entity/metformin" in found
    assert drugs(by_form.body) == drugs(direct.body) == found


@pytest.mark.parametrize("accept,expected", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+xml"),
    ("*/*", "application/sparql-results+json"),
])
def test_select_results_follow_the_accept_header(server, accept, expected):
    reply = get(server, TREATS_DIABETES, accept=accept)
    assert reply.status == 200
    assert reply.content_type == expected
    if expected in RESULT_TYPES:
        assert "https://w3id.org/ontomed/entity/metformin" in drugs(reply.body, RESULT_TYPES[expected])
    assert "Accept" in reply.headers.get("vary", "")


@pytest.mark.parametrize("accept,expected,fmt", [
    ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
])
def test_construct_and_describe_follow_the_accept_header(server, accept, expected, fmt):
    construct = get(server, "CONSTRUCT WHERE { ome:metformin ?p ?o }", accept=accept)
    describe = get(server, "DESCRIBE ome:metformin", accept=accept)
    for reply in (construct, describe):
        assert reply.status == 200, reply.text
        assert reply.content_type == expected
        triples = list(ox.parse(reply.body, fmt))
        assert any(t.object == ox.Literal("二甲双胍", language="zh") for t in triples)


def test_ask_answers_a_boolean(server):
    yes = get(server, "ASK { ome:metformin a om:Drug }")
    no = get(server, "ASK { ome:metformin a om:Gene }", accept="application/sparql-results+xml")
    assert bool(ox.parse_query_results(yes.body, ox.QueryResultsFormat.JSON)) is True
    assert bool(ox.parse_query_results(no.body, ox.QueryResultsFormat.XML)) is False


def test_the_format_parameter_overrides_accept(server):
    csv = get(server, TREATS_DIABETES, format="csv", accept="application/sparql-results+xml")
    assert csv.content_type == "text/csv"
    assert csv.text.splitlines()[0] == "drug"
    nt = get(server, "CONSTRUCT WHERE { ome:metformin a ?t }", format="nt")
    assert nt.content_type == "application/n-triples"
    unknown = get(server, TREATS_DIABETES, format="yaml")
    assert unknown.status == 400 and "unknown format" in unknown.text


def test_nothing_acceptable_is_406_with_the_offer(server):
    reply = get(server, TREATS_DIABETES, accept="image/png")
    assert reply.status == 406
    assert "application/sparql-results+json" in reply.text
    graph = get(server, "CONSTRUCT WHERE { ?s ?p ?o }", accept="text/csv")
    assert graph.status == 406 and "text/turtle" in graph.text


def test_protocol_dataset_replaces_the_query_dataset(server):
    # the default graph holds the data; an empty protocol dataset has nothing in it
    assert get(server, "ASK { ?s ?p ?o }").text.find("true") > 0
    empty = get(server, "ASK { ?s ?p ?o }", **{"default-graph-uri": "http://example.org/none"})
    assert bool(ox.parse_query_results(empty.body, ox.QueryResultsFormat.JSON)) is False


def test_predeclared_prefixes_and_relative_iris_resolve(server):
    reply = get(server, "SELECT (STR(<relative>) AS ?iri) WHERE {}", format="json")
    rows = list(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))
    assert rows[0]["iri"].value == server.sparql.rsplit("/", 1)[0] + "/relative"


def test_service_description_without_a_query(server):
    reply = http("GET", server.sparql, headers={"Accept": "text/turtle"})
    assert reply.status == 200 and reply.content_type == "text/turtle"
    sd = "http://www.w3.org/ns/sparql-service-description#"
    triples = list(ox.parse(reply.body, ox.RdfFormat.TURTLE))
    assert ox.NamedNode(server.sparql) in {t.object for t in triples if t.predicate.value == sd + "endpoint"}
    languages = {t.object.value for t in triples if t.predicate.value == sd + "supportedLanguage"}
    assert languages == {sd + "SPARQL11Query"}  # no update token: no update language
    jsonld = http("GET", server.sparql, headers={"Accept": "application/ld+json"})
    assert jsonld.content_type == "application/ld+json" and json.loads(jsonld.body)


@pytest.mark.parametrize("request_args,status,words", [
    (("GET", "?query=SELECT%20*%20%7B"), 400, "SPARQL syntax error at line 1, column"),
    (("GET", "?query=ASK%7B%7D&query=ASK%7B%7D"), 400, "exactly one 'query'"),
    (("GET", "?query="), 400, "empty"),
    (("GET", "?update=CLEAR%20ALL"), 400, "POST"),
    (("PUT", "?query=ASK%7B%7D"), 405, "not allowed"),
    (("POST", ""), 415, "Content-Type"),
    (("GET", "?query=ASK%7B%7D&default-graph-uri=not%20an%20iri"), 400, "not a valid IRI"),
])
def test_protocol_errors_are_4xx_with_one_line(server, request_args, status, words):
    method, query = request_args
    reply = http(method, server.sparql + query, body=b"ASK {}" if method == "POST" else None)
    assert reply.status == status
    assert words in reply.text
    assert reply.content_type == "text/plain" and reply.text.count("\n") == 1
    assert "Traceback" not in reply.text


@pytest.mark.parametrize("limited", [False, True])
def test_select_star_keeps_the_querys_column_order(server, limited):
    text = "SELECT * WHERE { ?s om:treats ?o . ?s rdfs:label ?label }" + (" LIMIT 2" if limited else "")
    reply = http("POST", server.sparql, text, {"Content-Type": "application/sparql-query",
                                               "Accept": "application/sparql-results+json"})
    assert reply.status == 200
    assert json.loads(reply.body)["head"]["vars"] == ["s", "o", "label"]
    as_csv = http("GET", server.sparql + "?query=" + quote(text), headers={"Accept": "text/csv"})
    assert as_csv.text.splitlines()[0] == "s,o,label"


def test_bodies_must_be_utf8(server):
    utf16 = http("POST", server.sparql, "ASK {}".encode("utf-16"),
                 {"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert utf16.status == 415
    latin1 = http("POST", server.sparql, 'ASK { FILTER("caf\xe9") }'.encode("latin-1"),
                  {"Content-Type": "application/sparql-query"})
    assert latin1.status == 400 and "UTF-8" in latin1.text


def test_updates_are_refused_without_a_configured_token(server):
    for headers in ({}, {"Authorization": "Bearer anything-at-all"}):
        reply = http("POST", server.sparql, "CLEAR ALL",
                     {"Content-Type": "application/sparql-update", **headers})
        assert reply.status == 403 and "read-only" in reply.text
    assert "true" in get(server, "ASK { ome:metformin a om:Drug }").text


def test_unicode_round_trips(server):
    reply = get(server, 'SELECT ?l WHERE { ome:metformin rdfs:label ?l FILTER(LANG(?l) = "zh") }')
    rows = list(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))
    assert rows[0]["l"].value == "二甲双胍"
    by_label = get(server, 'SELECT ?e WHERE { ?e rdfs:label "二甲双胍"@zh }')
    assert "metformin" in by_label.text


def test_url_encoded_iris_in_the_query_string(server):
    q = quote("SELECT ?p WHERE { <https://w3id.org/ontomed/entity/metformin> ?p ?o } LIMIT 1")
    assert http("GET", f"{server.sparql}?query={q}").status == 200


def test_the_example_knowledge_base_is_what_is_served(server, tmp_path: Path):
    reply = get(server, "SELECT (COUNT(*) AS ?n) WHERE { ?d a om:Drug }", format="json")
    rows = list(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))
    assert int(rows[0]["n"].value) >= 10
