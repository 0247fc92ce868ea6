"""The pages a person reads: the query page and the entity pages, over raw HTTP
(the browser test drives them for real), and what the same IRIs answer a machine."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from ontomed import Evidence, KnowledgeBase

from .live_server import build_example_kb, http, live_server

OWL = "http://www.w3.org/2002/07/owl#"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    kb = build_example_kb(tmp_path_factory.mktemp("web-pages") / "kb")
    with KnowledgeBase(kb) as k:  # evidence whose source is not a web address
        k.add_fact("aspirin", "hasSideEffect", "nausea", evidence=Evidence(
            document="javascript:alert(1)", extractor="test", text="<script>alert(2)</script>"))
    with live_server(kb) as s:
        yield s


def test_the_query_page_has_the_editor_examples_and_no_outside_assets(server):
    reply = http("GET", server.url, headers={"Accept": "text/html"})
    assert reply.status == 200 and reply.content_type == "text/html"
    page = reply.text
    for title in ("Drugs that treat a disease", "Symptoms of a disease", "Interactions of a drug",
                  "The evidence behind a fact"):
        assert title in page
    assert "/static/vendor/yasqe/yasqe.min.js" in page
    assert "src=\"http" not in page and "href=\"http" not in page  # nothing from a CDN
    for asset in ("static/vendor/yasqe/yasqe.min.js", "static/vendor/yasqe/yasqe.min.css",
                  "static/query.js", "static/ontomed.css"):
        assert http("GET", server.url + asset).status == 200


def test_every_example_query_answers_rows(server):
    from ontomed.web.browser import EXAMPLES

    for title, text in EXAMPLES:
        reply = http("POST", server.sparql, text, {"Content-Type": "application/sparql-query"})
        rows = list(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))
        assert rows, f"the example {title!r} finds nothing in the example data"


def test_a_browser_asking_the_endpoint_for_html_is_sent_to_the_query_page(server):
    reply = http("GET", server.sparql, headers={"Accept": "text/html,*/*;q=0.8"})
    assert reply.status == 303 and reply.headers["location"].endswith("/")


def test_the_entity_page_shows_labels_types_identifiers_facts_and_evidence(server):
    reply = http("GET", server.url + "entity/metformin", headers={"Accept": "text/html"})
    assert reply.status == 200
    page = reply.text
    for expected in ("二甲双胍", "om:Drug", "drugbank:DB00331", "https://go.drugbank.com/drugs/DB00331",
                     "treats", "治疗", 'href="/entity/type_2_diabetes_mellitus"',
                     "improve glycemic control", "curated:ontomed-example", "1.00",
                     "Metformin treats type 2 diabetes mellitus.", "二甲双胍可用于治疗2型糖尿病。"):
        assert expected in page, expected


def test_the_entity_iri_answers_rdf_by_content_negotiation(server):
    turtle = http("GET", server.url + "entity/metformin", headers={"Accept": "text/turtle"})
    assert turtle.status == 200 and turtle.content_type == "text/turtle"
    triples = list(ox.parse(turtle.body, ox.RdfFormat.TURTLE))
    metformin = ox.NamedNode("https://w3id.org/ontomed/entity/metformin")
    assert any(t.subject == metformin and t.object == ox.Literal("二甲双胍", language="zh") for t in triples)
    assert any(t.predicate.value == OWL + "annotatedSource" and t.object == metformin for t in triples)
    jsonld = http("GET", server.url + "entity/metformin?format=jsonld")
    assert jsonld.content_type == "application/ld+json" and json.loads(jsonld.body)


def test_an_unknown_entity_is_404_for_people_and_machines(server):
    assert http("GET", server.url + "entity/no_such_thing", headers={"Accept": "text/html"}).status == 404
    assert http("GET", server.url + "entity/no_such_thing", headers={"Accept": "text/turtle"}).status == 404


def test_values_from_the_data_are_escaped_and_only_web_addresses_are_links(server):
    page = http("GET", server.url + "entity/aspirin", headers={"Accept": "text/html"}).text
    assert "javascript:alert(1)" in page and 'href="javascript:' not in page
    assert "<script>alert(2)" not in page and "&lt;script&gt;alert(2)" in page


def test_entity_pages_show_a_checked_generated_paragraph_when_enabled(tmp_path_factory, monkeypatch):
    from . import tiny_lm

    monkeypatch.setenv("ONTOMED_GENERATOR_MODEL", str(tiny_lm.model_dir(tmp_path_factory.getbasetemp())))
    kb = build_example_kb(tmp_path_factory.mktemp("web-generate") / "kb")
    with live_server(kb, "--generate-descriptions") as s:
        page = http("GET", s.url + "entity/metformin", headers={"Accept": "text/html"}).text
    assert 'class="generated"' in page
    # an untrained model's sentences are not supported, so the template sentences stand in
    assert "generated sentences supported by the graph" in page
    assert "Metformin treats type 2 diabetes mellitus." in page
