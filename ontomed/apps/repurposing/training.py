"""Training a link prediction model with PyKEEN, and what it costs.

:func:`fit` trains one of PyKEEN's models on integer triples and returns its
embeddings (:class:`~.scoring.Embeddings`); :func:`train`, for a knowledge
base, and the UMLS benchmark both go through it. torch and PyKEEN are
imported here, inside the functions, never when ontomed starts.

PyKEEN keeps files under ``PYSTOW_HOME`` (``~/.data`` unless set) from the
moment it is imported: :func:`import_pykeen` points it at the directory the
caller gives (beside the knowledge base), unless the user has set it.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import BadInputError, OntomedError
from .evaluation import RankMetrics
from .scoring import INTERACTIONS, Embeddings

if TYPE_CHECKING:
    from ...kb import KnowledgeBase

MODELS = tuple(INTERACTIONS)


class MissingExtraError(OntomedError):
    """PyKEEN (the ``repurpose`` extra) is not installed."""

    exit_code = 1
    http_status = 501


INSTALL_HINT = ("training needs PyKEEN: pip install 'ontomed[ml,repurpose]' "
                "(one pip command, so that pip keeps the pinned CPU build of torch)")


@dataclass(frozen=True)
class Settings:
    """How a model is trained. :func:`settings_for` gives the defaults per model.

    ``loop``: ``"sLCWA"`` (each true triple against ``negatives`` corrupted ones:
    what a graph of tens of thousands of entities affords on a CPU) or ``"LCWA"`` (each (head,
    relation) against every entity, with reciprocal relations so that heads are
    predicted too: best on small graphs such as UMLS). ``model_kwargs`` go to
    the PyKEEN model class.
    """

    model: str = "ComplEx"
    dim: int = 64
    epochs: int = 20
    batch_size: int | None = None  # None: min(4096, a sixteenth of the training triples)
    learning_rate: float = 0.01
    loop: str = "sLCWA"
    negatives: int = 8
    loss: str = "softplus"
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    model_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["model_kwargs"] = {k: v for k, v in self.model_kwargs.items()}
        return out


#: Defaults for the knowledge base (sLCWA), per model; benchmarks/README.md says what they cost and
#: reach on the README knowledge base. ComplEx starts from Xavier-scaled embeddings: PyKEEN's
#: standard normal start gives scores of about +-11 at dim 64, and the model spent its first 12 of
#: 20 epochs shrinking them (held-out MRR 0.01 against 0.18). The regularizers PyKEEN gives ComplEx
#: and DistMult are off: the norm of complex embeddings took half of each epoch. TransE uses the
#: L2 distance so that ranking all entities is one matrix product (scoring.py).
_XAVIER = {"entity_initializer": "xavier_normal_", "relation_initializer": "xavier_normal_"}
DEFAULTS: dict[str, Settings] = {
    "ComplEx": Settings("ComplEx", model_kwargs={"regularizer": None, **_XAVIER}),
    "DistMult": Settings("DistMult", model_kwargs={"regularizer": None}),
    "TransE": Settings("TransE", model_kwargs={"scoring_fct_norm": 2}),
    "RotatE": Settings("RotatE", loss="nssa"),
}


def settings_for(model: str, **overrides: Any) -> Settings:
    """The default settings of ``model`` (case-insensitive name), with ``overrides`` (None keeps the default)."""
    name = model_name(model)
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(given) - set(Settings.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    settings = replace(DEFAULTS[name], **given)
    for key in ("dim", "epochs", "negatives"):
        if getattr(settings, key) < 1:
            raise BadInputError(f"{key} must be at least 1, not {getattr(settings, key)}")
    if settings.learning_rate <= 0:
        raise BadInputError(f"the learning rate must be positive, not {settings.learning_rate}")
    if settings.loop not in ("sLCWA", "LCWA"):
        raise BadInputError(f"the training loop is sLCWA or LCWA, not {settings.loop!r}")
    return settings


def model_name(model: str) -> str:
    for name in MODELS:
        if name.lower() == model.strip().lower():
            return name
    raise BadInputError(f"unknown model {model!r} (choose from {', '.join(MODELS)})")


def import_pykeen(cache_dir: Path | None) -> None:
    """Import PyKEEN with its file cache (``PYSTOW_HOME``) in ``cache_dir`` (None: a new
    temporary directory), unless the user chose one or PyKEEN is imported already."""
    if "pykeen" not in sys.modules and "PYSTOW_HOME" not in os.environ:
        if cache_dir is None:
            cache_dir = Path(tempfile.mkdtemp(prefix="ontomed-pystow-"))
        cache_dir.mkdir(parents=True, exist_ok=True)
        os.environ["PYSTOW_HOME"] = str(cache_dir)
    try:
        import pykeen.models  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        raise MissingExtraError(INSTALL_HINT) from None


@dataclass(frozen=True)
class Fitted:
    """A trained model: its embeddings, the PyKEEN model and its state dict, the loss per
    epoch, the time taken."""

    embeddings: Embeddings
    state_dict: dict[str, Any]
    losses: tuple[float, ...]
    seconds: float
    device: str
    batch_size: int
    model: Any = field(default=None, compare=False, repr=False)


def fit(triples: np.ndarray, num_entities: int, num_relations: int, settings: Settings, *,
        progress: bool = False, cache_dir: Path | None = None) -> Fitted:
    """Train ``settings.model`` on ``triples`` (n x 3 ids, every direction the model should see).

    ``progress`` shows PyKEEN's progress bars (on a terminal only, the caller decides).
    """
    import_pykeen(cache_dir)
    import torch
    from pykeen.models import model_resolver
    from pykeen.training import LCWATrainingLoop, SLCWATrainingLoop
    from pykeen.triples import CoreTriplesFactory

    from ...devices import resolve_device

    device = resolve_device(settings.device)
    threads_before = torch.get_num_threads()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    # Adam's second moments of rarely-seen entities sink into subnormal floats, which the
    # CPU handles 30x slower: flushing them to zero made UMLS training 1.6x faster here.
    torch.set_flush_denormal(True)
    inverse = settings.loop == "LCWA"
    factory = CoreTriplesFactory(torch.as_tensor(np.asarray(triples, dtype=np.int64)),
                                 num_entities=num_entities, num_relations=num_relations,
                                 create_inverse_triples=inverse)
    batch_size = settings.batch_size or int(min(4096, max(16, len(triples) // 16)))
    try:
        torch.manual_seed(settings.seed)
        model = model_resolver.make(settings.model, triples_factory=factory, embedding_dim=settings.dim,
                                    loss=settings.loss, random_seed=settings.seed,
                                    **dict(settings.model_kwargs)).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
        if inverse:
            loop: Any = LCWATrainingLoop(model=model, triples_factory=factory, optimizer=optimizer)
        else:
            loop = SLCWATrainingLoop(model=model, triples_factory=factory, optimizer=optimizer,
                                     negative_sampler="basic",
                                     negative_sampler_kwargs={"num_negs_per_pos": settings.negatives})
        # PyKEEN runs a full gc.collect() after every epoch: 0.5 s each here with torch, pandas and
        # PyKEEN loaded, more than a whole epoch of UMLS. Freezing what exists now keeps the
        # collector to the objects training creates.
        gc.freeze()
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # torch's DataLoader warns on every CPU-only epoch that it cannot pin memory,
                # and PyKEEN about an argument of its own it passes itself: neither is ours to fix
                warnings.filterwarnings("ignore", message=".*pin_memory.*")
                warnings.filterwarnings("ignore", message="Training instances are always shuffled")
                losses = loop.train(triples_factory=factory, num_epochs=settings.epochs, batch_size=batch_size,
                                    use_tqdm=progress, use_tqdm_batch=False, pin_memory=False)
        finally:
            seconds = time.perf_counter() - start
            gc.unfreeze()
        model.eval()
        with torch.no_grad():
            entities = model.entity_representations[0](indices=None).detach().cpu().numpy()
            relations = model.relation_representations[0](indices=None).detach().cpu().numpy()
        inverses = None
        if inverse:  # PyKEEN keeps relation r at 2r and its reciprocal at 2r + 1
            relations, inverses = relations[0::2].copy(), relations[1::2].copy()
        interaction = model.interaction
        embeddings = Embeddings(settings.model, entities, relations, p=float(getattr(interaction, "p", 2)),
                                power_norm=bool(getattr(interaction, "power_norm", False)), inverses=inverses)
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads_before)
    return Fitted(embeddings, state, tuple(float(x) for x in losses or ()), seconds, str(device), batch_size,
                  model)


def split(triples: np.ndarray, num_entities: int, num_relations: int, holdout: float,
          seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, held out): ``holdout`` of the triples, seeded, with PyKEEN's splitter, which
    moves triples back into training until every entity and relation occurs there."""
    if holdout <= 0:
        return triples, triples[:0]
    import_pykeen(None)
    import torch
    from pykeen.triples import CoreTriplesFactory

    factory = CoreTriplesFactory(torch.as_tensor(triples), num_entities=num_entities,
                                 num_relations=num_relations)
    train, test = factory.split([1.0 - holdout, holdout], random_state=seed)
    return train.mapped_triples.numpy(), test.mapped_triples.numpy()


