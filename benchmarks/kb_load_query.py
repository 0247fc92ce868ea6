#!/usr/bin/env python
"""Load and query benchmark: ontomed's KnowledgeBase vs raw pyoxigraph vs rdflib.

One run generates (or reuses) a seeded N-Triples file shaped like an ontomed
knowledge base (drugs, diseases, symptoms, genes, the seven object properties,
labels, synonyms, a symptom hierarchy) and, for each engine in its own
subprocess, measures the load time, the peak resident memory and the median
time of a fixed SPARQL query mix. It prints a Markdown table and says whether
the goals of architecture.md §4 hold: ontomed within 1.25x of raw pyoxigraph on the load
and on every query, and at least 10x faster than rdflib on the query mix.

    .venv/bin/python benchmarks/kb_load_query.py            # 1M triples
    .venv/bin/python benchmarks/kb_load_query.py --quick    # ~100k, a smoke test
    .venv/bin/python benchmarks/kb_load_query.py --json benchmarks/data/result.json

See benchmarks/README.md for what each engine and query does.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as _dt
import hashlib
import itertools
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any, Callable, Iterator

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA_DIR = HERE / "data"
GENERATOR_VERSION = 1

OM = "https://w3id.org/ontomed#"
ENTITY = "https://w3id.org/ontomed/entity/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
OWL_NAMED_INDIVIDUAL = "http://www.w3.org/2002/07/owl#NamedIndividual"
SKOS = "http://www.w3.org/2004/02/skos/core#"

ENGINES = ("ontomed", "pyoxigraph", "rdflib", "oxrdflib")
DEFAULT_ENGINES = ("ontomed", "pyoxigraph", "rdflib")
GOAL_VS_PYOXIGRAPH = 1.25
GOAL_VS_RDFLIB = 10.0


# ---------------------------------------------------------------------------
# Data generation
# ---------------------------------------------------------------------------

# Entities per million triples, and the share of the relation budget per property.
ENTITIES_PER_M = {"Drug": 20_000, "Disease": 50_000, "Symptom": 15_000, "Gene": 25_000}
#: property: (subject class, object class, share of relation triples,
#: subject popularity exponent, object popularity exponent)
PROPERTIES = {
    "treats": ("Drug", "Disease", 0.22, 0.8, 0.8),
    "hasSymptom": ("Disease", "Symptom", 0.30, 0.6, 1.0),
    "hasSideEffect": ("Drug", "Symptom", 0.16, 0.7, 1.0),
    "contraindicatedFor": ("Drug", "Disease", 0.08, 0.7, 0.9),
    "interactsWith": ("Drug", "Drug", 0.10, 0.9, 0.9),  # written in both directions
    "associatedWith": ("Gene", "Disease", 0.09, 0.7, 0.8),
    "targets": ("Drug", "Gene", 0.05, 0.6, 0.9),
}
#: Synonym count distribution (0, 1, 2, 3 skos:altLabel).
ALT_WEIGHTS = (0.35, 0.35, 0.2, 0.1)

_SYL = ("ab", "ac", "ad", "al", "am", "an", "ar", "as", "ba", "be", "ca", "ce", "co", "da",
        "de", "do", "el", "em", "en", "er", "fa", "fe", "ga", "ge", "ha", "he", "ib", "id",
        "il", "im", "in", "ka", "la", "le", "lo", "lu", "ma", "me", "mi", "mo", "na", "ne",
        "no", "nu", "ob", "ol", "om", "on", "or", "pa", "pe", "po", "ra", "re", "ri", "ro",
        "sa", "se", "so", "ta", "te", "ti", "to", "tu", "ur", "va", "ve", "vi", "xa", "za")
_DRUG_STEMS = ("mab", "nib", "pril", "olol", "statin", "cillin", "azole", "vir", "sartan",
               "dronate", "tide", "parin", "oxacin", "prazole", "semide", "dipine", "tinib",
               "zumab", "cycline", "triptan")
_ORGANS = ("cardi", "neur", "hepat", "nephr", "gastr", "derm", "oste", "arthr", "enter",
           "pneum", "my", "encephal", "col", "cyst", "mening", "vascul", "thyr", "pancreat",
           "retin", "lymph")
_DISEASE_FORMS = ("{o}{r}itis", "{o}{r}osis", "{o}{r}opathy", "{o}{r} syndrome",
                  "{o}{r} disease", "{r2} {o}itis", "Familial {o}{r}oma", "{o}{r} deficiency",
                  "Chronic {o}{r}algia", "Acute {o}{r}itis")
_BODY = ("head", "chest", "abdominal", "back", "joint", "muscle", "eye", "ear", "throat",
         "skin", "neck", "pelvic", "limb", "jaw", "flank", "facial", "scalp", "nasal")
_SYMPTOM_FORMS = ("{b} pain", "{b} swelling", "{b} numbness", "{b} rash", "{b} stiffness",
                  "{b} tenderness", "{m} {b} pain", "{m} {b} itching", "{m} fatigue",
                  "{m} {r}ia", "{R}ia", "{m} {b} bleeding")
_MODIFIERS = ("mild", "severe", "intermittent", "chronic", "sudden", "persistent", "nocturnal",
              "recurrent", "acute", "migratory", "diffuse", "localized")


def slugify(text: str) -> str:
    """The same slug as ``ontomed.iri.slugify`` (duplicated so generation needs no import)."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", norm.lower()).strip("_")


