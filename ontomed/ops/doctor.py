"""``ontomed doctor``: what is wrong with a knowledge base, and how to recover, without writing.

Each check says ``ok``, ``warn`` (it works, but something deserves attention)
or ``fail`` (it does not work), with what to do about it. Nothing is written:
the store is opened read-only, and only when no other process holds it (RocksDB
leaves reading a store while another process writes it undefined), so the
checks of a served store stop at its files. ``deep`` reads every quad, which
makes RocksDB verify the checksum of every block (seconds per million quads).
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .. import iri as I

OK, WARN, FAIL = "ok", "warn", "fail"
#: What recovering from a broken store takes, said once where it applies.
RECOVER = ("restore the latest backup (a directory ontomed backup wrote: move it into place), or "
           "rebuild: ontomed init, ontomed vocab import, ontomed load … and ontomed build … again")


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    message: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class Diagnosis:
    path: str
    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    def add(self, name: str, status: str, message: str, fix: str = "") -> None:
        self.checks.append(Check(name, status, message, fix))

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "healthy": self.healthy, "checks": [c.to_dict() for c in self.checks]}


def diagnose(kb_path: str | os.PathLike[str], *, deep: bool = False) -> Diagnosis:
    """Check the knowledge base directory at ``kb_path``; never writes to it."""
    from ..kb import META_FILE, STORE_DIR

    path = Path(kb_path)
    report = Diagnosis(str(path))
    if not path.exists():
        report.add("directory", FAIL, f"{path} does not exist", f"create it: ontomed init --kb {path}")
        return report
    if not path.is_dir():
        report.add("directory", FAIL, f"{path} is a file, not a knowledge base directory",
                   "point --kb at the directory ontomed init created")
        return report
    store = path / STORE_DIR
    if not store.is_dir():
        report.add("directory", FAIL, f"{path} has no store/ directory: not an ontomed knowledge base",
                   f"create one: ontomed init --kb {path}")
        return report
    report.add("directory", OK, f"{path} holds a store")
    _check_meta(report, path / META_FILE)
    _check_files(report, store)
    holder = _holder(path, store)
    if holder is not None:
        report.add("lock", WARN, f"the store is in use by another process ({holder}); its contents "
                   "were not read", "stop that process to check the store itself, or back it up "
                   "through the server: ontomed backup DIR")
        return report
    report.add("lock", OK, "no other process holds the store")
    try:
        handle = ox.Store.read_only(str(store))
    except (OSError, RuntimeError) as exc:
        report.add("store", FAIL, f"the store does not open: {' '.join(str(exc).split())}", RECOVER)
        return report
    try:
        _check_store(report, handle, deep)
    finally:
        del handle
    _check_caches(report, path)
    return report


def _check_meta(report: Diagnosis, meta: Path) -> None:
    if not meta.exists():
        report.add("bookkeeping", WARN, f"{meta.name} is missing (which files were loaded is forgotten)",
                   "harmless: loading a file again may then add its blank nodes twice; the next "
                   "write recreates it")
        return
    try:
        data = json.loads(meta.read_text("utf-8"))
        loads = len(data.get("loads", {}))
    except (OSError, ValueError, AttributeError) as exc:
        report.add("bookkeeping", FAIL, f"{meta.name} is unreadable ({exc}); every command refuses "
                   "the knowledge base", f"delete {meta} (the list of loaded files is lost; the store "
                   "is not touched), or restore it from a backup")
        return
    report.add("bookkeeping", OK, f"{meta.name} readable ({loads} loaded files recorded)")


def _check_files(report: Diagnosis, store: Path) -> None:
    current = store / "CURRENT"
    if not current.is_file():
        report.add("files", FAIL, "store/CURRENT is missing: RocksDB cannot find its manifest", RECOVER)
        return
    manifest = current.read_text("utf-8", errors="replace").strip()
    if not (store / manifest).is_file():
        report.add("files", FAIL, f"store/{manifest}, named by store/CURRENT, is missing", RECOVER)
        return
    tables = sorted(store.glob("*.sst"))
    empty = [t.name for t in tables if t.stat().st_size == 0]
    if empty:
        report.add("files", FAIL, f"empty table files: {', '.join(empty[:5])}", RECOVER)
        return
    size = sum(f.stat().st_size for f in store.iterdir() if f.is_file())
    report.add("files", OK, f"{len(tables)} table files, {size / 2**20:,.1f} MiB, manifest {manifest}")


def _holder(path: Path, store: Path) -> str | None:
    """Who holds the store's lock (a description), or None when it is free."""
    lock = store / "LOCK"
    if not lock.exists():
        return None
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        from .backup import recorded_server

        url = recorded_server(path)
        return f"ontomed serve at {url}" if url else "ontomed serve, or a load or build in progress"
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _check_store(report: Diagnosis, store: ox.Store, deep: bool) -> None:
    from ..kb.ontology import store_version
    from .upgrade import bundled_ontology, version_key

    try:
        if deep:
            n = sum(1 for _ in store)
            how = "every quad read, every block's checksum verified"
        else:
            n = len(store)
            how = "counted (--deep reads every quad)"
    except (OSError, RuntimeError) as exc:
        report.add("store", FAIL, f"reading the store failed: {' '.join(str(exc).split())}", RECOVER)
        return
    report.add("store", OK, f"{n:,} quads, {how}")

    held = store_version(store)
    bundled = bundled_ontology()[0]
    if held is None:
        report.add("ontology", WARN, "no ontomed ontology in the store",
                   "ontomed init loads it (the data is kept)")
    elif held == bundled:
        report.add("ontology", OK, f"ontology {held}, the bundled version")
    elif version_key(held) < version_key(bundled):
        report.add("ontology", WARN, f"ontology {held}, older than the bundled {bundled}",
                   "ontomed init upgrades it in one transaction, the data kept")
    else:
        report.add("ontology", FAIL, f"ontology {held}, newer than this ontomed's {bundled}",
                   "use the ontomed version that wrote it (no downgrade)")
    prefixes = dict(I.PREFIXES)
    orphan = int(next(iter(store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?a owl:annotatedSource ?s ; owl:annotatedProperty ?p ; "
        "owl:annotatedTarget ?o FILTER NOT EXISTS { ?s ?p ?o } }", prefixes=prefixes)))[0].value)
    if orphan:
        report.add("evidence", WARN, f"{orphan:,} pieces of evidence annotate a fact that is no longer "
                   "asserted (deleted by a SPARQL update that left its evidence)",
                   "harmless for queries of facts; delete them with a DELETE WHERE on owl:Axiom nodes "
                   "whose fact is gone")
    else:
        report.add("evidence", OK, "every piece of evidence annotates an asserted fact")


def _loads(path: Path) -> bool:
    import pickle

    try:
        with open(path, "rb") as f:
            pickle.load(f)
    except Exception:  # noqa: BLE001 - any failure means the cache would be rebuilt
        return False
    return True


def _check_caches(report: Diagnosis, path: Path) -> None:
    cache = path / "cache"
    broken = [p.name for p in sorted(cache.glob("*.pickle")) if not _loads(p)] if cache.is_dir() else []
    if broken:
        report.add("caches", WARN, f"unreadable cache files: {', '.join(broken)}",
                   "harmless: they are rebuilt when needed (or delete them)")
    else:
        n = len(list(cache.glob("*"))) if cache.is_dir() else 0
        report.add("caches", OK, f"{n} cache files" if n else "no caches yet (they are built when needed)")
