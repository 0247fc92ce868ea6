"""Drug repurposing by link prediction (architecture.md §9): ``ontomed repurpose train`` / ``predict``.

A knowledge graph embedding model (PyKEEN: ComplEx, RotatE, TransE or
DistMult) learns the knowledge base's facts between entities; it then ranks
the links the graph does not hold yet, such as the diseases a drug may treat,
each with up to three paths of the graph that support it.

>>> from ontomed.apps.repurposing import train, predict
>>> report = train(kb)                       # minutes; saved in KB/models/repurposing/
>>> answer = predict(kb, drug="metformin")   # well under a second once loaded
>>> answer.to_dict()

The modules, in the order data flows: :mod:`.triples` (facts → integer
triples), :mod:`.training` (PyKEEN), :mod:`.scoring` and :mod:`.evaluation`
(ranks from the embeddings, numpy), :mod:`.saved` (the model beside the
knowledge base), :mod:`.paths` (supporting paths by SPARQL) and
:mod:`.prediction`. torch and PyKEEN are imported inside the functions that
train and save, so importing this package, or predicting, imports neither.
"""

from __future__ import annotations

from .evaluation import RankMetrics
from .paths import EntityRef, PathStep, SupportingPath
from .prediction import Candidate, Prediction, predict
from .saved import NoModelError
from .training import MODELS, MissingExtraError, Settings, TrainingReport, train

__all__ = [
    "MODELS",
    "Candidate",
    "EntityRef",
    "MissingExtraError",
    "NoModelError",
    "PathStep",
    "Prediction",
    "RankMetrics",
    "Settings",
    "SupportingPath",
    "TrainingReport",
    "predict",
    "train",
]

