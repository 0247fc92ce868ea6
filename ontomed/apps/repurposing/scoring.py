"""A trained model's scores, from its embeddings, in numpy: one matrix product per batch of queries.

PyKEEN trains the model; ranking all entities for a query is done here, for two
reasons measured on the README knowledge base (46k entities, ComplEx, dim 64):

- PyKEEN's evaluator scores every candidate with a broadcast ``einsum`` that
  builds a (queries x entities x dim) array: it took 65 s for 2,000 held-out
  triples (49 s in that ``einsum``). Written as one matrix product per batch,
  as below, all 33,500 held-out triples take 37 s, about 30x less per triple,
  so the whole test split is evaluated, not a sample.
- A prediction needs numpy only: the web app's query worker and the CLI load
  the embeddings without importing torch and PyKEEN (4 s of imports).

Each interaction is PyKEEN's (``pykeen.nn.modules``), written so that the
candidates enter through one matrix product; ``tests/apps/test_repurposing.py``
checks the scores against PyKEEN's own for every model offered. The
embeddings are the model's representations as its forward pass returns them
(after any normaliser or constraint), so nothing of PyKEEN's is needed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: PyKEEN model name → the form of its interaction.
INTERACTIONS = {"ComplEx": "bilinear", "RotatE": "rotation", "TransE": "translation",
                "DistMult": "bilinear"}


@dataclass(frozen=True)
class Embeddings:
    """A trained model's entity and relation representations and its interaction.

    ``p`` and ``power_norm`` are the distance models' norm (PyKEEN's
    ``NormBasedInteraction``); bilinear models ignore them. ``inverses``: the
    reciprocal relations of a model trained with inverse triples (PyKEEN's
    ``create_inverse_triples``, what 1-N training needs), which predicts
    (?, r, t) as (t, r⁻¹, ?), as PyKEEN does.
    """

    model: str
    entities: np.ndarray  # (num_entities, dim), float32 or complex64
    relations: np.ndarray  # (num_relations, dim)
    p: float = 2.0
    power_norm: bool = False
    inverses: np.ndarray | None = None  # (num_relations, dim)

    def __post_init__(self) -> None:
        if self.model not in INTERACTIONS:
            raise ValueError(f"no scoring for model {self.model!r} (known: {', '.join(INTERACTIONS)})")

    @property
    def kind(self) -> str:
        return INTERACTIONS[self.model]

    def score_tails(self, heads: np.ndarray, relations: np.ndarray,
                    candidates: np.ndarray | None = None) -> np.ndarray:
        """Scores (queries x candidates) of (head, relation, ?) for every candidate
        entity (default: all), higher is more plausible."""
        E = self.entities if candidates is None else self.entities[candidates]
        h, r = self.entities[heads], self.relations[relations]
        if self.kind == "bilinear":  # Re(<h, r, conj(t)>)
            return _real(np.conj(E) @ (h * r).T).T
        q = h + r if self.kind == "translation" else h * r  # -||q - t||
        return self._distance(q, E)

    def score_heads(self, relations: np.ndarray, tails: np.ndarray,
                    candidates: np.ndarray | None = None) -> np.ndarray:
        """Scores (queries x candidates) of (?, relation, tail)."""
        if self.inverses is not None:
            return self._with_relations(self.inverses).score_tails(tails, relations, candidates)
        E = self.entities if candidates is None else self.entities[candidates]
        r, t = self.relations[relations], self.entities[tails]
        if self.kind == "bilinear":  # Re(<h, r, conj(t)>) = Re(h . (r conj(t)))
            return _real(E @ (r * np.conj(t)).T).T
        if self.kind == "translation":  # -||h + r - t|| = -||h - (t - r)||
            return self._distance(t - r, E)
        # rotation: ||h r - t||^2 = |h|^2 . |r|^2 - 2 Re(h . r conj(t)) + |t|^2, exact for any r
        if self.p != 2:
            return self._norm(E[None, :, :] * r[:, None, :] - t[:, None, :])
        sq = (np.abs(E) ** 2) @ (np.abs(r) ** 2).T - 2 * _real(E @ (r * np.conj(t)).T)
        sq = sq.T + (np.abs(t) ** 2).sum(axis=1)[:, None]
        return self._finish(sq)

    def _with_relations(self, relations: np.ndarray) -> Embeddings:
        return Embeddings(self.model, self.entities, relations, self.p, self.power_norm)

    def _distance(self, q: np.ndarray, E: np.ndarray) -> np.ndarray:
        """-||q_i - E_j||_p for every query i and candidate j."""
        if self.p != 2:
            return self._norm(q[:, None, :] - E[None, :, :])
        sq = ((np.abs(q) ** 2).sum(axis=1)[:, None] - 2 * _real(q @ np.conj(E).T)
              + (np.abs(E) ** 2).sum(axis=1)[None, :])
        return self._finish(sq)

    def _finish(self, squared: np.ndarray) -> np.ndarray:
        squared = np.maximum(squared, 0.0)  # rounding can make a zero distance slightly negative
        return -(squared if self.power_norm else np.sqrt(squared))

    def _norm(self, diff: np.ndarray) -> np.ndarray:
        a = np.abs(diff)
        if self.power_norm:
            return -(a ** self.p).sum(axis=-1)
        return -((a ** self.p).sum(axis=-1) ** (1.0 / self.p))


def _real(x: np.ndarray) -> np.ndarray:
    return x.real if np.iscomplexobj(x) else x
