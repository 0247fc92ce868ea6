"""Entity and relation quality of the dictionary extractor on data/eval/gold.jsonl.

    .venv/bin/python benchmarks/evaluate_extraction.py              # the example data
    .venv/bin/python benchmarks/evaluate_extraction.py --full       # + `ontomed vocab import`
    .venv/bin/python benchmarks/evaluate_extraction.py --kb PATH    # any existing knowledge base
    .venv/bin/python benchmarks/evaluate_extraction.py --errors --json out.json

The gold set was written independently of the extractor (data/eval/README.md); this
script measures, nothing is tuned against it. It runs the same code path as
`ontomed build` (ExtractionRunner: the dictionary extractor, the linkers, the
relation patterns) and asserts a relation exactly when the pipeline would: not
negated, not speculative, confidence >= --min-confidence.

Entities: exact (start, end, type), and a relaxed variant (overlapping span, same
type). "In vocabulary" restricts the gold to names the knowledge base knows, which
separates matcher errors from vocabulary coverage.
Relations: a predicted relation matches a gold one when the predicate is the same
and subject and object each match by text (case-insensitive) or by entity IRI
(interactsWith either way round). Negation: for every gold relation that must not
be asserted (negated or speculative), whether the extractor found the pair and
kept it out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "data" / "eval" / "gold.jsonl"
EXAMPLE_TTL = REPO / "ontologies" / "examples" / "ontomed-example.ttl"
DATA = REPO / "benchmarks" / "data"
FULL_KB = DATA / "extraction-kb-full"
OM = "https://w3id.org/ontomed#"
PROPERTIES = ("treats", "hasSymptom", "hasSideEffect", "contraindicatedFor", "interactsWith",
              "associatedWith", "targets")
ENTITY_TYPES = ("Drug", "Disease", "Symptom", "Gene")
SYMMETRIC = {"interactsWith"}


# -- knowledge bases ------------------------------------------------------------

def ontomed_cli() -> list[str]:
    """The command line of this checkout (not whichever `ontomed` is installed), so that a
    benchmark run from a branch measures that branch's code."""
    return [sys.executable, "-m", "ontomed.cli"]


def cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}


def die(message: str, code: int = 2) -> None:
    print(message, file=sys.stderr)
    sys.exit(code)


def vocab_import_available() -> bool:
    try:
        r = subprocess.run([*ontomed_cli(), "vocab", "import", "--help"], capture_output=True, text=True,
                           timeout=60, env=cli_env())
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def _run(args: list[str]) -> None:
    r = subprocess.run([*ontomed_cli(), *args], capture_output=True, text=True, env=cli_env())
    if r.returncode != 0:
        die(f"`ontomed {' '.join(args)}` failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}", 1)


def prepare_kb(*, full: bool, kb: str | None, rebuild: bool = False) -> tuple[Path, str, Path | None]:
    """An on-disk knowledge base to extract with: (path, description, temp dir to remove)."""
    if kb:
        path = Path(kb)
        if not path.exists():
            die(f"{kb}: no such knowledge base")
        return path, f"the knowledge base at {kb}", None
    if full:
        if not vocab_import_available():
            die("--full needs `ontomed vocab import`, which this checkout does not have yet "
                "(run without --full for the example data)")
        if rebuild and FULL_KB.exists():
            shutil.rmtree(FULL_KB)
        if not FULL_KB.exists():
            DATA.mkdir(parents=True, exist_ok=True)
            print(f"building {FULL_KB.relative_to(REPO)} (init + example data + vocab import; once)",
                  file=sys.stderr)
            started = time.perf_counter()
            try:
                _run(["init", "--kb", str(FULL_KB)])
                _run(["load", "--kb", str(FULL_KB), str(EXAMPLE_TTL)])
                _run(["vocab", "import", "--kb", str(FULL_KB)])
            except SystemExit:
                shutil.rmtree(FULL_KB, ignore_errors=True)
                raise
            print(f"  took {time.perf_counter() - started:.0f} s", file=sys.stderr)
        return FULL_KB, "example data + full vocabularies (`ontomed vocab import`)", None
    tmp = Path(tempfile.mkdtemp(prefix="ontomed-eval-"))
    path = tmp / "kb"
    _run(["init", "--kb", str(path)])
    _run(["load", "--kb", str(path), str(EXAMPLE_TTL)])
    return path, "example data (ontologies/examples/ontomed-example.ttl)", tmp


# -- scoring --------------------------------------------------------------------

def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, Any]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "pred": n_pred, "gold": n_gold, "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(f, 4)}


