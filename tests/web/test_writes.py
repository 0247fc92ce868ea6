"""Writes through a real ``ontomed serve`` with an update token: SPARQL Update and
the Graph Store HTTP Protocol, the token check, and the store lock that keeps
other writers out while the server runs."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest

from tests.conftest import EXAMPLE_TTL
from tests.live_server import TOKEN, build_example_kb, http, live_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
G = "http://example.org/graphs/g1"


@pytest.fixture(scope="module")
def kb_path(tmp_path_factory: pytest.TempPathFactory):
    return build_example_kb(tmp_path_factory.mktemp("web-store") / "kb")


@pytest.fixture(scope="module")
def server(kb_path):
    with live_server(kb_path, "--update-token", TOKEN, "--workers", "2") as s:
        yield s


def ask(server, text: str) -> bool:
    reply = http("GET", server.sparql + "?" + urlencode({"query": text}))
    assert reply.status == 200, reply.text
    return bool(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))


def store(server, method: str, graph: str | None, body: str | None = None,
          content_type: str = "text/turtle", auth: bool = True, accept: str | None = None):
    target = "default" if graph is None else "graph=" + quote(graph, safe="")
    headers = {**(AUTH if auth else {}), **({"Content-Type": content_type} if body is not None else {})}
    if accept:
        headers["Accept"] = accept
    return http(method, f"{server.url}store?{target}", body, headers)


def test_update_with_the_token_is_applied_and_seen_by_later_queries(server):
    reply = http("POST", server.sparql, 'INSERT DATA { ome:x rdfs:label "inserted" }',
                 {"Content-Type": "application/sparql-update", **AUTH})
    assert reply.status == 204, reply.text
    assert ask(server, 'ASK { ome:x rdfs:label "inserted" }')
    form = http("POST", server.sparql, urlencode({"update": "DELETE WHERE { ome:x ?p ?o }"}),
                {"Content-Type": "application/x-www-form-urlencoded", **AUTH})
    assert form.status == 204
    assert not ask(server, "ASK { ome:x ?p ?o }")


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-xyz", f"Basic {TOKEN}", TOKEN])
def test_update_without_the_right_bearer_token_is_403(server, header):
    headers = {"Content-Type": "application/sparql-update"}
    if header:
        headers["Authorization"] = header
    reply = http("POST", server.sparql, "CLEAR ALL", headers)
    assert reply.status == 403 and "Bearer" in reply.text
    assert ask(server, "ASK { ome:metformin a om:Drug }")


def test_a_malformed_update_is_400_and_changes_nothing(server):
    reply = http("POST", server.sparql, "INSERT DATA { ome:y rdfs:label 'a' } ; CLEAR XYZ",
                 {"Content-Type": "application/sparql-update", **AUTH})
    assert reply.status == 400 and "SPARQL syntax error" in reply.text
    assert not ask(server, "ASK { ome:y ?p ?o }")


def test_graph_store_put_get_post_delete(server):
    assert store(server, "GET", G, auth=False).status == 404
    created = store(server, "PUT", G, "<http://e.org/a> <http://e.org/p> 1 .")
    assert created.status == 201
    replaced = store(server, "PUT", G, "<http://e.org/a> <http://e.org/p> 2 .")
    assert replaced.status == 204
    merged = store(server, "POST", G, '<http://e.org/b> <http://e.org/p> "b" .',
                   content_type="application/n-triples")
    assert merged.status == 204
    got = store(server, "GET", G, auth=False, accept="application/n-triples")
    assert got.status == 200 and got.content_type == "application/n-triples"
    triples = {str(t) for t in ox.parse(got.body, ox.RdfFormat.N_TRIPLES)}
    assert triples == {
        '<http://e.org/a> <http://e.org/p> "2"^^<http://www.w3.org/2001/XMLSchema#integer>',
        '<http://e.org/b> <http://e.org/p> "b"'}
    assert store(server, "DELETE", G).status == 204
    assert store(server, "GET", G, auth=False).status == 404
    assert store(server, "DELETE", G).status == 404


def test_graph_store_reads_the_default_graph(server):
    reply = store(server, "GET", None, auth=False, accept="text/turtle")
    assert reply.status == 200
    assert any(t.object == ox.Literal("metformin", language="en")
               for t in ox.parse(reply.body, ox.RdfFormat.TURTLE))


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_graph_store_writes_need_the_token(server, method):
    reply = store(server, method, G, "<http://e.org/a> <http://e.org/p> 1 ." if method != "DELETE" else None,
                  auth=False)
    assert reply.status == 403


@pytest.mark.parametrize("body,content_type,status,words", [
    ("<http://e.org/a> <http://e.org/p> .", "text/turtle", 400, "does not parse"),
    ("a b c", "application/octet-stream", 415, "send a graph as"),
    ("<a> <b> <c> <d> .", "application/n-quads", 415, "send a graph as"),
])
def test_graph_store_bad_uploads(server, body, content_type, status, words):
    reply = store(server, "PUT", G, body, content_type=content_type)
    assert reply.status == status and words in reply.text


def test_graph_store_needs_exactly_one_graph(server):
    assert http("GET", server.url + "store").status == 400
    assert http("GET", server.url + "store?default&graph=http://e.org/g").status == 400


def test_other_writers_are_kept_out_while_serving(server, kb_path):
    """The server holds the store's lock: a concurrent `ontomed load` would corrupt its readers."""
    result = subprocess.run([sys.executable, "-m", "ontomed.cli", "load", "--kb", str(kb_path),
                             "--force", str(EXAMPLE_TTL)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "in use by another process" in result.stderr
    assert ask(server, "ASK { ome:metformin a om:Drug }")


def test_an_update_through_the_endpoint_path_refreshes_the_schema_the_knowledge_base_checks_facts_by():
    """The web jobs write through KnowledgeBase's API: an update that declares a new object
    property makes it usable by add_fact at once (the store-level shortcut skipped the
    schema reset, and add_fact refused the property)."""
    from ontomed import BadInputError, KnowledgeBase
    from ontomed.web import jobs

    kb = KnowledgeBase()
    kb.initialize()
    kb.add_entity("aspirin", "Drug", "aspirin")
    kb.add_entity("headache", "Symptom", "headache")
    with pytest.raises(BadInputError, match="not an object property"):
        kb.add_fact("aspirin", "om:relieves", "headache")
    jobs.sparql_update(kb, text="INSERT DATA { om:relieves a owl:ObjectProperty }")
    fact = kb.add_fact("aspirin", "om:relieves", "headache")
    assert kb.has_fact(fact.subject, fact.predicate, fact.object)
    jobs.graph_post(kb, graph=None, fmt="nt", data=(
        b"<https://w3id.org/ontomed#eases> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        b"<http://www.w3.org/2002/07/owl#ObjectProperty> .\n"))
    assert kb.add_fact("aspirin", "om:eases", "headache").predicate.endswith("#eases")
