"""What diagnosis precomputes from the graph, once per store state.

Everything comes from the knowledge base, generically: the diseases are the
subjects of ``om:hasSymptom`` facts, the phenotypes their objects, the
hierarchy the ``skos:broader`` links above and below those phenotypes, the
frequencies the ``om:frequency`` annotations on the facts' evidence. Nothing is
read from HPO's files, so a small knowledge base built in a test gets the
same model as the bundled vocabularies (11,914 diseases, 245,896 annotations,
19k phenotype terms: built in about 10 s, loaded from its cache in a fraction
of a second).

The model holds, as plain numpy arrays (a query needs numpy only, not scipy):

- the disease and term indexes (IRI ↔ row, IRI ↔ column), labels and public
  identifiers, so an explanation reads nothing from the store;
- ``anc``: each term's ancestors, itself included (term × term, CSR);
- ``ann``: the annotations as stated, with the probability read from their
  frequency and the frequency's text (disease × term, CSR);
- ``q``: the frequencies propagated up the hierarchy by the true-path rule,
  ``q[d, a] = 1 − Π (1 − q[d, t])`` over the disease's annotated terms ``t`` at
  or below ``a`` (disease × term, CSC: a query reads columns);
- ``p`` and ``ic``: each term's background probability, the mean of ``q`` over
  the diseases (how often a patient with a disease drawn at random shows it),
  smoothed, and its information content ``−log p``.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyoxigraph as ox

from ... import iri as I
from ...errors import BadInputError
from ...kb.cache import state_cached

if TYPE_CHECKING:
    from ...kb import KnowledgeBase

#: The cache entry's name: bump the version when the pickled model changes shape.
CACHE_NAME = "diagnosis-v1"
#: Bump when the way the model is computed changes (frequencies, propagation,
#: smoothing, the terms it holds): a cached model of another version is rebuilt,
#: even on a store whose files have not changed.
BUILD_VERSION = "2"

#: HPO's frequency classes, each as the middle of the range HPO defines for it
#: (HP:0040280-HP:0040284: obligate 100%, very frequent 80-99%, frequent 30-79%,
#: occasional 5-29%, very rare 1-4%).
NAMED_FREQUENCIES = {
    "obligate": 1.0,
    "very frequent": 0.895,
    "frequent": 0.545,
    "occasional": 0.17,
    "very rare": 0.025,
}
#: An annotation without a frequency. HPO states none for most OMIM annotations:
#: they list a disease's characteristic features, without a count. Halfway
#: between "occasional" and "very frequent" says we do not know, and costs an
#: exact match little (log 0.5 = -0.7 against an information content of 3 to 9).
DEFAULT_FREQUENCY = 0.5
#: No phenotype is certain in a patient: obligate features are missed, recorded
#: late, or coded as a relative. The cap keeps an excluded finding that the
#: disease "always" has from ruling it out (log 0.05 = -3, not -infinity).
MAX_FREQUENCY = 0.95
MIN_FREQUENCY = 0.01
#: Smoothing of the background: a term no disease has gets p = 0.5 / (D + 0.5).
BACKGROUND_PSEUDOCOUNT = 0.5

_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_DEFAULT = ox.DefaultGraph()
_CURIE_PREFIX = {"hpo": "HP", "omim": "OMIM", "orpha": "ORPHA", "decipher": "DECIPHER",
                 "mesh": "MESH", "icd10": "ICD10", "drugbank": "DRUGBANK", "hgnc": "HGNC",
                 "ncbigene": "NCBIGene"}


def frequency_probability(text: str | None) -> float | None:
    """The probability a frequency states, or None when it states none.

    ``"Frequent"`` → 0.545 (HPO's class, the middle of its range); ``"3/7"`` →
    (3 + 0.5) / (7 + 1), shrunk towards one half because most counts are small
    case series (HPO holds 13k annotations of "1/1": one patient, not a
    certainty); ``"40%"`` → 0.4. Always within [0.01, 0.95].
    """
    if text is None:
        return None
    value = text.strip().lower()
    if not value:
        return None
    if value in NAMED_FREQUENCIES:
        q = NAMED_FREQUENCIES[value]
    elif m := _FRACTION.match(value):
        n, total = int(m.group(1)), int(m.group(2))
        if total == 0 or n > total:
            return None
        q = (n + 0.5) / (total + 1.0)
    elif m := _PERCENT.match(value):
        q = float(m.group(1)) / 100.0
    else:
        return None
    return min(max(q, MIN_FREQUENCY), MAX_FREQUENCY)


def curie(iri: str) -> str | None:
    """``http://purl.obolibrary.org/obo/HP_0001945`` → ``HP:0001945`` (None for other IRIs)."""
    found = I.identifier_from_iri(iri)
    if found is None:
        return None
    scheme, value = found
    return f"{_CURIE_PREFIX.get(scheme, scheme.upper())}:{value}"


@dataclass
class Sparse:
    """A compressed sparse matrix as three numpy arrays (CSR by rows, or CSC by columns)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    def slice(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[i], self.indptr[i + 1]
        return self.indices[start:end], self.data[start:end]

    def get(self, i: int, j: int) -> float:
        """The entry at (i, j) of a matrix with sorted indices; 0.0 when absent."""
        start, end = self.indptr[i], self.indptr[i + 1]
        k = start + int(np.searchsorted(self.indices[start:end], j))
        return float(self.data[k]) if k < end and self.indices[k] == j else 0.0

    def has(self, i: int, j: int) -> bool:
        start, end = self.indptr[i], self.indptr[i + 1]
        k = start + int(np.searchsorted(self.indices[start:end], j))
        return bool(k < end and self.indices[k] == j)

    @classmethod
    def from_scipy(cls, m: Any, dtype: Any = np.float32) -> Sparse:
        m.sort_indices()
        return cls(m.indptr.astype(np.int64), m.indices.astype(np.int32), m.data.astype(dtype))


@dataclass
class DiagnosisModel:
    """The precomputed model (see the module's docstring). Built by :func:`build_model`."""

    disease_iris: list[str]
    disease_labels: list[str]
    disease_ids: list[tuple[str, ...]]
    term_iris: list[str]
    term_labels: list[str]
    term_hpo: list[str | None]
    anc: Sparse          # term × term, ancestors and the term itself (CSR, data: 1)
    ann: Sparse          # disease × term, stated annotations (CSR, data: probability)
    ann_text: list[str | None]  # the frequency as stated, aligned with ann.data
    q: Sparse            # disease × term, propagated probability (CSC)
    p: np.ndarray        # background probability per term
    ic: np.ndarray       # information content per term
    content_key: str = ""
    version: str = BUILD_VERSION
    built_at: float = 0.0
    build_seconds: float = 0.0
    _derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_derived"] = {}
        return state

    # -- indexes ----------------------------------------------------------------
    @property
    def n_diseases(self) -> int:
        return len(self.disease_iris)

    @property
    def n_terms(self) -> int:
        return len(self.term_iris)

    @property
    def term_index(self) -> dict[str, int]:
        if "term_index" not in self._derived:
            self._derived["term_index"] = {iri: i for i, iri in enumerate(self.term_iris)}
        return self._derived["term_index"]

    @property
    def disease_index(self) -> dict[str, int]:
        if "disease_index" not in self._derived:
            self._derived["disease_index"] = {iri: i for i, iri in enumerate(self.disease_iris)}
        return self._derived["disease_index"]

    @property
    def diseases_with_term(self) -> np.ndarray:
        """How many diseases have each term (stated or below it): for choosing between
        entities one name could mean."""
        if "diseases_with_term" not in self._derived:
            self._derived["diseases_with_term"] = np.diff(self.q.indptr)
        return self._derived["diseases_with_term"]

    @property
    def annotation_counts(self) -> np.ndarray:
        """Stated annotations per disease."""
        if "annotation_counts" not in self._derived:
            self._derived["annotation_counts"] = np.diff(self.ann.indptr)
        return self._derived["annotation_counts"]

    def ancestors(self, term: int) -> np.ndarray:
        """The term's ancestors, itself included (sorted column numbers)."""
        return self.anc.slice(term)[0]

    def is_ancestor(self, ancestor: int, term: int) -> bool:
        """Is ``ancestor`` the term or one of its ancestors?"""
        return self.anc.has(term, ancestor)

    def related(self, a: int, b: int) -> bool:
        """Is one term the other, or above it?"""
        return a == b or self.anc.has(a, b) or self.anc.has(b, a)

    def info(self) -> dict[str, Any]:
        return {"diseases": self.n_diseases, "terms": self.n_terms,
                "annotations": int(self.ann.indices.size), "content_key": self.content_key,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.built_at)),
                "build_seconds": round(self.build_seconds, 2)}


