"""Clinical notes lose their direct identifiers before anything of them is stored (issue 15):
each Safe Harbor kind, the medical words that must stay, the register_redactors hook, and
``ontomed build --clinical`` end to end against the real store, with the logs read."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from ontomed import Document, Identifier, Redactor, hookimpl, plugins
from ontomed.cli import cli
from ontomed.testing import registered
from ontomed.ingest.pipeline import build
from ontomed.ingest.redaction import keyed_identifier, merge, redact, redact_document, redaction_key
from ontomed.ingest.redactors.patterns import PatternRedactor

from tests.conftest import EXAMPLE_TTL, make_example_kb

DEFAULT = [PatternRedactor()]


def scrub(text: str) -> str:
    return redact(text, DEFAULT).text


@pytest.fixture(autouse=True)
def _redaction_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ONTOMED_REDACTION_KEY", raising=False)


# -- each kind -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    # names: after titles, labels, relations, before credentials; then everywhere else in the note
    ("Seen by Dr. Anika Rao today.", "Seen by Dr. [NAME] today."),
    ("Patient: Joan Whitfield. Joan reports less pain.", "Patient: [NAME]. [NAME] reports less pain."),
    ("His wife Maria Okafor called.", "His wife [NAME] called."),
    ("Signed: Robert Chen, MD", "Signed: [NAME], MD"),
    ("Lena Fischer (daughter) was present.", "[NAME] (daughter) was present."),
    ("Mrs. O'Sullivan returns. O'Sullivan is well.", "Mrs. [NAME] returns. [NAME] is well."),
    # dates keep their year; a date without a year loses all of it
    ("Admitted 03/14/2019.", "Admitted [DATE] 2019."),
    ("Seen on March 4, 2021 and 4 March 2021.", "Seen on [DATE] 2021 and [DATE] 2021."),
    ("Born 1931-07-02.", "Born [DATE] 1931."),
    ("Return on June 9.", "Return on [DATE]."),
    # ages over 89 only
    ("A 93-year-old woman and a 67-year-old man.", "A [AGE 90+]-year-old woman and a 67-year-old man."),
    ("aged 101", "aged [AGE 90+]"),
    # telephone and fax
    ("Call (555) 201-7730 or fax 555-201-7731.", "Call [PHONE] or fax [FAX]."),
    ("Mobile +1 617 555 0134.", "Mobile [PHONE]."),
    # e-mail, URL, IP
    ("Write to j.doe@example.org.", "Write to [EMAIL]."),
    ("Portal: https://portal.example.org/p/77aa9.", "Portal: [URL]."),
    ("From host 192.168.10.24 and fe80::1ff:fe23.", "From host [IP] and [IP]."),
    # street addresses, towns and postcodes; the state stays
    ("Lives at 42 Juniper Lane, Apt 3, Fairview, OR 97024.",
     "Lives at [ADDRESS], [ADDRESS], OR [POSTCODE]."),
    ("Postcode: SW1A 1AA.", "Postcode: [POSTCODE]."),
    ("Tel 555-201-7730; 9 Wharf Lane, Dunmore 04101.\nSertraline is indicated for depression.",
     "Tel [PHONE]; [ADDRESS], [ADDRESS] [POSTCODE].\nSertraline is indicated for depression."),
    # record, insurance, account, licence, social security numbers
    ("MRN: 00482913.", "MRN: [MRN]."),
    ("Member ID XKH448812903.", "Member ID [INSURANCE]."),
    ("Account number: 4471-229011.", "Account number: [ACCOUNT]."),
    ("Driver's license: D1234567.", "Driver's license: [LICENCE]."),
    ("SSN 123-45-6789.", "SSN [SSN]."),
    # any other long number
    ("Ref 88120034 on file.", "Ref [ID] on file."),
])
def test_each_safe_harbor_kind_is_replaced_by_its_placeholder(text: str, expected: str):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", [
    "Levodopa improves the tremor of Parkinson's disease.",
    "Methimazole is used to treat Graves' disease.",
    "Levothyroxine is indicated for Hashimoto's thyroiditis.",
    "Hydrocortisone is prescribed for Addison's disease; Crohn's disease is in remission.",
    "HbA1c was 7.2% on metformin 500 mg twice daily; CYP2C9 and BRCA1 were not tested.",
    "A 67-year-old man with type 2 diabetes and Down syndrome, seen in the ED.",
    "Results to the practice nurse\nIbuprofen can cause nausea.",  # a cue does not cross a line
])
def test_medical_words_eponyms_and_doses_are_left_alone(text: str):
    assert scrub(text) == text


def test_overlapping_spans_become_one_placeholder_of_the_widest_kind():
    spans = merge([Identifier("ID", 4, 12), Identifier("MRN", 0, 12), Identifier("NAME", 20, 25)])
    assert [(i.kind, i.start, i.end) for i in spans] == [("MRN", 0, 12), ("NAME", 20, 25)]


def test_title_and_text_are_redacted_together_and_the_identifier_is_keyed():
    doc = Document(text="Patient: Ada Brightwater. Metformin treats type 2 diabetes mellitus.",
                   id="00482913", title="Note on Brightwater", source="/notes/brightwater.txt")
    key = b"k" * 32
    redacted, found = redact_document(doc, DEFAULT, key)
    assert redacted.title == "Note on [NAME]"
    assert redacted.text == "Patient: [NAME]. Metformin treats type 2 diabetes mellitus."
    assert redacted.id == keyed_identifier("00482913", key) != keyed_identifier("00482913", b"x" * 32)
    assert redacted.id.startswith("note-") and "00482913" not in redacted.id
    assert redacted.source is None
    assert found.counts() == {"NAME": 2}


def test_the_key_is_made_once_readable_by_its_owner_only(tmp_path: Path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    first = redaction_key(env)
    assert redaction_key(env) == first and len(first) == 32
    path = tmp_path / "cfg" / "ontomed" / "redaction.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert redaction_key({**env, "ONTOMED_REDACTION_KEY": "site key"}) == b"site key"


# -- the hook --------------------------------------------------------------------------------------

class Wards(Redactor):
    """A site's own identifier: the ward and bed, which its notes write as 'Ward 7B bed 12'."""

    id = "wards-test"

    def find(self, text: str) -> Sequence[Identifier]:
        import re

        return [Identifier("LOCATION", m.start(), m.end()) for m in re.finditer(r"Ward \w+ bed \d+", text)]


