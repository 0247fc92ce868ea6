"""ontomed: medical knowledge graphs from text, with provenance, served over SPARQL.

What a plugin author or a notebook needs is importable from here, as ``llm`` and
Datasette do it (``from ontomed import hookimpl, Extractor, Mention, Extraction``):
the hook marker, the component classes a plugin subclasses, the value types that
flow between the stages, the knowledge base and the error family. The package
layout behind them is described in docs/architecture.md.

The names are resolved on first use, so ``import ontomed`` (and ``ontomed --help``)
does not load the store, the extractors or anything heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AmbiguousError,
    BadInputError,
    NotFoundError,
    OntomedError,
    QuerySyntaxError,
    RDFSyntaxError,
    ReasonerError,
    StoreError,
)
from .hookspecs import Register, hookimpl

__version__ = "0.1.0"

#: name → the module that defines it, imported when the name is first asked for
_LAZY = {
    **dict.fromkeys(("Extractor", "Linker", "Reader", "Redactor", "TextGenerator", "VocabularySource"),
                    "ontomed.components"),
    **dict.fromkeys(("Document", "Entity", "Evidence", "Extraction", "Fact", "Identifier", "Mention",
                     "Relation", "SkippedDocument"), "ontomed.values"),
    **dict.fromkeys(("KnowledgeBase", "LoadReport", "AddReport"), "ontomed.kb"),
}

if TYPE_CHECKING:
    from .components import Extractor, Linker, Reader, Redactor, TextGenerator, VocabularySource
    from .kb import AddReport, KnowledgeBase, LoadReport
    from .values import (
        Document,
        Entity,
        Evidence,
        Extraction,
        Fact,
        Identifier,
        Mention,
        Relation,
        SkippedDocument,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ontomed' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AddReport",
    "AmbiguousError",
    "BadInputError",
    "Document",
    "Entity",
    "Evidence",
    "Extraction",
    "Extractor",
    "Fact",
    "Identifier",
    "KnowledgeBase",
    "Linker",
    "LoadReport",
    "Mention",
    "NotFoundError",
    "OntomedError",
    "QuerySyntaxError",
    "RDFSyntaxError",
    "Reader",
    "Redactor",
    "ReasonerError",
    "Register",
    "Relation",
    "SkippedDocument",
    "StoreError",
    "TextGenerator",
    "VocabularySource",
    "__version__",
    "hookimpl",
]
