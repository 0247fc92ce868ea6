#!/usr/bin/env python
"""Killed mid-write: SIGKILL ontomed at random moments, then check what survived.

For each scenario the job first runs uninterrupted on a fresh copy of its
starting knowledge base, which gives the reference: its duration and the
final state (a canonical dump: sorted N-Quads, blank nodes named by what they
say, so two loads of one file compare equal). Then, for each trial (seeded),
the job runs again on a fresh copy and gets SIGKILL (the whole process group)
after a random share of that duration; after the kill:

- the store opens, ``ontomed stats`` and a SPARQL query work (*recovered*);
- everything that was reported done is there, and no part of a unit is there
  without the rest of it (a loaded file, a build batch's documents with all
  their facts, an acknowledged SPARQL update): otherwise *lost* or *torn*;
- the job run again to completion gives the reference state (*same end*; the
  time each fact was extracted, ``prov:generatedAtTime``, is when the job ran
  and is left out of the comparison).

Scenarios (``--scenarios``):

``load``
    ``ontomed load`` of a generated 18 MiB Turtle file (Oxigraph's bulk loader),
    into a knowledge base that holds the ontology. Unit: the file.
``vocab``
    ``ontomed vocab import`` (every source) from the build cache
    (Oxigraph's bulk writer, one million quads at a time). Unit: the import,
    which reruns to completion (its writes are set-like); a killed import is
    reported *partial*, not torn: the import record of ``ontomed.json`` is
    written only once it completed, and ``ontomed doctor`` says so.
``build``
    ``ontomed build`` of 3,000 documents recombined from the sample corpus's
    sentences, on the example knowledge base. Unit: a batch of documents and
    their facts (one transaction).
``update``
    ``ontomed serve --update-token`` and a client sending SPARQL updates one
    after another, each inserting five triples, with a ledger of those the
    server acknowledged; the whole server is killed. Unit: an update.

    .venv/bin/python benchmarks/faults.py                      # 20 trials of each
    .venv/bin/python benchmarks/faults.py --trials 3 --scenarios load,build
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCENARIOS = ("load", "vocab", "build", "update")
TOKEN = "fault-injection-token"
EX = "https://example.org/faults/"


@dataclass
class Trial:
    killed_mid_run: bool = False
    recovered: bool = False
    lost: int = 0
    torn: int = 0
    partial: bool = False
    same_end: bool = False
    note: str = ""


@dataclass
class Result:
    scenario: str
    reference_seconds: float
    trials: list[Trial] = field(default_factory=list)

    def row(self) -> list[str]:
        t = self.trials
        return [self.scenario, str(len(t)), str(sum(x.killed_mid_run for x in t)),
                str(sum(x.recovered for x in t)), str(sum(x.lost for x in t)), str(sum(x.torn for x in t)),
                str(sum(x.partial for x in t)), str(sum(x.same_end for x in t)), f"{self.reference_seconds:.1f}"]


# -- running ontomed --------------------------------------------------------------------

def ontomed(*args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:  # noqa: ANN003
    proc = subprocess.run([sys.executable, "-m", "ontomed.cli", *args], capture_output=True, text=True,
                          env=_env(), **kw)
    if check and proc.returncode != 0:
        raise RuntimeError(f"ontomed {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    env.pop("ONTOMED_UPDATE_TOKEN", None)
    return env


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ontomed.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(), start_new_session=True)


def kill_group(proc: subprocess.Popen) -> bool:
    """SIGKILL the process and everything it started; True when it was still running."""
    alive = proc.poll() is None
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    return alive


def copy_kb(template: Path, target: Path) -> Path:
    """A fresh copy (Oxigraph's backup: hard links to the immutable tables, copies of the rest)."""
    import pyoxigraph as ox

    target.mkdir(parents=True)
    store = ox.Store.read_only(str(template / "store"))
    store.backup(str(target / "store"))
    del store
    for name in ("ontomed.json",):
        if (template / name).exists():
            shutil.copy2(template / name, target / name)
    return target


def canonical(kb_path: Path, stable_blank_ids: bool = False) -> tuple[str, int]:
    """A digest of the store's quads with blank nodes named by what they say, and the count.

    ``stable_blank_ids``: the job writes its blank nodes with ids of its own (ontomed's
    evidence nodes are named by a hash of fact and evidence), so the N-Quads dump,
    sorted, is compared as it is: seconds for millions of quads instead of minutes.
    """
    import io
    import re

    import pyoxigraph as ox

    store = ox.Store.read_only(str(kb_path / "store"))
    if stable_blank_ids:
        buffer = io.BytesIO()
        store.dump(buffer, ox.RdfFormat.N_QUADS)
        del store
        when = re.compile(rb'(<http://www.w3.org/ns/prov#generatedAtTime>) "[^"]*"\S*')
        lines = sorted(when.sub(rb"\1 (when it ran)", buffer.getvalue()).splitlines())
        return hashlib.sha256(b"\n".join(lines)).hexdigest(), len(lines)
    quads = list(store)
    described: dict[str, list[str]] = {}
    for q in quads:  # the time a fact was extracted is when the job ran, not data
        if isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode) \
                and q.predicate.value != "http://www.w3.org/ns/prov#generatedAtTime":
            described.setdefault(q.subject.value, []).append(f"{q.predicate} {q.object}")
    name = {b: "_:" + hashlib.sha256("\n".join(sorted(v)).encode()).hexdigest()[:16]
            for b, v in described.items()}

    def term(t: object) -> str:
        return name.get(t.value, str(t)) if isinstance(t, ox.BlankNode) else str(t)  # type: ignore[attr-defined]

    generated = "<http://www.w3.org/ns/prov#generatedAtTime>"
    lines = sorted(f"{term(q.subject)} {q.predicate} "
                   f"{'(when it ran)' if str(q.predicate) == generated else term(q.object)} {q.graph_name}"
                   for q in quads)
    del store
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), len(lines)


