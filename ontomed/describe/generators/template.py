"""The template generator: the ontology's sentences, exactly (the ground truth)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...components import TextGenerator
from ...values import Fact
from ..verbalize import Description, Verbalizer, ontology_verbalizer

if TYPE_CHECKING:
    from ...kb import KnowledgeBase


class TemplateGenerator(TextGenerator):
    """Each fact through its property's ``om:template``, grouped per property.

    What every other generator is checked against, and what stands in when a
    model cannot be loaded.
    """

    id = "template"
    description = "the ontology's om:template sentences, grouped per property (exact, fast)"

    def __init__(self) -> None:
        self._verbalizer: Verbalizer | None = None

    def setup(self, kb: KnowledgeBase | None) -> None:
        self._verbalizer = Verbalizer(kb) if kb is not None else None

    def generate(self, facts: Sequence[Fact], *, lang: str = "en", **options: Any) -> str:
        verbalizer = self._verbalizer or ontology_verbalizer()
        return verbalizer.describe_facts(facts, lang, limit=None).text

    def generate_batch(self, descriptions: Sequence[Description], **options: Any) -> list[str]:
        return [d.text for d in descriptions]
