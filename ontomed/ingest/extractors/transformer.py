"""A Transformer token-classification extractor: any Hugging Face NER model (architecture.md §6).

The model is named by ``TransformerExtractor(model=PATH)`` or the environment
(``ONTOMED_NER_MODEL``), and loaded on first use: the extractor is registered
whenever ontomed starts, and ``ontomed --help`` must not pay for torch, nor
fail because no model is configured. torch and transformers are imported
inside the methods that need them, never at module import.

What the model's labels mean is read from its config's ``id2label``: BIO
(``B-Drug``, ``I-Disease``), BIOES/BILOU, or plain type names (IO), in any
letter case, with the usual corpus names mapped to the ontology's classes
(``CHEMICAL`` → Drug, ``Disease_disorder`` → Disease, ``Sign_symptom`` →
Symptom, ``GENE_OR_GENE_PRODUCT`` → Gene; see :data:`LABEL_TYPES`). Labels that
name none of them (``Age``, ``Dosage``) are read as outside any entity.

Character spans come from the fast tokenizer's offset mapping, never from
re-searching decoded tokens, so a mention's offsets are exact in any script.
Sub-word tokens are joined into words (the tokenizer's ``word_ids``) and a word
takes the label of its first token (``aggregation="first"``, right for models
trained the usual way, with labels on first sub-words only) or the entity type
its tokens' averaged probabilities favour (``"average"``, for models trained
with every sub-word labelled). Texts longer than the model's window
are read in overlapping windows; each token keeps the prediction of the window
in which it sits furthest from an edge.

Settings (argument, else environment, else default): ``model``
(``ONTOMED_NER_MODEL``), ``device`` (``ONTOMED_NER_DEVICE``; ``auto`` is CUDA
when torch sees a GPU, else Apple's MPS, else CPU), ``threads``
(``ONTOMED_NER_THREADS``; calls ``torch.set_num_threads``, which is
process-wide), ``batch_size`` (``ONTOMED_NER_BATCH_SIZE``, windows per forward
pass, default 16).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ... import iri as I
from ...components import Extractor
from ...devices import resolve_device
from ...errors import BadInputError, NotFoundError
from ...values import Extraction, Mention

if TYPE_CHECKING:
    from ...kb import KnowledgeBase

Aggregation = Literal["first", "average"]

#: Entity names used by common biomedical NER corpora and models → ontology classes.
#: Keys are upper case with everything but letters and digits removed.
LABEL_TYPES: dict[str, str] = {
    **dict.fromkeys(("DRUG", "DRUGS", "CHEMICAL", "CHEMICALS", "CHEM", "MEDICATION", "MEDICINE",
                     "DRUGNAME", "SIMPLECHEMICAL", "CHEMICALENTITY", "CLINICALDRUG",
                     "PHARMACOLOGICALSUBSTANCE"), "Drug"),
    **dict.fromkeys(("DISEASE", "DISEASES", "DISORDER", "DISEASEDISORDER", "DISEASEORSYNDROME",
                     "CONDITION", "DIAGNOSIS"), "Disease"),
    **dict.fromkeys(("SYMPTOM", "SYMPTOMS", "SIGN", "SIGNSYMPTOM", "SIGNORSYMPTOM", "PHENOTYPE"),
                    "Symptom"),
    **dict.fromkeys(("GENE", "GENES", "PROTEIN", "GENEORGENEPRODUCT", "GENEPROTEIN", "GENEPRODUCT",
                     "GGP"), "Gene"),
}
ENTITY_TYPES = ("Drug", "Disease", "Symptom", "Gene")
_ALLOWED_TYPES = frozenset(c for c in I.CLASSES if c != "Document")
_PREFIX = re.compile(r"^([BIESLU])[-_](.+)$", re.IGNORECASE)
_SCHEME = {"B": "B", "I": "I", "E": "E", "L": "E", "S": "S", "U": "S"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
DEFAULT_BATCH_SIZE = 16
MAX_WINDOW = 512


def _key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())


def parse_label(label: str, label_types: Mapping[str, str] = LABEL_TYPES) -> tuple[str, str | None]:
    """A model label → (``B``/``I``/``E``/``S``/``O``, ontology class or None).

    ``B-Drug`` → ("B", "Drug"); ``I-CHEMICAL`` → ("I", "Drug"); ``DISEASE`` (an
    IO scheme) → ("I", "Disease"); ``L-Gene`` → ("E", "Gene"); ``O`` and labels
    naming no class → ("O", None).
    """
    text = label.strip()
    if not text or text.upper() == "O":
        return "O", None
    match = _PREFIX.match(text)
    tag, name = (_SCHEME[match.group(1).upper()], match.group(2)) if match else ("I", text)
    cls = label_types.get(_key(name))
    return (tag, cls) if cls is not None else ("O", None)


@dataclass(frozen=True)
class TransformerSettings:
    """The extractor's configuration, resolved from arguments and the environment."""

    model: str
    device: str = "auto"
    threads: int | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    aggregation: Aggregation = "first"
    max_length: int | None = None

    @classmethod
    def resolve(cls, model: str | os.PathLike[str] | None = None, *, device: str | None = None,
                threads: int | None = None, batch_size: int | None = None,
                aggregation: Aggregation = "first", max_length: int | None = None) -> TransformerSettings:
        """Arguments first, then ``ONTOMED_NER_*``; a bad value is a one-line BadInputError."""
        name = os.fspath(model) if model is not None else os.environ.get("ONTOMED_NER_MODEL", "").strip()
        if not name:
            raise BadInputError("the transformer extractor needs a model: pass model=PATH or set "
                                "ONTOMED_NER_MODEL to a Hugging Face token-classification model "
                                "directory or id")
        return cls(
            model=name,
            device=(device or os.environ.get("ONTOMED_NER_DEVICE", "").strip() or "auto"),
            threads=_positive("threads", threads, "ONTOMED_NER_THREADS"),
            batch_size=_positive("batch_size", batch_size, "ONTOMED_NER_BATCH_SIZE") or DEFAULT_BATCH_SIZE,
            aggregation=aggregation,
            max_length=_positive("max_length", max_length, None),
        )


