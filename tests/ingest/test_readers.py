"""Readers: plain text, JSON Lines, PubMed XML, ClinicalTrials.gov v2 JSON, directories, stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ontomed.errors import BadInputError, NotFoundError
from ontomed.values import Document, SkippedDocument
from ontomed.ingest.pipeline import read_documents
from ontomed.ingest.readers import (
    ClinicalTrialsReader,
    JsonLinesReader,
    PubMedReader,
    TextReader,
)

PUBMED = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">
<PubmedArticleSet>
 <PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
   <PMID Version="1">99000001</PMID>
   <Article PubModel="Print">
    <Journal><JournalIssue><PubDate><Year>2021</Year></PubDate></JournalIssue><Title>Example Journal</Title></Journal>
    <ArticleTitle>Metformin in <i>type 2</i> diabetes.</ArticleTitle>
    <Abstract>
     <AbstractText Label="BACKGROUND">Metformin is first-line therapy.</AbstractText>
     <AbstractText Label="RESULTS">Metformin lowered HbA1c.</AbstractText>
    </Abstract>
   </Article>
  </MedlineCitation>
 </PubmedArticle>
 <PubmedArticle><MedlineCitation><PMID>99000002</PMID><Article><Journal><Title>J</Title></Journal></Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>
"""

TRIAL = {"protocolSection": {
    "identificationModule": {"nctId": "NCT99000001", "briefTitle": "Ivacaftor in CF",
                             "officialTitle": "A Study of Ivacaftor in Cystic Fibrosis"},
    "descriptionModule": {"briefSummary": "Ivacaftor is evaluated in patients with cystic fibrosis."},
    "conditionsModule": {"conditions": ["Cystic Fibrosis"]},
    "armsInterventionsModule": {"interventions": [{"type": "DRUG", "name": "Ivacaftor"}]},
    "eligibilityModule": {"eligibilityCriteria": "Inclusion: CF diagnosis"},
    "designModule": {"phases": ["PHASE3"]}}}


def docs(items) -> list[Document]:
    return [d for d in items if isinstance(d, Document)]


def test_text_reader_takes_one_document_per_file_with_its_first_line_as_title(tmp_path: Path):
    f = tmp_path / "note.txt"
    f.write_text("Aspirin and bleeding\nAspirin increases the risk of bleeding.\n")
    [doc] = list(TextReader().read(str(f)))
    assert doc.title == "Aspirin and bleeding" and doc.id == "note" and "bleeding." in doc.text


def test_text_reader_skips_an_empty_file(tmp_path: Path):
    f = tmp_path / "empty.txt"
    f.write_text("  \n")
    assert list(TextReader().read(str(f))) == [SkippedDocument(str(f), "empty file")]


def test_jsonl_reader_keeps_metadata_and_skips_bad_lines_but_reads_the_rest(tmp_path: Path):
    f = tmp_path / "docs.jsonl"
    f.write_text('{"id": 1, "text": "Aspirin inhibits PTGS1.", "year": 2020}\n{broken\n'
                 '{"id": 3}\n[1, 2]\n{"id": "4", "text": "Warfarin interacts with aspirin."}\n')
    items = list(JsonLinesReader().read(str(f)))
    good = docs(items)
    assert [d.id for d in good] == ["1", "4"] and good[0].metadata == {"year": 2020}
    skipped = {s.source: s.reason for s in items if isinstance(s, SkippedDocument)}
    assert skipped[f"{f}:2"].startswith("not JSON") and skipped[f"{f}:3"] == 'no "text" field'
    assert skipped[f"{f}:4"] == "not a JSON object"


def test_pubmed_reader_reads_title_abstract_pmid_journal_and_year(tmp_path: Path):
    f = tmp_path / "pubmed.xml"
    f.write_text(PUBMED)
    reader = PubMedReader()
    assert reader.can_read(str(f))
    items = list(reader.read(str(f)))
    [doc] = docs(items)
    assert doc.id == "PMID:99000001" and doc.title == "Metformin in type 2 diabetes."
    assert "Background: Metformin is first-line therapy." in doc.text
    assert doc.metadata["journal"] == "Example Journal" and doc.metadata["year"] == 2021
    assert isinstance(items[1], SkippedDocument) and "no title and no abstract" in items[1].reason


