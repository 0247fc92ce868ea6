"""What the applications precompute from the graph, kept beside the knowledge base per store state.

A model (the diagnosis matrices, say) is built from the store once and kept in
``KB/cache/<name>.pickle`` under two keys: the store's file fingerprint
(:meth:`~ontomed.kb.KnowledgeBase.files_fingerprint`, a directory listing:
microseconds) and a *content key* that the application computes from the data
its model reads (a few COUNT queries: a fraction of a second). A process that
starts on an unchanged store reads the pickle without asking the store
anything; after a write anywhere in the store, the content key decides whether
the model still holds, so an unrelated write costs the counts, not a rebuild.

Only what is derived from the knowledge base goes in here. Patient data (the
findings, conditions and drugs of a person) is never cached (architecture.md §9).
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..files import write_pickle

if TYPE_CHECKING:
    from .store import KnowledgeBase

T = TypeVar("T")

CACHE_DIR = "cache"

_memo: dict[tuple[str, str], tuple[str | None, str, Any]] = {}
_lock = threading.Lock()


def _kb_key(kb: KnowledgeBase) -> str:
    return str(kb.path.resolve()) if kb.path is not None else f"memory:{id(kb.backend)}"


def cache_path(kb: KnowledgeBase, name: str) -> Path | None:
    """Where ``name`` is kept for an on-disk knowledge base (None in memory)."""
    return kb.path / CACHE_DIR / f"{name}.pickle" if kb.path is not None else None


def state_cached(kb: KnowledgeBase, name: str, *, content_key: Callable[[KnowledgeBase], str],
                 build: Callable[[KnowledgeBase], T], refresh: bool = False) -> T:
    """``build(kb)``, computed once per store state and reused until the data it reads changes.

    ``name`` names the model and its format (``"diagnosis-v1"``): bump the
    version when the pickled object changes shape. ``content_key(kb)`` must
    change whenever the data ``build`` reads changes. ``refresh`` rebuilds
    regardless (for a change that keeps the content key, such as a value
    edited in place).
    """
    with _lock:
        memo_key = (_kb_key(kb), name)
        files_key = kb.files_fingerprint()
        held = _memo.get(memo_key)
        if not refresh and held is not None and files_key is not None and held[0] == files_key:
            return held[2]
        path = cache_path(kb, name)
        stored = None if refresh else _read(path)
        if stored is not None and files_key is not None and stored.get("files_key") == files_key:
            _memo[memo_key] = (files_key, stored["content_key"], stored["value"])
            return stored["value"]
        key = content_key(kb)
        if not refresh and held is not None and held[1] == key:
            value = held[2]
        elif stored is not None and stored.get("content_key") == key:
            value = stored["value"]
        else:
            value = build(kb)
        _memo[memo_key] = (files_key, key, value)
        if path is not None and not kb.read_only:
            _write(path, {"files_key": files_key, "content_key": key, "value": value})
        return value


def forget(kb: KnowledgeBase | None = None) -> None:
    """Drop what this process holds in memory (for one knowledge base, or all)."""
    with _lock:
        if kb is None:
            _memo.clear()
            return
        prefix = _kb_key(kb)
        for key in [k for k in _memo if k[0] == prefix]:
            del _memo[key]


def _read(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.is_file():
        return None
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except Exception:  # noqa: BLE001 - a stale, truncated or foreign cache is rebuilt, never fatal
        return None
    return data if isinstance(data, dict) and "value" in data else None


def _write(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_pickle(path, data)
    except OSError:
        pass  # a knowledge base on a read-only disk simply goes without the cache
