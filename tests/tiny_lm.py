"""A tiny causal language model built on the spot, for the generation tests (no downloads).

A byte-level BPE tokenizer is trained with the ``tokenizers`` library on the
prompts and template texts of the knowledge base it will be used on, wrapped as
a ``PreTrainedTokenizerFast`` with a small chat template, and a 2-layer Llama
model with random weights is saved next to it with ``save_pretrained``: a
directory that ontomed loads through its real loading code.
"""

from __future__ import annotations

from pathlib import Path

from ontomed.describe.generators.transformer import SYSTEM, user_message
from ontomed.kb import KnowledgeBase
from ontomed.describe.verbalize import Verbalizer

from .conftest import make_example_kb

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SPECIAL = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]


def corpus(kb: KnowledgeBase) -> list[str]:
    """Everything the model will read or write on ``kb``: prompts and template texts."""
    from ontomed.describe.generators.finetune import entities_with_facts

    verbalizer = Verbalizer(kb)
    texts = [SYSTEM]
    for iri in entities_with_facts(kb):
        for lang in ("en", "zh"):
            d = verbalizer.describe(iri, lang)
            texts += [user_message(d), d.text]
    return texts


def build(directory: Path, kb: KnowledgeBase, *, chat: bool = True, seed: int = 0) -> Path:
    """Train the tokenizer, make the model, save both to ``directory``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1200, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    raw.train_from_iterator(corpus(kb), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<|pad|>", eos_token="<|end|>")
    if chat:
        tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                         max_position_embeddings=1024, pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id,
                         tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


_built: dict[Path, Path] = {}


def model_dir(base: Path) -> Path:
    """An untrained tiny model for the example data under ``base`` (a session's temporary
    folder), built once per process: for tests that need a model that loads and runs."""
    path = base / "tiny-lm"
    if path not in _built:
        if not (path / "config.json").is_file():
            kb = make_example_kb()
            build(path, kb)
        _built[path] = path
    return _built[path]