# -- reading the graph -----------------------------------------------------------

def content_key(kb: KnowledgeBase) -> str:
    """What the model reads, counted: hasSymptom facts and their evidence nodes,
    skos:broader links, om:frequency annotations (single-pattern counts: 0.3 s on
    the full vocabularies). A change of label or identifier keeps the key: use
    ``refresh`` to see it in explanations."""
    queries = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?d om:hasSymptom ?p }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a owl:annotatedProperty om:hasSymptom }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?c skos:broader ?p }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a om:frequency ?f }",
    )
    counts = [next(iter(kb.select(q)))[0].value for q in queries]
    return ",".join(counts)


def _annotations(kb: KnowledgeBase) -> dict[tuple[str, str], tuple[float | None, str | None]]:
    """(disease, phenotype) → (probability, frequency as stated) of every asserted
    hasSymptom fact. Of several stated frequencies (a disease merged from OMIM and
    Orphanet says "9/9" and "Frequent") the highest counts; none stated: (None, None)."""
    found: dict[tuple[str, str], tuple[float | None, str | None]] = {}
    for q in kb.quads(None, ox.NamedNode(I.OM + "hasSymptom"), None, _DEFAULT):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            found[(q.subject.value, q.object.value)] = (None, None)
    rows = kb.select("""SELECT ?s ?o ?f WHERE {
        ?a owl:annotatedProperty om:hasSymptom ; owl:annotatedSource ?s ;
           owl:annotatedTarget ?o ; om:frequency ?f }""")
    for row in rows:
        key = (row[0].value, row[1].value)
        if key not in found:
            continue  # evidence of a fact no longer asserted
        text = row[2].value
        prob = frequency_probability(text)
        held = found[key][0]
        if prob is not None and (held is None or prob > held):
            found[key] = (prob, text)
    return found


