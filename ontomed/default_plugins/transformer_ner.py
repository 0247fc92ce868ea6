"""The Transformer token-classification extractor, registered as a built-in plugin.

Registered always, loaded never until used: constructing it reads no model and
imports neither torch nor transformers, so ``ontomed plugins`` and every other
command stay fast, and a machine without a model still lists it (using it
without ``ONTOMED_NER_MODEL`` is then a one-line error).
"""

from __future__ import annotations

from ..hookspecs import Register, hookimpl


@hookimpl
def register_extractors(register: Register) -> None:
    from ..ingest.extractors.transformer import TransformerExtractor

    register(TransformerExtractor())
