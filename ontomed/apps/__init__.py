"""The applications over the graph (DESIGN §9): what a medical knowledge graph is for.

Each application is a library function first; the CLI verbs, the JSON APIs and
the web pages are thin layers over it. They share one way to resolve what a
person typed to entities (:mod:`ontomed.apps.names`) and one cache for what
they precompute per store state (:mod:`ontomed.apps.cache`). None of them
writes to the knowledge base, logs or caches a patient's data.
"""
