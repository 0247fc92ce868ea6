#!/usr/bin/env python
"""Endpoint benchmark: ``ontomed serve`` vs ``oxigraph serve`` vs rdflib-endpoint.

One run serves the same generated N-Triples file (the foundation benchmark's
data, ``kb_load_query.py``; 1M triples by default) from each server in turn and
measures, over HTTP with the same client:

- the median latency of each query of the foundation query mix (JSON results,
  read to the end), after one warm-up run;
- the throughput of a simple lookup (one entity's labels, a different entity
  each time) under 16 concurrent clients with keep-alive connections.

Goals (issue 5): mix latency at most 1.3x Oxigraph's server on every query,
lookup throughput at least 0.5x Oxigraph's server, and at least 20x faster than
rdflib-endpoint on the mix.

The peers are not dependencies of ontomed; install them in a separate venv and
point ``--peers-bin`` at its ``bin``::

    python -m venv /tmp/peers && /tmp/peers/bin/pip install oxigraph rdflib-endpoint click uvicorn
    .venv/bin/python benchmarks/endpoint_latency.py --peers-bin /tmp/peers/bin
    .venv/bin/python benchmarks/endpoint_latency.py --quick     # ~100k triples

The client runs on the same machine as the server (loopback), so on a small
machine it competes with the server for CPU: the same for every server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import kb_load_query as foundation  # noqa: E402  (the data generator and the query mix)

SERVERS = ("ontomed", "oxigraph", "rdflib-endpoint")
GOAL_MIX_VS_OXIGRAPH = 1.3
GOAL_LOOKUP_VS_OXIGRAPH = 0.5
GOAL_MIX_VS_RDFLIB = 20.0
LOOKUP = "SELECT ?label WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(conn: http.client.HTTPConnection, path: str, query: str) -> tuple[int, bytes]:
    conn.request("GET", path + "?" + urlencode({"query": query}),
                 headers={"Accept": "application/sparql-results+json"})
    response = conn.getresponse()
    return response.status, response.read()


def wait_up(endpoint: str, proc: subprocess.Popen, limit: float) -> float:
    parts = urlsplit(endpoint)
    began = time.monotonic()
    while time.monotonic() - began < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
            status, _ = request(conn, parts.path, "ASK {}")
            conn.close()
            if status == 200:
                return time.monotonic() - began
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{endpoint} did not answer within {limit:.0f} s")


# -- the servers ---------------------------------------------------------------

def start_ontomed(data: Path, work: Path, port: int, peers: Path) -> tuple[subprocess.Popen, str, float]:
    from ontomed import KnowledgeBase

    began = time.perf_counter()
    with KnowledgeBase(work / "ontomed-kb") as kb:
        kb.load(data)
    loaded = time.perf_counter() - began
    proc = subprocess.Popen([sys.executable, "-m", "ontomed.cli", "serve", "--kb", str(work / "ontomed-kb"),
                             "--port", str(port), "--timeout", "600", "--max-rows", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}/sparql", loaded


def start_oxigraph(data: Path, work: Path, port: int, peers: Path) -> tuple[subprocess.Popen, str, float]:
    exe = str(peers / "oxigraph")
    began = time.perf_counter()
    subprocess.run([exe, "load", "--location", str(work / "oxigraph"), "--file", str(data)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    loaded = time.perf_counter() - began
    proc = subprocess.Popen([exe, "serve-read-only", "--location", str(work / "oxigraph"),
                             "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}/query", loaded


def start_rdflib_endpoint(data: Path, work: Path, port: int, peers: Path) -> tuple[subprocess.Popen, str, float]:
    proc = subprocess.Popen([str(peers / "rdflib-endpoint"), "serve", str(data), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}/", float("nan")  # it loads while starting


STARTERS: dict[str, Callable[..., tuple[subprocess.Popen, str, float]]] = {
    "ontomed": start_ontomed, "oxigraph": start_oxigraph, "rdflib-endpoint": start_rdflib_endpoint}


# -- the measurements ------------------------------------------------------------

def time_mix(endpoint: str, mix: dict[str, tuple[str, str]], runs: int, limit: float) -> dict[str, Any]:
    parts = urlsplit(endpoint)
    out: dict[str, Any] = {}
    for name, (_, text) in mix.items():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=limit)
        times: list[float] = []
        try:
            for i in range(runs + 1):
                began = time.perf_counter()
                status, body = request(conn, parts.path, text)
                elapsed = time.perf_counter() - began
                if status != 200:
                    raise RuntimeError(f"{status}: {body[:200]!r}")
                if i:
                    times.append(elapsed)
                if elapsed * (runs - i) > limit:  # slow: fewer runs rather than hours
                    times.append(elapsed) if not i else None
                    break
            out[name] = {"median_s": statistics.median(times), "runs": len(times),
                         "bytes": len(body)}
        except (OSError, RuntimeError) as exc:
            out[name] = {"median_s": None, "error": str(exc)[:200], "limit_s": limit,
                         "timed_out": isinstance(exc, TimeoutError)}
        finally:
            conn.close()
    return out


def lookup_throughput(endpoint: str, iris: list[str], clients: int, seconds: float) -> dict[str, Any]:
    parts = urlsplit(endpoint)
    stop = time.monotonic() + seconds
    counts, errors = [0] * clients, [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def client(k: int) -> None:
        rng = random.Random(k)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                status, _ = request(conn, parts.path, LOOKUP.format(iri=rng.choice(iris)))
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                errors[k] += 1
                continue
            latencies[k].append(time.perf_counter() - began)
            counts[k] += status == 200
            errors[k] += status != 200
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    flat = sorted(x for xs in latencies for x in xs)
    return {"requests_per_s": sum(counts) / elapsed, "errors": sum(errors), "clients": clients,
            "p50_ms": 1000 * flat[len(flat) // 2] if flat else None,
            "p99_ms": 1000 * flat[int(len(flat) * 0.99)] if flat else None}


def drug_iris(endpoint: str, n: int = 2000) -> list[str]:
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    q = f"SELECT ?d WHERE {{ ?d a <{foundation.OM}Drug> }} LIMIT {n}"
    _, body = request(conn, parts.path, q)
    conn.close()
    return [b["d"]["value"] for b in json.loads(body)["results"]["bindings"]]


def run_server(name: str, data: Path, mix: dict[str, tuple[str, str]], iris: list[str] | None,
               args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        proc, endpoint, loaded = STARTERS[name](data, Path(tmp), free_port(), Path(args.peers_bin))
        try:
            ready = wait_up(endpoint, proc, args.start_limit)
            result: dict[str, Any] = {"endpoint": endpoint, "load_s": loaded, "ready_s": ready}
            runs = args.rdflib_runs if name == "rdflib-endpoint" else args.runs
            result["mix"] = time_mix(endpoint, mix, runs, args.query_limit)
            iris = iris or drug_iris(endpoint)
            result["lookup"] = lookup_throughput(endpoint, iris, args.clients, args.seconds)
            result["iris"] = iris
            return result
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


# -- the report -------------------------------------------------------------------

def _ms(value: float | None, entry: dict[str, Any] | None = None) -> str:
    if value is None:
        return f"> {entry['limit_s']:.0f} s" if entry and entry.get("timed_out") else "—"
    return f"{value * 1000:,.1f} ms"


def report(results: dict[str, dict[str, Any]], mix: dict[str, tuple[str, str]], triples: int) -> str:
    names = [n for n in SERVERS if n in results]
    clients = next(iter(results.values()))["lookup"]["clients"]
    lines = [(f"Endpoint benchmark, {triples:,} triples; median latency per query (JSON results), "
              f"lookup throughput with {clients} clients."), "",
             "| query | " + " | ".join(names)
             + " | ontomed / oxigraph | rdflib-endpoint / ontomed | rdflib-endpoint / oxigraph |",
             "| --- | " + " | ".join("---:" for _ in names) + " | ---: | ---: | ---: |"]
    ok_mix, ok_rdflib = True, True
    for q in mix:
        cells = [_ms(results[n]["mix"][q].get("median_s"), results[n]["mix"][q]) for n in names]
        ours = results.get("ontomed", {}).get("mix", {}).get(q, {}).get("median_s")
        ox = results.get("oxigraph", {}).get("mix", {}).get(q, {}).get("median_s")
        rdf = results.get("rdflib-endpoint", {}).get("mix", {}).get(q, {}).get("median_s")
        r1 = f"{ours / ox:.2f}x" if ours and ox else "—"
        rdf_entry = results.get("rdflib-endpoint", {}).get("mix", {}).get(q, {})
        r2 = (f"{rdf / ours:.0f}x" if ours and rdf else
              f"> {rdf_entry['limit_s'] / ours:.0f}x" if ours and rdf_entry.get("timed_out") else "—")
        ok_mix &= bool(ours and ox and ours / ox <= GOAL_MIX_VS_OXIGRAPH)
        ok_rdflib &= bool(ours and (rdf is None or rdf / ours >= GOAL_MIX_VS_RDFLIB))
        r3 = f"{rdf / ox:.0f}x" if ox and rdf else "—"
        lines.append(f"| {q} | " + " | ".join(cells) + f" | {r1} | {r2} | {r3} |")
    totals = {n: sum(results[n]["mix"][q].get("median_s") or float("nan") for q in mix) for n in names}
    r_ox = (f"{totals['ontomed'] / totals['oxigraph']:.2f}x"
            if "ontomed" in totals and "oxigraph" in totals else "—")
    r_rdf = (f"{totals['rdflib-endpoint'] / totals['ontomed']:.1f}x"
             if "ontomed" in totals and "rdflib-endpoint" in totals else "—")
    r_rdf_ox = (f"{totals['rdflib-endpoint'] / totals['oxigraph']:.1f}x"
                if "oxigraph" in totals and "rdflib-endpoint" in totals else "—")
    lines.append("| whole mix (sum of medians) | " + " | ".join(_ms(totals[n]) for n in names)
                 + f" | {r_ox} | {r_rdf} | {r_rdf_ox} |")
    rps = {n: results[n]["lookup"]["requests_per_s"] for n in names}
    lines.append("| lookup throughput | " + " | ".join(f"{rps[n]:,.0f}/s" for n in names) + " | "
                 + (f"{rps['ontomed'] / rps['oxigraph']:.2f}x" if "oxigraph" in rps and "ontomed" in rps else "—")
                 + " | " + (f"{rps['ontomed'] / rps['rdflib-endpoint']:.0f}x" if "rdflib-endpoint" in rps else "—")
                 + " | " + (f"{rps['oxigraph'] / rps['rdflib-endpoint']:.0f}x"
                            if "rdflib-endpoint" in rps and "oxigraph" in rps else "—") + " |")
    lines.append("")
    if "oxigraph" in rps and "ontomed" in rps:
        lookup_ok = rps["ontomed"] / rps["oxigraph"] >= GOAL_LOOKUP_VS_OXIGRAPH
        lines.append(f"- mix within {GOAL_MIX_VS_OXIGRAPH}x of oxigraph serve on every query: "
                     f"{'yes' if ok_mix else 'no'}")
        lines.append(f"- lookup throughput at least {GOAL_LOOKUP_VS_OXIGRAPH}x oxigraph serve: "
                     f"{'yes' if lookup_ok else 'no'}")
    if "rdflib-endpoint" in rps:
        lines.append(f"- at least {GOAL_MIX_VS_RDFLIB:.0f}x faster than rdflib-endpoint on every query: "
                     f"{'yes' if ok_rdflib else 'no'}")
        if "ontomed" in totals:
            whole = totals["rdflib-endpoint"] / totals["ontomed"]
            lines.append(f"- at least {GOAL_MIX_VS_RDFLIB:.0f}x faster than rdflib-endpoint on the whole mix: "
                         f"{'yes' if whole >= GOAL_MIX_VS_RDFLIB else 'no'} ({whole:.1f}x)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--triples", type=int, default=1_000_000)
    p.add_argument("--quick", action="store_true", help="~100k triples, fewer runs: a smoke test")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--servers", default=",".join(SERVERS), help="comma-separated subset of " + ", ".join(SERVERS))
    p.add_argument("--peers-bin", default=str(Path(shutil.which("oxigraph") or "/tmp/peers/bin/oxigraph").parent),
                   help="folder with the oxigraph and rdflib-endpoint commands")
    p.add_argument("--runs", type=int, default=5, help="timed runs per query (default 5)")
    p.add_argument("--rdflib-runs", type=int, default=3)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=10.0, help="length of the lookup load (default 10 s)")
    p.add_argument("--query-limit", type=float, default=300.0, help="seconds before a query is given up")
    p.add_argument("--start-limit", type=float, default=900.0, help="seconds a server may take to start")
    p.add_argument("--json", metavar="OUT", help="also write the raw numbers as JSON")
    p.add_argument("--report", metavar="JSON", help="print the table of an earlier run's JSON and stop")
    args = p.parse_args(argv)
    if args.report:
        saved = json.loads(Path(args.report).read_text())
        print(report(saved["results"], saved["mix"], saved["triples"]))
        return
    if args.quick:
        args.triples, args.runs, args.rdflib_runs, args.seconds = 100_000, 3, 2, 5.0
    data, meta = foundation.ensure_data(args.triples, args.seed, False)
    mix = {name: (title, foundation.PREFIXES + text) for name, (title, text) in foundation.queries(meta).items()}
    results: dict[str, dict[str, Any]] = {}
    iris: list[str] | None = None
    for name in [s.strip() for s in args.servers.split(",") if s.strip()]:
        print(f"{name}: starting, measuring…", file=sys.stderr, flush=True)
        results[name] = run_server(name, data, mix, iris, args)
        iris = results[name].pop("iris")
    table = report(results, mix, meta["triples"])
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps({"triples": meta["triples"], "results": results,
                                               "mix": mix, "cpus": os.cpu_count()}, indent=2))


if __name__ == "__main__":
    main()
