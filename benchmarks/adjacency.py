#!/usr/bin/env python
"""Adjacency benchmark: ``kb.adjacency()`` vs the per-quad Python loop it replaces.

Both build the same scipy CSR matrix (every object property of the ontology,
symmetric ones both ways, over every Drug, Disease, Symptom and Gene sorted by
IRI) from the same knowledge base in one process:

- **ontomed**: one SPARQL query per property, the answer written as TSV by
  Oxigraph, split and looked up in C (ontomed/apps/adjacency.py);
- **per-quad loop**: ``Store.quads_for_pattern`` per property, a Python loop
  mapping each quad's subject and object to their rows (the obvious way).

It checks that the two matrices are equal, then prints a Markdown table of the
median of ``--runs`` builds (a fresh process for each side, so neither warms
the other's caches beyond what the store itself caches), with the ratio.

    .venv/bin/python benchmarks/adjacency.py --kb ./ontomed-kb
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def build_ontomed(kb_path: str) -> dict:
    from ontomed import KnowledgeBase

    with KnowledgeBase(kb_path, create=False) as kb:
        began = time.perf_counter()
        adj = kb.adjacency()
        seconds = time.perf_counter() - began
        return {"seconds": seconds, "shape": list(adj.matrix.shape), "nnz": int(adj.matrix.nnz),
                "checksum": _checksum(adj.matrix), "edges": adj.edges_by_property()}


def build_loop(kb_path: str) -> dict:
    import numpy as np
    import pyoxigraph as ox
    import scipy.sparse

    from ontomed import KnowledgeBase
    from ontomed import iri as I

    with KnowledgeBase(kb_path, create=False) as kb:
        began = time.perf_counter()
        rdf_type = ox.NamedNode(I.RDF + "type")
        entities = set()
        for cls in ("Drug", "Disease", "Symptom", "Gene"):
            for q in kb.store.quads_for_pattern(None, rdf_type, ox.NamedNode(I.OM + cls), ox.DefaultGraph()):
                if isinstance(q.subject, ox.NamedNode):
                    entities.add(q.subject.value)
        index = sorted(entities)
        position = {iri: i for i, iri in enumerate(index)}
        symmetric = {q.subject.value for q in kb.store.quads_for_pattern(
            None, rdf_type, ox.NamedNode(I.OWL + "SymmetricProperty"), ox.DefaultGraph())}
        pairs = set()
        for prop in sorted(kb.object_properties()):
            for q in kb.store.quads_for_pattern(None, ox.NamedNode(prop), None, ox.DefaultGraph()):
                s, o = position.get(q.subject.value), position.get(q.object.value)
                if s is not None and o is not None:
                    pairs.add((s, o, prop))
                    if prop in symmetric:
                        pairs.add((o, s, prop))
        rows = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        cols = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
        n = len(index)
        matrix = scipy.sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
        matrix.sum_duplicates()
        seconds = time.perf_counter() - began
        return {"seconds": seconds, "shape": list(matrix.shape), "nnz": int(matrix.nnz),
                "checksum": _checksum(matrix)}


def _checksum(matrix) -> str:  # noqa: ANN001 - a scipy matrix
    import hashlib

    m = matrix.tocsr()
    m.sort_indices()
    digest = hashlib.sha256()
    for part in (m.indptr.astype("int64"), m.indices.astype("int64"), m.data.astype("float32")):
        digest.update(part.tobytes())
    return digest.hexdigest()[:16]


def _child(side: str, kb_path: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", side, "--kb", kb_path],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"{side} failed: {out.stderr.strip().splitlines()[-1] if out.stderr else out.returncode}")
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", default="./ontomed-kb", help="knowledge base directory (./ontomed-kb)")
    parser.add_argument("--runs", type=int, default=3, help="builds per side (3)")
    parser.add_argument("--child", choices=("ontomed", "loop"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = build_ontomed(args.kb) if args.child == "ontomed" else build_loop(args.kb)
        print(json.dumps(result))
        return
    runs = {"ontomed": [], "loop": []}
    for _ in range(args.runs):
        for side in runs:
            runs[side].append(_child(side, args.kb))
            print(f"{side}: {runs[side][-1]['seconds']:.2f} s", file=sys.stderr)
    ours, loop = runs["ontomed"][0], runs["loop"][0]
    same = ours["checksum"] == loop["checksum"] and ours["shape"] == loop["shape"]
    t_ours = statistics.median(r["seconds"] for r in runs["ontomed"])
    t_loop = statistics.median(r["seconds"] for r in runs["loop"])
    print(f"knowledge base: {args.kb}; {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}; median of {args.runs} builds, one process each\n")
    print("| build | entities | non-zeros | seconds | loop / ontomed |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| ontomed `kb.adjacency()` | {ours['shape'][0]:,} | {ours['nnz']:,} | {t_ours:.2f} | "
          f"{t_loop / t_ours:.2f}x |")
    print(f"| per-quad Python loop | {loop['shape'][0]:,} | {loop['nnz']:,} | {t_loop:.2f} | 1.00x |")
    print("\nedges by property: " + ", ".join(f"{p} {n:,}" for p, n in ours["edges"].items() if n))
    print(f"same matrix: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
