"""Redaction of clinical notes (issue 15): recall per identifier kind, false redactions, the facts
still extracted, and speed, on the frozen dev and test notes of data/eval/.

    python benchmarks/redaction.py --kb PATH      # a knowledge base holding the vocabularies

- **recall** per kind: a planted identifier counts as removed when every letter and digit of it is
  inside a redacted span (of any kind; the placeholder's kind is not scored).
- **false redactions**: redacted spans that touch no planted identifier, listed; **medical terms
  lost**: mentions the dictionary extractor finds in the note without identifiers (``clean_text``)
  and not in the redacted note.
- **same facts**: the relations (subject, property, object, negated, speculative) extracted from
  the redacted note against those from the same note without identifiers, note by note.
- **speed**: notes per second of each redactor over the notes (title and text).

The named peer is Microsoft Presidio's analyzer with its pattern recognizers (no spaCy model: names
and addresses then go unfound, which is why it is not the default; ontomed/ingest/redactors/patterns.py
says more). It runs when ``presidio-analyzer`` is importable, with tldextract kept off the network;
a plain regex baseline (e-mail, phone, numeric dates, SSN, long numbers) runs always.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ontomed import KnowledgeBase  # noqa: E402
from ontomed import Document  # noqa: E402
from ontomed.ingest.pipeline import ExtractionRunner, select_extractors  # noqa: E402
from ontomed.ingest.redaction import redact, redact_document  # noqa: E402
from ontomed.ingest.redactors.patterns import PatternRedactor  # noqa: E402

EVAL = ROOT / "data" / "eval"
KEY = b"benchmark key, not a secret"
Spans = Callable[[str], list[tuple[int, int]]]


def load(split: str) -> list[dict]:
    return [json.loads(line) for line in (EVAL / f"clinical_notes_{split}.jsonl").open(encoding="utf-8")]


def combined(note: dict) -> tuple[str, list[dict]]:
    """Title and text as the build redacts them (together), with the gold spans shifted."""
    shift = len(note["title"]) + 2
    gold = note["title_identifiers"] + [{**s, "start": s["start"] + shift, "end": s["end"] + shift}
                                        for s in note["identifiers"]]
    return f"{note['title']}\n\n{note['text']}", gold


def recall(notes: list[dict], spans_of: Spans) -> tuple[dict[str, tuple[int, int]], list[str], float]:
    """Per kind (removed, planted); the false redactions; notes per second."""
    per_kind: dict[str, list[int]] = {}
    false: list[str] = []
    started = time.perf_counter()
    found = [spans_of(combined(n)[0]) for n in notes]
    rate = len(notes) / (time.perf_counter() - started)
    for note, spans in zip(notes, found):
        text, gold = combined(note)
        for g in gold:
            chars = [c for c in range(g["start"], g["end"]) if text[c].isalnum()]
            ok = all(any(s <= c < e for s, e in spans) for c in chars)
            counts = per_kind.setdefault(g["kind"], [0, 0])
            counts[0] += ok
            counts[1] += 1
        false += [text[s:e] for s, e in spans if not any(s < g["end"] and g["start"] < e for g in gold)]
    return {k: (v[0], v[1]) for k, v in sorted(per_kind.items())}, false, rate


def ours(text: str) -> list[tuple[int, int]]:
    return [(i.start, i.end) for i in redact(text, [PatternRedactor()]).identifiers]


BASELINE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}|\d{1,2}/\d{1,2}/\d{2,4}"
                      r"|\d{3}-\d{2}-\d{4}|\b\d{5,}\b|https?://\S+")


def baseline(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in BASELINE.finditer(text)]


def presidio() -> Spans | None:
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # the bundled snapshot, no network
    try:
        from presidio_analyzer import PatternRecognizer, RecognizerRegistry
    except ImportError:
        return None
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"])
    recognizers = [r for r in registry.recognizers
                   if isinstance(r, PatternRecognizer) or type(r).__name__ == "PhoneRecognizer"]

    def spans(text: str) -> list[tuple[int, int]]:
        out = []
        for r in recognizers:
            out += [(x.start, x.end) for x in r.analyze(text, r.supported_entities, None) or []]
        return out

    spans.names = sorted({type(r).__name__ for r in recognizers})  # type: ignore[attr-defined]
    return spans


def relations(runner: ExtractionRunner, texts: Sequence[str]) -> list[set[tuple]]:
    out = []
    for extractions in runner.run(list(texts)):
        out.append({(r.subject.iri, r.predicate, r.object.iri, r.negated, r.speculative)
                    for e in extractions for r in e.relations if r.subject.iri and r.object.iri})
    return out


def mentions(runner: ExtractionRunner, texts: Sequence[str]) -> list[set[tuple]]:
    return [{(m.text.lower(), m.iri) for e in extractions for m in e.mentions}
            for extractions in runner.run(list(texts))]


def facts(notes: list[dict], runner: ExtractionRunner) -> dict:
    redacted = [redact_document(Document(n["text"], id=n["id"], title=n["title"]), [PatternRedactor()], KEY)[0].text
                for n in notes]
    clean = [n["clean_text"] for n in notes]
    got, want = relations(runner, redacted), relations(runner, clean)
    lost_mentions = [sorted(w - g) for w, g in zip(mentions(runner, clean), mentions(runner, redacted))]
    return {"notes_same_facts": sum(g == w for g, w in zip(got, want)),
            "facts_clean": sum(len(w) for w in want), "facts_redacted": sum(len(g) for g in got),
            "facts_lost": sum(len(w - g) for g, w in zip(got, want)),
            "facts_added": sum(len(g - w) for g, w in zip(got, want)),
            "medical_terms_lost": [m[0] for lost in lost_mentions for m in lost]}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", default=os.environ.get("ONTOMED_KB"),
                        help="a knowledge base holding the vocabularies (ontomed vocab import)")
    parser.add_argument("--splits", default="dev,test")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.kb:
        parser.error("--kb: give a knowledge base holding the vocabularies (ontomed vocab import)")
    peer = presidio()
    redactors: dict[str, Spans] = {"ontomed safe-harbor": ours, "plain regex": baseline}
    if peer is not None:
        redactors["Presidio patterns"] = peer
    report: dict = {"presidio_recognizers": getattr(peer, "names", None)}
    with KnowledgeBase(args.kb, read_only=True) as kb:
        runner = ExtractionRunner(kb, select_extractors(None))
        for split in args.splits.split(","):
            notes = load(split)
            result: dict = {"notes": len(notes), "redactors": {}}
            for name, spans_of in redactors.items():
                per_kind, false, rate = recall(notes, spans_of)
                result["redactors"][name] = {"recall": per_kind, "false_redactions": false,
                                             "notes_per_second": round(rate, 1)}
            result["facts"] = facts(notes, runner)
            report[split] = result
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print_tables(report, args.splits.split(","))


def print_tables(report: dict, splits: list[str]) -> None:
    for split in splits:
        result = report[split]
        names = list(result["redactors"])
        kinds = list(result["redactors"][names[0]]["recall"])
        print(f"\n{split}: {result['notes']} notes\n")
        print("| kind | planted | " + " | ".join(names) + " |")
        print("| --- | ---: | " + " | ".join("---:" for _ in names) + " |")
        for kind in kinds:
            planted = result["redactors"][names[0]]["recall"][kind][1]
            cells = [f"{result['redactors'][n]['recall'][kind][0] / planted:.3f}" for n in names]
            print(f"| {kind} | {planted} | " + " | ".join(cells) + " |")
        totals = []
        for n in names:
            removed = sum(v[0] for v in result["redactors"][n]["recall"].values())
            planted = sum(v[1] for v in result["redactors"][n]["recall"].values())
            totals.append(f"**{removed / planted:.3f}**")
        print("| **all** | " + str(sum(v[1] for v in result["redactors"][names[0]]["recall"].values()))
              + " | " + " | ".join(totals) + " |")
        print("| false redactions (spans touching no identifier) | | "
              + " | ".join(str(len(result["redactors"][n]["false_redactions"])) for n in names) + " |")
        print("| notes/s | | " + " | ".join(f"{result['redactors'][n]['notes_per_second']:,.0f}" for n in names) + " |")
        f = result["facts"]
        print(f"\nfacts: {f['notes_same_facts']}/{result['notes']} notes give the same facts redacted as without "
              f"identifiers; {f['facts_clean']} facts without identifiers, {f['facts_redacted']} redacted, "
              f"{f['facts_lost']} lost, {f['facts_added']} added; medical terms lost: "
              f"{', '.join(f['medical_terms_lost']) or 'none'}")
        false = result["redactors"][names[0]]["false_redactions"]
        print(f"ontomed's false redactions: {', '.join(map(repr, false)) or 'none'}")
    if report.get("presidio_recognizers"):
        print(f"\nPresidio recognizers run: {', '.join(report['presidio_recognizers'])}")


if __name__ == "__main__":
    main()