def _broader(kb: KnowledgeBase) -> dict[str, list[str]]:
    parents: dict[str, list[str]] = defaultdict(list)
    for q in kb.quads(None, ox.NamedNode(I.SKOS + "broader"), None, _DEFAULT):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode) \
                and q.subject != q.object:
            parents[q.subject.value].append(q.object.value)
    return parents


def _closure(start: Iterable[str], links: dict[str, list[str]]) -> set[str]:
    seen = set(start)
    stack = list(seen)
    while stack:
        for nxt in links.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _labels_and_ids(kb: KnowledgeBase, wanted: set[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    labels: dict[str, tuple[int, str]] = {}
    for q in kb.quads(None, ox.NamedNode(I.RDFS + "label"), None, _DEFAULT):
        s = q.subject.value
        if s not in wanted or not isinstance(q.object, ox.Literal):
            continue
        lang = q.object.language
        rank = 0 if lang == "en" else 1 if not lang else 2
        if s not in labels or rank < labels[s][0]:
            labels[s] = (rank, q.object.value)
    ids: dict[str, list[str]] = defaultdict(list)
    for q in kb.quads(None, ox.NamedNode(I.SKOS + "exactMatch"), None, _DEFAULT):
        s = q.subject.value
        if s in wanted and isinstance(q.object, ox.NamedNode):
            c = curie(q.object.value)
            if c is not None:
                ids[s].append(c)
    tail = lambda iri: iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]  # noqa: E731
    return ({iri: labels[iri][1] if iri in labels else tail(iri) for iri in wanted},
            {iri: sorted(v) for iri, v in ids.items()})


def _ancestor_lists(terms: list[str], index: dict[str, int],
                    parents: dict[str, list[str]]) -> list[list[int]]:
    """Each term's ancestors and itself, by column; a cycle in the links is cut where it closes."""
    memo: dict[int, set[int]] = {}

    def up(t: int, path: set[int]) -> set[int]:
        if t in memo:
            return memo[t]
        out = {t}
        path.add(t)
        for parent in parents.get(terms[t], ()):
            j = index.get(parent)
            if j is not None and j not in path:
                out |= up(j, path)
        path.discard(t)
        memo[t] = out
        return out

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        return [sorted(up(t, set())) for t in range(len(terms))]
    finally:
        sys.setrecursionlimit(limit)


def build_model(kb: KnowledgeBase) -> DiagnosisModel:
    """Read the graph and compute the model (about 10 s on the full vocabularies)."""
    import scipy.sparse as sp

    started = time.perf_counter()
    key = content_key(kb)
    annotations = _annotations(kb)
    if not annotations:
        raise BadInputError("the knowledge base holds no disease phenotypes (om:hasSymptom facts) "
                            "to diagnose from; import them with: ontomed vocab import")
    parents = _broader(kb)
    children: dict[str, list[str]] = defaultdict(list)
    for child, ps in parents.items():
        for parent in ps:
            children[parent].append(child)
    used = {p for _, p in annotations}
    # The terms: every phenotype an annotation uses, everything above it (a finding
    # matches through its ancestors), and everything below those: a clinician may name
    # a term no disease is annotated with, which then matches through its ancestors.
    term_set = _closure(_closure(used, parents), children)
    diseases = sorted({d for d, _ in annotations})
    terms = sorted(term_set)
    d_index = {iri: i for i, iri in enumerate(diseases)}
    t_index = {iri: i for i, iri in enumerate(terms)}
    labels, ids = _labels_and_ids(kb, set(diseases) | term_set)

    # stated annotations
    items = sorted(((d_index[d], t_index[p], prob, text) for (d, p), (prob, text) in annotations.items()))
    rows = np.fromiter((r for r, _, _, _ in items), dtype=np.int64, count=len(items))
    cols = np.fromiter((c for _, c, _, _ in items), dtype=np.int64, count=len(items))
    probs = np.fromiter((DEFAULT_FREQUENCY if p is None else p for _, _, p, _ in items),
                        dtype=np.float64, count=len(items))
    n_d, n_t = len(diseases), len(terms)
    ann = sp.csr_matrix((probs, (rows, cols)), shape=(n_d, n_t))  # rows/cols unique: no summing
    ann_text = [text for _, _, _, text in items]  # items are in CSR order already

    # ancestors (term × term)
    anc_lists = _ancestor_lists(terms, t_index, parents)
    anc_ptr = np.zeros(n_t + 1, dtype=np.int64)
    anc_ptr[1:] = np.cumsum([len(a) for a in anc_lists])
    anc_idx = np.fromiter((j for a in anc_lists for j in a), dtype=np.int32, count=int(anc_ptr[-1]))
    anc = sp.csr_matrix((np.ones(anc_idx.size, dtype=np.float32), anc_idx, anc_ptr), shape=(n_t, n_t))

    # true-path propagation: log(1 - q) adds up over the annotated terms at or below a term
    log_miss = ann.copy()
    log_miss.data = np.log1p(-np.minimum(log_miss.data, MAX_FREQUENCY))
    propagated = (log_miss @ anc).tocsc()
    propagated.data = np.minimum(-np.expm1(propagated.data), MAX_FREQUENCY)
    propagated.eliminate_zeros()
    background = (np.asarray(propagated.sum(axis=0)).ravel() + BACKGROUND_PSEUDOCOUNT) / (
        n_d + BACKGROUND_PSEUDOCOUNT)
    background = np.minimum(background, 1.0)
    return DiagnosisModel(
        disease_iris=diseases,
        disease_labels=[labels[d] for d in diseases],
        disease_ids=[tuple(ids.get(d, ())) for d in diseases],
        term_iris=terms,
        term_labels=[labels[t] for t in terms],
        term_hpo=[next((c for c in ids.get(t, ()) if c.startswith("HP:")), None) for t in terms],
        anc=Sparse.from_scipy(anc),
        ann=Sparse.from_scipy(ann, np.float64),
        ann_text=ann_text,
        q=Sparse.from_scipy(propagated),
        p=background.astype(np.float64),
        ic=(-np.log(background)).astype(np.float32),
        content_key=key,
        version=BUILD_VERSION,
        built_at=time.time(),
        build_seconds=time.perf_counter() - started,
    )


def diagnosis_model(kb: KnowledgeBase, *, refresh: bool = False,
                    notify: Callable[[str], None] | None = None) -> DiagnosisModel:
    """The model for the knowledge base as it is now: from this process's memory, from
    ``KB/cache/diagnosis-v1.pickle``, or built (and cached) when the data it reads changed.
    ``notify`` hears a line when a build starts (they take seconds)."""

    def build(k: KnowledgeBase) -> DiagnosisModel:
        if notify is not None:
            notify("building the diagnosis model for this store state (once; 15-30 s on the "
                   "full vocabularies)")
        return build_model(k)

    model = state_cached(kb, CACHE_NAME, content_key=content_key, build=build, refresh=refresh)
    if vars(model).get("version") != BUILD_VERSION:  # built by another version of this code
        model = state_cached(kb, CACHE_NAME, content_key=content_key, build=build, refresh=True)
    return model


def prepare(kb: KnowledgeBase, notify: Callable[[str], None] | None = None) -> bool:
    """Build and cache the model now if the knowledge base has phenotype annotations (for a
    server, whose query workers open the store read-only and could not keep what they build);
    False when there is nothing to diagnose from."""
    if not kb.ask("ASK { ?d om:hasSymptom ?p }"):
        return False
    diagnosis_model(kb, notify=notify)
    return True
