"""ontomed.ingest.pipeline and the build / extract commands, end to end on the real store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ontomed import KnowledgeBase
from ontomed.components import Extractor
from ontomed.cli import cli
from ontomed.hookspecs import hookimpl
from ontomed.values import Extraction, Mention
from ontomed.ingest.pipeline import build, extract

from tests.conftest import EXAMPLE_TTL, make_example_kb

CORPUS = {
    "a.txt": "Aspirin and bleeding\nAspirin increases the risk of bleeding. "
             "Ivacaftor is indicated for cystic fibrosis. Metformin did not reduce hypertension.",
    "b.jsonl": '{"id": "n1", "text": "Atorvastatin can cause myalgia and nausea."}\n{oops\n',
}


@pytest.fixture
def kb(store_location: str) -> KnowledgeBase:
    """The example data in a directory, then on a SPARQL server (both backends)."""
    k = make_example_kb(store_location)
    yield k
    k.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    for name, text in CORPUS.items():
        (root / name).write_text(text)
    return root


def test_build_adds_facts_with_evidence_and_reports_what_it_did(kb: KnowledgeBase, corpus: Path):
    report = build(kb, [str(corpus)])
    assert report.documents == report.documents_new == 2
    assert report.negated == 1  # "did not reduce"
    assert report.facts_new == 1 and report.facts_known == 3  # only atorvastatin→nausea is new
    assert report.evidence_added == 4
    assert [s for s, _ in report.skipped] == [f"{corpus}/b.jsonl:2"]


def test_rebuilding_the_same_input_adds_nothing(kb: KnowledgeBase, corpus: Path):
    build(kb, [str(corpus)])
    n = len(kb)
    again = build(kb, [str(corpus)])
    assert len(kb) == n
    assert again.documents_new == 0 and again.facts_new == 0 and again.evidence_added == 0


def test_provenance_of_built_facts_is_queryable_by_sparql(kb: KnowledgeBase, corpus: Path):
    build(kb, [str(corpus)])
    rows = list(kb.query("""
        SELECT ?sentence ?conf ?doc ?title WHERE {
          ?ax owl:annotatedSource ome:ivacaftor ; owl:annotatedProperty om:treats ;
              owl:annotatedTarget ome:cystic_fibrosis ; om:extractedBy "dictionary" ;
              om:evidenceText ?sentence ; om:confidence ?conf ; prov:wasDerivedFrom ?doc .
          ?doc a om:Document ; dcterms:title ?title }"""))
    assert len(rows) == 1
    assert rows[0]["sentence"].value == "Ivacaftor is indicated for cystic fibrosis."
    assert rows[0]["title"].value == "Aspirin and bleeding"
    assert re.fullmatch(r"https://w3id.org/ontomed/document/sha256-[0-9a-f]{64}", rows[0]["doc"].value)


def test_negated_claims_are_not_asserted(kb: KnowledgeBase, corpus: Path):
    build(kb, [str(corpus)])
    assert not kb.has_fact("metformin", "treats", "hypertension")


def test_min_confidence_filters_relations(kb: KnowledgeBase, corpus: Path):
    report = build(kb, [str(corpus)], min_confidence=0.99)
    assert report.facts_new == report.facts_known == 0 and report.below_confidence > 0


def test_extract_writes_nothing(kb: KnowledgeBase):
    n = len(kb)
    [e] = extract("Imatinib inhibits ABL1.", kb=kb)
    assert [(r.subject.text, r.object.text) for r in e.relations] == [("Imatinib", "ABL1")]
    assert len(kb) == n


class _CapitalWords(Extractor):
    """A mention-only extractor: the pipeline must link and relate its mentions."""

    id = "capitals-test"
    entity_types = ("Gene", "Drug")

    def extract(self, text: str) -> Extraction:
        found = [Mention(m.group(), "Gene" if m.group().isupper() else "Drug", m.start(), m.end(), 0.9)
                 for m in re.finditer(r"\b(?:[A-Z][A-Za-z0-9]+)\b", text)]
        return Extraction(self.id, tuple(found))


class _Plugin:
    @hookimpl
    def register_extractors(self, register):
        register(_CapitalWords())


def test_mentions_of_a_mention_only_extractor_are_linked_and_related(kb: KnowledgeBase, tmp_path: Path,
                                                                    register_plugin):
    register_plugin(_Plugin())
    (tmp_path / "t.txt").write_text("Imatinib inhibits ABL1.")
    report = build(kb, [str(tmp_path / "t.txt")], extractors=["capitals-test"])
    assert report.facts_known == 1  # imatinib targets ABL1 is in the example data
    [e] = extract("Imatinib inhibits ABL1.", kb=kb, extractors=["capitals-test"])
    assert [m.iri.rsplit("/", 1)[1] for m in e.mentions] == ["imatinib", "abl1"]


def test_an_unknown_extractor_is_bad_input(kb: KnowledgeBase, corpus: Path):
    from ontomed.errors import BadInputError

    with pytest.raises(BadInputError, match="no extractor 'nope'"):
        build(kb, [str(corpus)], extractors=["nope"])


# -- the commands -------------------------------------------------------------

@pytest.fixture
def kb_path(tmp_path: Path) -> str:
    path = str(tmp_path / "clikb")
    runner = CliRunner()
    runner.invoke(cli, ["init", "--kb", path])
    runner.invoke(cli, ["load", "--kb", path, str(EXAMPLE_TTL)])
    return path


def test_build_command_prints_a_summary_and_json(kb_path: str, corpus: Path):
    runner = CliRunner()
    human = runner.invoke(cli, ["build", "--kb", kb_path, str(corpus)])
    assert human.exit_code == 1, human.output  # one record of b.jsonl could not be read
    assert "2 read, 2 new" in human.stdout
    assert "relations   5 found: 4 asserted as facts; not asserted: 1 negated, 0 speculative, " \
           "0 below the confidence threshold" in human.stdout
    assert "b.jsonl:2: not JSON (Expecting property name enclosed in double quotes at column 2)" \
        in human.stdout
    assert human.stderr == "warning: 1 skipped (listed above); the rest was built\n"
    again = runner.invoke(cli, ["build", "--kb", kb_path, "--json", str(corpus)])
    data = json.loads(again.stdout)
    assert again.exit_code == 1 and data["facts_new"] == 0 and data["documents"] == 2
    assert data["asserted"] == 4


def test_build_exits_2_when_no_document_could_be_read_and_0_when_all_were(kb_path: str, tmp_path: Path):
    (tmp_path / "bad.jsonl").write_text('{"id": "a", "text": "x\n{"bad\n')
    result = CliRunner().invoke(cli, ["build", "--kb", kb_path, str(tmp_path / "bad.jsonl")])
    assert result.exit_code == 2
    assert "bad.jsonl:2: not JSON (Unterminated string starting at column 2)" in result.stdout
    assert "at at" not in result.stdout
    assert result.stderr.startswith("error: no document could be read from ")
    (tmp_path / "good.txt").write_text("Imatinib is indicated for chronic myeloid leukemia.")
    assert CliRunner().invoke(cli, ["build", "--kb", kb_path, str(tmp_path / "good.txt")]).exit_code == 0


def test_a_source_that_cannot_be_read_is_skipped_and_the_others_are_built(kb_path: str, tmp_path: Path):
    (tmp_path / "trials.json").write_text('{"studies": [')
    (tmp_path / "good.txt").write_text("Imatinib is indicated for chronic myeloid leukemia.")
    result = CliRunner().invoke(cli, ["build", "--kb", kb_path, "--json",
                                      str(tmp_path / "trials.json"), str(tmp_path / "good.txt")])
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["documents"] == 1
    [skipped] = data["skipped"]
    assert skipped["source"].endswith("trials.json") and skipped["reason"].startswith("not JSON (")


def test_build_help_says_what_the_exit_codes_mean():
    text = CliRunner().invoke(cli, ["build", "--help"]).stdout
    assert "1 when some could not be" in " ".join(text.split())
    assert "2 when no document could be read" in " ".join(text.split())


def test_build_command_reads_standard_input(kb_path: str):
    result = CliRunner().invoke(cli, ["build", "--kb", kb_path, "--json", "-"],
                                input="Imatinib is indicated for chronic myeloid leukemia.")
    assert json.loads(result.output)["facts_known"] == 1


def test_build_command_errors_are_one_line_with_exit_2(kb_path: str, tmp_path: Path):
    result = CliRunner().invoke(cli, ["build", "--kb", kb_path, str(tmp_path / "missing")])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    result = CliRunner().invoke(cli, ["build", "--kb", kb_path, "--extractors", "nope", str(tmp_path)])
    assert result.exit_code == 2 and "no extractor 'nope'" in result.output


def test_extract_command_prints_json_from_an_argument_or_stdin(kb_path: str):
    runner = CliRunner()
    out = json.loads(runner.invoke(cli, ["extract", "--kb", kb_path, "Imatinib inhibits ABL1."]).output)
    assert out[0]["extractor"] == "dictionary"
    assert out[0]["relations"][0]["predicate"] == "https://w3id.org/ontomed#targets"
    piped = json.loads(runner.invoke(cli, ["extract", "--kb", kb_path, "-"], input="Warfarin.").output)
    assert [m["text"] for m in piped[0]["mentions"]] == ["Warfarin"]


def test_extract_with_an_extractor_that_needs_no_vocabulary_needs_no_knowledge_base(tmp_path: Path,
                                                                                   register_plugin):
    register_plugin(_Plugin())
    result = CliRunner().invoke(cli, ["extract", "--kb", str(tmp_path / "none"), "--extractors",
                                      "capitals-test", "Imatinib inhibits ABL1."])
    assert result.exit_code == 0, result.output
    [e] = json.loads(result.stdout)
    assert [(m["text"], m["iri"]) for m in e["mentions"]] == [("Imatinib", None), ("ABL1", None)]


def test_extract_with_the_dictionary_needs_a_knowledge_base_and_says_why(tmp_path: Path):
    result = CliRunner().invoke(cli, ["extract", "--kb", str(tmp_path / "none"), "Imatinib."])
    assert result.exit_code == 2
    assert "no knowledge base at" in result.stderr and "the dictionary extractor reads its vocabulary" \
        in result.stderr


def test_extract_says_that_an_empty_vocabulary_finds_nothing():
    result = CliRunner().invoke(cli, ["extract", "--kb", ":memory:", "Imatinib inhibits ABL1."])
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["mentions"] == []
    assert result.stderr.startswith("warning: the knowledge base :memory: holds no vocabulary")
    assert "ontomed vocab import" in result.stderr
