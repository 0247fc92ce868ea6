"""Safe by default (architecture.md §8, issue 5): each limit of a real ``ontomed serve`` on
an on-disk knowledge base, with its query workers as real processes."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest

from tests.live_server import TOKEN, Canary, build_example_kb, http, live_server

#: A cross product of every triple with itself three times: minutes of work.
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TIMEOUT = 1.5
MAX_ROWS = 5
MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def canary():
    c = Canary()
    yield c
    c.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, canary: Canary):
    kb = build_example_kb(tmp_path_factory.mktemp("web-safety") / "kb")
    with live_server(kb, "--workers", "2", "--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS),
                     "--max-body", str(MAX_BODY), "--update-token", TOKEN,
                     "--cors-origins", "https://allowed.example,https://also.example",
                     "--allow-service", canary.url("allowed")) as s:
        yield s


def query(server, text: str, **headers: str):
    return http("POST", server.sparql, text, {"Content-Type": "application/sparql-query", **headers})


def ask_ok(server) -> bool:
    reply = query(server, "ASK { ome:metformin a om:Drug }")
    return reply.status == 200 and bool(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))


# -- timeout ------------------------------------------------------------------

def test_a_query_past_the_timeout_is_stopped_with_503_while_others_are_served(server):
    slow: dict[str, object] = {}

    def run_slow() -> None:
        began = time.monotonic()
        slow["reply"] = query(server, ENDLESS)
        slow["seconds"] = time.monotonic() - began

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.3)
    began = time.monotonic()
    assert ask_ok(server)  # the other worker answers while the slow query runs
    assert time.monotonic() - began < TIMEOUT
    thread.join(30)
    reply = slow["reply"]
    assert reply.status == 503
    assert "was stopped" in reply.text and f"{TIMEOUT:g} s" in reply.text
    assert TIMEOUT <= slow["seconds"] < TIMEOUT + 5
    assert ask_ok(server)  # the killed worker was replaced


def test_the_timeout_really_ends_the_work(server):
    before = http("GET", server.url + "-/health").body
    assert query(server, ENDLESS).status == 503
    import json

    restarts = json.loads(http("GET", server.url + "-/health").body)["engine"]["restarts"]
    assert restarts > json.loads(before)["engine"]["restarts"]  # its process was killed


def test_an_update_past_the_timeout_is_stopped_before_it_commits(server):
    endless = "INSERT { ?a <urn:x:p> ?c } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    reply = http("POST", server.sparql, endless, {"Content-Type": "application/sparql-update",
                                                  "Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 503 and "update ran longer" in reply.text
    assert "false" in query(server, "ASK { ?s <urn:x:p> ?o }").text
    assert ask_ok(server)


# -- result cap ---------------------------------------------------------------

def test_the_row_cap_is_signalled_by_header_and_message(server):
    reply = query(server, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert reply.status == 200
    rows = list(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))
    assert len(rows) == MAX_ROWS
    assert reply.headers["ontomed-truncated"] == f"max-rows={MAX_ROWS}"
    assert "cut at 5 rows" in reply.headers["ontomed-message"]


@pytest.mark.parametrize("fmt", ["xml", "csv", "tsv"])
def test_the_cut_result_is_well_formed_in_every_format(server, fmt):
    reply = http("GET", server.sparql + "?" + urlencode({"query": "SELECT * { ?s ?p ?o }", "format": fmt}))
    assert reply.headers["ontomed-truncated"]
    if fmt == "csv":
        assert len(reply.text.strip().splitlines()) == MAX_ROWS + 1
    else:
        rows = list(ox.parse_query_results(reply.body, ox.QueryResultsFormat.from_extension(fmt)))
        assert len(rows) == MAX_ROWS


def test_a_result_exactly_at_the_cap_is_not_marked(server):
    reply = query(server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}")
    assert len(list(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))) == MAX_ROWS
    assert "ontomed-truncated" not in reply.headers


def test_graphs_are_capped_too(server):
    reply = query(server, "CONSTRUCT WHERE { ?s ?p ?o }", Accept="text/turtle")
    assert len(list(ox.parse(reply.body, ox.RdfFormat.TURTLE))) == MAX_ROWS
    assert reply.headers["ontomed-truncated"]


# -- request size -------------------------------------------------------------

def test_a_body_over_the_cap_is_413(server):
    text = "ASK {} #" + "x" * MAX_BODY
    reply = query(server, text)
    assert reply.status == 413
    assert "too large" in reply.text and reply.text.count("\n") == 1


def _chunked(server, path: str, pieces: list[bytes], headers: dict[str, str]):
    """A POST whose body has no Content-Length (Transfer-Encoding: chunked)."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("POST", path, body=iter(pieces), headers=headers, encode_chunked=True)
        response = conn.getresponse()
        return response.status, response.read().decode()
    except (BrokenPipeError, ConnectionResetError):  # refused before the whole body was sent
        return None, ""
    finally:
        conn.close()


def test_a_chunked_body_over_the_cap_is_413_never_cut_short(server):
    """Werkzeug alone would hand the app the first MAX_BODY bytes of this query: a
    different, shorter query. The cap must refuse it instead."""
    pieces = [b"ASK { ?s ?p ?o FILTER(?o != \"", b"x" * MAX_BODY, b"\") }"]
    status, text = _chunked(server, "/sparql", pieces, {"Content-Type": "application/sparql-query"})
    assert status in (413, None)
    if status == 413:
        assert "too large" in text and text.count("\n") == 1
    assert ask_ok(server)