def _greedy(pred: list[Any], gold: list[Any], match: Any) -> list[tuple[int, int]]:
    """One-to-one pairs (pred index, gold index), first fit."""
    used: set[int] = set()
    pairs = []
    for i, p in enumerate(pred):
        for j, g in enumerate(gold):
            if j not in used and match(p, g):
                used.add(j)
                pairs.append((i, j))
                break
    return pairs


def evaluate(kb_path: Path, gold_rows: list[dict[str, Any]], min_confidence: float) -> dict[str, Any]:
    from ontomed import KnowledgeBase
    from ontomed.ingest.extractors.dictionary import vocabulary_for
    from ontomed.ingest.pipeline import ExtractionRunner, select_extractors

    kb = KnowledgeBase(kb_path, create=False)
    try:
        started = time.perf_counter()
        runner = ExtractionRunner(kb, select_extractors(["dictionary"]))
        vocab = vocabulary_for(kb)
        setup_s = time.perf_counter() - started
        started = time.perf_counter()
        results = runner.run([row["text"] for row in gold_rows])
        extract_s = time.perf_counter() - started
    finally:
        kb.close()

    def link(text: str) -> str | None:
        found = vocab.find(text)
        if len(found) == 1 and found[0].start == 0 and found[0].end == len(text):
            return found[0].iri
        return None

    ent = {"strict": Counter(), "relaxed": Counter()}
    ent_by_type: dict[str, Counter] = defaultdict(Counter)
    in_vocab = Counter()
    type_confusions: Counter = Counter()
    rel_by_prop: dict[str, Counter] = defaultdict(Counter)
    rel_in_vocab = Counter()
    neg = {"negated": Counter(), "speculative": Counter()}
    lost_to_modality = 0
    errors: list[dict[str, Any]] = []

    for row, extractions in zip(gold_rows, results):
        text = row["text"]
        mentions = [m for x in extractions for m in x.mentions]
        relations = [r for x in extractions for r in x.relations]
        gold_ents = row["entities"]
        pred_ents = [{"text": m.text, "type": m.type, "start": m.start, "end": m.end, "iri": m.iri}
                     for m in mentions]
        row_err: dict[str, Any] = {"id": row["id"], "text": text}

        # entities
        strict = _greedy(pred_ents, gold_ents, lambda p, g: (p["start"], p["end"], p["type"])
                         == (g["start"], g["end"], g["type"]))
        relaxed = _greedy(pred_ents, gold_ents, lambda p, g: p["start"] < g["end"] and g["start"] < p["end"]
                          and p["type"] == g["type"])
        for name, pairs in (("strict", strict), ("relaxed", relaxed)):
            ent[name].update(tp=len(pairs), pred=len(pred_ents), gold=len(gold_ents))
        for t in ENTITY_TYPES:
            ent_by_type[t].update(tp=sum(1 for i, _ in strict if pred_ents[i]["type"] == t),
                                  pred=sum(1 for p in pred_ents if p["type"] == t),
                                  gold=sum(1 for g in gold_ents if g["type"] == t))
        gold_known = [link(g["text"]) is not None for g in gold_ents]
        matched_gold = {j for _, j in strict}
        in_vocab.update(gold=sum(gold_known), tp=sum(1 for j in matched_gold if gold_known[j]))
        for p in pred_ents:
            for g in gold_ents:
                if (p["start"], p["end"]) == (g["start"], g["end"]) and p["type"] != g["type"]:
                    type_confusions[f"{g['type']}→{p['type']}"] += 1
        fp_ents = [p for i, p in enumerate(pred_ents) if i not in {i for i, _ in strict}]
        fn_ents = [dict(g, in_vocabulary=gold_known[j]) for j, g in enumerate(gold_ents) if j not in matched_gold]

        # relations
        gold_iri = {g["text"]: link(g["text"]) for g in gold_ents}

        def arg_ok(m: Any, gold_text: str) -> bool:
            iri = gold_iri.get(gold_text) or link(gold_text)
            return m.text.lower() == gold_text.lower() or (m.iri is not None and m.iri == iri)

        def rel_match(r: Any, g: dict[str, Any]) -> bool:
            prop = r.predicate[len(OM):]
            if prop != g["predicate"]:
                return False
            if arg_ok(r.subject, g["subject"]) and arg_ok(r.object, g["object"]):
                return True
            return prop in SYMMETRIC and arg_ok(r.subject, g["object"]) and arg_ok(r.object, g["subject"])

        def key(r: Any) -> tuple[str, str, str]:
            return (r.subject.iri or r.subject.text.lower(), r.predicate, r.object.iri or r.object.text.lower())

        asserted, seen = [], set()
        for r in sorted(relations, key=lambda r: -r.confidence):
            if not (r.negated or r.speculative) and r.confidence >= min_confidence and key(r) not in seen:
                seen.add(key(r))
                asserted.append(r)
        gold_asserted = [g for g in row["relations"] if not (g["negated"] or g.get("speculative"))]
        gold_held = [g for g in row["relations"] if g["negated"] or g.get("speculative")]
        pairs = _greedy(asserted, gold_asserted, rel_match)
        for prop in PROPERTIES:
            rel_by_prop[prop].update(
                tp=sum(1 for i, _ in pairs if asserted[i].predicate == OM + prop),
                pred=sum(1 for r in asserted if r.predicate == OM + prop),
                gold=sum(1 for g in gold_asserted if g["predicate"] == prop))
        for j, g in enumerate(gold_asserted):
            if link(g["subject"]) and link(g["object"]):
                rel_in_vocab["gold"] += 1
                rel_in_vocab["tp"] += any(jj == j for _, jj in pairs)
                if not any(jj == j for _, jj in pairs) and any(rel_match(r, g) for r in relations):
                    lost_to_modality += 1
        for g in gold_held:
            kind = "negated" if g["negated"] else "speculative"
            c = neg[kind]
            c["gold"] += 1
            c["in_vocabulary"] += bool(link(g["subject"]) and link(g["object"]))
            found = [r for r in relations if rel_match(r, g)]
            c["found"] += bool(found)
            wrongly = any(r in asserted for r in found)
            c["asserted_wrongly"] += wrongly
            c["held_back"] += bool(found) and not wrongly
            c["marked_negated"] += any(r.negated for r in found)
            c["marked_speculative"] += any(r.speculative and not r.negated for r in found)
        fp_rels = [r for i, r in enumerate(asserted) if i not in {i for i, _ in pairs}]
        fn_rels = [g for j, g in enumerate(gold_asserted) if j not in {j for _, j in pairs}]
        wrong_assert = [g for g in gold_held if any(rel_match(r, g) for r in asserted)]

        def show(r: Any) -> dict[str, Any]:
            return {"subject": r.subject.text, "predicate": r.predicate[len(OM):], "object": r.object.text,
                    "negated": r.negated, "speculative": r.speculative, "confidence": r.confidence}

        if fp_ents or fn_ents or fp_rels or fn_rels or wrong_assert:
            row_err.update(entity_fp=[{k: p[k] for k in ("text", "type")} for p in fp_ents],
                           entity_fn=[{k: g[k] for k in ("text", "type", "in_vocabulary")} for g in fn_ents],
                           relation_fp=[show(r) for r in fp_rels],
                           relation_fn=[dict(g, found_as=[show(r) for r in relations if rel_match(r, g)])
                                        for g in fn_rels],
                           asserted_but_negated_in_gold=wrong_assert)
            errors.append(row_err)

    rel_total = Counter()
    for c in rel_by_prop.values():
        rel_total.update(c)
    return {
        "sentences": len(gold_rows),
        "vocabulary_names": vocab.size,
        "setup_seconds": round(setup_s, 3),
        "extract_seconds": round(extract_s, 3),
        "min_confidence": min_confidence,
        "entities": {
            "strict": prf(ent["strict"]["tp"], ent["strict"]["pred"], ent["strict"]["gold"]),
            "relaxed": prf(ent["relaxed"]["tp"], ent["relaxed"]["pred"], ent["relaxed"]["gold"]),
            "by_type": {t: prf(c["tp"], c["pred"], c["gold"]) for t, c in ent_by_type.items()},
            "gold_in_vocabulary": in_vocab["gold"],
            "recall_in_vocabulary": round(in_vocab["tp"] / in_vocab["gold"], 4) if in_vocab["gold"] else None,
            "type_confusions": dict(type_confusions),
        },
        "relations": {
            "all": prf(rel_total["tp"], rel_total["pred"], rel_total["gold"]),
            "by_property": {p: prf(c["tp"], c["pred"], c["gold"]) for p, c in rel_by_prop.items()},
            "gold_in_vocabulary": rel_in_vocab["gold"],
            "recall_in_vocabulary": round(rel_in_vocab["tp"] / rel_in_vocab["gold"], 4)
            if rel_in_vocab["gold"] else None,
            "asserted_gold_found_but_marked_negated_or_speculative": lost_to_modality,
        },
        "negation": {k: dict(v) for k, v in neg.items()},
        "errors": errors,
    }


