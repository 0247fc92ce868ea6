"""The applications over the graph (architecture.md §9): what a medical knowledge graph is for.

Each application is a library function first; the CLI verbs, the JSON APIs and
the web pages are thin layers over it. They share one way to resolve what a
person typed to entities (:mod:`ontomed.apps.names`) and one cache for what
they precompute per store state (:mod:`ontomed.kb.cache`). None of them
writes to the knowledge base, logs or caches a patient's data.
"""

from typing import Any

#: The applications' entry points, imported on first use: ``import ontomed.apps`` (done
#: by every command that resolves names) must not import numpy for them.
_LAZY = {"adjacency": "ontomed.apps.adjacency", "diagnose": "ontomed.apps.diagnosis",
         "treat": "ontomed.apps.treatment"}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ontomed.apps' has no attribute {name!r}")


def prepare(kb: Any, notify: Any = None) -> None:
    """Build what the applications precompute from the knowledge base (the diagnosis model)
    and cache it beside it, for a server whose query workers open the store read-only.
    Nothing to do when the caches match the store; ``notify(line)`` hears of a build."""
    from .diagnosis.model import prepare as prepare_diagnosis

    prepare_diagnosis(kb, notify)
