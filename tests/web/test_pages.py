"""The pages a person reads: the query page and the entity pages, over raw HTTP
(the browser test drives them for real), and what the same IRIs answer a machine."""

from __future__ import annotations

import json
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from ontomed import Evidence, KnowledgeBase

from tests.conftest import make_example_kb
from tests.live_server import build_example_kb, http, live_server

OWL = "http://www.w3.org/2002/07/owl#"
ABSTRACT = "Aspirin relieved headache in 70% of patients."
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # as a browser asks


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    kb = build_example_kb(tmp_path_factory.mktemp("web-pages") / "kb")
    with KnowledgeBase(kb) as k:
        add_page_data(k)
    with live_server(kb) as s:
        yield s


def add_page_data(k: KnowledgeBase) -> KnowledgeBase:
    # evidence whose source is not a web address
    k.add_fact("aspirin", "hasSideEffect", "nausea", evidence=Evidence(
        document="javascript:alert(1)", extractor="test", text="<script>alert(2)</script>"))
    # evidence read from an abstract, as `ontomed build` records it: its IRI is a hash
    doc = k.add_document(ABSTRACT, title="Aspirin and headache: a trial", identifier="PMID:99000123",
                         source="https://pubmed.ncbi.nlm.nih.gov/99000123/")
    k.add_fact("aspirin", "treats", "headache", evidence=Evidence(
        document=doc, extractor="dictionary", text=ABSTRACT, confidence=0.8))
    return k


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

    assert len(EXAMPLES) >= 3
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
                     'Metformin treats <a class="entity-link" href="/entity/type_2_diabetes_mellitus">'
                     'type 2 diabetes mellitus</a>.',
                     '二甲双胍可用于治疗<a class="entity-link" href="/entity/type_2_diabetes_mellitus">2型糖尿病</a>。'):
        assert expected in page, expected


def test_evidence_shows_the_documents_title_and_identifier_with_its_hash_iri_only_as_the_link(server):
    from ontomed.iri import document_iri

    page = http("GET", server.url + "entity/aspirin", headers=HTML).text
    doc = document_iri(ABSTRACT)
    assert f'<a href="{doc}" rel="noopener">Aspirin and headache: a trial</a>' in page
    assert '<span class="doc-id">PMID:99000123</span>' in page
    assert page.count(doc) == 1  # the link's target, never shown as text
    assert "sha256-" not in page.replace(doc, "")


def test_every_page_has_a_search_box_and_a_favicon(server):
    for path in ("", "entity/metformin", "search?q=aspirin", "treat", "no/such/page"):
        page = http("GET", server.url + path, headers=HTML).text
        assert '<form class="search" role="search" method="get" action="/search">' in page, path
        assert '<label for="site-search">' in page and 'name="q"' in page, path
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page, path
    icon = http("GET", server.url + "favicon.ico")
    assert icon.status == 200 and icon.content_type == "image/vnd.microsoft.icon" and icon.body[:4] == b"\0\0\1\0"
    assert http("GET", server.url + "static/favicon.svg").status == 200


def test_search_ranks_as_the_command_line_does(server):
    from ontomed.kb.names import search

    same = add_page_data(make_example_kb())  # what the server holds, in memory
    for text in ("Glucophage", "metfromin", "DB00331", "type 2", "aspirn"):
        hits = json.loads(http("GET", server.url + f"search?q={quote(text)}&format=json").body)["hits"]
        assert hits and hits == [h.to_dict() for h in search(same, text, limit=25)], text
    page = http("GET", server.url + "search?q=Glucophage", headers=HTML).text
    assert '<a class="entity-link" href="/entity/metformin">metformin</a>' in page
    assert http("GET", server.url + "search?q=DB00331", headers={"Accept": "application/json"}).content_type \
        == "application/json"


def test_an_entity_page_named_by_a_synonym_label_or_identifier_redirects(server):
    for name in ("Glucophage", "METFORMIN", "DB00331"):
        reply = http("GET", server.url + f"entity/{name}", headers=HTML)
        assert reply.status == 303 and reply.headers["location"].endswith("/entity/metformin"), name
    reply = http("GET", server.url + "entity/type_2_diabetes?format=ttl")  # a synonym, with "_" for spaces
    assert reply.status == 303 and reply.headers["location"].endswith(
        "/entity/type_2_diabetes_mellitus?format=ttl")


def test_errors_are_html_pages_for_browsers_and_one_line_for_clients(server):
    page = http("GET", server.url + "entity/metfromin", headers=HTML)
    assert page.status == 404 and page.content_type == "text/html"
    assert "no entity labelled &#39;metfromin&#39;" in page.text
    assert '<a class="entity-link" href="/entity/metformin">metformin</a>' in page.text  # the closest name
    missing = http("GET", server.url + "no/such/page", headers=HTML)
    assert missing.status == 404 and missing.content_type == "text/html" and "/no/such/page" in missing.text
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "text/turtle"}):
        plain = http("GET", server.url + "entity/metfromin", headers=headers)
        assert plain.status == 404 and plain.content_type == "text/plain", headers
        assert plain.text.count("\n") == 1
    bad = http("GET", server.sparql + "?query=SELECT", headers=HTML)  # the API: a plain line, always
    assert bad.status == 400 and bad.content_type == "text/plain"
    api = http("POST", server.url + "api/treat", "{}", {"Content-Type": "application/json", **HTML})
    assert api.status == 400 and api.content_type == "application/json"


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
    from tests import tiny_lm

    monkeypatch.setenv("ONTOMED_GENERATOR_MODEL", str(tiny_lm.model_dir(tmp_path_factory.getbasetemp())))
    kb = build_example_kb(tmp_path_factory.mktemp("web-generate") / "kb")
    with live_server(kb, "--generate-descriptions") as s:
        page = http("GET", s.url + "entity/metformin", headers={"Accept": "text/html"}).text
    assert 'class="generated"' in page
    # an untrained model's sentences are not supported, so the template sentences stand in
    assert "generated sentences:" in page and "dropped as repeats" in page
    assert "Metformin treats type 2 diabetes mellitus." in page