# -- printing -------------------------------------------------------------------

def _row(name: str, m: dict[str, Any]) -> str:
    return (f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
            f"{m['tp']} | {m['pred']} | {m['gold']} |")


def render(res: dict[str, Any], kb_desc: str) -> str:
    e, r, n = res["entities"], res["relations"], res["negation"]
    head = "| | precision | recall | F1 | tp | predicted | gold |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    out = [f"Knowledge base: {kb_desc}; {res['vocabulary_names']} vocabulary names.",
           f"Gold: {res['sentences']} sentences ({res.get('gold_file', 'data/eval/gold.jsonl')}). Relations asserted when not negated, "
           f"not speculative and confidence >= {res['min_confidence']} (as `ontomed build`).", "",
           "Entities", "", head,
           _row("exact span + type", e["strict"]), _row("overlap + type", e["relaxed"])]
    out += [_row(f"  {t} (exact)", e["by_type"][t]) for t in ENTITY_TYPES if t in e["by_type"]]
    iv = e["recall_in_vocabulary"]
    out += ["", f"Gold entities whose name the knowledge base knows: {e['gold_in_vocabulary']} of "
            f"{e['strict']['gold']}; exact recall on those: {iv:.3f}" if iv is not None else ""]
    if e["type_confusions"]:
        out.append("Right span, wrong type (gold→predicted): "
                   + ", ".join(f"{k} {v}" for k, v in sorted(e["type_confusions"].items())))
    out += ["", "Relations (asserted only)", "", head, _row("all properties", r["all"])]
    out += [_row(f"  {p}", r["by_property"][p]) for p in PROPERTIES if p in r["by_property"]]
    riv = r["recall_in_vocabulary"]
    out += ["", f"Asserted gold relations with both names in the vocabulary: {r['gold_in_vocabulary']}; "
            f"recall on those: {riv:.3f}" if riv is not None else "",
            f"Asserted gold relations found but marked negated/speculative (lost): "
            f"{r['asserted_gold_found_but_marked_negated_or_speculative']}", "",
            "Negation and speculation (gold relations that must not be asserted)", "",
            "| gold | relations | both names known | found by the patterns | kept out (of found) | "
            "marked negated | marked speculative | asserted wrongly |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind in ("negated", "speculative"):
        c = n.get(kind, {})
        out.append(f"| {kind} | {c.get('gold', 0)} | {c.get('in_vocabulary', 0)} | {c.get('found', 0)} | "
                   f"{c.get('held_back', 0)} | {c.get('marked_negated', 0)} | {c.get('marked_speculative', 0)} | "
                   f"{c.get('asserted_wrongly', 0)} |")
    return "\n".join(out)


def render_errors(res: dict[str, Any]) -> str:
    out = []
    for err in res["errors"]:
        out.append(f"\n{err['id']}: {err['text']}")
        for p in err["entity_fp"]:
            out.append(f"  entity FP  {p['text']!r} {p['type']}")
        for g in err["entity_fn"]:
            out.append(f"  entity FN  {g['text']!r} {g['type']}" + ("" if g["in_vocabulary"] else "  (not in vocabulary)"))
        for r in err["relation_fp"]:
            out.append(f"  rel FP     {r['subject']} {r['predicate']} {r['object']} ({r['confidence']})")
        for g in err["relation_fn"]:
            how = "; ".join(f"found {'negated' if f['negated'] else 'speculative' if f['speculative'] else 'low'}"
                            for f in g["found_as"])
            out.append(f"  rel FN     {g['subject']} {g['predicate']} {g['object']}" + (f"  [{how}]" if how else ""))
        for g in err["asserted_but_negated_in_gold"]:
            kind = "negated" if g["negated"] else "speculative"
            out.append(f"  ASSERTED   {g['subject']} {g['predicate']} {g['object']} (gold: {kind})")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also import the full vocabularies "
                    "(`ontomed vocab import`, built once into benchmarks/data/)")
    ap.add_argument("--rebuild", action="store_true", help="with --full: rebuild the cached knowledge base")
    ap.add_argument("--kb", help="use this existing knowledge base instead")
    ap.add_argument("--gold", default=str(GOLD), help="annotated sentences (JSON Lines)")
    ap.add_argument("--min-confidence", type=float, default=0.5, help="as `ontomed build` (default 0.5)")
    ap.add_argument("--errors", action="store_true", help="print every error, sentence by sentence")
    ap.add_argument("--json", metavar="OUT", help="write the figures (and the errors) as JSON")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    rows = [json.loads(line) for line in Path(args.gold).read_text("utf-8").splitlines() if line.strip()]
    kb_path, kb_desc, tmp = prepare_kb(full=args.full, kb=args.kb, rebuild=args.rebuild)
    try:
        res = evaluate(kb_path, rows, args.min_confidence)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if "torch" in sys.modules:  # it should not be imported at all; if it is, keep it on one core
        import torch
        torch.set_num_threads(1)
    res["knowledge_base"] = kb_desc
    gold_path = Path(args.gold).resolve()
    res["gold_file"] = str(gold_path.relative_to(REPO)) if gold_path.is_relative_to(REPO) else str(gold_path)
    print(render(res, kb_desc))
    if args.errors:
        print(render_errors(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
