"""The knowledge base: an RDF store holding the ontology, entities and facts with their evidence.

- :mod:`.store`: :class:`KnowledgeBase`, opening, loading, querying and updating the store
  (the seam where another backend will plug in), and writing entities and facts.
- :mod:`.quads`: the quads an entity, a fact with its evidence, or a document is written as.
- :mod:`.names`: entities by name (exact, prefix, fuzzy) and the closest names on a miss.
- :mod:`.export`, :mod:`.stats`: functions over a knowledge base (RDF and Protégé
  export, counts); :mod:`.cache`: what is computed from a store, kept per store state.
- :mod:`.formats`, :mod:`.query_text`: RDF formats by name, SPARQL text checks and messages.
"""

from __future__ import annotations

from .store import (
    KB_FORMAT_VERSION,
    MEMORY,
    META_FILE,
    STORE_DIR,
    AddReport,
    KnowledgeBase,
    LoadReport,
    QuadBuilder,
    preferred_label,
)
from .ontology import bundled_ontology_path

__all__ = [
    "KB_FORMAT_VERSION",
    "MEMORY",
    "META_FILE",
    "STORE_DIR",
    "AddReport",
    "KnowledgeBase",
    "LoadReport",
    "QuadBuilder",
    "bundled_ontology_path",
    "preferred_label",
]