class _Names:
    """Unique labels (and so unique slugs / IRIs) across every entity."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def root(self, lo: int = 2, hi: int = 3) -> str:
        return "".join(self.rng.choice(_SYL) for _ in range(self.rng.randint(lo, hi)))

    def unique(self, make: Callable[[], str]) -> str:
        for attempt in itertools.count():
            label = make()
            if attempt >= 8:  # the name space is getting crowded: number it
                label = f"{label} {self.rng.randint(2, 99)}"
            slug = slugify(label)
            if slug and slug not in self.used:
                self.used.add(slug)
                return label
        raise AssertionError("unreachable")

    def drug(self) -> str:
        return self.unique(lambda: (self.root() + self.rng.choice(_DRUG_STEMS)).capitalize())

    def disease(self) -> str:
        def make() -> str:
            o = self.rng.choice(_ORGANS)
            text = self.rng.choice(_DISEASE_FORMS).format(
                o=o, r=self.root(1, 2), r2=self.root().capitalize())
            return text[0].upper() + text[1:]

        return self.unique(make)

    def symptom(self) -> str:
        def make() -> str:
            form = self.rng.choice(_SYMPTOM_FORMS)
            r = self.root(1, 2)
            text = form.format(b=self.rng.choice(_BODY), m=self.rng.choice(_MODIFIERS),
                               r=r, R=r.capitalize())
            return text[0].upper() + text[1:]

        return self.unique(make)

    def gene(self) -> str:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return self.unique(lambda: "".join(self.rng.choice(letters) for _ in range(self.rng.randint(3, 4)))
                           + str(self.rng.randint(1, 40)))

    def synonym(self, cls: str, label: str) -> str:
        rng = self.rng
        if cls == "Drug":
            options = [self.root(2, 3).capitalize() + rng.choice(("ex", "on", "ix", "ar", "in")),
                       label.lower() + " " + rng.choice(("hydrochloride", "sodium", "tablet"))]
        elif cls == "Disease":
            options = [label + " " + rng.choice(("disorder", "type 1", "type 2", "NOS")),
                       "".join(w[0] for w in label.split()).upper() + str(rng.randint(1, 9)),
                       rng.choice(("Primary ", "Idiopathic ", "Hereditary ")) + label.lower()]
        elif cls == "Symptom":
            options = [label.lower() + " " + rng.choice(("episode", "sensation")),
                       rng.choice(("Feeling of ", "Complaint of ")) + label.lower()]
        else:
            options = [label + "P", label.lower() + " gene", label + "-AS1"]
        return rng.choice(options)


class _Popularity:
    """Zipf-like sampling of entity indexes: ``order[rank]`` is the entity of that
    popularity rank; weight(rank) = (rank + 1) ** -exponent."""

    def __init__(self, order: list[int], exponent: float) -> None:
        self.order = order
        self.cum = list(itertools.accumulate((r + 1) ** -exponent for r in range(len(order))))

    def sample(self, rng: random.Random, k: int) -> list[int]:
        total = self.cum[-1]
        cum, order = self.cum, self.order
        return [order[bisect.bisect_left(cum, rng.random() * total)] for _ in range(k)]


def _nt_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"@en'


def generate(path: Path, triples: int, seed: int) -> dict[str, Any]:
    """Write exactly ``triples`` N-Triples lines to ``path``; returns facts the queries need."""
    rng = random.Random(seed)
    names = _Names(rng)
    scale = triples / 1_000_000
    counts = {c: max(50, round(n * scale)) for c, n in ENTITIES_PER_M.items()}
    make = {"Drug": names.drug, "Disease": names.disease, "Symptom": names.symptom, "Gene": names.gene}
    entities: dict[str, list[tuple[str, str]]] = {}  # class -> [(iri, label)]
    lines: list[str] = []
    for cls, n in counts.items():
        ents = []
        for _ in range(n):
            label = make[cls]()
            iri = f"<{ENTITY}{slugify(label)}>"
            ents.append((iri, label))
            lines.append(f"{iri} <{RDF_TYPE}> <{OWL_NAMED_INDIVIDUAL}> .")
            lines.append(f"{iri} <{RDF_TYPE}> <{OM}{cls}> .")
            lines.append(f"{iri} <{RDFS_LABEL}> {_nt_literal(label)} .")
            n_alt = rng.choices(range(len(ALT_WEIGHTS)), ALT_WEIGHTS)[0]
            alts = {names.synonym(cls, label) for _ in range(n_alt)} - {label}
            for alt in sorted(alts):
                lines.append(f"{iri} <{SKOS}altLabel> {_nt_literal(alt)} .")
        entities[cls] = ents
    # A symptom hierarchy: each non-root symptom has one or two broader symptoms
    # among the earlier ones (a DAG of depth ~ log n), e.g. "Severe head pain" -> "Head pain".
    symptoms = entities["Symptom"]
    n_roots = max(5, len(symptoms) // 200)
    for i in range(n_roots, len(symptoms)):
        parents = {rng.randrange(max(0, i // 2 - 1), i)}
        if rng.random() < 0.2:
            parents.add(rng.randrange(0, i))
        for p in sorted(parents):
            lines.append(f"{symptoms[i][0]} <{SKOS}broader> {symptoms[p][0]} .")
    budget = triples - len(lines)
    if budget < 1000:
        raise SystemExit(f"--triples {triples} is too small for the entity counts")
    # One popularity ranking per class, shared by every property (a drug that
    # treats much also has many side effects); the exponents set the skew.
    ranking = {cls: rng.sample(range(n), n) for cls, n in counts.items()}
    shares = {p: v[2] for p, v in PROPERTIES.items()}
    wanted = {p: int(budget * s / sum(shares.values())) for p, s in shares.items()}
    wanted["interactsWith"] -= wanted["interactsWith"] % 2
    wanted["hasSymptom"] += budget - sum(wanted.values())
    drug_treats: dict[int, int] = {}
    for prop, (s_cls, o_cls, _, s_exp, o_exp) in PROPERTIES.items():
        symmetric = prop == "interactsWith"
        target = wanted[prop] // 2 if symmetric else wanted[prop]
        pairs: dict[tuple[int, int], None] = {}
        s_pop, o_pop = _Popularity(ranking[s_cls], s_exp), _Popularity(ranking[o_cls], o_exp)
        while len(pairs) < target:
            k = (target - len(pairs)) + 64
            for s, o in zip(s_pop.sample(rng, k), o_pop.sample(rng, k)):
                if symmetric:
                    if s == o:
                        continue
                    s, o = min(s, o), max(s, o)
                pairs[(s, o)] = None
                if len(pairs) >= target:
                    break
        s_ents, o_ents = entities[s_cls], entities[o_cls]
        for s, o in pairs:
            lines.append(f"{s_ents[s][0]} <{OM}{prop}> {o_ents[o][0]} .")
            if symmetric:
                lines.append(f"{o_ents[o][0]} <{OM}{prop}> {s_ents[s][0]} .")
            if prop == "treats":
                drug_treats[s] = drug_treats.get(s, 0) + 1
    assert len(lines) == triples, (len(lines), triples)
    # The selective query starts from a drug of middling popularity (rank ~100 by treats).
    ranked = sorted(drug_treats.items(), key=lambda kv: (-kv[1], kv[0]))
    pick = ranked[min(100, len(ranked) - 1)][0]
    rng.shuffle(lines)  # files are not sorted by subject in the wild
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines))
        f.write("\n")
    os.replace(tmp, path)
    return {
        "generator": GENERATOR_VERSION, "seed": seed, "requested_triples": triples,
        "triples": len(lines), "entities": counts, "bytes": path.stat().st_size,
        "sha256": _file_sha256(path),
        "selective_drug": entities["Drug"][pick][0][1:-1],
        "selective_drug_treats": drug_treats[pick],
    }


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_data(triples: int, seed: int, regenerate: bool) -> tuple[Path, dict[str, Any]]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"kb-{triples}-seed{seed}.nt"
    meta_path = path.with_suffix(".json")
    if not regenerate and path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text("utf-8"))
        if meta.get("generator") == GENERATOR_VERSION and meta.get("bytes") == path.stat().st_size:
            return path, meta
    t0 = time.perf_counter()
    meta = generate(path, triples, seed)
    meta["generated_in_s"] = round(time.perf_counter() - t0, 1)
    meta_path.write_text(json.dumps(meta, indent=2), "utf-8")
    return path, meta


# ---------------------------------------------------------------------------
# The query mix (the same text for every engine; prefixes are declared inline)
# ---------------------------------------------------------------------------

PREFIXES = f"""PREFIX om: <{OM}>
PREFIX ome: <{ENTITY}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <{SKOS}>
"""


def queries(meta: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """name -> (description, SPARQL)."""
    drug = meta["selective_drug"]
    return {
        "q1_selective_2hop": (
            "symptoms (with labels) of the diseases one drug treats",
            f"""SELECT ?disease ?dlabel ?symptom ?slabel WHERE {{
  <{drug}> om:treats ?disease .
  ?disease rdfs:label ?dlabel ; om:hasSymptom ?symptom .
  ?symptom rdfs:label ?slabel .
}}"""),
        "q2_full_2hop_count": (
            "COUNT of drug→disease→symptom paths over everything",
            """SELECT (COUNT(*) AS ?n) WHERE {
  ?drug om:treats ?disease .
  ?disease om:hasSymptom ?symptom .
}"""),
        "q3_regex_labels": (
            "case-insensitive FILTER regex over every rdfs:label",
            """SELECT ?e ?label WHERE {
  ?e rdfs:label ?label .
  FILTER regex(?label, "^cardi|pathy$|neur.*itis", "i")
}"""),
        "q4_group_by_count": (
            "facts and distinct subjects per property (GROUP BY over all triples)",
            """SELECT ?p (COUNT(*) AS ?facts) (COUNT(DISTINCT ?s) AS ?subjects) WHERE {
  ?s ?p ?o .
} GROUP BY ?p ORDER BY DESC(?facts) ?p"""),
        "q5_optional_many_rows": (
            "every disease with its label and OPTIONAL synonyms",
            """SELECT ?d ?label ?alt WHERE {
  ?d a om:Disease ; rdfs:label ?label .
  OPTIONAL { ?d skos:altLabel ?alt }
}"""),
        "q6_property_path": (
            "COUNT of (symptom, ancestor) pairs through skos:broader+",
            """SELECT (COUNT(*) AS ?n) WHERE {
  ?s a om:Symptom ; skos:broader+ ?ancestor .
}"""),
    }


# ---------------------------------------------------------------------------
# Engines (each runs in its own subprocess: --worker ENGINE)
# ---------------------------------------------------------------------------


class _Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def _maxrss_mib() -> float:
    """Peak resident memory of this process, in MiB.

    Linux's ``ru_maxrss`` survives fork and exec, so a worker started by a
    parent that once held the generated data would report the parent's peak;
    ``VmHWM`` belongs to the worker's own address space. Elsewhere, ru_maxrss.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def _dir_size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _ox_rows(res: Any) -> Iterator[tuple[Any, ...]]:
    names = res.variables
    for sol in res:
        yield tuple(sol[v] for v in names)