def test_a_chunked_body_within_the_cap_is_read_whole(server):
    pieces = [b"ASK { ome:metformin a ", b" " * 1000, b"om:Drug }"]
    status, text = _chunked(server, "/sparql", pieces, {"Content-Type": "application/sparql-query"})
    assert status == 200 and "true" in text
    form = [b"query=ASK+%7B+ome%3Ametformin+", b"a+om%3ADrug+%7D"]
    status, text = _chunked(server, "/sparql", form,
                            {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and "true" in text


# -- what the engine must never see --------------------------------------------

def test_deep_nesting_is_refused_before_the_engine_and_the_server_lives(server):
    deep = "SELECT * WHERE " + "{" * 3000 + "}" * 3000
    reply = query(server, deep)
    assert reply.status == 400 and "more than 100 deep" in reply.text
    assert ask_ok(server)


def test_a_query_that_crashes_the_engine_costs_one_worker(server):
    # 50,000 chained '!' pass the nesting check and overflow pyoxigraph's parser (SIGSEGV)
    crash = "SELECT * WHERE { FILTER(" + "!" * 50_000 + "true) }"
    reply = query(server, crash)
    assert reply.status == 400 and "crashed" in reply.text
    assert ask_ok(server)
    assert ask_ok(server)


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
    "PREFIX c: <{url}>\nSELECT * WHERE {{ ?s ?p 'a # not a comment' SERVICE c:x {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ex:a\\#b SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s <http://x/\\u0041#y> ?o SERVICE <{url}> {{ ?s ?p ?o }} }}",
    'SELECT * WHERE {{ ?s ?p """a " b "" c""" SERVICE <{url}> {{ ?s ?p ?o }} }}',
])
def test_service_is_refused_before_execution(server, canary, template):
    seen = len(canary.requests)
    reply = query(server, template.format(url=canary.url("service")))
    assert reply.status == 403 and "SERVICE" in reply.text
    time.sleep(0.1)
    assert len(canary.requests) == seen


def test_from_never_reads_a_url(server, canary):
    seen = len(canary.requests)
    reply = query(server, f"SELECT * FROM <{canary.url('from')}> FROM NAMED <{canary.url('named')}> "
                  "WHERE { ?s ?p ?o }")
    assert reply.status == 200
    time.sleep(0.1)
    assert len(canary.requests) == seen


def test_load_is_refused_before_execution(server, canary):
    seen = len(canary.requests)
    for text in (f"LOAD <{canary.url('load')}>", "load silent <file:///etc/passwd> into graph <g:x>"):
        reply = http("POST", server.sparql, text, {"Content-Type": "application/sparql-update",
                                                   "Authorization": f"Bearer {TOKEN}"})
        assert reply.status == 403 and "LOAD" in reply.text
    time.sleep(0.1)
    assert len(canary.requests) == seen


def test_an_allow_listed_service_is_called(server, canary):
    """The positive control: the canary does see a request the endpoint lets through."""
    seen = len(canary.requests)
    reply = query(server, f"SELECT * WHERE {{ SERVICE <{canary.url('allowed')}> {{ ?s ?p ?o }} }}")
    assert reply.status == 400  # the canary answers 500, so the query fails, with a message
    assert len(canary.requests) == seen + 1


# -- uploads and parse errors -------------------------------------------------

def test_rdf_xml_with_entity_declarations_is_refused(server):
    xml = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/x"><ex:p>&b;</ex:p></rdf:Description>
</rdf:RDF>"""
    reply = http("PUT", server.url + "store?graph=http://example.org/g", xml,
                 {"Content-Type": "application/rdf+xml", "Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 400 and "DOCTYPE" in reply.text
    missing = http("GET", server.url + "store?graph=http://example.org/g")
    assert missing.status == 404


def test_a_malformed_query_is_400_with_the_parsers_position(server):
    reply = query(server, "SELECT ?x WHERE {\n  ?x om:treats \n}")
    assert reply.status == 400
    assert reply.text.startswith("SPARQL syntax error at line 3, column 1 (near '}'): expected")
    assert reply.text.count("\n") == 1 and "..=" not in reply.text  # one line, no character classes


def test_an_unknown_prefix_in_a_query_is_a_400_that_names_it(server):
    reply = query(server, "SELECT * WHERE { ?s foo:bar ?o }")
    assert reply.status == 400
    assert "unknown prefix foo:" in reply.text and "predeclared: om:, ome:" in reply.text


# -- CORS ------------------------------------------------------------------------

def test_cors_allows_the_configured_origins_only(server):
    url = server.sparql + "?query=ASK%7B%7D"
    allowed = http("GET", url, headers={"Origin": "https://allowed.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://allowed.example"
    other = http("GET", url, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = http("OPTIONS", server.sparql, headers={
        "Origin": "https://also.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status == 200
    assert preflight.headers["access-control-allow-origin"] == "https://also.example"
    assert "POST" in preflight.headers["access-control-allow-methods"]
