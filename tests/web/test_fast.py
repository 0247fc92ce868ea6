"""The fast path (``GET /sparql?query=…`` without Flask, ontomed/web/fast.py) answers
exactly as the Flask view does: same status, media type, body and row-cap headers."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ontomed.web import ServerConfig, create_app
from ontomed.web.fast import FastQueries

from tests.conftest import make_example_kb

CASES = [
    ({"query": "SELECT ?d WHERE { ?d om:treats ome:type_2_diabetes_mellitus } ORDER BY ?d"}, None),
    ({"query": "SELECT ?d WHERE { ?d a om:Drug } ORDER BY ?d", "format": "csv"}, None),
    ({"query": "SELECT * WHERE { ?s ?p ?o }"}, "text/tab-separated-values"),  # cut at the cap
    ({"query": "ASK { ome:metformin a om:Drug }"}, "application/sparql-results+xml"),
    ({"query": "CONSTRUCT WHERE { ome:metformin ?p ?o }"}, "text/turtle"),
    ({"query": "DESCRIBE ome:metformin"}, "application/ld+json"),
    ({"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "default-graph-uri": "urn:x:none"}, None),
    ({"query": "SELECT * WHERE { ?s ?p "}, None),  # syntax error: 400 with the position
    ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}, None),  # refused
    ({"query": "SELECT * WHERE { ?s ?p ?o }"}, "image/png"),  # 406
    ({"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "not an iri"}, None),  # 400
    ({"query": "SELECT * WHERE { ?s ?p ?o }", "format": "nonsense"}, None),  # 400
]


@pytest.fixture(scope="module")
def client():
    app = create_app(make_example_kb(), ServerConfig(max_rows=5, workers=1))
    yield app.test_client()
    app.extensions["ontomed"].close()


@pytest.mark.parametrize(("params", "accept"), CASES)
def test_the_fast_path_answers_as_the_flask_view_does(client, params, accept):
    headers = {"Accept": accept} if accept else {}
    fast = client.get("/sparql?" + urlencode(params), headers=headers)
    form = client.post("/sparql", data=params, headers=headers)  # POST: always the Flask view
    assert fast.status_code == form.status_code
    assert fast.headers.get("Content-Type") == form.headers.get("Content-Type")
    assert fast.data == form.data
    for name in ("Ontomed-Truncated", "Ontomed-Message", "Vary", "Access-Control-Allow-Origin"):
        assert fast.headers.get(name) == form.headers.get(name), name


def environ(query_string: str, **extra: str) -> dict:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/sparql", "QUERY_STRING": query_string, **extra}


def test_only_plain_get_queries_take_the_fast_path():
    take = FastQueries._params
    assert take(environ("query=ASK%7B%7D")) == {"query": ["ASK{}"]}
    assert take(environ("query=ASK%7B%7D&format=json&default-graph-uri=urn:a"))
    assert take(environ("query=ASK%7B%7D", REQUEST_METHOD="POST")) is None
    assert take(environ("query=ASK%7B%7D", PATH_INFO="/store")) is None
    assert take(environ("query=ASK%7B%7D", HTTP_ORIGIN="https://x.example")) is None  # CORS: Flask
    assert take(environ("")) is None  # the service description
    assert take(environ("update=CLEAR+ALL")) is None  # an update by GET: the view refuses it
    assert take(environ("query=ASK%7B%7D&query=ASK%7B%7D")) is None
    assert take(environ("query=+")) is None
    assert take(environ("query=ASK%7B%7D&other=1")) is None
    assert take(environ("query=ASK{\u00e9}")) is None  # raw non-ASCII bytes: Werkzeug decodes


def test_form_fields_are_read_as_werkzeug_reads_them():
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from ontomed.web import protocol
    from ontomed.web.errors import HTTPError

    body = ("query=SELECT+%3Fs+%7B+%3Fs+%3Fp+%22caf%C3%A9%22+%7D&format=csv&default-graph-uri="
            "urn%3Ag&empty=&default-graph-uri=urn:h&raw=caf\u00e9").encode()
    ours = protocol.form_params(body, [("named-graph-uri", "urn:n")])
    builder = EnvironBuilder(method="POST", data=body, content_type="application/x-www-form-urlencoded")
    theirs = Request(builder.get_environ()).form
    assert sorted(theirs) == ["default-graph-uri", "empty", "format", "query", "raw"]
    for key in theirs:
        assert ours[key] == theirs.getlist(key), key
    assert ours["named-graph-uri"] == ["urn:n"]  # the URL's parameters come along
    with pytest.raises(HTTPError) as refused:
        protocol.form_params(b"&" * 20_000)
    assert refused.value.http_status == 400 and "fields" in str(refused.value)


def test_a_plain_get_query_never_reaches_the_flask_view():
    """Without this, the equivalence test above would pass with no fast path at all."""
    app = create_app(make_example_kb(), ServerConfig(workers=1))
    try:
        def view_that_must_not_run():
            raise AssertionError("the Flask view answered a plain GET query")

        app.view_functions["sparql.endpoint"] = view_that_must_not_run
        client = app.test_client()
        fast = client.get("/sparql?" + urlencode({"query": "ASK { ome:metformin a om:Drug }"}))
        assert fast.status_code == 200 and b"true" in fast.data
        slow = client.post("/sparql", data={"query": "ASK { ome:metformin a om:Drug }"})
        assert slow.status_code == 500  # the POST did go to the (replaced) view
    finally:
        app.extensions["ontomed"].close()