class Broken(Redactor):
    id = "broken-test"

    def find(self, text: str) -> Sequence[Identifier]:
        raise RuntimeError(f"cannot parse {text}")  # a message that quotes the note


@contextmanager
def installed(*redactors: Redactor) -> Iterator[None]:
    class Plugin:
        @hookimpl
        def register_redactors(self, register):
            for r in redactors:
                register(r)

    with registered(Plugin()):
        yield


def note(tmp_path: Path, text: str, name: str = "whitfield_joan.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def literals_and_iris(kb) -> str:
    """Every IRI and literal of every graph of the store, one per line."""
    return "\n".join(term.value for quad in kb.store.quads_for_pattern(None, None, None, None)
                     for term in quad if hasattr(term, "value"))


def test_register_redactors_adds_a_sites_redactor_beside_the_default(tmp_path: Path):
    kb = make_example_kb()
    source = note(tmp_path, "In Ward 7B bed 12 metformin treats type 2 diabetes mellitus (Dr. Okonkwo).\n")
    with installed(Wards()):
        assert set(plugins.get_redactors()) == {"safe-harbor", "wards-test"}
        report = build(kb, [str(source)], clinical=True)
    assert report.identifiers_removed == {"LOCATION": 1, "NAME": 1}
    stored = literals_and_iris(kb)
    assert "Ward 7B" not in stored and "Okonkwo" not in stored
    assert "In [LOCATION] metformin treats type 2 diabetes mellitus (Dr. [NAME])." in stored


def test_a_failing_redactor_stores_nothing_of_the_note_and_does_not_quote_it(tmp_path: Path):
    kb = make_example_kb()
    before = literals_and_iris(kb)
    source = note(tmp_path, "Dr. Okonkwo: metformin treats type 2 diabetes mellitus.\n")
    with installed(Broken()):
        report = build(kb, [str(source)], clinical=True)
    assert literals_and_iris(kb) == before
    [(where, why)] = report.skipped
    assert "Okonkwo" not in where + why and "whitfield" not in where
    assert why == "redactor 'broken-test' failed (RuntimeError); the note was not stored"


# -- ontomed build --clinical, end to end ----------------------------------------------------------

PLANTED = ["Joan Whitfield", "Whitfield", "Joan", "Emeka Adeyemi", "Adeyemi", "03/14/2019", "March 3",
           "94", "(555) 201-7730", "joan.w@example.org", "17 Harbour Row", "Port Ellis", "04101",
           "00482913", "XKH448812903", "https://portal.example.org/p/jw", "10.4.22.7", "whitfield_joan"]
NOTE = """Clinic note: Joan Whitfield
Patient: Joan Whitfield, a 94-year-old woman, MRN 00482913, seen on 03/14/2019.
Lives at 17 Harbour Row, Port Ellis, ME 04101; phone (555) 201-7730; joan.w@example.org.
Member ID XKH448812903. Portal https://portal.example.org/p/jw from 10.4.22.7.
Metformin is indicated for type 2 diabetes mellitus. Metformin can cause diarrhea.
Follow-up on March 3 with Dr. Emeka Adeyemi.
"""


def found_in(text: str) -> list[str]:
    """The planted identifiers in ``text``, as whole words (so "94" in a hash is not one)."""
    import re

    return [p for p in PLANTED if re.search(rf"(?<![\w.]){re.escape(p)}(?!\w)", text)]


def test_build_clinical_stores_no_planted_identifier_and_keeps_the_facts(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture):
    kb_path = str(tmp_path / "kb")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--kb", kb_path]).exit_code == 0
    assert runner.invoke(cli, ["load", "--kb", kb_path, str(EXAMPLE_TTL)]).exit_code == 0
    source = note(tmp_path, NOTE)
    assert found_in(NOTE + source.name) == PLANTED  # the check below can see every one
    caplog.set_level(logging.DEBUG)
    result = runner.invoke(cli, ["build", "--kb", kb_path, "--clinical", "--json", str(source)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["redacted"] == 1 and report["evidence_added"] == 2
    from ontomed import KnowledgeBase

    with KnowledgeBase(kb_path, read_only=True) as kb:
        stored = literals_and_iris(kb)
        facts = kb.query("ASK { ome:metformin om:treats ome:type_2_diabetes_mellitus . "
                         "ome:metformin om:hasSideEffect ome:diarrhea }")
    assert facts
    assert not found_in(stored)
    assert "Metformin is indicated for type 2 diabetes mellitus." in stored
    # the patient context is in no log record and in nothing printed
    said = caplog.text + result.output
    assert not found_in(said)
    # a rerun adds nothing: the same keyed identifier, the same redacted text
    again = runner.invoke(cli, ["build", "--kb", kb_path, "--clinical", "--json", str(source)])
    assert json.loads(again.output)["documents_new"] == 0
    assert json.loads(again.output)["evidence_added"] == 0


def test_a_jsonl_record_marked_clinical_is_redacted_without_the_flag(tmp_path: Path):
    kb = make_example_kb()
    source = tmp_path / "notes.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in [
        {"id": "00482913", "title": "Joan Whitfield", "clinical": True,
         "text": "Patient: Joan Whitfield. Metformin can cause diarrhea."},
        {"id": "PMID:1", "title": "Dr. Smith's review", "text": "Metformin can cause nausea."},
    ]) + "\n")
    report = build(kb, [str(source)])
    assert report.redacted == 1
    stored = literals_and_iris(kb)
    assert "Whitfield" not in stored and "00482913" not in stored
    assert "Dr. Smith's review" in stored and "PMID:1" in stored  # not a clinical note: kept


