"""A tiny drug/disease NER model, built and trained on the spot (no downloads).

A WordPiece tokenizer over a few dozen synthetic sentences, with a vocabulary
built here rather than trained (the ``tokenizers`` trainer breaks ties
differently in each process, and a different vocabulary trains a different
model): whole words for the sentence frames, and sub-words only for the drug and
disease names, so the extractor's sub-word aggregation is always exercised.
Some sentences put non-ASCII characters (ï, 🙂, —) before the names. A 2-layer BERT with a 32-wide hidden state, trained
on CPU with one thread until it tags every training sentence right, then saved
with ``save_pretrained``: the extractor loads it the way it loads any
Hugging Face model directory. Its labels mix letter cases (``B-Drug``,
``B-DISEASE``) on purpose.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

DRUGS = ("metformin", "naproxen", "warfarin", "imatinib", "ibuprofen", "lisinopril", "atorvastatin")
DISEASES = ("type 2 diabetes", "hypertension", "asthma", "gout", "chronic myeloid leukemia",
            "migraine", "heart failure")
TEMPLATES = (
    "{d} treats {c}.",
    "Patients with {c} received {d}.",
    "{D} is used for {c} in adults.",
    "In {c}, {d} was effective.",
    "We gave {d} to people with {c} and saw no harm.",
    "The {c} cohort took {d} daily.",
    "Naïve patients with {c} 🙂 received {d} — no harm.",
)
LABELS = ("O", "B-Drug", "I-Drug", "B-DISEASE", "I-DISEASE")
MAX_POSITIONS = 64


def sentences() -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Each synthetic sentence with its gold (start, end, type) spans."""
    out = []
    pairs = list(itertools.product(range(len(DRUGS)), range(len(DISEASES))))
    for i, j in pairs:
        template = TEMPLATES[(i + j) % len(TEMPLATES)]  # every name in every frame, once
        drug, disease = DRUGS[i], DISEASES[j]
        shown_drug = drug.capitalize() if template.startswith(("{d}", "{D}")) else drug
        text = template.replace("{D}", "{d}").format(d=shown_drug, c=disease)
        text = text[0].upper() + text[1:]
        spans = []
        for name, cls in ((shown_drug, "Drug"), (disease, "Disease")):
            start = text.lower().index(name.lower())
            spans.append((start, start + len(name), cls))
        out.append((text, sorted(spans)))
    return out


def training_examples(length: Callable[[str], int]) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """The sentences alone, and run together into texts that fill the model's window
    (``length`` counts a text's tokens), so that every position embedding is trained:
    a text longer than the window is read in windows that put names anywhere in it."""
    single = sentences()
    runs = []
    for order in (single, single[::-1], single[1::2] + single[::2]):
        text, spans = "", []
        for sentence, sentence_spans in order:
            candidate = f"{text} {sentence}" if text else sentence
            if text and length(candidate) > MAX_POSITIONS - 2:
                runs.append((text, spans))
                candidate, spans = sentence, []
            shift = len(candidate) - len(sentence)
            spans = spans + [(s + shift, e + shift, c) for s, e, c in sentence_spans]
            text = candidate
        runs.append((text, spans))
    return single + runs


def build(path: Path, *, max_steps: int = 600, seed: int = 0) -> Path:
    """Train the model and save it (tokenizer included) to ``path``; returns ``path``."""
    import torch
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import (
        BertConfig,
        BertForTokenClassification,
        PreTrainedTokenizerFast,
    )

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    normalizer, pre_tokenizer = normalizers.BertNormalizer(lowercase=True), pre_tokenizers.BertPreTokenizer()
    raw = Tokenizer(models.WordPiece(_vocabulary(normalizer, pre_tokenizer, specials), unk_token="[UNK]"))
    raw.normalizer, raw.pre_tokenizer = normalizer, pre_tokenizer
    cls_id, sep_id = raw.token_to_id("[CLS]"), raw.token_to_id("[SEP]")
    raw.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    raw.decoder = decoders.WordPiece()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]",
                                        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                        model_max_length=MAX_POSITIONS)

    data = training_examples(lambda text: len(raw.encode(text).ids))
    label_id = {label: i for i, label in enumerate(LABELS)}
    enc = tokenizer([t for t, _ in data], return_offsets_mapping=True, padding=True, return_tensors="pt")
    targets = torch.full(enc["input_ids"].shape, -100, dtype=torch.long)
    for row, (_, spans) in enumerate(data):
        # Every sub-word is labelled (a word's later sub-words as I-), so that both of the
        # extractor's aggregations, first sub-word and averaged, have something to read.
        for col, word in enumerate(enc.word_ids(row)):
            if word is None:
                continue
            start = int(enc["offset_mapping"][row, col, 0])
            label = "O"
            for s, e, cls in spans:
                if s <= start < e:
                    label = ("B-" if start == s else "I-") + ("Drug" if cls == "Drug" else "DISEASE")
            targets[row, col] = label_id[label]

    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=MAX_POSITIONS, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0,
                        id2label=dict(enumerate(LABELS)), label2id=label_id)
    model = BertForTokenClassification(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    inputs = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
    scored = targets != -100
    model.train()
    for step in range(max_steps):
        loss = model(**inputs, labels=targets).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 20 == 19:
            with torch.no_grad():
                predicted = model(**inputs).logits.argmax(-1)
            if bool((predicted[scored] == targets[scored]).all()) and loss.item() < 0.01:
                break
    else:
        raise AssertionError(f"the tiny NER model did not learn its {len(data)} sentences "
                             f"in {max_steps} steps (loss {loss.item():.3f})")
    model.eval()
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _vocabulary(normalizer: Any, pre_tokenizer: Any, specials: list[str]) -> dict[str, int]:
    """Specials, every character (word-initial and ``##`` continued), the frames' words whole,
    and for each name word longer than four letters only its first three letters and the
    next three as ``##`` pieces, so that "metformin" reads met ##for ##m ##i ##n."""
    def words(text: str) -> list[str]:
        return [w for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))]

    names = {w for name in DRUGS + DISEASES for w in words(name)}
    corpus = sorted({w for text, _ in sentences() for w in words(text)})
    chars = sorted({c for w in corpus for c in w})
    tokens = [*specials, *chars, *(f"##{c}" for c in chars), *(w for w in corpus if w not in names)]
    for w in sorted(names):
        tokens += [w[:3], f"##{w[3:6]}"] if len(w) > 4 else [w]
    return {token: i for i, token in enumerate(dict.fromkeys(tokens))}


_built: dict[Path, Path] = {}


def model_dir(base: Path) -> Path:
    """The model under ``base`` (a session's temporary folder), built once per process."""
    path = base / "tiny-ner-model"
    if path not in _built:
        _built[path] = path if (path / "config.json").is_file() else build(path)
    return _built[path]
