"""What the endpoint reads in a query before the engine sees it (ontomed.web.guard)."""

from __future__ import annotations

import pytest

from ontomed.web.errors import HTTPError
from ontomed.web.guard import add_using, inspect, tokens


def test_the_query_form_is_the_first_top_level_keyword():
    assert inspect("PREFIX a: <x:> SELECT * { { SELECT ?s {} } }", max_depth=10).form == "SELECT"
    assert inspect("BASE <x:> ask {}", max_depth=10).form == "ASK"
    assert inspect("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", max_depth=10).form == "CONSTRUCT"
    assert inspect("DESCRIBE <x:a>", max_depth=10).form == "DESCRIBE"


def test_depth_counts_every_kind_of_bracket():
    assert inspect("SELECT * { FILTER((1)) }", max_depth=10).depth == 3
    assert inspect("SELECT * { ?s ?p [ ?q [ ?r 1 ] ] }", max_depth=10).depth == 3
    with pytest.raises(HTTPError) as info:
        inspect("SELECT * " + "{" * 11 + "}" * 11, max_depth=10)
    assert info.value.http_status == 400


def test_brackets_and_keywords_inside_strings_iris_and_comments_do_not_count():
    text = """SELECT * WHERE { # SERVICE <x:y> { {{{{
      ?s ?p "SERVICE {{{{ \\" }" . ?s ?p '''SERVICE ' '' {''' . ?s <urn:x:#SERVICE> ?o }"""
    found = inspect(text, max_depth=2)
    assert found.services == () and found.depth == 1


@pytest.mark.parametrize("text,target", [
    ("SELECT * { SERVICE <http://a.example/sparql> { ?s ?p ?o } }", "http://a.example/sparql"),
    ("SELECT * { SERVICE SILENT ?endpoint { ?s ?p ?o } }", "?endpoint"),
    ("select * { service ex:remote { ?s ?p ?o } }", "ex:remote"),
])
def test_service_is_refused_unless_allow_listed(text, target):
    with pytest.raises(HTTPError) as info:
        inspect(text, max_depth=10)
    assert info.value.http_status == 403 and target in str(info.value)
    assert inspect(text, max_depth=10, allowed_services=[target]).services == (target,)


def test_names_that_merely_contain_a_keyword_are_not_keywords():
    text = "SELECT ?service WHERE { ?s ex:SERVICE ?load . ?s ex:load ?x }"
    assert inspect(text, max_depth=10).services == ()
    inspect("INSERT DATA { <x:s> <x:load> 1 }", max_depth=10, update=True)


def test_load_is_refused_in_updates():
    with pytest.raises(HTTPError) as info:
        inspect("CLEAR ALL ; LOAD <http://example.org/data.ttl>", max_depth=10, update=True)
    assert info.value.http_status == 403


def test_using_graphs_go_before_where_of_each_insert_delete_operation():
    update = ("PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:p 1 } ;\n"
              "DELETE { ?s ?p ?o } INSERT { ?s ?p 2 } WHERE { ?s ?p ?o } ;\n"
              "DELETE WHERE { ?s ex:q ?o } ;\nINSERT { ?s ex:r 3 } WHERE { ?s ?p ?o }")
    out = add_using(update, ["http://example.org/g1"], ["http://example.org/g2"])
    clause = "USING <http://example.org/g1> USING NAMED <http://example.org/g2> WHERE"
    assert out.count(clause) == 3
    assert "INSERT DATA { ex:a ex:p 1 }" in out
    # the DELETE WHERE shorthand becomes the long form it stands for, with the clauses
    assert f"DELETE {{ ?s ex:q ?o }} {clause} {{ ?s ex:q ?o }}" in out
    assert add_using(update, [], []) == update


def test_delete_where_with_using_graphs_deletes_only_what_the_graph_matches():
    """End to end on a store: the rewritten update is valid SPARQL and means what the
    protocol says (the WHERE pattern sees only the using-graph-uri graph)."""
    import pyoxigraph as ox

    store = ox.Store()
    store.update("INSERT DATA { GRAPH <urn:g1> { <urn:a> <urn:p> 1 } GRAPH <urn:g2> { <urn:b> <urn:p> 2 } "
                 "<urn:a> <urn:p> 1 . <urn:b> <urn:p> 2 }")
    store.update(add_using("DELETE WHERE { ?s <urn:p> ?o }", ["urn:g1"], []))
    left = {(str(q.subject), str(q.graph_name)) for q in store}
    # the pattern matched <urn:a> in g1 only, and the template deletes from the default graph
    assert left == {("<urn:b>", "DEFAULT"), ("<urn:a>", "<urn:g1>"), ("<urn:b>", "<urn:g2>")}
    graphs = add_using("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", [], ["urn:g2"])
    store.update(graphs)
    assert {(str(q.subject), str(q.graph_name)) for q in store} == {("<urn:b>", "DEFAULT"),
                                                                      ("<urn:a>", "<urn:g1>")}


@pytest.mark.parametrize("update", [
    "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <http://example.org/g> WHERE { ?s ?p ?o }",
])
def test_using_graphs_conflict_with_a_dataset_in_the_update(update):
    with pytest.raises(HTTPError) as info:
        add_using(update, ["http://example.org/other"], [])
    assert info.value.http_status == 400


def test_a_graph_iri_is_checked_before_it_is_spliced_in():
    with pytest.raises(HTTPError):
        add_using("INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", ["http://x> } ; DROP ALL ; #"], [])


def test_tokens_keep_prefixed_names_with_escapes_whole():
    toks = [t.text for t in tokens(r"SELECT * { ?s ex:a\#b ?o }")]
    assert r"ex:a\#b" in toks
