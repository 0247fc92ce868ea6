"""ontomed: medical knowledge graphs from text, with provenance, served over SPARQL."""

from __future__ import annotations

from .errors import OntomedError
from .kb import KnowledgeBase, LoadReport
from .values import Entity, Evidence, Fact

__version__ = "0.1.0"

__all__ = [
    "Entity",
    "Evidence",
    "Fact",
    "KnowledgeBase",
    "LoadReport",
    "OntomedError",
    "__version__",
]