def _positive(name: str, value: int | None, env: str | None) -> int | None:
    raw: object = value
    if value is None and env is not None:
        raw = os.environ.get(env, "").strip() or None
        name = env
    if raw is None:
        return None
    try:
        number = int(raw) if isinstance(raw, (int, float, str)) else 0
    except ValueError:
        number = 0
    if number <= 0 or isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise BadInputError(f"{name} must be a positive whole number, not {raw!r}")
    return number


class TransformerExtractor(Extractor):
    """Mentions from a Hugging Face token-classification model; batched, GPU when there is one.

    It finds mentions only (``finds_relations = False``): the pipeline links
    them and reads relations between them with the built-in relation patterns.
    """

    id = "transformer"
    description = ("Hugging Face token classification (BIO labels → Drug/Disease/Symptom/Gene); "
                   "model from ONTOMED_NER_MODEL")
    entity_types = ENTITY_TYPES
    finds_relations = False

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str | None = None,
                 threads: int | None = None, batch_size: int | None = None,
                 aggregation: Aggregation = "first", max_length: int | None = None,
                 label_types: Mapping[str, str] | None = None) -> None:
        """Cheap: remembers the settings; the model loads on the first non-blank text.

        ``label_types`` adds or overrides label names (``{"MED": "Drug"}``) on
        top of :data:`LABEL_TYPES`; its values must be ontology classes.
        """
        if aggregation not in ("first", "average"):
            raise BadInputError(f"aggregation must be 'first' or 'average', not {aggregation!r}")
        extra = dict(label_types or {})
        wrong = sorted(v for v in extra.values() if v not in _ALLOWED_TYPES)
        if wrong:
            raise BadInputError(f"label_types may map to {', '.join(sorted(_ALLOWED_TYPES))} only, "
                                f"not {', '.join(map(repr, wrong))}")
        self._args: dict[str, Any] = dict(model=model, device=device, threads=threads,
                                          batch_size=batch_size, aggregation=aggregation,
                                          max_length=max_length)
        self._label_types = {**LABEL_TYPES, **{_key(k): v for k, v in extra.items()}}
        self._tagger: _Tagger | None = None
        self._lock = threading.Lock()

    def setup(self, kb: KnowledgeBase | None) -> None:
        """Nothing to do: the model does not read the knowledge base, and loading it waits
        for the first text so that selecting other extractors never costs a model load."""

    @property
    def loaded(self) -> bool:
        return self._tagger is not None

    @property
    def settings(self) -> TransformerSettings:
        """The resolved settings (BadInputError when no model is configured)."""
        return self._tagger.settings if self._tagger else TransformerSettings.resolve(**self._args)

    @property
    def device(self) -> str:
        """The torch device the model runs on (loads the model)."""
        return str(self._load().device)

    @property
    def labels(self) -> dict[str, tuple[str, str | None]]:
        """Each of the model's labels → (scheme tag, ontology class or None) (loads the model)."""
        tagger = self._load()
        return {tagger.id2label[i]: tagger.tags[i] for i in sorted(tagger.id2label)}

    def _load(self) -> _Tagger:
        if self._tagger is None:
            with self._lock:
                if self._tagger is None:
                    self._tagger = _Tagger.load(TransformerSettings.resolve(**self._args),
                                                self._label_types)
        return self._tagger

    def extract(self, text: str) -> Extraction:
        return self.extract_batch([text])[0]

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        """All texts' windows go through the model together, ``batch_size`` at a time."""
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise BadInputError(f"the transformer extractor reads str, not {type(text).__name__}")
        out = [Extraction(self.id) for _ in texts]
        todo = [i for i, text in enumerate(texts) if text.strip()]
        if not todo:
            return out
        found = self._load().tag([texts[i] for i in todo])
        for i, mentions in zip(todo, found):
            out[i] = Extraction(self.id, tuple(mentions))
        return out


