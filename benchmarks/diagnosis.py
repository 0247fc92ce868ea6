#!/usr/bin/env python
"""Diagnosis from findings: accuracy and speed on simulated patients, against pyhpo in the same run.

    python benchmarks/diagnosis.py [KB]                 # default ./ontomed-kb (vocab imported)
    python benchmarks/diagnosis.py KB --no-peer --split dev   # quick: ours on the dev split only

The evaluation is frozen (written before any tuning, changed only by a commit
that says why):

- Patients come from the knowledge base's own annotations (the HPO ones: terms
  with an HP id). A disease qualifies with at least 5 such annotations.
- Split: a disease is *dev* when the first 8 hex digits of sha256(its IRI) are
  even, *test* otherwise. Tuning looks at dev only; test is reported.
- 500 diseases per split, drawn with ``numpy.random.default_rng(seed)`` from the
  sorted qualifying IRIs of that split (seed 42).
- A patient of disease d (its own generator, seeded by the seed and d's hash, so
  one patient never depends on another): k = 3..6 phenotypes drawn without
  replacement, each with weight its frequency (HPO's classes at the middle of
  their ranges, "n/m" as n/m, "x%" as x/100, none stated 0.5; at least 0.01);
  a drawn term above another drawn term is dropped (a clinician gives the
  specific one).
- Four conditions of the same patient: *clean*; *noisy*: 2 unrelated terms added,
  drawn like a random annotation (common phenotypes more often), unrelated
  meaning neither the disease nor any of its phenotypes has the term at, above or
  below it; *imprecise*: each term replaced by one of its direct parents at random
  (never a top-level term of the hierarchy; a term whose parents are all
  top-level stays); *both*: imprecise, then noisy.
- Rank of the true disease: 1 + the diseases scoring higher + half those tied with
  it. Top-1 and top-10 count ranks <= 1 and <= 10.

The peer is pyhpo's ``HPOSet.similarity`` of the patient to each disease's own
pyhpo annotation set (``Ontology.omim_diseases``, ``orpha_diseases``,
``decipher_diseases``), mapped to the knowledge base's diseases by their OMIM,
ORPHA and DECIPHER ids (a knowledge-base disease merged from several takes the
best of their scores); diseases without a counterpart are left out of pyhpo's
ranking. pyhpo takes ~1 ms a pair, ~10 s a patient against 12k diseases, so:

- its method is chosen on dev (first the similarity method with funSimAvg, then
  the combination for the best method), ranking each of ``--select-patients``
  dev patients per condition against a pool of the true disease and 499 others
  drawn at random (the same pool for every method); the lowest mean rank in the
  pool wins;
- it ranks ``--peer-patients`` test patients per condition (the first in a seeded
  shuffle of the test diseases it has) against every disease, and ours is
  reported on the same patients beside it.

Speed is one core (``sched_setaffinity`` to CPU 0, BLAS threads 1): ours through
the public ``diagnose(kb, [term IRIs], top=10)`` (names resolved, ten diseases
explained), pyhpo's scoring of every disease. Build, warm-cache load and the first
answer of a fresh ``ontomed diagnose`` process are measured in subprocesses.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ontomed.apps.diagnosis import Scoring, diagnose, diagnosis_model, scores  # noqa: E402
from ontomed.apps.diagnosis.model import DiagnosisModel  # noqa: E402
from ontomed.kb import KnowledgeBase  # noqa: E402

CONDITIONS = ("clean", "noisy", "imprecise", "both")
MIN_ANNOTATIONS = 5
NOISE_TERMS = 2
POOL = 500
_NAMED = {"obligate": 1.0, "very frequent": 0.895, "frequent": 0.545, "occasional": 0.17,
          "very rare": 0.025}
PYHPO_METHODS = ("graphic", "resnik", "lin", "jc", "rel", "ic")
PYHPO_COMBINES = ("funSimAvg", "funSimMax", "BMA")
LATENCY_FINDINGS = ("Arachnodactyly", "Ectopia lentis", "HP:0002616", "Tall stature")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def disease_hash(iri: str) -> int:
    return int(hashlib.sha256(iri.encode("utf-8")).hexdigest()[:8], 16)


def split_of(iri: str) -> str:
    return "dev" if disease_hash(iri) % 2 == 0 else "test"


def simulated_frequency(text: str | None) -> float:
    """The simulator's own reading of a frequency (not the model's)."""
    if not text:
        return 0.5
    value = text.strip().lower()
    if value in _NAMED:
        return _NAMED[value]
    if m := re.fullmatch(r"(\d+)\s*/\s*(\d+)", value):
        n, total = int(m.group(1)), int(m.group(2))
        return max(n / total, 0.01) if total else 0.5
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", value):
        return max(float(m.group(1)) / 100, 0.01)
    return 0.5


@dataclass
class Patient:
    disease: int                     # row in the model
    terms: dict[str, list[int]] = field(default_factory=dict)  # condition → term columns


class Simulator:
    def __init__(self, model: DiagnosisModel, seed: int) -> None:
        self.m, self.seed = model, seed
        n_t = model.n_terms
        self.has_hpo = np.array([h is not None for h in model.term_hpo], dtype=bool)
        self.ancestors = [set(model.ancestors(t).tolist()) for t in range(n_t)]
        self.roots = {t for t in range(n_t) if len(self.ancestors[t]) == 1}
        self.parents: list[list[int]] = []
        for t in range(n_t):
            above = self.ancestors[t] - {t}
            indirect = set().union(*(self.ancestors[a] - {a} for a in above)) if above else set()
            self.parents.append(sorted(above - indirect))
        # noise: a random annotation's term (common phenotypes more often)
        cols = model.ann.indices
        self.noise_pool = cols[self.has_hpo[cols]]

    def stated(self, d: int) -> tuple[np.ndarray, list[str | None]]:
        start, end = self.m.ann.indptr[d], self.m.ann.indptr[d + 1]
        terms = self.m.ann.indices[start:end]
        texts = self.m.ann_text[start:end]
        keep = self.has_hpo[terms]
        return terms[keep], [t for t, k in zip(texts, keep) if k]

    def eligible(self, d: int) -> bool:
        return self.stated(d)[0].size >= MIN_ANNOTATIONS

    def patient(self, d: int) -> Patient:
        h = disease_hash(self.m.disease_iris[d])
        rng = np.random.default_rng([self.seed, h])
        terms, texts = self.stated(d)
        weights = np.array([simulated_frequency(t) for t in texts])
        k = min(int(rng.integers(3, 7)), terms.size)
        drawn = [int(t) for t in rng.choice(terms, size=k, replace=False, p=weights / weights.sum())]
        base = [t for t in drawn if not any(t != o and t in self.ancestors[o] for o in drawn)]
        p = Patient(d)
        p.terms["clean"] = base
        p.terms["noisy"] = base + self.noise(d, np.random.default_rng([self.seed, h, 1]))
        imprecise = self.imprecise(base, np.random.default_rng([self.seed, h, 2]))
        p.terms["imprecise"] = imprecise
        p.terms["both"] = imprecise + self.noise(d, np.random.default_rng([self.seed, h, 3]))
        return p

    def noise(self, d: int, rng: np.random.Generator) -> list[int]:
        stated = set(self.stated(d)[0].tolist()) | set(self.m.ann.slice(d)[0].tolist())
        out: list[int] = []
        while len(out) < NOISE_TERMS:
            t = int(self.noise_pool[rng.integers(self.noise_pool.size)])
            if t in out or self.m.q.has(t, d) or self.ancestors[t] & stated:
                continue
            out.append(t)
        return out

    def imprecise(self, terms: list[int], rng: np.random.Generator) -> list[int]:
        out = []
        for t in terms:
            choices = [p for p in self.parents[t] if p not in self.roots and self.has_hpo[p]]
            out.append(int(choices[rng.integers(len(choices))]) if choices else t)
        return list(dict.fromkeys(out))


def rank_of(total: np.ndarray, true: int) -> float:
    s = total[true]
    higher = int(np.count_nonzero(total > s))
    tied = int(np.count_nonzero(total == s)) - 1
    return 1 + higher + tied / 2


def summary(ranks: list[float]) -> dict[str, float]:
    if not ranks:
        return {"patients": 0, "top1": float("nan"), "top10": float("nan"), "median": float("nan"),
                "mrr": float("nan")}
    return {"patients": len(ranks),
            "top1": sum(r <= 1 for r in ranks) / len(ranks),
            "top10": sum(r <= 10 for r in ranks) / len(ranks),
            "median": float(statistics.median(ranks)),
            "mrr": sum(1 / r for r in ranks) / len(ranks)}


def choose_diseases(model: DiagnosisModel, sim: Simulator, split: str, n: int, seed: int) -> list[int]:
    rows = sorted((d for d in range(model.n_diseases)
                   if split_of(model.disease_iris[d]) == split and sim.eligible(d)),
                  key=lambda d: model.disease_iris[d])
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
    return sorted(rows[i] for i in picked)


# -- the peer ------------------------------------------------------------------------

class Peer:
    """pyhpo's set similarity to each disease's own pyhpo annotations."""

    def __init__(self, model: DiagnosisModel) -> None:
        started = time.perf_counter()
        from pyhpo import HPOSet, Ontology

        Ontology()
        self.HPOSet = HPOSet
        by_id: dict[str, list[int]] = {}
        for d, ids in enumerate(model.disease_ids):
            for i in ids:
                by_id.setdefault(i, []).append(d)
        self.rows: list[int] = []      # KB row of each pyhpo set
        self.sets: list[object] = []
        for prefix, diseases in (("OMIM", Ontology.omim_diseases), ("ORPHA", Ontology.orpha_diseases),
                                 ("DECIPHER", Ontology.decipher_diseases)):
            for disease in diseases:
                for d in by_id.get(f"{prefix}:{disease.id}", ()):
                    if disease.hpo:
                        self.rows.append(d)
                        self.sets.append(HPOSet.from_queries(sorted(disease.hpo)))
        self.rows_arr = np.array(self.rows)
        self.covered = set(self.rows)
        self.n_diseases = model.n_diseases
        self.load_seconds = time.perf_counter() - started
        self.hpo = model.term_hpo

    def patient_set(self, terms: list[int]) -> object:
        return self.HPOSet.from_queries([self.hpo[t] for t in terms])

    def scores(self, terms: list[int], method: str, combine: str,
               subset: np.ndarray | None = None) -> np.ndarray:
        """The best pyhpo score of each KB disease (-inf: none of its pyhpo sets scored)."""
        patient = self.patient_set(terms)
        index = range(len(self.sets)) if subset is None else subset
        total = np.full(self.n_diseases, -np.inf)
        for i in index:
            s = patient.similarity(self.sets[i], kind="omim", method=method, combine=combine)
            d = self.rows[i]
            if s > total[d]:
                total[d] = s
        return total


def select_peer_method(peer: Peer, patients: list[Patient], per_condition: int, seed: int) -> dict:
    """The pool-based choice on dev (see the module docstring)."""
    rng = np.random.default_rng([seed, 7])
    chosen = [p for p in patients if p.disease in peer.covered][:per_condition]
    by_row: dict[int, list[int]] = {}
    for i, d in enumerate(peer.rows):
        by_row.setdefault(d, []).append(i)
    pools = {}
    others = np.array(sorted(peer.covered))
    for p in chosen:
        pool_rows = set(rng.choice(others, size=min(POOL, others.size), replace=False).tolist()) | {p.disease}
        pools[p.disease] = np.array(sorted(i for d in pool_rows for i in by_row[d]))
    results: dict[str, float] = {}

    def evaluate(method: str, combine: str) -> float:
        ranks = []
        for p in chosen:
            for c in CONDITIONS:
                total = peer.scores(p.terms[c], method, combine, pools[p.disease])
                ranks.append(rank_of(total, p.disease))
        mean = sum(ranks) / len(ranks)
        results[f"{method}/{combine}"] = mean
        log(f"  pyhpo {method}/{combine}: mean rank in pool {mean:.2f}")
        return mean

    best_method = min(PYHPO_METHODS, key=lambda m: evaluate(m, "funSimAvg"))
    best_combine = min(PYHPO_COMBINES, key=lambda c: results.get(f"{best_method}/{c}")
                       if c == "funSimAvg" else evaluate(best_method, c))
    return {"method": best_method, "combine": best_combine, "mean_rank_in_pool": results,
            "patients": len(chosen) * len(CONDITIONS), "pool": POOL + 1}


# -- subprocess timings ------------------------------------------------------------------

def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def warm_load_seconds(kb_path: str) -> float:
    code = ("import time; t=time.perf_counter(); from ontomed.kb import KnowledgeBase; "
            "from ontomed.apps.diagnosis import diagnosis_model; "
            f"kb=KnowledgeBase({kb_path!r}, create=False); diagnosis_model(kb); "
            "print(time.perf_counter()-t); kb.close()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(),
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def first_answer_seconds(kb_path: str) -> float:
    args = [sys.executable, "-m", "ontomed.cli", "diagnose", "--kb", kb_path, "--top", "10"]
    for f in LATENCY_FINDINGS:
        args += ["--symptom", f]
    started = time.perf_counter()
    subprocess.run(args, capture_output=True, text=True, env=_env(), check=True)
    return time.perf_counter() - started


# -- the run ------------------------------------------------------------------------------

def fmt(x: float, pct: bool = False) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "–"
    return f"{100 * x:.1f}%" if pct else (f"{x:g}" if isinstance(x, float) else str(x))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kb", nargs="?", default="./ontomed-kb")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--diseases", type=int, default=500, help="diseases per split (500)")
    ap.add_argument("--split", choices=("dev", "test", "both"), default="both")
    ap.add_argument("--peer-patients", type=int, default=25,
                    help="test patients per condition pyhpo ranks against every disease (25)")
    ap.add_argument("--select-patients", type=int, default=8,
                    help="dev patients per condition for choosing pyhpo's method (8)")
    ap.add_argument("--peer-method", default=None,
                    help="METHOD/COMBINE: skip the choice on dev (e.g. resnik/funSimAvg)")
    ap.add_argument("--no-peer", action="store_true", help="ours only")
    ap.add_argument("--no-latency", action="store_true", help="skip the build and subprocess timings")
    ap.add_argument("--cpu", type=int, default=0, help="the CPU to pin this process to (0)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    ap.add_argument("--noise", type=float, default=None, help="override Scoring.noise")
    ap.add_argument("--ancestor-penalty", type=float, default=None, help="override Scoring.ancestor_penalty")
    ap.add_argument("--size-prior", type=float, default=None, help="override Scoring.size_prior")
    ap.add_argument("--min-ic", type=float, default=None, help="override Scoring.min_ic")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = ap.parse_args()
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    settings = {k: v for k, v in (("noise", args.noise), ("ancestor_penalty", args.ancestor_penalty),
                                  ("size_prior", args.size_prior), ("min_ic", args.min_ic)) if v is not None}
    scoring = Scoring(**settings)
    report: dict = {"kb": args.kb, "seed": args.seed, "scoring": scoring.__dict__}

    if not args.no_latency:
        with KnowledgeBase(args.kb, create=False) as kb:
            started = time.perf_counter()
            diagnosis_model(kb, refresh=True)
            report["build_seconds"] = time.perf_counter() - started
        log(f"model built and cached in {report['build_seconds']:.1f} s")
        report["warm_load_seconds"] = statistics.median(warm_load_seconds(args.kb) for _ in range(3))
        report["first_answer_seconds"] = statistics.median(first_answer_seconds(args.kb) for _ in range(3))
        log(f"warm-cache load {report['warm_load_seconds']:.2f} s, "
            f"first answer of a fresh process {report['first_answer_seconds']:.2f} s")

    kb = KnowledgeBase(args.kb, create=False)
    model = diagnosis_model(kb)
    sim = Simulator(model, args.seed)
    splits = ("dev", "test") if args.split == "both" else (args.split,)
    patients = {s: [sim.patient(d) for d in choose_diseases(model, sim, s, args.diseases, args.seed)]
                for s in splits}
    ours: dict[str, dict[str, list[float]]] = {}
    for s in splits:
        ours[s] = {c: [rank_of(scores(model, p.terms[c], (), scoring), p.disease) for p in patients[s]]
                   for c in CONDITIONS}
        report[f"ours_{s}"] = {c: summary(r) for c, r in ours[s].items()}

    speed_split = "test" if "test" in splits else splits[0]
    queries = [[model.term_iris[t] for t in p.terms[c]] for c in CONDITIONS for p in patients[speed_split]]
    diagnose(kb, queries[0], top=10, scoring=scoring)
    wall, cpu = time.perf_counter(), time.process_time()
    for q in queries:
        diagnose(kb, q, top=10, scoring=scoring)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    report["ours_patients_per_second"] = len(queries) / wall
    report["ours_patients_per_cpu_second"] = len(queries) / cpu
    log(f"ours: {len(queries)} patients in {wall:.1f} s ({len(queries) / wall:.0f}/s)")
    kb.close()

    peer_rows = None
    if not args.no_peer:
        peer = Peer(model)
        log(f"pyhpo loaded in {peer.load_seconds:.0f} s: {len(peer.sets)} disease sets, "
            f"{len(peer.covered)} knowledge-base diseases")
        if args.peer_method:
            method, combine = args.peer_method.split("/")
            report["peer_choice"] = {"method": method, "combine": combine, "given": True}
        else:
            dev = patients.get("dev") or [sim.patient(d) for d in choose_diseases(
                model, sim, "dev", args.diseases, args.seed)]
            report["peer_choice"] = select_peer_method(peer, dev, args.select_patients, args.seed)
            method, combine = report["peer_choice"]["method"], report["peer_choice"]["combine"]
        log(f"pyhpo method: {method}/{combine}")
        rng = np.random.default_rng([args.seed, 11])
        pool = [p for p in patients[speed_split] if p.disease in peer.covered]
        subset = [pool[i] for i in sorted(rng.permutation(len(pool))[:args.peer_patients])]
        peer_rows = {}
        spent = cpu_spent = 0.0
        n = 0
        for c in CONDITIONS:
            theirs, mine = [], []
            for p in subset:
                started, cpu_started = time.perf_counter(), time.process_time()
                total = peer.scores(p.terms[c], method, combine)
                spent += time.perf_counter() - started
                cpu_spent += time.process_time() - cpu_started
                n += 1
                theirs.append(rank_of(total, p.disease))
                mine.append(ours[speed_split][c][patients[speed_split].index(p)])
                log(f"  pyhpo {c} {len(theirs)}/{len(subset)}: rank {theirs[-1]:g} (ours {mine[-1]:g})")
            peer_rows[c] = {"ours": summary(mine), "pyhpo": summary(theirs)}
        report["peer_subset"] = peer_rows
        report["pyhpo_patients_per_second"] = n / spent
        report["pyhpo_patients_per_cpu_second"] = n / cpu_spent

    print_report(report, splits, speed_split)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=float))


def print_report(report: dict, splits: tuple[str, ...], speed_split: str) -> None:
    print(f"\nScoring: {report['scoring']}\n")
    for s in splits:
        print(f"### Ours, {s} split (every patient, every disease ranked)\n")
        print("| condition | patients | top-1 | top-10 | median rank | MRR |")
        print("|---|---:|---:|---:|---:|---:|")
        for c, r in report[f"ours_{s}"].items():
            print(f"| {c} | {r['patients']} | {fmt(r['top1'], True)} | {fmt(r['top10'], True)} | "
                  f"{fmt(r['median'])} | {r['mrr']:.3f} |")
        print()
    ours_speed = report["ours_patients_per_second"]
    if "peer_subset" in report:
        choice = report["peer_choice"]
        peer_speed = report["pyhpo_patients_per_second"]
        print(f"### Against pyhpo ({choice['method']}/{choice['combine']}), {speed_split} split, "
              "the same patients\n")
        print("| condition | patients | ours top-1 | ours top-10 | ours median | pyhpo top-1 | "
              "pyhpo top-10 | pyhpo median | ours patients/s | pyhpo patients/s | ratio |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c, r in report["peer_subset"].items():
            o, p = r["ours"], r["pyhpo"]
            print(f"| {c} | {o['patients']} | {fmt(o['top1'], True)} | {fmt(o['top10'], True)} | "
                  f"{fmt(o['median'])} | {fmt(p['top1'], True)} | {fmt(p['top10'], True)} | "
                  f"{fmt(p['median'])} | {ours_speed:.0f} | {peer_speed:.3f} | "
                  f"{ours_speed / peer_speed:,.0f}x |")
        print()
    print(f"Speed on one core: ours {ours_speed:.0f} patients/s "
          f"({report['ours_patients_per_cpu_second']:.0f} per CPU second)", end="")
    if "peer_subset" in report:
        peer_cpu = report["pyhpo_patients_per_cpu_second"]
        print(f"; pyhpo {report['pyhpo_patients_per_second']:.3f} patients/s ({peer_cpu:.3f} per CPU "
              f"second); ratio {ours_speed / report['pyhpo_patients_per_second']:,.0f}x wall-clock, "
              f"{report['ours_patients_per_cpu_second'] / peer_cpu:,.0f}x CPU time", end="")
    print("\n")
    if "build_seconds" in report:
        print(f"model build {report['build_seconds']:.1f} s; warm-cache load "
              f"{report['warm_load_seconds']:.2f} s; first answer of a fresh `ontomed diagnose` "
              f"process {report['first_answer_seconds']:.2f} s\n")
    print("Goals:")
    for s in splits:
        r = report[f"ours_{s}"]
        ok = (r["clean"]["median"] <= 1 and r["noisy"]["median"] <= 1 and r["imprecise"]["median"] <= 3
              and r["both"]["median"] <= 3)
        print(f"- {s}: median rank 1 on clean and noisy, <= 3 on imprecise and both: "
              f"{'met' if ok else 'NOT met'}")
    print(f"- >= 100 patients/s on one core: {'met' if ours_speed >= 100 else 'NOT met'} ({ours_speed:.0f})")
    if "peer_subset" in report:
        better = all(r["ours"]["top10"] > r["pyhpo"]["top10"] for r in report["peer_subset"].values())
        shown = ", ".join(f"{c} {fmt(r['ours']['top10'], True)} vs {fmt(r['pyhpo']['top10'], True)}"
                          for c, r in report["peer_subset"].items())
        print(f"- top-10 above pyhpo's on every condition: {'met' if better else 'NOT met'} ({shown})")
        ratio = ours_speed / report["pyhpo_patients_per_second"]
        print(f"- >= 20x pyhpo's speed: {'met' if ratio >= 20 else 'NOT met'} ({ratio:,.0f}x)")
    if "first_answer_seconds" in report:
        fa = report["first_answer_seconds"]
        print(f"- first answer within 2 s with a warm cache: {'met' if fa < 2 else 'NOT met'} ({fa:.2f} s)")


if __name__ == "__main__":
    main()