def peak_memory_mb() -> float:
    """This process's peak resident memory so far (MiB)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


# -- the knowledge base's model ---------------------------------------------------------------

@dataclass(frozen=True)
class TrainingReport:
    """What ``train`` did: the graph it saw, the settings, the held-out metrics, the costs.

    ``overall`` is None when nothing was held out (``holdout=0``).
    """

    model: str
    settings: Settings
    entities: int
    facts: dict[str, int]
    training_triples: int
    test_triples: int
    overall: RankMetrics | None
    per_relation: dict[str, RankMetrics]
    read_seconds: float
    train_seconds: float
    eval_seconds: float
    peak_memory_mb: float
    final_loss: float | None
    device: str
    path: str | None
    trained_at: str

    def to_dict(self) -> dict[str, Any]:
        """``{"model": "ComplEx", "settings": {...}, "entities": 45991, "facts": {IRI: n},
        "training_triples": n, "test_triples": n, "metrics": {"overall": RankMetrics.to_dict() | null,
        "per_relation": {IRI: RankMetrics.to_dict()}}, "seconds": {"read", "train", "evaluate"},
        "peak_memory_mb": 812.0, "final_loss": 0.16, "device": "cpu", "path": DIR | null,
        "trained_at": ISO time}``"""
        return {"model": self.model, "settings": self.settings.to_dict(), "entities": self.entities,
                "facts": dict(self.facts), "training_triples": self.training_triples,
                "test_triples": self.test_triples,
                "metrics": {"overall": self.overall.to_dict() if self.overall else None,
                            "per_relation": {k: v.to_dict() for k, v in self.per_relation.items()}},
                "seconds": {"read": round(self.read_seconds, 2), "train": round(self.train_seconds, 2),
                            "evaluate": round(self.eval_seconds, 2)},
                "peak_memory_mb": round(self.peak_memory_mb, 1),
                "final_loss": None if self.final_loss is None else round(self.final_loss, 5),
                "device": self.device, "path": self.path, "trained_at": self.trained_at}


def train(kb: KnowledgeBase, *, model: str = "ComplEx", epochs: int | None = None, dim: int | None = None,
          device: str = "auto", seed: int = 0, holdout: float = 0.1, broader: bool = False,
          batch_size: int | None = None, learning_rate: float | None = None, negatives: int | None = None,
          threads: int | None = None, progress: bool | None = None) -> TrainingReport:
    """Train ``model`` on the knowledge base's entity-to-entity facts and keep it beside the store.

    ``holdout`` of the facts (seeded by ``seed``; PyKEEN's splitter keeps every
    entity in training) are held out and ranked afterwards: filtered MRR and
    Hits@1/3/10, per relation and overall. ``broader`` adds ``skos:broader``
    between entities as one more relation. Unset settings take the model's
    defaults (:data:`DEFAULTS`). ``progress``: messages and PyKEEN's progress
    bar on stderr; None shows them when stderr is a terminal.
    """
    import datetime as _dt

    from .evaluation import evaluate
    from .saved import SavedModel, model_dir, save
    from .triples import read_triples

    settings = settings_for(model, epochs=epochs, dim=dim, device=device, seed=seed, batch_size=batch_size,
                            learning_rate=learning_rate, negatives=negatives, threads=threads)
    if not 0 <= holdout < 0.5:
        raise BadInputError(f"holdout is the share of facts held out for evaluation (0 to 0.5), not {holdout}")
    show = sys.stderr.isatty() if progress is None else progress
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if show else (lambda text: None)
    target = model_dir(kb)
    import_pykeen(target.parent / "pystow" if target is not None else None)

    files = kb.files_fingerprint()
    start = time.perf_counter()
    graph = read_triples(kb, broader=broader)
    read_seconds = time.perf_counter() - start
    if len(graph.triples) < 2:
        raise BadInputError("the knowledge base holds too few facts between entities to learn from")
    say(f"read {len(graph.triples):,} facts of {len(graph.relations)} relations between "
        f"{len(graph.entities):,} entities in {read_seconds:.1f} s")
    num_e, num_r = len(graph.entities), len(graph.relations)
    train_part, test_part = split(graph.triples, num_e, num_r, holdout, seed)
    training = graph.directed(train_part)
    say(f"training {settings.model} (dim {settings.dim}, {settings.epochs} epochs) on "
        f"{len(training):,} triples, {len(test_part):,} facts held out")
    fitted = fit(training, num_e, num_r, settings, progress=show)
    say(f"trained in {fitted.seconds:.0f} s")
    overall, per = None, {}
    start = time.perf_counter()
    test = graph.directed(test_part)
    if len(test):
        overall, per = evaluate(fitted.embeddings, test, graph.directed(), graph.relations)
    eval_seconds = time.perf_counter() - start
    trained_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    report = TrainingReport(
        settings.model, replace(settings, batch_size=fitted.batch_size), num_e, dict(graph.counts),
        len(training), len(test), overall, per, read_seconds, fitted.seconds, eval_seconds,
        peak_memory_mb(), fitted.losses[-1] if fitted.losses else None, fitted.device,
        str(target) if target is not None else None, trained_at)
    inverses: dict[str, list[str]] = {}
    for inv, rel in sorted(graph.plan.folded.items()):
        inverses.setdefault(rel, []).append(inv)
    config = {
        "model": settings.model, "p": fitted.embeddings.p, "power_norm": fitted.embeddings.power_norm,
        "relations": list(graph.relations), "relation_info": _relation_info(kb, graph.relations),
        "folded": dict(graph.plan.folded), "inverses": inverses, "symmetric": sorted(graph.plan.symmetric),
        "broader": broader, "holdout": holdout,
        "store": {"files": files, "counts": dict(graph.counts)},
        "versions": _versions(), **{k: v for k, v in report.to_dict().items() if k not in ("model", "path")},
    }
    save(kb, SavedModel(config, fitted.embeddings, tuple(graph.entities), graph.classes),
         fitted.state_dict)
    if target is not None:
        say(f"saved in {target}")
    return report


def _relation_info(kb: KnowledgeBase, relations: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Label, and domain and range as class bits (0: any), of each relation, from the ontology."""
    from ..names import english_label
    from .triples import class_mask

    values = " ".join(f"<{r}>" for r in relations)
    domains: dict[str, set[str]] = {r: set() for r in relations}
    ranges: dict[str, set[str]] = {r: set() for r in relations}
    for row in kb.select(f"""SELECT ?p ?k ?c WHERE {{ VALUES ?p {{ {values} }}
                            {{ ?p rdfs:domain ?c BIND("d" AS ?k) }} UNION {{ ?p rdfs:range ?c BIND("r" AS ?k) }}
                            FILTER(isIRI(?c)) }}"""):
        (domains if row["k"].value == "d" else ranges)[row["p"].value].add(row["c"].value)
    return {r: {"label": english_label(kb, r), "domain_mask": class_mask(domains[r]),
                "range_mask": class_mask(ranges[r])} for r in relations}


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("ontomed", "pykeen", "torch", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out