def _ox_key(term: Any) -> str | None:
    return None if term is None else str(term)


def _rdflib_rows(res: Any) -> Iterator[tuple[Any, ...]]:
    names = res.vars
    for row in res:
        yield tuple(row[v] for v in names)


def _rdflib_key(term: Any) -> str | None:
    return None if term is None else term.n3()


def _engine(name: str, workdir: Path) -> tuple[Callable[[Path], Any], Callable[[str], Iterator[tuple]],
                                              Callable[[Any], str | None], Callable[[], float | None]]:
    """(load(path), run(query) -> rows, key(term) -> N-Triples text, disk_size())."""
    if name == "ontomed":
        sys.path.insert(0, str(REPO))
        from ontomed import KnowledgeBase

        kb = KnowledgeBase(workdir / "kb")
        return (lambda p: kb.load(p), lambda q: _ox_rows(kb.query(q)), _ox_key,
                lambda: _dir_size_mib(workdir / "kb"))
    if name == "pyoxigraph":
        import pyoxigraph as ox

        store = ox.Store(str(workdir / "store"))

        def load(p: Path) -> None:
            store.bulk_load(path=str(p), format=ox.RdfFormat.N_TRIPLES)
            store.flush()

        return load, lambda q: _ox_rows(store.query(q)), _ox_key, lambda: _dir_size_mib(workdir / "store")
    if name == "rdflib":
        import rdflib

        g = rdflib.Graph()
        return (lambda p: g.parse(str(p), format="nt"), lambda q: _rdflib_rows(g.query(q)),
                _rdflib_key, lambda: None)
    if name == "oxrdflib":
        import rdflib

        g = rdflib.Graph(store="Oxigraph")  # in memory; loads through pyoxigraph, answers rdflib terms
        return (lambda p: g.parse(str(p), format="ox-nt"), lambda q: _rdflib_rows(g.query(q)),
                _rdflib_key, lambda: None)
    raise SystemExit(f"unknown engine {name}")