def recovered(kb_path: Path) -> tuple[bool, str]:
    stats = ontomed("stats", "--kb", str(kb_path), "--json", check=False)
    if stats.returncode != 0:
        return False, f"stats: {stats.stderr.strip()}"
    ask = ontomed("query", "--kb", str(kb_path), "ASK { ?s ?p ?o }", check=False)
    if ask.returncode != 0 or ask.stdout.strip() != "true":
        return False, f"query: {ask.stderr.strip() or ask.stdout.strip()}"
    return True, ""


# -- scenarios ----------------------------------------------------------------------------

class Scenario:
    name = ""
    stable_blank_ids = True  # ontomed names its evidence nodes; a bulk-loaded file's are renamed

    def __init__(self, work: Path) -> None:
        self.work = work

    def prepare(self) -> Path:
        raise NotImplementedError

    def command(self, kb: Path) -> list[str]:
        raise NotImplementedError

    def check(self, kb: Path, trial: Trial) -> None:
        """After the kill (the store has recovered): lost and torn units."""

    def rerun(self, kb: Path) -> None:
        ontomed(*self.command(kb))


class Load(Scenario):
    name = "load"
    stable_blank_ids = False
    SUBJECTS = 100_000  # 500,000 triples, 18 MiB: a few seconds of bulk loading

    def prepare(self) -> Path:
        base = self.work / "load-base"
        ontomed("init", "--kb", str(base))
        self.data = self.work / "load.ttl"
        lines = ["@prefix ex: <%s> ." % EX, "@prefix owl: <http://www.w3.org/2002/07/owl#> ."]
        for i in range(self.SUBJECTS):
            lines.append(f'ex:s{i} ex:p ex:o{i % 997} ; ex:n {i} .')
            lines.append(f'[] a owl:Axiom ; ex:about ex:s{i} ; ex:note "evidence {i} for a fact" .')
        self.data.write_text("\n".join(lines) + "\n")
        return base

    def command(self, kb: Path) -> list[str]:
        return ["load", "--kb", str(kb), str(self.data)]

    def check(self, kb: Path, trial: Trial) -> None:
        n = int(ontomed("query", "--kb", str(kb), f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}p> ?o }}",
                        "--format", "csv").stdout.split()[-1])
        recorded = bool(json.loads((kb / "ontomed.json").read_text()).get("loads"))
        if n not in (0, self.SUBJECTS):
            trial.torn += 1
            trial.note = f"{n} of {self.SUBJECTS:,} ex:p triples after the kill"
        if recorded and n != self.SUBJECTS:
            trial.lost += 1
            trial.note = "recorded as loaded, not all there"


class Vocab(Scenario):
    name = "vocab"
    SOURCES = "drugs,diseases,hpo,interactions"

    def prepare(self) -> Path:
        from ontomed.vocab.build import build_vocabulary, parse_sources

        base = self.work / "vocab-base"
        ontomed("init", "--kb", str(base))
        build_vocabulary(parse_sources(self.SOURCES))  # the build cache: each import reads it
        return base

    def command(self, kb: Path) -> list[str]:
        return ["vocab", "import", "--kb", str(kb), "--sources", self.SOURCES]

    def check(self, kb: Path, trial: Trial) -> None:
        meta = json.loads((kb / "ontomed.json").read_text())
        imported = any(k.startswith("vocabulary:") for k in meta.get("stamps", {}))
        n = int(ontomed("query", "--kb", str(kb), "SELECT (COUNT(*) AS ?n) WHERE { ?s a om:Drug }",
                        "--format", "csv").stdout.split()[-1])
        trial.partial = not imported
        if imported and n < self.drugs:
            trial.lost += 1
            trial.note = f"import recorded, {n} of {self.drugs} drugs"

    drugs = 0


