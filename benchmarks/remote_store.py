#!/usr/bin/env python
"""A knowledge base read through a SPARQL server: ontomed's remote backend vs the same server
asked directly over HTTP, on the data and query mix of ``kb_load_query.py``.

One run generates (or reuses) the seeded N-Triples file of ``kb_load_query.py``, loads it into
an Oxigraph server's directory with the server's own bulk loader (``oxigraph load``; timed, for
reference: ontomed does not write to a remote store yet, see docs/scaling.md), starts
``oxigraph serve-read-only`` on a free loopback port, and times each query of the mix, the two
clients alternating so that a change in the machine's load hits both:

- **direct**: one HTTP POST (``requests``, a kept-alive connection) that reads the whole JSON
  answer, what ``curl`` does: the floor for any client;
- **ontomed**: ``KnowledgeBase(URL).query(text)`` and every row read (``[tuple(row) ...]``),
  what a caller of ontomed gets: pyoxigraph's result objects, parsed from the same answer.

It prints a Markdown table (median seconds of ``--repeat`` runs, the ratio ontomed/direct) and
whether the goal of issue 14 holds (every query within 1.2x of direct HTTP).

Then the load: the same file into a fresh ``oxigraph serve`` each time, by the server's own bulk
path (the whole file POSTed to ``/store`` in one request, what ``curl --data-binary @file``
does) and by ``KnowledgeBase(URL).load(file)`` (parsed here, then N-Quads batches of
``--batches`` sizes, each acknowledged and recorded); the goal is within 1.5x of the server's
own path.

    .venv/bin/python benchmarks/remote_store.py            # 1M triples
    .venv/bin/python benchmarks/remote_store.py --quick    # ~100k, a smoke test
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from kb_load_query import PREFIXES, ensure_data, queries  # noqa: E402

GOAL = 1.2
LOAD_GOAL = 1.5


def _server_binary() -> str:
    found = shutil.which("oxigraph", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                          os.environ.get("PATH", "")]))
    if found is None:
        sys.exit("error: the oxigraph server is not installed (pip install -e '.[test]')")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"error: the oxigraph server at {url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100k triples, 3 runs")
    parser.add_argument("--repeat", type=int, default=7, help="runs per query and client (median)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batches", default="10000,50000,100000,250000",
                        help="bulk-write batch sizes to time (quads, comma-separated)")
    args = parser.parse_args()
    if args.quick:
        args.triples, args.repeat = 100_000, 3

    import requests

    from ontomed import KnowledgeBase
    from ontomed.kb import remote

    binary = _server_binary()
    data, meta = ensure_data(args.triples, args.seed, regenerate=False)
    mix = queries(meta)
    with tempfile.TemporaryDirectory(prefix="ontomed-remote-") as tmp:
        began = time.perf_counter()
        subprocess.run([binary, "load", "--location", f"{tmp}/db", "--file", str(data)], check=True,
                       capture_output=True)
        load_s = time.perf_counter() - began
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([binary, "serve-read-only", "--location", f"{tmp}/db", "--bind",
                                   f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_until_up(url)
            session = requests.Session()
            kb = KnowledgeBase(url)
            rows = []
            for name, (what, text) in mix.items():
                body = PREFIXES + text

                def direct() -> int:
                    reply = session.post(url + "/query", data=body.encode(), timeout=600, headers={
                        "Content-Type": "application/sparql-query",
                        "Accept": "application/sparql-results+json"})
                    reply.raise_for_status()
                    return len(reply.content)

                def through_ontomed() -> int:
                    return len([tuple(row) for row in kb.query(text)])  # prefixes are predeclared

                direct(), through_ontomed()  # warm both: the server's caches, the connections
                times: dict[str, list[float]] = {"direct": [], "ontomed": []}
                answered = 0
                for _ in range(args.repeat):
                    for label, run in (("direct", direct), ("ontomed", through_ontomed)):
                        t0 = time.perf_counter()
                        out = run()
                        times[label].append(time.perf_counter() - t0)
                        if label == "ontomed":
                            answered = out
                d, o = statistics.median(times["direct"]), statistics.median(times["ontomed"])
                rows.append((name, what, answered, d, o, o / d))
        finally:
            server.terminate()
            server.wait(10)

        loads: list[tuple[str, float]] = []
        for label in ["server's own (one POST to /store)"] + [f"ontomed, batches of {int(b):,}"
                                                              for b in args.batches.split(",")]:
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            location = tempfile.mkdtemp(dir=tmp, prefix="load-")
            server = subprocess.Popen([binary, "serve", "--location", location, "--bind", f"127.0.0.1:{port}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                _wait_until_up(url)
                t0 = time.perf_counter()
                if label.startswith("server"):
                    with open(data, "rb") as f:
                        requests.post(url + "/store?default", data=f, timeout=3600,
                                      headers={"Content-Type": "application/n-triples"}).raise_for_status()
                else:
                    remote.BATCH = int(label.rsplit(" ", 1)[1].replace(",", ""))
                    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(dir=tmp)  # a fresh batch ledger
                    with KnowledgeBase(url) as kb:
                        kb.load(data)
                seconds = time.perf_counter() - t0
                with KnowledgeBase(url) as kb:
                    assert len(kb) == args.triples, (label, len(kb))
                loads.append((label, seconds))
            finally:
                server.terminate()
                server.wait(30)

    print(f"{args.triples:,} triples ({data.name}); oxigraph load (the server's own loader): {load_s:.1f} s; "
          f"median of {args.repeat} runs each, the clients alternating\n")
    print("| query | what | rows | direct HTTP s | ontomed s | ontomed / direct |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, what, n, d, o, ratio in rows:
        print(f"| {name} | {what} | {n:,} | {d:.4f} | {o:.4f} | {ratio:.2f}x |")
    worst = max(r[5] for r in rows)
    print(f"\ngoal: every query within {GOAL}x of direct HTTP: {'met' if worst <= GOAL else 'NOT met'} "
          f"(worst {worst:.2f}x)")
    own = loads[0][1]
    print("\n| load | seconds | triples/s | vs the server's own |")
    print("| --- | ---: | ---: | ---: |")
    for label, seconds in loads:
        print(f"| {label} | {seconds:.1f} | {args.triples / seconds:,.0f} | {seconds / own:.2f}x |")
    best = min(s for _, s in loads[1:])
    print(f"\ngoal: load within {LOAD_GOAL}x of the server's own: "
          f"{'met' if best <= LOAD_GOAL * own else 'NOT met'} (best {best / own:.2f}x)")


if __name__ == "__main__":
    main()