def worker(args: argparse.Namespace) -> None:
    meta = json.loads(Path(args.meta).read_text("utf-8"))
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{args.worker}-", dir=DATA_DIR))
    out: dict[str, Any] = {"engine": args.worker, "queries": {}}
    try:
        load, run, key, disk_size = _engine(args.worker, workdir)
        out["rss_before_load_mib"] = _maxrss_mib()
        t0 = time.perf_counter()
        load(Path(args.data))
        out["load_s"] = time.perf_counter() - t0
        out["peak_rss_load_mib"] = _maxrss_mib()
        out["disk_mib"] = disk_size()
        signal.signal(signal.SIGALRM, _on_alarm)
        min_runs = args.rdflib_runs if args.worker == "rdflib" else args.runs
        for qname, (_, text) in queries(meta).items():
            if args.only and qname not in args.only:
                continue
            out["queries"][qname] = _time_query(run, key, PREFIXES + text, min_runs, args.min_time,
                                                args.time_limit)
            print(f"  {args.worker:10} {qname:24} {_fmt_q(out['queries'][qname])}", file=sys.stderr,
                  flush=True)
        out["peak_rss_mib"] = _maxrss_mib()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    Path(args.out).write_text(json.dumps(out, indent=2), "utf-8")


def _time_query(run: Callable[[str], Iterator[tuple]], key: Callable[[Any], str | None], text: str,
                min_runs: int, min_time: float, limit: float) -> dict[str, Any]:
    """Run until ``min_runs`` runs and ``min_time`` seconds (at most 200 runs); the
    first run also fingerprints the (sorted) result rows, outside the timing."""
    times: list[float] = []
    result: dict[str, Any] = {}
    while len(times) < min_runs or (sum(times) < min_time and len(times) < 200):
        signal.setitimer(signal.ITIMER_REAL, limit)
        t0 = time.perf_counter()
        try:
            rows = list(run(text))  # every row, every value
            elapsed = time.perf_counter() - t0
        except _Timeout:
            result.update(timeout_s=limit, runs=len(times))
            break
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        times.append(elapsed)
        if len(times) == 1:
            keys = sorted("\t".join("" if k is None else k for k in map(key, row)) for row in rows)
            result["rows"] = len(rows)
            result["fingerprint"] = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
            if len(rows) == 1:
                result["first_row"] = keys[0][:200]
        del rows
    if times:
        result.update(median_s=statistics.median(times), min_s=min(times), runs=len(times))
    return result


