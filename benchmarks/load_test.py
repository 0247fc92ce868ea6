#!/usr/bin/env python
"""Under load: ``ontomed serve`` and ``oxigraph serve`` on the same data, 32 clients for 60 s.

Thirty-one clients come from wrk (a C load generator, Debian's ``wrk``: a Python
client caps near a few thousand requests a second here, wrk does not), each
sending, one after another, a mix drawn by a seeded Lua script: 85% lookups of
one entity's labels (a different entity each time, read from the knowledge
base) and 15% heavy queries (a disease's symptoms with their frequencies, a
drug's interaction partners' classes, a count over every hasSymptom fact). The
thirty-second client is a writer in this script: SPARQL updates one after
another (``INSERT DATA`` of five triples with a serial number; with the update
token on ontomed), keeping a ledger of the acknowledged ones.

Afterwards: every acknowledged update must be readable, none other may be
there; there must be no 5xx and no connection error; the server process
group's memory (the sum of its processes' resident sets) is taken before and
after the load (goal: under 10% growth). wrk reports throughput and latency
percentiles (p50, p99). The same run against ``oxigraph serve`` (read-write,
its own ``/update``) gives the peer figures.

    sudo apt-get install wrk
    python -m venv /tmp/peers && /tmp/peers/bin/pip install oxigraph
    .venv/bin/python benchmarks/load_test.py --kb ./ontomed-kb --peers-bin /tmp/peers/bin
    .venv/bin/python benchmarks/load_test.py --kb ./ontomed-kb --seconds 20 --servers ontomed   # quicker

Traffic goes to 127.0.0.1 only, and every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKEN = "load-test-token-0123"
EX = "https://example.org/load/"
PREFIXES = ("PREFIX om: <https://w3id.org/ontomed#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX owl: <http://www.w3.org/2002/07/owl#> ")

LUA = r"""
-- the reads: a seeded mix of lookups and heavy queries, one after another per connection
local lookups, heavies = {}, {}
local n_lookups, n_heavies = 0, 0
local path = "%(path)s"
local function load(file, into)
  local n = 0
  for line in io.lines(file) do n = n + 1; into[n] = line end
  return n
end
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
end
function init(args)
  n_lookups = load("%(lookups)s", lookups)
  n_heavies = load("%(heavies)s", heavies)
  math.randomseed(%(seed)d * 1000 + id)  -- one seeded stream per wrk thread
end
function request()
  local body
  if math.random() < %(heavy_share)f then body = heavies[math.random(n_heavies)]
  else body = lookups[math.random(n_lookups)] end
  return wrk.format("POST", path, {["Content-Type"] = "application/sparql-query",
                                   ["Accept"] = "application/sparql-results+json"}, body)
