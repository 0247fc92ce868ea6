"""The ``ontomed`` command line, run in-process with click's runner and, for what
only a real process shows (exit codes, stderr, import cost), as a subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ontomed.cli import cli

from .conftest import EXAMPLE_TTL

VERBS = ["init", "load", "query", "export", "stats", "check", "plugins"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def kb_path(store_location: str, runner: CliRunner) -> str:
    """A knowledge base initialized and loaded with the example data through the CLI, in a
    directory, then on a SPARQL server (both backends)."""
    path = store_location
    assert runner.invoke(cli, ["init", "--kb", path]).exit_code == 0
    result = runner.invoke(cli, ["load", "--kb", path, str(EXAMPLE_TTL)])
    assert result.exit_code == 0, result.output
    return path


def run(runner: CliRunner, *args: str, input: str | None = None):
    return runner.invoke(cli, list(args), input=input)


def test_init_creates_the_knowledge_base_and_is_idempotent(tmp_path: Path, runner: CliRunner):
    path = str(tmp_path / "kb")
    first = run(runner, "init", "--kb", path)
    assert first.exit_code == 0 and "initialized knowledge base" in first.output
    second = run(runner, "init", "--kb", path)
    assert second.exit_code == 0 and "already initialized" in second.output


def test_kb_defaults_to_the_ontomed_kb_environment_variable(tmp_path: Path, runner: CliRunner):
    path = str(tmp_path / "from-env")
    result = runner.invoke(cli, ["init"], env={"ONTOMED_KB": path})
    assert result.exit_code == 0
    assert (Path(path) / "store").is_dir()


def test_load_reports_quads_and_a_second_identical_load_adds_nothing(kb_path: str, runner: CliRunner):
    again = run(runner, "load", "--kb", kb_path, str(EXAMPLE_TTL))
    assert again.exit_code == 0
    assert "skipped" in again.output and "0 new quads" in again.output


def test_load_json_report(tmp_path: Path, runner: CliRunner):
    path = str(tmp_path / "kb")
    run(runner, "init", "--kb", path)
    result = run(runner, "load", "--kb", path, "--json", str(EXAMPLE_TTL))
    data = json.loads(result.output)
    assert data["quads_added"] == data["files"][0]["quads"] == 572


def test_load_of_malformed_rdf_exits_2_with_file_line_and_column(kb_path: str, tmp_path: Path,
                                                                  runner: CliRunner):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b ;; .\n")
    before = run(runner, "stats", "--kb", kb_path, "--json").output
    result = run(runner, "load", "--kb", kb_path, str(bad))
    assert result.exit_code == 2
    assert f"error: {bad}, line 3, column" in result.output
    assert run(runner, "stats", "--kb", kb_path, "--json").output == before


def test_load_into_a_named_graph_shows_in_stats(kb_path: str, tmp_path: Path, runner: CliRunner):
    extra = tmp_path / "extra.nt"
    extra.write_text("<https://e.org/s> <https://e.org/p> <https://e.org/o> .\n")
    assert run(runner, "load", "--kb", kb_path, "--graph", "https://e.org/g", str(extra)).exit_code == 0
    stats = json.loads(run(runner, "stats", "--kb", kb_path, "--json").output)
    assert stats["named_graphs"] == {"https://e.org/g": 1}


def test_commands_on_a_missing_knowledge_base_exit_2_and_say_how_to_create_one(tmp_path: Path,
                                                                                runner: CliRunner):
    missing = str(tmp_path / "missing")
    for args in (["stats"], ["query", "ASK {}"], ["load", str(EXAMPLE_TTL)], ["export"]):
        result = run(runner, *args, "--kb", missing)
        assert result.exit_code == 2, args
        assert "ontomed init" in result.output


def test_query_select_prints_an_aligned_table(kb_path: str, runner: CliRunner):
    result = run(runner, "query", "--kb", kb_path,
                 "SELECT ?drug WHERE { ?drug om:treats ome:type_2_diabetes_mellitus }")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "drug" and set(lines[1]) == {"-"}
    assert lines[2] == "ome:metformin"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_query_select_in_machine_formats(kb_path: str, runner: CliRunner, fmt: str):
    q = "SELECT ?drug ?label WHERE { ?drug om:treats ?d ; rdfs:label ?label FILTER(lang(?label)='en') } ORDER BY ?label"
    result = run(runner, "query", "--kb", kb_path, "--format", fmt, q)
    assert result.exit_code == 0
    if fmt == "csv":  # lossy by the standard, so Oxigraph does not parse it back
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert rows[0] == ["drug", "label"] and rows[1][1] == "aspirin" and len(rows) == 7
    else:
        parsed = list(ox.parse_query_results(result.stdout_bytes, ox.QueryResultsFormat.from_extension(fmt)))
        assert len(parsed) == 6


def test_query_ask_prints_true_or_false(kb_path: str, runner: CliRunner):
    assert run(runner, "query", "--kb", kb_path, "ASK { ?x a om:Gene }").stdout.strip() == "true"
    assert run(runner, "query", "--kb", kb_path, "ASK { ?x a om:Nothing }").stdout.strip() == "false"


def test_query_construct_prints_turtle_or_another_rdf_format(kb_path: str, runner: CliRunner):
    q = "CONSTRUCT { ?s om:treats ?o } WHERE { ?s om:treats ?o }"
    ttl = run(runner, "query", "--kb", kb_path, q)
    assert ttl.exit_code == 0
    assert len(list(ox.parse(ttl.stdout_bytes, format=ox.RdfFormat.TURTLE))) == 6
    nt = run(runner, "query", "--kb", kb_path, "--format", "nt", q)
    assert len(nt.stdout.strip().splitlines()) == 6
    bad = run(runner, "query", "--kb", kb_path, "--format", "csv", q)
    assert bad.exit_code == 2 and "CONSTRUCT" in bad.output


def test_query_from_a_file_and_from_stdin(kb_path: str, tmp_path: Path, runner: CliRunner):
    qf = tmp_path / "q.rq"
    qf.write_text("ASK { ome:metformin om:treats ome:type_2_diabetes_mellitus }")
    assert run(runner, "query", "--kb", kb_path, "--file", str(qf)).stdout.strip() == "true"
    piped = run(runner, "query", "--kb", kb_path, "--file", "-", input=qf.read_text())
    assert piped.stdout.strip() == "true"


def test_query_syntax_error_prints_the_position_and_exits_2(kb_path: str, runner: CliRunner):
    result = run(runner, "query", "--kb", kb_path, "SELECT * WHERE { ?s ?p }")
    assert result.exit_code == 2
    assert result.output.startswith("error: SPARQL syntax error at line 1, column ")
    assert len(result.output.strip().splitlines()) == 1


def test_an_unknown_prefix_is_named_with_the_predeclared_ones_on_one_line(kb_path: str, runner: CliRunner):
    result = run(runner, "query", "--kb", kb_path, "SELECT * WHERE { ?s foo:bar ?o }")
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: SPARQL syntax error at line 1, column 28")
    assert "unknown prefix foo:" in line and "predeclared: om:, ome:, rdf:" in line
    assert "\\u{" not in line and "..=" not in line  # none of the parser's character classes


def test_an_unclosed_brace_is_pointed_at(kb_path: str, runner: CliRunner):
    result = run(runner, "query", "--kb", kb_path, "SELECT * WHERE { ?s ?p ?o LIMIT 2")
    assert result.exit_code == 2
    assert "the '{' at line 1, column 16 is never closed" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_select_star_keeps_the_querys_variable_order(kb_path: str, runner: CliRunner):
    result = run(runner, "query", "--kb", kb_path,
                 "SELECT * WHERE { ?s om:treats ?o . ?s rdfs:label ?label } LIMIT 1")
    assert result.stdout.splitlines()[0].split() == ["s", "o", "label"]
    as_csv = run(runner, "query", "--kb", kb_path, "--format", "csv",
                 "SELECT DISTINCT * WHERE { ?s om:treats ?o } LIMIT 1")
    assert as_csv.stdout.splitlines()[0] == "s,o"


def test_query_without_a_query_is_bad_input(kb_path: str, runner: CliRunner):
    result = run(runner, "query", "--kb", kb_path)
    assert result.exit_code == 2 and "no query given" in result.output


@pytest.mark.parametrize("fmt", ["ttl", "nt", "nq", "trig", "xml", "jsonld"])
def test_export_writes_every_format_and_it_reloads(kb_path: str, tmp_path: Path, runner: CliRunner, fmt: str):
    out = tmp_path / f"out.{ 'rdf' if fmt == 'xml' else fmt}"
    result = run(runner, "export", "--kb", kb_path, "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    fresh = str(tmp_path / "fresh")
    assert run(runner, "load", "--kb", fresh, str(out)).exit_code == 2  # not initialized: must init first
    run(runner, "init", "--kb", fresh)
    assert run(runner, "load", "--kb", fresh, str(out)).exit_code == 0
    a = json.loads(run(runner, "stats", "--kb", kb_path, "--json").output)
    b = json.loads(run(runner, "stats", "--kb", fresh, "--json").output)
    assert (a["triples"], a["facts"], a["entities"]) == (b["triples"], b["facts"], b["entities"])


def test_export_to_stdout(kb_path: str, runner: CliRunner):
    result = run(runner, "export", "--kb", kb_path, "--format", "nt")
    assert result.exit_code == 0
    assert len(list(ox.parse(result.stdout_bytes, format=ox.RdfFormat.N_TRIPLES))) > 800


def test_export_protege_writes_one_rdf_xml_owl_file(kb_path: str, tmp_path: Path, runner: CliRunner):
    out = tmp_path / "kb.owl"
    result = run(runner, "export", "--kb", kb_path, "--protege", "-o", str(out))
    assert result.exit_code == 0
    triples = list(ox.parse(path=str(out), format=ox.RdfFormat.RDF_XML))
    ontologies = [t for t in triples if t.predicate.value.endswith("#type")
                  and t.object.value == "http://www.w3.org/2002/07/owl#Ontology"]
    assert len(ontologies) == 1
    axioms = [t for t in triples if t.object.value == "http://www.w3.org/2002/07/owl#Axiom"]
    assert len(axioms) == 32


def test_bad_export_format_exits_2(kb_path: str, runner: CliRunner):
    result = run(runner, "export", "--kb", kb_path, "--format", "docx")
    assert result.exit_code == 2 and "unknown RDF format" in result.output


def test_stats_human_and_json(kb_path: str, runner: CliRunner):
    human = run(runner, "stats", "--kb", kb_path)
    assert human.exit_code == 0
    assert "om:Drug" in human.output and "om:treats" in human.output
    data = json.loads(run(runner, "stats", "--kb", kb_path, "--json").output)
    assert data["entities"] == {"om:Drug": 10, "om:Symptom": 10, "om:Disease": 9, "om:Gene": 6}
    assert data["facts"]["om:treats"] == 6 and data["evidence_annotations"] == 32


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help_with_an_example_and_a_kb_option(runner: CliRunner, verb: str):
    result = run(runner, verb, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output and "--kb" in result.output


def test_an_unknown_flag_exits_2(runner: CliRunner):
    assert run(runner, "stats", "--frobnicate").exit_code == 2


@pytest.mark.parametrize(("args", "message"), [
    (["qurey"], "error: No such command 'qurey'. Did you mean 'query'? See 'ontomed --help'."),
    (["query", "--formt", "csv", "ASK {}"],
     "error: No such option '--formt'. Did you mean '--format'? See 'ontomed query --help'."),
    (["describe", "x", "--lang", "fr"],
     "error: Invalid value for '--lang': 'fr' is not one of 'en', 'zh'. See 'ontomed describe --help'."),
    (["serve", "--port", "99999"], "error: Invalid value for '--port': 99999 is not in the range "
                                   "0<=x<=65535. See 'ontomed serve --help'."),
    (["query", "--file", "/no/such/q.rq"], "error: Invalid value for '--file' / '-f': '/no/such/q.rq': "
                                           "No such file or directory. See 'ontomed query --help'."),
    (["vocab", "imprt"], "error: No such command 'imprt'. Did you mean 'import'? See 'ontomed vocab --help'."),
    (["--frobnicate"], "error: No such option '--frobnicate'. See 'ontomed --help'."),
])
def test_usage_errors_are_one_line_with_a_close_verb_or_flag(runner: CliRunner, args: list[str], message: str):
    result = runner.invoke(cli, args, prog_name="ontomed")
    assert result.exit_code == 2
    assert result.stderr == message + "\n" and result.stdout == ""


def test_an_empty_kb_path_is_bad_input_and_creates_nothing(tmp_path: Path, runner: CliRunner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(runner, "init", "--kb", "")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Invalid value for '--kb': an empty path names no knowledge base")
    assert list(tmp_path.iterdir()) == []
    from ontomed import KnowledgeBase
    from ontomed.errors import BadInputError

    with pytest.raises(BadInputError, match="empty path"):
        KnowledgeBase("")


@pytest.mark.parametrize("protege", [False, True])
def test_a_file_error_names_the_path(kb_path: str, tmp_path: Path, runner: CliRunner, protege: bool):
    target = tmp_path / "missing" / "dir" / "x.ttl"
    result = run(runner, "export", "--kb", kb_path, "-o", str(target), *(["--protege"] if protege else []))
    assert result.exit_code == 2
    assert result.stderr == f"error: cannot write {target}: no such directory {target.parent}\n"


def test_a_knowledge_base_that_cannot_be_created_is_named(tmp_path: Path, runner: CliRunner):
    (tmp_path / "file").write_text("not a directory")
    result = run(runner, "init", "--kb", str(tmp_path / "file" / "kb"))
    assert result.exit_code == 2
    assert result.stderr == (f"error: cannot create {tmp_path / 'file' / 'kb'}: a part of the path is a "
                             "file, not a directory\n")


def test_the_command_list_shows_whole_summaries(runner: CliRunner):
    listing = run(runner, "--help").stdout.split("Commands:")[1]
    for line in listing.strip().splitlines():
        assert not line.rstrip().endswith("..."), line
    assert "query      Run a SPARQL query.\n" in listing
    for verb in ("build", "check", "describe", "export", "extract", "finetune", "generate", "init", "load",
                 "plugins", "query", "search", "serve", "stats", "vocab"):  # short enough for one line
        [line] = [x for x in listing.splitlines() if x.strip().startswith(verb + " ")]
        assert line.rstrip().endswith("."), line


def test_the_cli_process_prints_one_line_errors_never_a_traceback(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "ontomed.cli", "query", "--kb", str(tmp_path / "none"),
                           "ASK {}"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_python_m_ontomed_is_the_command_line(tmp_path: Path, runner: CliRunner):
    helped = subprocess.run([sys.executable, "-m", "ontomed", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0, helped.stderr
    in_process = runner.invoke(cli, ["--help"], prog_name="ontomed").output
    assert helped.stdout.split() == in_process.split()  # the same words; lines wrap to the terminal
    assert helped.stdout.startswith("Usage: ontomed [OPTIONS] COMMAND [ARGS]...")
    failed = subprocess.run([sys.executable, "-m", "ontomed", "query", "--kb", str(tmp_path / "none"), "ASK {}"],
                            capture_output=True, text=True)
    assert failed.returncode == 2 and failed.stderr.startswith("error: ")


def test_importing_the_cli_loads_no_heavy_library():
    code = ("import sys, ontomed.cli; heavy = [m for m in ('torch', 'transformers', 'owlready2', 'flask', "
            "'rdflib', 'tqdm') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_check_reports_a_consistent_knowledge_base_and_exits_0(kb_path: str, runner: CliRunner):
    result = run(runner, "check", "--kb", kb_path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("consistent: HermiT")


def test_check_names_the_clash_of_a_planted_inconsistency_and_exits_1(kb_path: str, tmp_path: Path,
                                                                      runner: CliRunner):
    planted = tmp_path / "planted.ttl"
    planted.write_text("@prefix om: <https://w3id.org/ontomed#> . @prefix ome: <https://w3id.org/ontomed/entity/> .\n"
                       "ome:metformin om:treats ome:cftr .\n")
    run(runner, "load", "--kb", kb_path, str(planted))
    result = run(runner, "check", "--kb", kb_path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["consistent"] is False
    problem = report["problems"][0]
    assert "https://w3id.org/ontomed/entity/cftr" in problem["entities"]
    assert "ome:metformin om:treats ome:cftr" in problem["axioms"]
    assert "om:Gene disjointWith om:Condition" in problem["axioms"]
