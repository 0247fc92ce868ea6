"""Operating a knowledge base: upgrading its ontology, backing it up, checking its health.

Kept apart from the knowledge base itself: these read and rewrite a knowledge
base as a whole, and the CLI verbs ``init`` (the upgrade), ``backup`` and
``doctor`` are thin layers over them (docs/operations.md).
"""