class Build(Scenario):
    name = "build"

    def prepare(self) -> Path:
        base = self.work / "build-base"
        ontomed("init", "--kb", str(base))
        ontomed("load", "--kb", str(base), str(REPO / "ontologies" / "examples" / "ontomed-example.ttl"))
        return base

    DOCUMENTS = 3_000

    def corpus(self) -> Path:
        """The sample corpus's sentences recombined into distinct documents (seeded)."""
        import re

        sentences = []
        for path in sorted((REPO / "data" / "corpus").rglob("*")):
            if path.suffix == ".jsonl":
                texts = [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
            elif path.suffix == ".txt" and path.name != "README.txt":
                texts = [path.read_text()]
            else:
                continue
            for text in texts:
                sentences += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 20]
        rng = random.Random(11)
        target = self.work / "corpus.jsonl"
        with open(target, "w") as f:
            for i in range(self.DOCUMENTS):
                text = " ".join(rng.sample(sentences, 4)) + f" (Record {i}.)"
                f.write(json.dumps({"id": f"doc-{i}", "title": f"Recombined record {i}", "text": text}) + "\n")
        return target

    def command(self, kb: Path) -> list[str]:
        if not hasattr(self, "data"):
            self.data = self.corpus()
        return ["build", "--kb", str(kb), str(self.data)]

    def check(self, kb: Path, trial: Trial) -> None:
        # every document present has all the evidence it has in the reference
        query = ("SELECT ?d (COUNT(?a) AS ?n) WHERE { ?d a om:Document OPTIONAL { ?a prov:wasDerivedFrom ?d } } "
                 "GROUP BY ?d")
        rows = ontomed("query", "--kb", str(kb), query, "--format", "csv").stdout.splitlines()[1:]
        for row in rows:
            doc, n = row.rsplit(",", 1)
            if doc in self.evidence and int(n) != self.evidence[doc]:
                trial.torn += 1
                trial.note = f"{doc}: {n} of {self.evidence[doc]} pieces of evidence"

    evidence: dict[str, int] = {}