# -- the loaded model ------------------------------------------------------------

@dataclass
class _Word:
    start: int
    end: int
    probs: list[list[float]]  # one row per token of the word, in order


class _Tagger:
    """A loaded tokenizer + model, and the span decoding; built by :meth:`load` only."""

    def __init__(self, settings: TransformerSettings, tokenizer: Any, model: Any, device: Any,
                 tags: dict[int, tuple[str, str | None]], id2label: dict[int, str], max_length: int) -> None:
        self.settings, self.tokenizer, self.model, self.device = settings, tokenizer, model, device
        self.tags, self.id2label, self.max_length = tags, id2label, max_length
        # Windows overlap by a quarter of their length, and by up to half of a short one, so
        # that every token is read with at least ~32 tokens of context on either side where
        # the window allows (a short window cut mid-sentence loses the cue words).
        self.stride = max(1, max_length // 4, min(max_length // 2, 64))
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    @classmethod
    def load(cls, settings: TransformerSettings, label_types: Mapping[str, str]) -> _Tagger:
        source = _model_source(settings.model)
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        if settings.threads:
            torch.set_num_threads(settings.threads)
        device = resolve_device(settings.device)
        try:
            tokenizer = AutoTokenizer.from_pretrained(source)
            model = AutoModelForTokenClassification.from_pretrained(source)
        except (OSError, ValueError, KeyError, ImportError, RuntimeError) as exc:
            raise BadInputError(f"cannot load the NER model {settings.model!r}: {_first_line(exc)}") from None
        if not getattr(tokenizer, "is_fast", False):
            raise BadInputError(f"the NER model {settings.model!r} has no fast tokenizer (tokenizer.json), "
                                "which character offsets need")
        id2label = {int(k): str(v) for k, v in (model.config.id2label or {}).items()}
        tags = {i: parse_label(label, label_types) for i, label in id2label.items()}
        if not any(cls_ for _, cls_ in tags.values()):
            shown = ", ".join(list(id2label.values())[:6]) or "none"
            raise BadInputError(f"the NER model {settings.model!r} has no entity labels the ontology knows "
                                f"(its labels: {shown}); expected labels such as B-Drug, I-Disease")
        model.to(device).eval()
        limits = [n for n in (getattr(tokenizer, "model_max_length", None),
                              getattr(model.config, "max_position_embeddings", None), MAX_WINDOW)
                  if isinstance(n, int) and 8 <= n]
        max_length = min(limits + ([settings.max_length] if settings.max_length else []))
        return cls(settings, tokenizer, model, device, tags, id2label, max_length)

    def tag(self, texts: list[str]) -> list[list[Mention]]:
        import torch

        enc = self.tokenizer(texts, truncation=True, max_length=self.max_length, stride=self.stride,
                             return_overflowing_tokens=True, return_offsets_mapping=True,
                             padding=False, add_special_tokens=True)
        windows = enc["input_ids"]
        owner = enc["overflow_to_sample_mapping"] if "overflow_to_sample_mapping" in enc \
            else list(range(len(windows)))
        probs: list[Any] = [None] * len(windows)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w]))
        size = self.settings.batch_size
        with torch.inference_mode():
            for b in range(0, len(order), size):
                chunk = order[b:b + size]
                width = max(len(windows[w]) for w in chunk)
                ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, w in enumerate(chunk):
                    ids[row, :len(windows[w])] = torch.tensor(windows[w], dtype=torch.long)
                    mask[row, :len(windows[w])] = 1
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
                soft = logits.float().softmax(-1).cpu()
                for row, w in enumerate(chunk):
                    probs[w] = soft[row, :len(windows[w])].tolist()
        # token (start, end) → (centrality, word id, probabilities), per text
        tokens: list[dict[tuple[int, int], tuple[int, int, list[float]]]] = [{} for _ in texts]
        for w in range(len(windows)):
            seq_ids = enc.sequence_ids(w)
            word_ids = enc.word_ids(w)
            offsets = enc["offset_mapping"][w]
            content = [j for j, s in enumerate(seq_ids) if s == 0]
            if not content:
                continue
            first, last = content[0], content[-1]
            found = tokens[owner[w]]
            for j in content:
                start, end = offsets[j]
                if end <= start or word_ids[j] is None:
                    continue
                centrality = min(j - first, last - j)
                seen = found.get((start, end))
                if seen is None or centrality > seen[0]:
                    found[(start, end)] = (centrality, word_ids[j], probs[w][j])
        return [self._mentions(text, found) for text, found in zip(texts, tokens)]

    def _mentions(self, text: str, found: dict[tuple[int, int], tuple[int, int, list[float]]]) -> list[Mention]:
        words: list[_Word] = []
        last_word_id: int | None = None
        for (start, end), (_, word_id, row) in sorted(found.items()):
            if words and word_id == last_word_id and start >= words[-1].start:
                words[-1].end = max(words[-1].end, end)
                words[-1].probs.append(row)
            else:
                words.append(_Word(start, end, [row]))
            last_word_id = word_id
        spans: list[list[Any]] = []  # [type, start, end, [confidences]]
        open_span: list[Any] | None = None
        for word in words:
            label, confidence = self._word_label(word)
            tag, cls = self.tags.get(label, ("O", None))
            if cls is None:
                open_span = None
                continue
            if tag in ("B", "S") or open_span is None or open_span[0] != cls:
                open_span = [cls, word.start, word.end, [confidence]]
                spans.append(open_span)
            else:
                open_span[2] = word.end
                open_span[3].append(confidence)
            if tag in ("E", "S"):
                open_span = None
        mentions = []
        for cls, start, end, confidences in spans:
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                confidence = min(1.0, max(0.0, sum(confidences) / len(confidences)))
                mentions.append(Mention(text[start:end], cls, start, end, confidence))
        return mentions

    def _word_label(self, word: _Word) -> tuple[int, float]:
        """The label of a word, and how sure the model is of its entity type.

        ``first``: the first sub-word's best label. ``average``: the type whose
        labels (B-, I-, E-, S- together) have the highest probability averaged
        over the word's sub-words, with its B/I/E/S tag from the first sub-word,
        so that a word's later sub-words (usually tagged I-) vote for its type
        without turning its B- into an I-.
        """
        first = word.probs[0]
        if self.settings.aggregation != "average" or len(word.probs) == 1:
            best = max(range(len(first)), key=first.__getitem__)
            return best, float(first[best])
        n = len(word.probs)
        by_type: dict[str | None, float] = {}
        for row in word.probs:
            for i, p in enumerate(row):
                cls = self.tags.get(i, ("O", None))[1]
                by_type[cls] = by_type.get(cls, 0.0) + p / n
        cls = max(by_type, key=by_type.__getitem__)
        candidates = [i for i in range(len(first)) if self.tags.get(i, ("O", None))[1] == cls]
        best = max(candidates, key=first.__getitem__)
        return best, float(min(1.0, by_type[cls]))


def _model_source(name: str) -> str:
    """A local model directory, or a Hugging Face hub id; a path that is neither is NotFoundError."""
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise BadInputError(f"{name}: not a Hugging Face model directory (no config.json)")
        return str(path)
    if path.is_absolute() or name.startswith((".", "~")) or not _HUB_ID.match(name):
        raise NotFoundError(f"{name}: no such NER model directory")
    return name  # a hub id: from the local cache, or downloaded where the network allows


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    line = lines[0] if lines else type(exc).__name__
    return line if len(line) <= 300 else line[:299] + "…"
