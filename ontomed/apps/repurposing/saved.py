"""A trained model as it is kept beside the knowledge base, in ``KB/models/repurposing/``.

- ``model.json``: what was trained and how (settings, relations and how each was
  read), the held-out metrics, the time it took, and the store state it saw:
  the store's file fingerprint and the statements per relation (the content key).
- ``embeddings.npz``: the entity and relation representations and each entity's
  class bits; ``entities.txt``: the entity IRIs, one a line, in id order.
  Predictions read these two with numpy alone.
- ``pykeen-state.pt``: the PyKEEN model's ``state_dict``, for whoever wants the
  model back in PyKEEN (``model.load_state_dict``), say to continue training.

The directory is written beside the final one and renamed into place, so a
reader never sees half a model. A process keeps the model it loaded and
reloads it only when ``model.json`` changes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import NotFoundError, StoreError
from .scoring import Embeddings

if TYPE_CHECKING:
    from ...kb import KnowledgeBase

MODEL_DIR = Path("models") / "repurposing"
FORMAT = 1


class NoModelError(NotFoundError):
    """The knowledge base has no trained model (or one this version cannot read)."""


@dataclass(frozen=True)
class SavedModel:
    """A trained model with the graph it was trained on: what predictions need."""

    config: dict[str, Any]
    embeddings: Embeddings
    entities: tuple[str, ...]
    classes: np.ndarray  # uint8 class bits per entity
    path: Path | None = None
    index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.index:
            self.index.update((iri, i) for i, iri in enumerate(self.entities))

    @property
    def relations(self) -> list[str]:
        return list(self.config["relations"])


def model_dir(kb: KnowledgeBase) -> Path | None:
    return kb.path / MODEL_DIR if kb.path is not None else None


# models of in-memory knowledge bases (for as long as the knowledge base lives), and the
# last model read from each directory
_memory: weakref.WeakKeyDictionary[KnowledgeBase, SavedModel] = weakref.WeakKeyDictionary()
_loaded: dict[str, tuple[tuple[int, int], SavedModel]] = {}
_lock = threading.Lock()


def save(kb: KnowledgeBase, model: SavedModel, state_dict: dict[str, Any] | None) -> Path | None:
    """Keep ``model`` for ``kb``: on disk beside an on-disk knowledge base, in this
    process for an in-memory one. Returns the directory (None in memory)."""
    target = model_dir(kb)
    if target is None:
        with _lock:
            _memory[kb] = model
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".repurposing-", dir=target.parent))
    try:
        emb = model.embeddings
        arrays = {"entities": emb.entities, "relations": emb.relations, "classes": model.classes}
        if emb.inverses is not None:
            arrays["inverses"] = emb.inverses
        np.savez(tmp / "embeddings.npz", **arrays)
        (tmp / "entities.txt").write_text("\n".join(model.entities) + "\n", "utf-8")
        if state_dict is not None:
            import torch

            torch.save(state_dict, tmp / "pykeen-state.pt")
        config = {**model.config, "format": FORMAT}
        (tmp / "model.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", "utf-8")
        old = None
        if target.exists():
            old = target.with_name(f".old-{os.getpid()}-{target.name}")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise StoreError(f"cannot save the model in {target}: {exc}") from None
    return target


def load(kb: KnowledgeBase) -> SavedModel:
    """The knowledge base's trained model, read once per process (and again when retrained)."""
    target = model_dir(kb)
    if target is None:
        with _lock:
            found = _memory.get(kb)
        if found is None:
            raise NoModelError("no trained model: run ontomed repurpose train")
        return found
    config_path = target / "model.json"
    try:
        st = config_path.stat()
    except OSError:
        raise NoModelError(f"no trained model in {target}: run ontomed repurpose train") from None
    stamp = (st.st_mtime_ns, st.st_size)
    key = str(target.resolve())
    with _lock:
        held = _loaded.get(key)
        if held is not None and held[0] == stamp:
            return held[1]
    try:
        config = json.loads(config_path.read_text("utf-8"))
        if config.get("format") != FORMAT:
            raise NoModelError(f"the model in {target} was saved in another format: "
                               "run ontomed repurpose train again")
        with np.load(target / "embeddings.npz") as data:
            inverses = data["inverses"] if "inverses" in data.files else None
            embeddings = Embeddings(config["model"], data["entities"], data["relations"],
                                    p=float(config.get("p", 2.0)),
                                    power_norm=bool(config.get("power_norm", False)), inverses=inverses)
            classes = data["classes"]
        entities = tuple((target / "entities.txt").read_text("utf-8").splitlines())
    except (OSError, ValueError, KeyError) as exc:
        raise NoModelError(f"the model in {target} cannot be read ({exc}): "
                           "run ontomed repurpose train again") from None
    if len(entities) != len(embeddings.entities):
        raise NoModelError(f"the model in {target} is inconsistent: run ontomed repurpose train again")
    model = SavedModel(config, embeddings, entities, classes, target)
    with _lock:
        _loaded[key] = (stamp, model)
    return model


def forget() -> None:
    """Drop every model this process holds (tests; after deleting a model directory)."""
    with _lock:
        _memory.clear()
        _loaded.clear()