class Update(Scenario):
    name = "update"
    UPDATES = 150

    def prepare(self) -> Path:
        base = self.work / "update-base"
        ontomed("init", "--kb", str(base))
        return base

    def command(self, kb: Path) -> list[str]:
        return ["serve", "--kb", str(kb), "--port", "0", "--update-token", TOKEN, "--workers", "2"]

    def run_until(self, kb: Path, stop_after: float | None, ledger: list[int]) -> tuple[bool, float]:
        """Serve, send updates until done or until ``stop_after`` seconds, then kill or stop."""
        proc = start(self.command(kb))
        url = None
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "http://" in line:
                url = line.split(" at ", 1)[1].split(" ", 1)[0]
        if url is None:
            kill_group(proc)
            raise RuntimeError("the server did not start")
        while True:  # the URL is announced just before the socket serves
            try:
                with urllib.request.urlopen(url + "-/health", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    kill_group(proc)
                    raise RuntimeError("the server did not answer") from None
                time.sleep(0.05)
        began = time.monotonic()
        done = set(ledger)
        killer = None
        if stop_after is not None:
            import threading

            killer = threading.Timer(stop_after, lambda: kill_group(proc))
            killer.start()
        try:
            for i in range(self.UPDATES):
                if i in done:
                    continue
                body = "INSERT DATA { " + " ".join(
                    f"<{EX}u{i}> <{EX}p{k}> {i * 10 + k} ." for k in range(5)) + " }"
                request = urllib.request.Request(url + "sparql", data=body.encode(), method="POST",
                                                 headers={"Content-Type": "application/sparql-update",
                                                          "Authorization": f"Bearer {TOKEN}"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        if response.status in (200, 204):
                            ledger.append(i)  # acknowledged: it must survive any crash
                except urllib.error.HTTPError as exc:  # an answer, not a crash: say so
                    self.refused.append(f"update {i}: {exc.code} {exc.read()[:200]!r}")
                except (urllib.error.URLError, ConnectionError, OSError):
                    break  # killed
        finally:
            if killer is not None:
                killer.cancel()
            elapsed = time.monotonic() - began
            unfinished = len(set(ledger)) < self.UPDATES
            if stop_after is not None:
                kill_group(proc)
            else:
                _stop(proc)
        return unfinished, elapsed

    def check(self, kb: Path, trial: Trial) -> None:
        rows = ontomed("query", "--kb", str(kb), f"SELECT ?s (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o "
                       f"FILTER(STRSTARTS(STR(?s), '{EX}u')) }} GROUP BY ?s", "--format", "csv").stdout
        present = {int(r.split(",")[0][len(EX) + 1:]): int(r.split(",")[1]) for r in rows.splitlines()[1:]}
        trial.torn += sum(1 for n in present.values() if n != 5)
        trial.lost += sum(1 for i in self.ledger if present.get(i) != 5)
        if trial.torn or trial.lost:
            trial.note = f"{trial.torn} torn, {trial.lost} acknowledged updates missing"

    ledger: list[int] = []
    refused: list[str] = []


def _stop(proc: subprocess.Popen) -> bool:
    alive = proc.poll() is None
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        kill_group(proc)
    return alive


# -- the trials ---------------------------------------------------------------------------

def run_scenario(scenario: Scenario, trials: int, rng: random.Random, log) -> Result:  # noqa: ANN001
    base = scenario.prepare()
    reference_kb = copy_kb(base, scenario.work / f"{scenario.name}-reference")
    began = time.perf_counter()
    if isinstance(scenario, Update):  # the updates' duration, not the server's start and stop
        seconds = scenario.run_until(reference_kb, None, [])[1]
    else:
        ontomed(*scenario.command(reference_kb))
        seconds = time.perf_counter() - began
    reference = canonical(reference_kb, scenario.stable_blank_ids)
    if isinstance(scenario, Vocab):
        scenario.drugs = int(ontomed("query", "--kb", str(reference_kb), "SELECT (COUNT(*) AS ?n) WHERE "
                                     "{ ?s a om:Drug }", "--format", "csv").stdout.split()[-1])
    if isinstance(scenario, Build):
        query = "SELECT ?d (COUNT(?a) AS ?n) WHERE { ?d a om:Document OPTIONAL { ?a prov:wasDerivedFrom ?d } } GROUP BY ?d"
        rows = ontomed("query", "--kb", str(reference_kb), query, "--format", "csv").stdout.splitlines()[1:]
        scenario.evidence = {r.rsplit(",", 1)[0]: int(r.rsplit(",", 1)[1]) for r in rows}
    shutil.rmtree(reference_kb)
    result = Result(scenario.name, seconds)
    for n in range(trials):
        kb = copy_kb(base, scenario.work / f"{scenario.name}-{n}")
        trial = Trial()
        at = rng.uniform(0.25, 1.05) * seconds  # the first quarter is mostly Python starting
        if isinstance(scenario, Update):
            scenario.ledger = []
            trial.killed_mid_run, _ = scenario.run_until(kb, at, scenario.ledger)
        else:
            proc = start(scenario.command(kb))
            time.sleep(at)
            trial.killed_mid_run = kill_group(proc)
        trial.recovered, why = recovered(kb)
        if trial.recovered:
            scenario.check(kb, trial)
            if isinstance(scenario, Update):
                scenario.run_until(kb, None, scenario.ledger)
            else:
                scenario.rerun(kb)
            trial.same_end = canonical(kb, scenario.stable_blank_ids) == reference
        else:
            trial.note = why
        result.trials.append(trial)
        log(f"{scenario.name} {n + 1}/{trials}: kill at {at:.2f} s, "
            f"{'mid-run' if trial.killed_mid_run else 'after it ended'}, recovered={trial.recovered} "
            f"lost={trial.lost} torn={trial.torn} partial={trial.partial} same_end={trial.same_end} {trial.note}")
        shutil.rmtree(kb)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--workdir", help="scratch directory (default: a temporary one)")
    parser.add_argument("--json", help="write the trials here too")
    parser.add_argument("--small", action="store_true",
                        help="smaller jobs (a 5 MiB file, 1,000 documents, 40 updates, the drugs "
                        "vocabulary alone): for CI")
    args = parser.parse_args(argv)
    if args.small:
        Load.SUBJECTS, Build.DOCUMENTS, Update.UPDATES, Vocab.SOURCES = 30_000, 1_000, 40, "drugs"
    names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r} (known: {', '.join(SCENARIOS)})")
    rng = random.Random(args.seed)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="ontomed-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    classes = {"load": Load, "vocab": Vocab, "build": Build, "update": Update}
    results = []
    try:
        for name in names:
            results.append(run_scenario(classes[name](work), args.trials, rng,
                                        lambda line: print(line, file=sys.stderr, flush=True)))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("| scenario | trials | killed mid-run | recovered | lost | torn | partial, resumed | same end state | uninterrupted run (s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print("| " + " | ".join(r.row()) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps([{"scenario": r.scenario, "reference_seconds": r.reference_seconds,
                                                "trials": [t.__dict__ for t in r.trials]} for r in results], indent=2))
    bad = sum(t.lost + t.torn + (not t.recovered) + (not t.same_end) for r in results for t in r.trials)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