def test_pubmed_reader_refuses_entity_expansion_and_reports_malformed_xml(tmp_path: Path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
                    "<ArticleTitle>&x;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")
    [item] = PubMedReader().read(str(bomb))
    assert "root:" not in item.text and "root:" not in item.title
    broken = tmp_path / "broken.xml"
    broken.write_text("<PubmedArticleSet><PubmedArticle><MedlineCitation>")
    with pytest.raises(BadInputError, match="broken.xml, line 1: malformed XML"):
        list(PubMedReader().read(str(broken)))


@pytest.mark.parametrize("shape", ["single", "list", "api"])
def test_clinicaltrials_reader_reads_nct_id_conditions_interventions_and_summary(tmp_path: Path, shape: str):
    data = {"single": TRIAL, "list": [TRIAL], "api": {"studies": [TRIAL, {"nope": 1}]}}[shape]
    f = tmp_path / "trials.json"
    f.write_text(json.dumps(data))
    items = list(ClinicalTrialsReader().read(str(f)))
    [doc] = docs(items)
    assert doc.id == "NCT99000001" and doc.title == "A Study of Ivacaftor in Cystic Fibrosis"
    assert "evaluated in patients with cystic fibrosis" in doc.text
    assert doc.metadata["conditions"] == ["Cystic Fibrosis"] and doc.metadata["interventions"] == ["Ivacaftor"]
    assert doc.metadata["eligibility"].startswith("Inclusion")
    if shape == "api":
        assert isinstance(items[1], SkippedDocument)


def test_clinicaltrials_reader_names_the_position_of_invalid_json(tmp_path: Path):
    f = tmp_path / "bad.json"
    f.write_text('{"studies": [\n  {"a": }\n]}')
    with pytest.raises(BadInputError, match=r"bad.json: not JSON \(Expecting value at line 2, column \d+\)"):
        list(ClinicalTrialsReader().read(str(f)))


def test_directories_are_read_recursively_with_each_file_by_its_reader(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("Aspirin inhibits PTGS1.")
    (tmp_path / "sub" / "b.jsonl").write_text('{"id": "b", "text": "Warfarin interacts with aspirin."}\n')
    (tmp_path / "sub" / "c.xml").write_text(PUBMED)
    (tmp_path / "sub" / "d.json").write_text(json.dumps(TRIAL))
    (tmp_path / "sub" / "e.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "README.md").write_text("# About this corpus")
    items = list(read_documents([str(tmp_path)]))
    assert sorted(d.id for d in docs(items)) == ["NCT99000001", "PMID:99000001", "a", "b"]
    skipped = [s for s in items if isinstance(s, SkippedDocument)]
    assert any(s.source.endswith("e.pdf") and "no reader" in s.reason for s in skipped)
    assert not any("README" in s.source for s in skipped)  # about the corpus, not in it


def test_a_file_named_explicitly_that_no_reader_takes_is_an_error(tmp_path: Path):
    f = tmp_path / "scan.pdf"
    f.write_bytes(b"%PDF")
    with pytest.raises(BadInputError, match="scan.pdf: no reader"):
        list(read_documents([str(f)]))


def test_a_missing_source_is_named(tmp_path: Path):
    with pytest.raises(NotFoundError, match="nothing.txt: no such file"):
        list(read_documents([str(tmp_path / "nothing.txt")]))


def test_standard_input_as_text_or_jsonl(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Aspirin inhibits PTGS1."))
    [doc] = docs(read_documents(["-"]))
    assert doc.id == "stdin"
    monkeypatch.setattr("sys.stdin", io.StringIO('{"id": "s1", "text": "Warfarin."}\n'))
    [doc] = docs(read_documents(["-"], stdin_format="jsonl"))
    assert doc.id == "s1"
