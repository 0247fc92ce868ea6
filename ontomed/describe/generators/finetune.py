"""Fine-tuning a generator on the knowledge base's own (facts → template text) pairs.

A small instruction model rewrites well but drifts from the facts; trained on
pairs of its own prompt (the facts and their template sentences, exactly as
:func:`~ontomed.describe.generators.transformer.prompt_text` writes them) and the
template description as the answer, it learns to say those facts in that
register and stops adding others. Entities, not examples, are split into
training and held-out sets (every language of an entity on the same side), so
the held-out score is on entities the model never saw. The held-out set is
scored before and after training with the measure that matters
(faithfulness: the share of generated sentences the check supports, and the
share of facts they state) and with chrF against the template text (sacrebleu).

On the CPU the cost is the backward pass: measured on SmolLM2-135M (1 thread
of 2 busy cores, a batch of 4 × 235 tokens), a step of full fine-tuning took
45-50 s, LoRA (rank 16 on every linear layer, through ``peft``) 32-34 s, and
training only the last 6 of its 30 blocks 19-20 s, because the backward pass
then stops at those 6 blocks, while LoRA's still runs through all 30. So
``train_layers`` (``--train-layers N``) trains the last N blocks, the final
norm and nothing else (the embeddings, tied to the output layer, stay as
they are), and no adapter library is needed; ``budget_minutes`` ends training
after the step that crosses the budget, so a run fits the time it was given.

The loss covers the answer only (prompt tokens are masked). On a GPU the
forward pass runs under autocast (bf16 where supported, else fp16 with a
gradient scaler) over full-precision weights; on the CPU in full precision.
The result is a plain ``save_pretrained`` directory that ``--model DIR`` loads.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ...errors import BadInputError
from ..faithfulness import check_batch
from ..verbalize import DEFAULT_LIMIT, Description, Verbalizer, check_lang
from .language_models import LoadedModel, _quiet, forget_loaded, load_model
from .transformer import DEFAULT_MAX_NEW_TOKENS, TransformerGenerator, prompt_text

if TYPE_CHECKING:
    from ...kb import KnowledgeBase

REPORT_FILE = "ontomed-finetune.json"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class FinetuneSettings:
    """What ``ontomed finetune`` was asked to do; ``base=None`` is the default model."""

    base: str | None
    out: str
    epochs: int = 3
    langs: tuple[str, ...] = ("en", "zh")
    held_out: float = 0.2
    max_entities: int | None = None
    limit: int = DEFAULT_LIMIT
    batch_size: int = 8
    learning_rate: float = 5e-5
    device: str = "auto"
    threads: int | None = None
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    seed: int = 0
    train_layers: int | None = None  # None: every weight; N: the last N blocks and the final norm
    budget_minutes: float | None = None  # training stops after the step that crosses it
    eval_examples: int | None = None  # held-out pairs scored before and after (None: all; 0: none)


@dataclass(frozen=True)
class Evaluation:
    """Held-out scores of one model."""

    examples: int
    faithfulness: float
    supported: int
    sentences: int
    facts_stated: float
    chrf: float
    seconds: float


@dataclass(frozen=True)
class FinetuneReport:
    base: str
    out: str
    device: str
    precision: str
    train_entities: int
    held_out_entities: int
    train_examples: int
    held_out_examples: int
    epochs: int
    steps: int
    losses: list[float]
    train_seconds: float
    before: Evaluation | None
    after: Evaluation | None
    trained_parameters: int = 0
    stopped_by_budget: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        b, a = self.before, self.after
        lines = [
            f"trained {self.base} → {self.out} on {self.device} ({self.precision}, "
            f"{self.trained_parameters / 1e6:.1f}M weights trained): "
            f"{self.train_examples} examples from {self.train_entities} entities, {self.epochs} epochs, "
            f"{self.steps} steps in {self.train_seconds:.1f} s"
            + (" (stopped by the time budget)" if self.stopped_by_budget else "") + "; loss per epoch "
            + ", ".join(f"{x:.3f}" for x in self.losses),
            f"held out: {self.held_out_examples} examples from {self.held_out_entities} entities"]
        if b is not None and a is not None:
            lines += [
                f"scored on {a.examples} of them:  before   after",
                f"faithfulness  {b.faithfulness:6.1%}  {a.faithfulness:6.1%}   (supported / generated sentences)",
                f"facts stated  {b.facts_stated:6.1%}  {a.facts_stated:6.1%}",
                f"chrF          {b.chrf:6.1f}  {a.chrf:6.1f}   (against the template text)"]
        lines.append(f"use it with: ontomed generate ENTITY --model {self.out}")
        return "\n".join(lines)


def entities_with_facts(kb: KnowledgeBase) -> list[str]:
    """Every entity that is the subject or object of an asserted fact, sorted."""
    found: set[str] = set()
    for prop in kb.object_properties():
        for q in kb.quads(None, ox.NamedNode(prop), None, ox.DefaultGraph()):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
                found.add(q.subject.value)
                found.add(q.object.value)
    return sorted(found)


def split_entities(entities: Sequence[str], held_out: float, seed: int) -> tuple[list[str], list[str]]:
    """(training, held-out) by a seeded hash of each IRI: stable as the graph grows."""
    train, test = [], []
    for iri in entities:
        h = int(hashlib.sha256(f"{seed}:{iri}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (test if h < held_out else train).append(iri)
    if not test and len(train) > 1:
        test.append(train.pop())
    if not train and len(test) > 1:
        train.append(test.pop())
    return train, test


def evaluate(kb: KnowledgeBase, lm: LoadedModel, descriptions: Sequence[Description], *,
             batch_size: int, max_new_tokens: int) -> Evaluation:
    """Generate for the held-out descriptions and score the text (check + chrF)."""
    import sacrebleu

    started = time.perf_counter()
    run = TransformerGenerator().run(descriptions, batch_size=batch_size, max_new_tokens=max_new_tokens,
                                     loaded=lm)
    checked = check_batch(kb, descriptions, run.texts)
    sentences = sum(c.total for c in checked)
    supported = sum(c.supported for c in checked)
    facts = sum(len(d.statements) for d in descriptions)
    stated = sum(c.facts_stated for c in checked)
    chrf = sacrebleu.corpus_chrf(list(run.texts), [[d.text for d in descriptions]]).score if descriptions else 0.0
    return Evaluation(len(descriptions), supported / sentences if sentences else 0.0, supported, sentences,
                      stated / facts if facts else 0.0, float(chrf), time.perf_counter() - started)


def _choose_trained(model: Any, layers: int | None) -> list[Any]:
    """The weights to train: all, or the last ``layers`` blocks and the final norm
    (the rest frozen, so that the backward pass stops at those blocks)."""
    if layers is None:
        return [p for p in model.parameters()]
    blocks = getattr(getattr(model, "model", None), "layers", None)
    if blocks is None:
        raise BadInputError(f"--train-layers needs a model with a list of blocks (model.model.layers); "
                            f"{type(model).__name__} has none: train every weight instead")
    if not 1 <= layers <= len(blocks):
        raise BadInputError(f"--train-layers must be between 1 and {len(blocks)} for this model, not {layers}")
    for p in model.parameters():
        p.requires_grad_(False)
    chosen = [p for block in blocks[-layers:] for p in block.parameters()]
    norm = getattr(model.model, "norm", None)
    if norm is not None:
        chosen += list(norm.parameters())
    for p in chosen:
        p.requires_grad_(True)
    return chosen


def _encode(tokenizer: Any, description: Description, max_length: int) -> tuple[list[int], list[int]]:
    """(input ids, labels) for one pair; the prompt's labels are -100 (no loss)."""
    prompt = tokenizer(prompt_text(tokenizer, description), add_special_tokens=False)["input_ids"]
    answer = tokenizer(description.text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    answer = answer[:max_length // 2]
    prompt = prompt[-(max_length - len(answer)):]
    return prompt + answer, [-100] * len(prompt) + answer


def finetune(kb: KnowledgeBase, settings: FinetuneSettings, *, progress: Progress | None = None) -> FinetuneReport:
    """Train ``settings.base`` on the knowledge base's pairs and save it to ``settings.out``."""
    import torch

    say = progress or (lambda _: None)
    for lang in settings.langs:
        check_lang(lang)
    if not settings.langs:
        raise BadInputError("--lang names no language (en, zh)")
    if not 0 < settings.held_out < 1:
        raise BadInputError(f"--held-out must be between 0 and 1, not {settings.held_out}")
    out = Path(settings.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BadInputError(f"--out {out} exists and is not an empty directory")
    entities = entities_with_facts(kb)
    if settings.max_entities is not None and len(entities) > settings.max_entities:
        entities = sorted(random.Random(settings.seed).sample(entities, settings.max_entities))
    train_ids, test_ids = split_entities(entities, settings.held_out, settings.seed)
    if not train_ids or not test_ids:
        raise BadInputError(f"the knowledge base has facts about {len(entities)} entities; fine-tuning "
                            "needs at least 2 (one to train on, one held out)")
    verbalizer = Verbalizer(kb)

    def pairs(ids: Sequence[str]) -> list[Description]:
        found = [verbalizer.describe(iri, lang, limit=settings.limit) for iri in ids for lang in settings.langs]
        return [d for d in found if d.statements]

    train_set, test_set = pairs(train_ids), pairs(test_ids)
    say(f"{len(train_set)} training pairs from {len(train_ids)} entities, "
        f"{len(test_set)} held-out pairs from {len(test_ids)} entities")
    lm = load_model(settings.base, device=settings.device, threads=settings.threads, keep=False, train=True)
    model, tokenizer, device = lm.model, lm.tokenizer, lm.device
    torch.manual_seed(settings.seed)
    scored = test_set if settings.eval_examples is None else test_set[:settings.eval_examples]
    before = None
    if scored:
        before = evaluate(kb, lm, scored, batch_size=settings.batch_size, max_new_tokens=settings.max_new_tokens)
        say(f"before: faithfulness {before.faithfulness:.1%}, chrF {before.chrf:.1f}")
    trained = _choose_trained(model, settings.train_layers)

    max_length = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
    encoded = [_encode(tokenizer, d, min(max_length, 4096)) for d in train_set]
    steps_per_epoch = math.ceil(len(encoded) / settings.batch_size)
    total = max(1, steps_per_epoch * settings.epochs)
    optimizer = torch.optim.AdamW(trained, lr=settings.learning_rate, weight_decay=0.0)
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (total - step) / total))
    autocast_dtype = None
    if device.type == "cuda":
        autocast_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if autocast_dtype == torch.float16 else None
    precision = {None: "fp32", torch.bfloat16: "bf16 autocast", torch.float16: "fp16 autocast"}[autocast_dtype]
    pad = tokenizer.pad_token_id
    rng = random.Random(settings.seed)
    losses: list[float] = []
    steps = 0
    started = time.perf_counter()
    deadline = started + settings.budget_minutes * 60 if settings.budget_minutes else None
    out_of_time = False
    model.train()
    for epoch in range(settings.epochs):
        order = list(range(len(encoded)))
        rng.shuffle(order)
        epoch_loss = 0.0
        epoch_steps = 0
        for start in range(0, len(order), settings.batch_size):
            if deadline is not None and time.perf_counter() >= deadline:
                out_of_time = True
                break
            batch = [encoded[i] for i in order[start:start + settings.batch_size]]
            width = max(len(ids) for ids, _ in batch)
            input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in batch], device=device)
            labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch], device=device)
            mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch], device=device)
            with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
                loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(trained, 1.0)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trained, 1.0)
                optimizer.step()
            scheduler.step()
            steps += 1
            epoch_steps += 1
            epoch_loss += float(loss.detach())
            if steps % 10 == 0:
                say(f"step {steps}/{total}: loss {float(loss.detach()):.3f}, "
                    f"{time.perf_counter() - started:.0f} s")
        if epoch_steps:
            losses.append(epoch_loss / epoch_steps)
            say(f"epoch {epoch + 1}/{settings.epochs}: loss {losses[-1]:.3f}")
        if out_of_time:
            say(f"the time budget ({settings.budget_minutes:g} min) is spent: stopped after {steps} steps")
            break
    train_seconds = time.perf_counter() - started
    model.eval()
    for p in model.parameters():
        p.requires_grad_(True)  # saved as a plain model, every weight as trainable as before
    after = None
    if scored:
        after = evaluate(kb, lm, scored, batch_size=settings.batch_size, max_new_tokens=settings.max_new_tokens)
        say(f"after: faithfulness {after.faithfulness:.1%}, chrF {after.chrf:.1f}")

    out.mkdir(parents=True, exist_ok=True)
    with _quiet():  # the command prints its own report
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    forget_loaded(out)
    report = FinetuneReport(
        base=lm.name, out=str(out), device=str(device), precision=precision,
        train_entities=len(train_ids), held_out_entities=len(test_ids), train_examples=len(train_set),
        held_out_examples=len(test_set), epochs=settings.epochs, steps=steps, losses=losses,
        train_seconds=train_seconds, before=before, after=after,
        trained_parameters=sum(p.numel() for p in trained), stopped_by_budget=out_of_time,
        settings=asdict(settings))
    (out / REPORT_FILE).write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return report
