"""ontomed.kb.query_text: a SPARQL syntax error told in one line, and SELECT *'s columns in the
order of the query, checked against what Oxigraph itself says about real queries."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ontomed import KnowledgeBase, iri
from ontomed.errors import QuerySyntaxError
from ontomed.kb.query_text import reorder_tsv, star_columns, syntax_error_message


def oxigraph_error(text: str) -> SyntaxError:
    try:
        list(ox.Store().query(text, prefixes=dict(iri.PREFIXES)))
    except SyntaxError as exc:
        return exc
    raise AssertionError(f"{text!r} parses")


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT * WHERE { ?s foo:bar ?o }",
     "SPARQL syntax error at line 1, column 28 (near '?o }'): unknown prefix foo: (declare it: PREFIX foo: "
     "<…>; predeclared: om:, ome:, rdf:, rdfs:, owl:, xsd:, skos:, prov:, dcterms:)"),
    ("SELECT * WHERE { ?s ?p ?o  LIMIT 2",
     "SPARQL syntax error at line 1, column 35 (at the end): expected one of LATERAL, SERVICE; "
     "the '{' at line 1, column 16 is never closed"),
    ("SELECT * WHERE { ?s <not an iri> ?o }",
     "SPARQL syntax error at line 1, column 33 (near '?o }'): IRI parsing failed"),
    ("SELECT * WHERE { ?s ?p ?o } }",
     "SPARQL syntax error at line 1, column 30 (at the end): the '}' at line 1, column 29 closes nothing"),
    ("SELECT ?x WHERE {\n  ?x om:treats \n}",
     "SPARQL syntax error at line 3, column 1 (near '}'): expected one of '$', \"'\", \"'''\", '(', '*', '+', "
     "'-', '.', …"),
])
def test_a_syntax_error_is_one_readable_line(text: str, expected: str):
    message = syntax_error_message(oxigraph_error(text), text, iri.PREFIXES)
    assert message == expected


def test_prefixes_the_query_declares_and_blank_nodes_are_not_unknown():
    text = "PREFIX ex: <http://example.org/>\nSELECT * WHERE { _:b ex:p ?o . ex:x ?p }"
    message = syntax_error_message(oxigraph_error(text), text, iri.PREFIXES)
    assert "unknown prefix" not in message and "\n" not in message


def test_the_knowledge_base_raises_the_readable_message():
    with pytest.raises(QuerySyntaxError, match=r"^SPARQL syntax error at line 1, column 28 .*unknown prefix foo:"):
        KnowledgeBase().query("SELECT * WHERE { ?s foo:bar ?o }")


@pytest.mark.parametrize(("text", "columns"), [
    ("SELECT * WHERE { ?s ?p ?o }", ["s", "p", "o"]),
    ("SELECT DISTINCT * WHERE { ?drug om:treats ?disease . ?disease rdfs:label ?name }",
     ["drug", "disease", "name"]),
    ("# SELECT ?z *\nSELECT * { { SELECT ?z ?a WHERE { ?a ?b ?z } } ?z ?q ?r }", ["z", "a", "q", "r"]),
    ("SELECT * WHERE { ?s ?p '?a' FILTER NOT EXISTS { ?s ?x ?y } }", ["s", "p"]),
])
def test_select_star_gives_the_columns_in_the_order_of_the_query(text: str, columns: list[str]):
    alphabetical = [v.value for v in KnowledgeBase().query(text).variables]  # Oxigraph's order
    assert sorted(alphabetical) == alphabetical == sorted(columns)
    assert (star_columns(text, alphabetical) or alphabetical) == columns


def test_only_the_outer_select_star_is_reordered():
    assert star_columns("SELECT ?o ?s WHERE { ?s ?p ?o }", ["o", "s"]) is None
    assert star_columns("ASK { { SELECT * WHERE { ?s ?p ?o } } }", ["o", "p", "s"]) is None
    assert star_columns("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", ["n"]) is None


def test_a_tsv_result_is_put_in_the_querys_column_order():
    tsv = b'?o\t?p\t?s\n"a\\tb"\t<http://p>\t<http://s>\n\t<http://p>\t_:b1\n'
    assert reorder_tsv(tsv, ["s", "p", "o"]) == \
        b'?s\t?p\t?o\n<http://s>\t<http://p>\t"a\\tb"\n_:b1\t<http://p>\t\n'
