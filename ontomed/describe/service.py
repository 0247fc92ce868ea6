"""Describing entities in words: the template text, or a generator's text checked (architecture.md §7).

What ``ontomed describe``, ``ontomed generate``, the ``/verbalize`` route,
entity pages and the benchmark call. A generated description is always
checked (:mod:`ontomed.describe.faithfulness`) before anyone sees it, and when the
generator's model cannot be loaded the template text stands in, with a note
saying why, rather than an error: the facts are still there to read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import BadInputError
from .faithfulness import CheckedText, check_batch
from ..kb.names import resolve_entity
from .verbalize import DEFAULT_LIMIT, Description, Verbalizer, check_lang

if TYPE_CHECKING:
    from ..components import TextGenerator
    from ..kb import KnowledgeBase

DEFAULT_GENERATOR = "transformer"
MODES = ("template", "generate")
#: Generated descriptions kept by :func:`describe_cached`.
CACHE_SIZE = 256


@dataclass(frozen=True)
class Generated:
    """One entity's generated description after the check.

    ``checked`` is None when the template text stands in for the generator's
    (``note`` says why: the model is not installed, say).
    """

    description: Description
    checked: CheckedText | None
    generator: str
    model: str | None = None
    note: str | None = None

    @property
    def text(self) -> str:
        return self.checked.text if self.checked is not None else self.description.text

    def to_dict(self) -> dict[str, Any]:
        d = self.description
        out: dict[str, Any] = {"entity": d.entity, "label": d.label, "lang": d.lang, "mode": "generate",
                               "generator": self.generator, "model": self.model, "text": self.text,
                               "template": d.text, "note": self.note}
        if self.checked is not None:
            report = self.checked.to_dict()
            del report["text"]
            out.update(report)
        else:
            out.update({"generated": None, "supported": 0, "total": 0, "replaced": 0, "dropped": 0,
                        "repeats": 0, "added": 0, "printed": None, "facts": len(d.statements),
                        "facts_stated": 0, "summary": None, "sentences": []})
        return out


def describe_entities(kb: KnowledgeBase, names: Sequence[str], *, lang: str = "en",
                      limit: int | None = DEFAULT_LIMIT) -> list[Description]:
    """Template descriptions of entities given by IRI, label or synonym."""
    check_lang(lang)
    verbalizer = Verbalizer(kb)
    return [verbalizer.describe(resolve_entity(kb, name), lang, limit=limit) for name in names]


def text_generator(name: str | None = None) -> TextGenerator:
    """A registered text generator by id (default: the Transformer generator)."""
    from ..plugins import get_text_generators

    generators = get_text_generators()
    chosen = name or DEFAULT_GENERATOR
    if chosen not in generators:
        raise BadInputError(f"no text generator {chosen!r} (installed: {', '.join(sorted(generators)) or 'none'})")
    return generators[chosen]


def generate_descriptions(kb: KnowledgeBase, descriptions: Sequence[Description], *,
                          generator: str | TextGenerator | None = None, **options: Any) -> list[Generated]:
    """Have a generator write each description (one batch), then check every sentence.

    ``options`` go to the generator (``model``, ``device``, ``threads``,
    ``batch_size``, ``max_new_tokens`` for the Transformer generator).
    """
    from .generators.language_models import ModelUnavailableError

    gen = text_generator(generator) if generator is None or isinstance(generator, str) else generator
    gen.setup(kb)
    model = options.get("model")
    try:
        texts = gen.generate_batch(list(descriptions), **options)
    except ModelUnavailableError as exc:
        return [Generated(d, None, gen.id, str(model) if model else None, f"{exc}; showing the template text")
                for d in descriptions]
    if len(texts) != len(descriptions):
        raise BadInputError(f"text generator {gen.id!r} returned {len(texts)} texts for "
                            f"{len(descriptions)} descriptions")
    name = _model_name(gen, model)
    return [Generated(d, c, gen.id, name) for d, c in zip(descriptions, check_batch(kb, descriptions, texts))]


def _model_name(gen: TextGenerator, model: Any) -> str | None:
    if model:
        return str(model)
    default = getattr(gen, "model", None)
    if default:
        return str(default)
    if gen.id == DEFAULT_GENERATOR:
        from .generators.language_models import DEFAULT_MODEL

        return DEFAULT_MODEL
    return None


def neighbourhood_query(entity: str) -> str:
    """A SPARQL CONSTRUCT of everything a description of ``entity`` reads.

    ``entity`` is an IRI (or ``ome:slug``) or a label or synonym (matched
    case-insensitively). The graph holds the entity's own triples, its incoming
    facts, the evidence nodes of its facts, its neighbours' labels, synonyms and
    types, and every object property's labels, templates, inverse and type:
    loaded into an empty knowledge base it describes ``entity`` exactly as the
    whole one does. For a process that cannot open the store itself (the web
    app, whose worker processes hold it).
    """
    import pyoxigraph as ox

    from .. import iri as I

    text = entity.strip()
    if I.is_iri(text) or text.startswith("ome:"):
        match = f"VALUES ?e {{ {ox.NamedNode(I.entity_iri(text))} }}"
    else:
        match = (f"?e rdfs:label|skos:altLabel ?name "
                 f"FILTER(isIRI(?e) && LCASE(STR(?name)) = LCASE({ox.Literal(text)}))")
    return f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{
    {{ SELECT DISTINCT ?e WHERE {{ {match} }} }}
    {{ ?e ?p ?o BIND(?e AS ?s) }}
    UNION {{ ?s ?p ?e FILTER(isIRI(?s)) BIND(?e AS ?o) }}
    UNION {{ ?s owl:annotatedSource|owl:annotatedTarget ?e . ?s ?p ?o }}
    UNION {{ {{ ?e ?r ?s }} UNION {{ ?s ?r ?e }} ?r a owl:ObjectProperty .
             ?s ?p ?o FILTER(?p IN (rdfs:label, skos:altLabel, rdf:type)) }}
  }} UNION {{
    ?s a owl:ObjectProperty ; ?p ?o FILTER(?p IN (rdf:type, rdfs:label, om:template, om:templatePlural,
                                                  owl:inverseOf))
  }}
}}"""


# -- cached, for pages and the web route ------------------------------------------

_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_cache_lock = threading.Lock()


def describe_cached(kb: KnowledgeBase, entity: str, *, mode: str = "template", lang: str = "en",
                    limit: int | None = DEFAULT_LIMIT, generator: str | None = None,
                    **options: Any) -> dict[str, Any]:
    """An entity's description as JSON-ready values, for a page or an API.

    ``mode="template"`` is computed each time (milliseconds). ``mode="generate"``
    runs the generator once per distinct input and remembers the checked result,
    keyed by the generator, its options and the template description itself, so a
    change to the entity's facts or labels is a new key (never a stale answer).
    A model that cannot be loaded gives the template text with a ``note``.
    """
    if mode not in MODES:
        raise BadInputError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    description = describe_entities(kb, [entity], lang=lang, limit=limit)[0]
    if mode == "template":
        return {"mode": "template", **description.to_dict()}
    key = (generator or DEFAULT_GENERATOR, tuple(sorted((k, str(v)) for k, v in options.items())),
           description.lang, description.text, tuple(st.triple for st in description.statements))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    result = generate_descriptions(kb, [description], generator=generator, **options)[0].to_dict()
    if result["note"]:  # the model may be installed later: do not remember its absence
        return result
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