end
local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local out = {requests = summary.requests, duration_us = summary.duration,
               errors = {connect = summary.errors.connect, read = summary.errors.read,
                         write = summary.errors.write, timeout = summary.errors.timeout,
                         status = summary.errors.status},
               p50_ms = latency:percentile(50) / 1000, p90_ms = latency:percentile(90) / 1000,
               p99_ms = latency:percentile(99) / 1000, max_ms = latency.max / 1000}
  local parts = {}
  for k, v in pairs(out) do
    if type(v) == "table" then
      local inner = {}
      for k2, v2 in pairs(v) do inner[#inner + 1] = string.format('"%%s": %%s', k2, v2) end
      parts[#parts + 1] = string.format('"%%s": {%%s}', k, table.concat(inner, ", "))
    else parts[#parts + 1] = string.format('"%%s": %%s', k, v) end
  end
  io.write("RESULT {" .. table.concat(parts, ", ") .. "}\n")
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_rss_mb(pid: int) -> float:
    """The resident memory of a process and every process in its session (MiB)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == pid or int(entry) == pid:  # same process group as the server
                with open(f"/proc/{entry}/status") as f:
                    total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        except (OSError, AttributeError, IndexError, ValueError):
            continue
    return total / 1024


def workload(kb: Path, work: Path, seed: int) -> tuple[Path, Path]:
    """Lookup and heavy query texts, one per line, drawn from the knowledge base."""
    from ontomed import KnowledgeBase

    rng = random.Random(seed)
    with KnowledgeBase(kb, create=False) as k:
        entities = [r["e"].value for r in k.query("SELECT ?e WHERE { ?e a om:Disease } LIMIT 3000")]
        entities += [r["e"].value for r in k.query("SELECT ?e WHERE { ?e a om:Drug } LIMIT 3000")]
        diseases = [r["d"].value for r in k.query(
            "SELECT DISTINCT ?d WHERE { ?d om:hasSymptom ?s } LIMIT 2000")]
        drugs = [r["d"].value for r in k.query(
            "SELECT DISTINCT ?d WHERE { ?d om:interactsWith ?x } LIMIT 1000")]
    lookups = work / "lookups.txt"
    lookups.write_text("\n".join(
        f"{PREFIXES}SELECT ?l WHERE {{ <{e}> rdfs:label ?l }}" for e in rng.sample(entities, min(2000, len(entities))))
        + "\n")
    heavy = []
    for d in rng.sample(diseases, min(200, len(diseases))):
        heavy.append(f"{PREFIXES}SELECT ?s ?l ?f WHERE {{ <{d}> om:hasSymptom ?s . ?s rdfs:label ?l "
                     f"OPTIONAL {{ ?a owl:annotatedSource <{d}> ; owl:annotatedTarget ?s ; om:frequency ?f }} }}")
    for d in rng.sample(drugs, min(200, len(drugs))):
        heavy.append(f"{PREFIXES}SELECT ?c (COUNT(?x) AS ?n) WHERE {{ <{d}> om:interactsWith ?x . "
                     f"?x skos:broader ?c }} GROUP BY ?c ORDER BY DESC(?n) LIMIT 20")
    heavy.append(f"{PREFIXES}SELECT (COUNT(*) AS ?n) WHERE {{ ?d om:hasSymptom ?s }}")
    heavies = work / "heavy.txt"
    heavies.write_text("\n".join(heavy) + "\n")
    return lookups, heavies


class Writer(threading.Thread):
    """One client sending updates one after another until told to stop; a ledger of the acked."""

    def __init__(self, url: str, token: str | None) -> None:
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.acked: list[int] = []
        self.failed: list[str] = []
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            body = "INSERT DATA { " + " ".join(f"<{EX}u{i}> <{EX}p{k}> {i * 10 + k} ." for k in range(5)) + " }"
            headers = {"Content-Type": "application/sparql-update"}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            request = urllib.request.Request(self.url, data=body.encode(), headers=headers, method="POST")
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
                    if 200 <= response.status < 300:
                        self.acked.append(i)
                    self.latencies.append(time.perf_counter() - began)
            except urllib.error.HTTPError as exc:
                self.failed.append(f"{exc.code}: {exc.read()[:200]!r}")
            except (urllib.error.URLError, OSError) as exc:
                self.failed.append(f"connection: {exc}")
            i += 1
        self.sent = i


#: The writer's predicates: reading and clearing its triples goes through the predicate index.
WRITER_PREDICATES = " ".join(f"<{EX}p{k}>" for k in range(5))


def count_updates(query_url: str) -> dict[int, int]:
    q = f"SELECT ?s (COUNT(*) AS ?n) WHERE {{ VALUES ?p {{ {WRITER_PREDICATES} }} ?s ?p ?o }} GROUP BY ?s"
    request = urllib.request.Request(query_url + "?" + urllib.parse.urlencode({"query": q}),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        rows = json.loads(response.read())["results"]["bindings"]
    return {int(r["s"]["value"][len(EX) + 1:]): int(r["n"]["value"]) for r in rows}


def clear_updates(update_url: str, token: str | None) -> None:
    """Remove what a previous run's writer left in a reused scratch copy."""
    body = f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ {WRITER_PREDICATES} }} ?s ?p ?o }}"
    headers = {"Content-Type": "application/sparql-update"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(update_url, data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()


def wait_up(url: str, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.2)


def start_ontomed(kb: Path, work: Path, port: int, peers: Path | None) -> tuple[subprocess.Popen, dict]:
    copy = work / "ontomed-kb"
    if not copy.exists():
        subprocess.run([sys.executable, "-m", "ontomed.cli", "backup", "--kb", str(kb), str(copy)], check=True,
                       stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([sys.executable, "-m", "ontomed.cli", "serve", "--kb", str(copy), "--port", str(port),
                             "--update-token", TOKEN], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    wait_up(base + "-/health", time.monotonic() + 300)
    return proc, {"query": base + "sparql", "update": base + "sparql", "path": "/sparql", "token": TOKEN}


def start_oxigraph(kb: Path, work: Path, port: int, peers: Path | None) -> tuple[subprocess.Popen, dict]:
    if peers is None:
        raise SystemExit("--peers-bin is needed for oxigraph serve (see the docstring)")
    location = work / "oxigraph"
    if not location.exists():
        dump = work / "kb.nq"
        subprocess.run([sys.executable, "-m", "ontomed.cli", "export", "--kb", str(kb), "--format", "nq",
                        "-o", str(dump)], check=True, stderr=subprocess.DEVNULL)
        subprocess.run([str(peers / "oxigraph"), "load", "--location", str(location), "--file", str(dump)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dump.unlink()
    proc = subprocess.Popen([str(peers / "oxigraph"), "serve", "--location", str(location),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    wait_up(base + "query?query=ASK%7B%7D", time.monotonic() + 120)
    return proc, {"query": base + "query", "update": base + "update", "path": "/query", "token": None}


def run_one(name: str, args: argparse.Namespace, work: Path, lookups: Path, heavies: Path) -> dict:
    port = free_port()
    starter = start_ontomed if name == "ontomed" else start_oxigraph
    proc, urls = starter(Path(args.kb), work, port, Path(args.peers_bin) if args.peers_bin else None)
    try:
        script = work / f"mix-{name}.lua"
        script.write_text(LUA % {"path": urls["path"], "lookups": lookups, "heavies": heavies,
                                 "seed": args.seed, "heavy_share": args.heavy_share})
        clear_updates(urls["update"], urls["token"])
        # warm up: a few seconds of the same mix, not measured
        subprocess.run(["wrk", "-t2", "-c8", "-d3s", "-s", str(script), urls["query"]],
                       capture_output=True, text=True, timeout=60)
        before = group_rss_mb(proc.pid)
        writer = Writer(urls["update"], urls["token"])
        writer.start()
        out = subprocess.run(["wrk", "-t2", f"-c{args.clients - 1}", f"-d{args.seconds}s", "--timeout", "60s",
                              "--latency", "-s", str(script), urls["query"]],
                             capture_output=True, text=True, timeout=args.seconds + 120)
        writer.stop.set()
        writer.join(90)
        after = group_rss_mb(proc.pid)
        match = re.search(r"RESULT (\{.*\})", out.stdout)
        if match is None:
            raise RuntimeError(f"wrk said: {out.stdout[-2000:]} {out.stderr[-2000:]}")
        stats = json.loads(match.group(1))
        non_2xx = int(re.search(r"Non-2xx or 3xx responses: (\d+)", out.stdout).group(1)) \
            if "Non-2xx" in out.stdout else 0
        present = count_updates(urls["query"])
        acked = set(writer.acked)
        lost = sorted(i for i in acked if present.get(i) != 5)
        phantom = sorted(i for i in present if i not in acked)
        torn = sorted(i for i, n in present.items() if n != 5)
        seconds = stats["duration_us"] / 1e6
        latencies = sorted(writer.latencies)
        return {
            "server": name, "reads": stats["requests"], "reads_per_s": stats["requests"] / seconds,
            "p50_ms": stats["p50_ms"], "p99_ms": stats["p99_ms"], "max_ms": stats["max_ms"],
            "non_2xx": non_2xx, "socket_errors": sum(v for k, v in stats["errors"].items() if k != "status"),
            "updates_sent": getattr(writer, "sent", 0), "updates_acked": len(acked),
            "update_failures": writer.failed[:5], "update_failures_n": len(writer.failed),
            "update_p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
            "lost": lost, "phantom": phantom, "torn": torn,
            "rss_before_mb": before, "rss_after_mb": after,
        }
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", default="./ontomed-kb", help="the knowledge base (a copy is served)")
    parser.add_argument("--peers-bin", help="bin/ of a venv with the oxigraph package")
    parser.add_argument("--servers", default="ontomed,oxigraph")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--heavy-share", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workdir", help="scratch directory (default: a temporary one, removed)")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: sudo apt-get install wrk")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="ontomed-load-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        lookups, heavies = workload(Path(args.kb), work, args.seed)
        for name in [s.strip() for s in args.servers.split(",") if s.strip()]:
            print(f"{name}: {args.seconds} s, {args.clients} clients", file=sys.stderr, flush=True)
            results.append(run_one(name, args, work, lookups, heavies))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{args.clients} clients ({args.clients - 1} wrk connections reading, {args.heavy_share:.0%} heavy; "
          f"1 writer), {args.seconds} s, seed {args.seed}\n")
    print("| server | reads/s | p50 | p99 | max | non-2xx | socket errors | updates acked | update p50 | "
          "lost / phantom / torn | memory before → after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for r in results:
        growth = (r["rss_after_mb"] / r["rss_before_mb"] - 1) * 100 if r["rss_before_mb"] else float("nan")
        up50 = f"{r['update_p50_ms']:.0f} ms" if r["update_p50_ms"] is not None else "—"
        print(f"| {r['server']} | {r['reads_per_s']:,.0f} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.0f} ms | "
              f"{r['max_ms']:.0f} ms | {r['non_2xx']} | {r['socket_errors']} | {r['updates_acked']:,} of "
              f"{r['updates_sent']:,} | {up50} | {len(r['lost'])} / {len(r['phantom'])} / {len(r['torn'])} | "
              f"{r['rss_before_mb']:,.0f} → {r['rss_after_mb']:,.0f} MiB ({growth:+.0f}%) |")
        for failure in r["update_failures"]:
            print(f"  {r['server']} update refused: {failure}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    ok = all(r["non_2xx"] == 0 and r["socket_errors"] == 0 and not r["lost"] and not r["phantom"]
             and not r["torn"] for r in results if r["server"] == "ontomed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