def test_an_unknown_redactor_is_a_one_line_error(tmp_path: Path):
    runner = CliRunner()
    kb_path = str(tmp_path / "kb")
    runner.invoke(cli, ["init", "--kb", kb_path])
    result = runner.invoke(cli, ["build", "--kb", kb_path, "--clinical", "--redactors", "nope",
                                 str(note(tmp_path, "x\n"))])
    assert result.exit_code == 2
    assert "no redactor 'nope' (loaded: safe-harbor)" in result.output
    assert "Traceback" not in result.output


def test_extract_clinical_shows_the_facts_of_a_note_and_none_of_its_identifiers(tmp_path: Path):
    kb_path = str(tmp_path / "kb")
    runner = CliRunner()  # click 8.2+: result.stdout and result.stderr apart
    make_example_kb(Path(kb_path)).close()
    result = runner.invoke(cli, ["extract", "--kb", kb_path, "--clinical", "-"], input=NOTE)
    assert result.exit_code == 0, result.output
    [extraction] = json.loads(result.stdout)
    assert not found_in(result.stdout) and not found_in(result.stderr)
    assert "redacted: " in result.stderr and "NAME" in result.stderr and "DATE" in result.stderr
    text = extraction["text"]
    assert "[NAME]" in text and "Metformin is indicated for type 2 diabetes mellitus." in text
    relations = {(r["subject"]["text"], r["predicate"].rsplit("#")[-1], r["object"]["text"])
                 for r in extraction["relations"]}
    assert relations == {("Metformin", "treats", "type 2 diabetes mellitus"),
                         ("Metformin", "hasSideEffect", "diarrhea")}
    assert extraction["mentions"] and all(text[m["start"]:m["end"]] == m["text"] for m in extraction["mentions"])


def test_extract_without_clinical_keeps_the_text_and_redactors_need_clinical(tmp_path: Path):
    kb_path = str(tmp_path / "kb")
    make_example_kb(Path(kb_path)).close()
    result = CliRunner().invoke(cli, ["extract", "--kb", kb_path, "Metformin can cause diarrhea."])
    assert result.exit_code == 0 and "text" not in json.loads(result.output)[0]
    result = CliRunner().invoke(cli, ["extract", "--kb", kb_path, "--redactors", "safe-harbor", "x"])
    assert result.exit_code == 2 and "give both" in result.output and "Traceback" not in result.output