# ---------------------------------------------------------------------------
# Driver and report
# ---------------------------------------------------------------------------


def _fmt_q(q: dict[str, Any]) -> str:
    if "timeout_s" in q and "median_s" not in q:
        return f"> {q['timeout_s']:.0f} s"
    return _fmt_s(q["median_s"]) + (" (timed out later)" if "timeout_s" in q else "")


def _fmt_s(s: float) -> str:
    if s >= 10:
        return f"{s:.1f} s"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 0.01:
        return f"{s * 1000:.0f} ms"
    return f"{s * 1000:.2f} ms"


def _q_seconds(q: dict[str, Any] | None) -> tuple[float | None, bool]:
    """(seconds, is_lower_bound)."""
    if not q:
        return None, False
    if "median_s" in q:
        return q["median_s"], False
    return q.get("timeout_s"), True


def _ratio(a: tuple[float | None, bool], b: tuple[float | None, bool]) -> str:
    (x, x_lb), (y, y_lb) = a, b
    if x is None or y is None or y == 0:
        return "–"
    if x_lb and y_lb:
        return "?"
    prefix = ">" if x_lb else "<" if y_lb else ""
    return f"{prefix}{x / y:.2f}x"


def run_engine(engine: str, data: Path, meta_path: Path, args: argparse.Namespace) -> dict[str, Any]:
    fd, out = tempfile.mkstemp(prefix=f"bench-{engine}-", suffix=".json", dir=DATA_DIR)
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--data", str(data),
           "--meta", str(meta_path), "--out", out, "--runs", str(args.runs),
           "--rdflib-runs", str(args.rdflib_runs), "--min-time", str(args.min_time),
           "--time-limit", str(args.time_limit)]
    for q in args.only or ():
        cmd += ["--only", q]
    print(f"[{engine}] loading {data.name} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=str(REPO))
    try:
        if proc.returncode != 0:
            return {"engine": engine, "error": f"worker exited with {proc.returncode}"}
        result = json.loads(Path(out).read_text("utf-8"))
    finally:
        os.unlink(out)
    print(f"[{engine}] load {_fmt_s(result['load_s'])}, peak RSS {result['peak_rss_load_mib']:.0f} MiB, "
          f"whole run {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return result


def report(results: dict[str, dict[str, Any]], meta: dict[str, Any], args: argparse.Namespace) -> str:
    engines = [e for e in results if "error" not in results[e]]
    base, ref, slow = "ontomed", "pyoxigraph", "rdflib"
    cols = engines + [f"{base}/{ref}", f"{slow}/{base}", "rows", "same result"]
    lines = ["| | " + " | ".join(cols) + " |", "|---|" + "---:|" * (len(cols) - 1) + "---|"]

    def get(e: str, field: str) -> tuple[float | None, bool]:
        v = results.get(e, {}).get(field)
        return (v, False) if isinstance(v, (int, float)) else (None, False)

    def row(label: str, values: list[str], r1: str, r2: str, rows: str = "", same: str = "") -> None:
        lines.append(f"| {label} | " + " | ".join(values + [r1, r2, rows, same]) + " |")

    row("load", [_fmt_s(results[e]["load_s"]) for e in engines],
        _ratio(get(base, "load_s"), get(ref, "load_s")), _ratio(get(slow, "load_s"), get(base, "load_s")))
    row("peak RSS after load", [f"{results[e]['peak_rss_load_mib']:.0f} MiB" for e in engines],
        _ratio(get(base, "peak_rss_load_mib"), get(ref, "peak_rss_load_mib")),
        _ratio(get(slow, "peak_rss_load_mib"), get(base, "peak_rss_load_mib")))
    row("peak RSS, whole run", [f"{results[e].get('peak_rss_mib', 0):.0f} MiB" for e in engines], "", "")
    row("on-disk size", [f"{results[e]['disk_mib']:.0f} MiB" if results[e].get("disk_mib") else "(memory)"
                         for e in engines], "", "")
    verdict_ox: list[str] = []
    load_ratio = _num_ratio(get(base, "load_s"), get(ref, "load_s"))
    if load_ratio is not None and load_ratio > GOAL_VS_PYOXIGRAPH:
        verdict_ox.append(f"load {load_ratio:.2f}x")
    totals = {e: 0.0 for e in engines}
    lower_bound = {e: False for e in engines}
    names = list(queries(meta))
    for qname in names:
        qs = {e: results[e]["queries"].get(qname) for e in engines}
        if not any(qs.values()):
            continue
        secs = {e: _q_seconds(qs[e]) for e in engines}
        for e in engines:
            s, lb = secs[e]
            totals[e] += s or 0.0
            lower_bound[e] |= lb or s is None
        counts = {qs[e].get("rows") for e in engines if qs[e] and "rows" in qs[e]}
        prints = {qs[e].get("fingerprint") for e in engines if qs[e] and "fingerprint" in qs[e]}
        rows_txt = str(counts.pop()) if len(counts) == 1 else "⚠ " + ", ".join(
            f"{e}={qs[e].get('rows')}" for e in engines)
        same = "yes" if len(prints) == 1 else "⚠ differ" if prints else "–"
        r = _num_ratio(secs.get(base, (None, False)), secs.get(ref, (None, False)))
        if r is not None and r > GOAL_VS_PYOXIGRAPH:
            verdict_ox.append(f"{qname} {r:.2f}x")
        row(qname, [_fmt_q(qs[e]) if qs[e] else "–" for e in engines],
            _ratio(secs.get(base, (None, False)), secs.get(ref, (None, False))),
            _ratio(secs.get(slow, (None, False)), secs.get(base, (None, False))), rows_txt, same)
    tot = {e: (totals[e], lower_bound[e]) for e in engines}
    row("query mix total", [("> " if lower_bound[e] else "") + _fmt_s(totals[e]) for e in engines],
        _ratio(tot.get(base, (None, False)), tot.get(ref, (None, False))),
        _ratio(tot.get(slow, (None, False)), tot.get(base, (None, False))))
    out = [
        f"Data: {meta['triples']:,} triples ({meta['bytes'] / 2**20:.0f} MiB N-Triples, seed {meta['seed']}; "
        + ", ".join(f"{n:,} {c.lower()}s" for c, n in meta["entities"].items()) + "). "
        f"Query time = median of ≥{args.runs} runs (rdflib ≥{args.rdflib_runs}), "
        f"repeated to ≥{args.min_time:g} s for fast queries; limit {args.time_limit:g} s a run.",
        "",
        *lines,
        "",
    ]
    if base in engines and ref in engines:
        out.append(f"- Goal ontomed ≤ {GOAL_VS_PYOXIGRAPH}x raw pyoxigraph on load and every query: "
                   + ("**met**" if not verdict_ox else "**not met** (" + "; ".join(verdict_ox) + ")"))
    if base in engines and slow in engines:
        r = _num_ratio(tot[slow], tot[base])
        ok = r is not None and r >= GOAL_VS_RDFLIB
        out.append(f"- Goal ontomed ≥ {GOAL_VS_RDFLIB:g}x faster than rdflib on the query mix: "
                   + ("**met**" if ok else "**not met**")
                   + (f" ({'>' if lower_bound[slow] else ''}{r:.1f}x)" if r is not None else ""))
    for e in results:
        if "error" in results[e]:
            out.append(f"- {e}: {results[e]['error']}")
    return "\n".join(out)


def _num_ratio(a: tuple[float | None, bool], b: tuple[float | None, bool]) -> float | None:
    if a[0] is None or b[0] is None or b[0] == 0:
        return None
    return a[0] / b[0]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--triples", type=int, default=1_000_000, help="size of the generated file (default 1M)")
    p.add_argument("--quick", action="store_true", help="~100k triples, a smoke test of the script")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--regenerate", action="store_true", help="rewrite the data file even if present")
    p.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                   help=f"comma-separated, from {', '.join(ENGINES)} (default: %(default)s)")
    p.add_argument("--runs", type=int, default=5, help="timed runs per query (default 5)")
    p.add_argument("--rdflib-runs", type=int, default=3, help="timed runs per query for rdflib (default 3)")
    p.add_argument("--min-time", type=float, default=1.0,
                   help="repeat a fast query until this many seconds (at most 200 runs; default 1)")
    p.add_argument("--time-limit", type=float, default=300.0,
                   help="seconds one query run may take before it is reported as '> LIMIT' (default 300)")
    p.add_argument("--only", action="append", help="run only this query (repeatable)")
    p.add_argument("--json", metavar="OUT", help="also write the raw numbers as JSON")
    p.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--meta", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for e in engines:
        if e not in ENGINES:
            p.error(f"unknown engine {e!r}")
    triples = 100_000 if args.quick else args.triples
    t0 = time.perf_counter()
    data, meta = ensure_data(triples, args.seed, args.regenerate)
    print(f"data: {data} ({meta['triples']:,} triples, {time.perf_counter() - t0:.1f} s)",
          file=sys.stderr, flush=True)
    meta_path = data.with_suffix(".json")
    results = {e: run_engine(e, data, meta_path, args) for e in engines}
    when = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    text = report(results, meta, args)
    print(f"\n{when} — {machine}\n\n{text}")
    if args.json:
        versions = _versions()
        Path(args.json).write_text(json.dumps({
            "date": when, "machine": machine, "versions": versions, "data": meta,
            "settings": {k: getattr(args, k) for k in ("runs", "rdflib_runs", "min_time", "time_limit")},
            "queries": {k: v[1] for k, v in queries(meta).items()}, "results": results,
        }, indent=2), "utf-8")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("pyoxigraph", "rdflib", "oxrdflib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


if __name__ == "__main__":
    main()
