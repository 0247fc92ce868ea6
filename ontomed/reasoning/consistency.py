"""Consistency checking with HermiT, and explanations a person can act on (architecture.md §4).

HermiT (shipped with owlready2) answers one bit: consistent or not. A person
needs to know *which* entities and *which* axioms clash, so :func:`check`
adds that itself, in two steps:

1. A pattern pass over the store (:func:`find_clashes`). In this ontology an
   inconsistency can only come from an individual that falls into two
   disjoint classes, through its asserted types and the types that domains,
   ranges, inverse, symmetric and sub-properties and the subclass hierarchy
   give it. The disjointness, domains and ranges are read from the store, not
   hard-coded, so extensions of the ontology are covered. Each clash names the
   assertions and axioms that produce it.
2. HermiT runs again without the assertions step 1 blamed. When it still says
   "inconsistent" the cause is something the patterns do not know (``owl:sameAs``
   between a drug and a gene, an axiom from an imported ontology), and a
   bounded QuickXplain search, re-running HermiT on subsets of the individuals'
   assertions, narrows it down to a small set of assertions that clash on
   their own. That part cannot name the axiom, and says so.

A consistent knowledge base costs one HermiT run; explanations cost at most
:data:`MAX_EXPLANATION_RUNS` more, and only when something is wrong.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .. import iri as I
from ..errors import BadInputError, ReasonerError
from ..kb.export import protege_triples

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

#: Java heap for HermiT when the caller does not say (owlready2's own default).
DEFAULT_MEMORY_MB = 2000
#: Extra HermiT runs an explanation may cost on top of the first check.
MAX_EXPLANATION_RUNS = 12
#: Assertions listed per problem; the rest are counted, not listed.
MAX_LISTED = 20

_RDF_TYPE = ox.NamedNode(I.RDF + "type")
_NAMED_INDIVIDUAL = ox.NamedNode(I.OWL + "NamedIndividual")
_OWL_AXIOM = ox.NamedNode(I.OWL + "Axiom")
_OWL_IMPORTS = ox.NamedNode(I.OWL + "imports")
_OWL_NOTHING = I.OWL + "Nothing"
_DEFAULT = ox.DefaultGraph()
#: Annotation properties OWL builds in; those the store declares are added to these.
_BUILTIN_ANNOTATIONS = frozenset(
    [I.RDFS + n for n in ("label", "comment", "seeAlso", "isDefinedBy")]
    + [I.OWL + n for n in ("versionInfo", "deprecated", "priorVersion",
                           "backwardCompatibleWith", "incompatibleWith")]
)


# --- the report ----------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One cause of an inconsistency, in words and as the statements behind it.

    ``entities`` are full IRIs (individuals first, then classes) so a program
    can act on them; ``axioms`` are short human-readable statements, the
    knowledge base's assertions (``ome:x om:treats ome:y``, ``ome:x a om:Gene``)
    and the ontology axioms they meet (``om:treats range om:Disease``).
    """

    message: str
    entities: tuple[str, ...]
    axioms: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "entities": list(self.entities),
                "axioms": list(self.axioms)}


@dataclass(frozen=True)
class ConsistencyReport:
    """What one :func:`check` found, and what it cost.

    ``triples`` counts what HermiT was given: the ontology and the asserted
    facts, without annotations (labels, evidence), which carry no logical
    meaning and would only slow it down. ``unsatisfiable_classes`` is only
    known for a consistent knowledge base (in an inconsistent one every class
    is unsatisfiable). ``reasoner_runs`` says how often HermiT ran, explanations
    included.
    """

    consistent: bool
    reasoner: str
    seconds: float
    individuals: int
    triples: int
    unsatisfiable_classes: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    reasoner_runs: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "consistent": self.consistent,
            "reasoner": self.reasoner,
            "seconds": round(self.seconds, 3),
            "individuals": self.individuals,
            "triples": self.triples,
            "unsatisfiable_classes": list(self.unsatisfiable_classes),
            "problems": [p.to_dict() for p in self.problems],
            "reasoner_runs": self.reasoner_runs,
        }


def check(kb: KnowledgeBase, *, explain: bool = True, memory_mb: int | None = None) -> ConsistencyReport:
    """Run HermiT over the ontology plus the knowledge base (default graph).

    An inconsistency is a finding, reported in the result; a reasoner that
    cannot run (no Java, out of memory) raises :class:`ReasonerError`, so a
    caller never mistakes a crash for a verdict. ``explain=False`` skips the
    explanation runs. ``memory_mb`` is the Java heap given to HermiT.
    """
    started = time.perf_counter()
    hermit = _Hermit(memory_mb)
    triples = _reasoner_input(kb)
    consistent, unsatisfiable = hermit.run(triples)
    problems: tuple[Problem, ...] = ()
    if not consistent and explain:
        problems = _explain(kb, triples, hermit)
    return ConsistencyReport(
        consistent=consistent,
        reasoner=hermit.name,
        seconds=time.perf_counter() - started,
        individuals=len({t.subject for t in triples
                         if t.predicate == _RDF_TYPE and t.object == _NAMED_INDIVIDUAL}),
        triples=len(triples),
        unsatisfiable_classes=unsatisfiable,
        problems=problems,
        reasoner_runs=hermit.runs,
    )


def _reasoner_input(kb: KnowledgeBase) -> list[ox.Triple]:
    """The Protégé export without what cannot change a verdict.

    Annotations (labels, synonyms, evidence axiom nodes) are most of a real
    knowledge base and mean nothing to a reasoner; ``owl:imports`` is dropped
    so that owlready2 never goes to the network.
    """
    axiom_nodes = {q.subject for q in kb.quads(None, _RDF_TYPE, _OWL_AXIOM, _DEFAULT)}
    annotations = set(_BUILTIN_ANNOTATIONS) | {
        q.subject.value for q in kb.quads(
            None, _RDF_TYPE, ox.NamedNode(I.OWL + "AnnotationProperty"), _DEFAULT)
    }
    return [
        t for t in protege_triples(kb)
        if t.subject not in axiom_nodes
        and t.predicate.value not in annotations
        and t.predicate != _OWL_IMPORTS
    ]


# --- running HermiT -------------------------------------------------------------
class _Hermit:
    """HermiT through owlready2: a fresh world per run, quiet, with a fixed heap."""

    def __init__(self, memory_mb: int | None) -> None:
        import owlready2

        if memory_mb is not None and memory_mb <= 0:
            raise BadInputError(f"memory_mb must be a positive number of megabytes, not {memory_mb}")
        self.memory_mb = memory_mb or DEFAULT_MEMORY_MB
        self.name = f"HermiT (owlready2 {owlready2.VERSION})"
        self.runs = 0
        if shutil.which(owlready2.JAVA_EXE) is None:  # say so before any work is done
            raise ReasonerError(
                f"Java was not found (looked for {owlready2.JAVA_EXE!r}); HermiT needs a Java "
                "runtime: install one (e.g. apt install default-jre-headless) or put java on PATH"
            )

    def run(self, triples: Sequence[ox.Triple]) -> tuple[bool, tuple[str, ...]]:
        """(consistent, unsatisfiable class IRIs) for these triples."""
        import owlready2
        import owlready2.reasoning

        self.runs += 1
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        world = _world_class()()
        previous = owlready2.reasoning.JAVA_MEMORY
        owlready2.reasoning.JAVA_MEMORY = self.memory_mb
        try:
            try:
                world.get_ontology(I.ONTOLOGY).load(fileobj=io.BytesIO(data))
            except owlready2.OwlReadyError as exc:
                raise ReasonerError(f"owlready2 could not read the knowledge base: {_first_line(str(exc))}") from None
            try:
                # debug=0: owlready2 prints nothing and captures HermiT's output. A
                # datatype HermiT does not know (in some imported data) is not worth
                # failing a whole check over: ignore it rather than crash.
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                               ignore_unsupported_datatypes=True)
            except owlready2.OwlReadyInconsistentOntologyError:
                return False, ()
            except owlready2.OwlReadyJavaError as exc:
                raise ReasonerError(self._java_failure(str(exc))) from None
            except OSError as exc:
                raise ReasonerError(f"cannot start Java ({owlready2.JAVA_EXE}): {exc.strerror or exc}") from None
            unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c.iri != _OWL_NOTHING)
            return True, tuple(unsatisfiable)
        finally:
            owlready2.reasoning.JAVA_MEMORY = previous
            world.discard_reasoner_file()
            world.close()

    def _java_failure(self, output: str) -> str:
        if "OutOfMemoryError" in output or "heap" in output.lower():
            return (f"HermiT ran out of memory with a {self.memory_mb} MB Java heap; "
                    "give it more (ontomed check --memory MB)")
        lines = [ln.strip() for ln in output.splitlines()
                 if ln.strip() and not ln.startswith("Java error message is")]
        cause = next((ln for ln in lines if "Exception" in ln or "Error" in ln), lines[0] if lines else "")
        return f"HermiT failed: {cause or 'Java exited with an error and no message'}"


@functools.cache
def _world_class() -> type:
    """owlready2's World, taught to clean up after HermiT (built on first use: lazy import)."""
    import owlready2

    class World(owlready2.World):
        """A throwaway owlready2 world that remembers the file it writes for HermiT.

        owlready2 deletes that temporary file only when HermiT says
        "consistent"; an inconsistent (or failed) run leaves it behind, one
        copy of the knowledge base per run.
        """

        reasoner_file: str | None = None

        def save(self, file: Any = None, format: str = "rdfxml", **kwargs: Any) -> Any:
            if isinstance(getattr(file, "name", None), str):
                self.reasoner_file = file.name
            return super().save(file, format, **kwargs)

        def discard_reasoner_file(self) -> None:
            if self.reasoner_file and os.path.exists(self.reasoner_file):
                os.unlink(self.reasoner_file)

    return World


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), text)


# --- explanations ----------------------------------------------------------------
def _explain(kb: KnowledgeBase, triples: list[ox.Triple], hermit: _Hermit) -> tuple[Problem, ...]:
    """Pattern clashes first (cheap, precise); HermiT then says whether they are
    the whole story, and the black-box search looks for the rest."""
    clashes = _clashes(kb)
    problems = [c.problem() for c in clashes]
    remaining = triples
    budget = _Budget(hermit, MAX_EXPLANATION_RUNS)
    if clashes:
        blamed = set().union(*(c.triples for c in clashes))
        remaining = [t for t in triples if t not in blamed]
        if budget.consistent(remaining) is not False:
            return tuple(problems)  # the patterns explain everything (or we cannot tell more)
    problems.append(_localise(remaining, budget, _unmodelled(kb)))
    return tuple(problems)


class _Budget:
    """HermiT runs for explanations, at most ``runs`` of them; None once spent."""

    def __init__(self, hermit: _Hermit, runs: int) -> None:
        self.hermit, self.left, self.spent = hermit, runs, False

    def consistent(self, triples: Sequence[ox.Triple]) -> bool | None:
        if self.left <= 0:
            self.spent = True
            return None
        self.left -= 1
        return self.hermit.run(triples)[0]


# The pattern pass: who falls into two disjoint classes, and why.
@dataclass(frozen=True)
class _Reason:
    """One way an individual gets a class: an assertion plus the axioms that carry it."""

    member: str            # the disjoint class reached
    via: str               # the class the assertion gives directly
    assertion: ox.Triple
    role: str              # "type", "subject" or "object"
    axioms: tuple[str, ...]


#: property → [(class the subject or object gets, the axioms that say so)]
_Rules = dict[str, list[tuple[str, tuple[str, ...]]]]


class _Schema:
    """Disjointness, class hierarchy and property typing rules, read from the store."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.disjoint: dict[frozenset[str], str] = {}
        self._read_disjointness(kb)
        members = {c for pair in self.disjoint for c in pair}
        self.above = self._classes_above(kb, members)
        self.subject_rules, self.object_rules = self._property_rules(kb)

    def _read_disjointness(self, kb: KnowledgeBase) -> None:
        for row in kb.select("""
            SELECT ?a ?b WHERE { ?a owl:disjointWith ?b FILTER(isIRI(?a) && isIRI(?b)) }"""):
            a, b = row["a"].value, row["b"].value
            self.disjoint.setdefault(frozenset((a, b)), f"{_show_iri(a)} disjointWith {_show_iri(b)}")
        for row in kb.select("SELECT ?axiom ?list WHERE { ?axiom a owl:AllDisjointClasses ; owl:members ?list }"):
            members = [m for m in _rdf_list(kb, row["list"]) if isinstance(m, ox.NamedNode)]
            text = "DisjointClasses: " + ", ".join(_show_iri(m.value) for m in members)
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    if a != b:
                        self.disjoint.setdefault(frozenset((a.value, b.value)), text)

    @staticmethod
    def _classes_above(kb: KnowledgeBase, members: set[str]) -> dict[str, dict[str, tuple[str, ...]]]:
        """class → {disjoint class it falls under: the subClassOf axioms that say so}."""
        below: dict[str, list[tuple[str, str]]] = {}  # superclass → [(subclass, axiom)]
        for row in kb.select("""
            SELECT ?sub ?sup ?rel WHERE {
              { ?sub rdfs:subClassOf ?sup BIND("subClassOf" AS ?rel) }
              UNION { ?sub owl:equivalentClass ?sup BIND("equivalentTo" AS ?rel) }
              UNION { ?sup owl:equivalentClass ?sub BIND("equivalentTo" AS ?rel) }
              FILTER(isIRI(?sub) && isIRI(?sup) && ?sub != ?sup)
            }"""):
            sub, sup, rel = (row[v].value for v in ("sub", "sup", "rel"))
            below.setdefault(sup, []).append((sub, f"{_show_iri(sub)} {rel} {_show_iri(sup)}"))
        above: dict[str, dict[str, tuple[str, ...]]] = {}
        for member in members:  # walk down from each disjoint class, shortest chains first
            paths: dict[str, tuple[str, ...]] = {member: ()}
            frontier = [member]
            while frontier:
                nxt = []
                for cls in frontier:
                    for sub, axiom in below.get(cls, ()):
                        if sub not in paths:
                            paths[sub] = (axiom, *paths[cls])
                            nxt.append(sub)
                frontier = nxt
            for cls, path in paths.items():
                above.setdefault(cls, {})[member] = path
        return above

    def _property_rules(self, kb: KnowledgeBase) -> tuple[_Rules, _Rules]:
        """property → [(class its subject / object gets, axioms)], closed under
        inverses, symmetry and sub-properties."""
        rules: dict[tuple[str, str, str], tuple[str, ...]] = {}  # (property, side, class) → axioms
        links: list[tuple[str, str, str, str]] = []  # (property, derived from, how, axiom text)
        for row in kb.select("""
            SELECT ?p ?rel ?o WHERE {
              ?p a owl:ObjectProperty .
              { ?p rdfs:domain ?o BIND("domain" AS ?rel) } UNION { ?p rdfs:range ?o BIND("range" AS ?rel) }
              UNION { ?p owl:inverseOf ?o BIND("inverseOf" AS ?rel) }
              UNION { ?o owl:inverseOf ?p BIND("inverseOf-" AS ?rel) }
              UNION { ?p rdfs:subPropertyOf ?o BIND("subPropertyOf" AS ?rel) }
              UNION { ?p a owl:SymmetricProperty BIND(?p AS ?o) BIND("symmetric" AS ?rel) }
              FILTER(isIRI(?o))
            }"""):
            p, rel, o = (row[v].value for v in ("p", "rel", "o"))
            if rel == "domain":
                rules.setdefault((p, "subject", o), (f"{_show_iri(p)} domain {_show_iri(o)}",))
            elif rel == "range":
                rules.setdefault((p, "object", o), (f"{_show_iri(p)} range {_show_iri(o)}",))
            elif rel == "inverseOf":
                links.append((p, o, "flip", f"{_show_iri(p)} inverseOf {_show_iri(o)}"))
            elif rel == "inverseOf-":
                links.append((p, o, "flip", f"{_show_iri(o)} inverseOf {_show_iri(p)}"))
            elif rel == "subPropertyOf":
                links.append((p, o, "keep", f"{_show_iri(p)} subPropertyOf {_show_iri(o)}"))
            else:
                links.append((p, p, "flip", f"{_show_iri(p)} is symmetric"))
        changed = True
        while changed:  # a fixpoint: the rule set is finite (properties × 2 × classes)
            changed = False
            for p, source, how, axiom in links:
                for (q, side, cls), axioms in list(rules.items()):
                    if q != source:
                        continue
                    new_side = side if how == "keep" else ("object" if side == "subject" else "subject")
                    if (p, new_side, cls) not in rules:
                        rules[(p, new_side, cls)] = (axiom, *axioms)
                        changed = True
        subject: _Rules = {}
        obj: _Rules = {}
        for (p, side, cls), axioms in sorted(rules.items()):
            if cls in self.above:
                (subject if side == "subject" else obj).setdefault(p, []).append((cls, axioms))
        return subject, obj

    def reasons(self, kb: KnowledgeBase, x: ox.NamedNode | ox.BlankNode) -> list[_Reason]:
        """Every way ``x`` reaches a disjoint class, from the asserted triples."""
        found: list[_Reason] = []

        def add(cls: str, t: ox.Triple, role: str, axioms: tuple[str, ...]) -> None:
            for member, path in self.above.get(cls, {}).items():
                found.append(_Reason(member, cls, t, role, axioms + path))

        for q in kb.quads(x, _RDF_TYPE, None, _DEFAULT):
            if isinstance(q.object, ox.NamedNode):
                add(q.object.value, q.triple, "type", ())
        for q in kb.quads(x, None, None, _DEFAULT):
            for cls, axioms in self.subject_rules.get(q.predicate.value, ()):
                add(cls, q.triple, "subject", axioms)
        for q in kb.quads(None, None, x, _DEFAULT):
            for cls, axioms in self.object_rules.get(q.predicate.value, ()):
                add(cls, q.triple, "object", axioms)
        return found

    def candidates_query(self) -> str:
        """Individuals reaching two or more disjoint classes, found by the engine."""
        def rows(pairs: Iterable[tuple[str, str]]) -> str:
            return " ".join(f"(<{a}> <{b}>)" for a, b in pairs)

        types = rows((cls, m) for cls, ms in self.above.items() for m in ms)
        subj = rows((p, m) for p, rs in self.subject_rules.items() for cls, _ in rs for m in self.above[cls])
        obj = rows((p, m) for p, rs in self.object_rules.items() for cls, _ in rs for m in self.above[cls])
        return f"""
            SELECT ?x (GROUP_CONCAT(DISTINCT STR(?c); separator=" ") AS ?classes) WHERE {{
              {{ VALUES (?t ?c) {{ {types} }} ?x a ?t . }}
              UNION {{ VALUES (?p ?c) {{ {subj} }} ?x ?p ?y . }}
              UNION {{ VALUES (?p ?c) {{ {obj} }} ?y ?p ?x . }}
              FILTER(!isLiteral(?x))
            }} GROUP BY ?x HAVING (COUNT(DISTINCT ?c) > 1)"""


@dataclass(frozen=True)
class _Clash:
    """An individual in two (or more) disjoint classes, with every reason why."""

    individual: ox.NamedNode | ox.BlankNode
    reasons: tuple[_Reason, ...]
    pairs: tuple[tuple[str, str, str], ...]   # (class, class, disjointness axiom)

    @property
    def triples(self) -> set[ox.Triple]:
        return {r.assertion for r in self.reasons}

    def problem(self) -> Problem:
        x = _show(self.individual)
        classes = list(dict.fromkeys(c for a, b, _ in self.pairs for c in (a, b)))
        asserted = {r.member for r in self.reasons if r.role == "type"}
        classes.sort(key=lambda c: c not in asserted)  # "X is a Gene and, through a fact, a Disease"
        by_class = {c: [r for r in self.reasons if r.member == c] for c in classes}
        parts = [_describe(rs) for rs in by_class.values()]
        said = ", and ".join(
            f"{_name(a)} and {_name(b)} disjoint"
            for a, b in (sorted((a, b), key=classes.index) for a, b, _ in self.pairs)
        )
        message = f"{x} is {_join(parts)}, but the ontology declares {said}"
        assertions: list[str] = []
        schema: list[str] = []
        others: list[str] = []
        for rs in by_class.values():
            assertions.extend(_listed([_triple_text(r.assertion) for r in rs]))
            for r in rs:
                schema.extend(r.axioms)
                other = r.assertion.object if r.role == "subject" else r.assertion.subject
                if r.role != "type" and isinstance(other, ox.NamedNode):
                    others.append(other.value)
        schema.extend(axiom for _, _, axiom in self.pairs)
        entities = [_term_id(self.individual), *others, *classes]
        return Problem(message, tuple(dict.fromkeys(entities)),
                       tuple(dict.fromkeys(assertions + schema)))


def find_clashes(kb: KnowledgeBase) -> tuple[Problem, ...]:
    """Individuals that fall into two disjoint classes, with the assertions and
    axioms that put them there. Needs no reasoner (and no Java); sound for the
    axioms it reads, but blind to anything else, which is why :func:`check`
    asks HermiT whether it saw everything."""
    return tuple(c.problem() for c in _clashes(kb))


def _clashes(kb: KnowledgeBase) -> list[_Clash]:
    schema = _Schema(kb)
    if not schema.disjoint:
        return []
    found = []
    for row in kb.select(schema.candidates_query()):
        x = row["x"]
        classes = sorted(row["classes"].value.split(" "))
        pairs = tuple(
            (a, b, schema.disjoint[frozenset((a, b))])
            for i, a in enumerate(classes) for b in classes[i + 1:]
            if frozenset((a, b)) in schema.disjoint
        )
        if pairs:
            found.append(_Clash(x, tuple(schema.reasons(kb, x)), pairs))
    found.sort(key=lambda c: str(c.individual))
    return found


def _unmodelled(kb: KnowledgeBase) -> Callable[[ox.Triple], bool]:
    """Whether the pattern pass is blind to an assertion: anything but a class
    assertion or an object property assertion between named individuals."""
    properties = kb.object_properties()

    def unmodelled(t: ox.Triple) -> bool:
        if not isinstance(t.object, ox.NamedNode):
            return True
        return t.predicate != _RDF_TYPE and t.predicate.value not in properties

    return unmodelled


# The black-box fallback: QuickXplain over the individuals' assertions.
def _localise(triples: list[ox.Triple], budget: _Budget,
              unusual: Callable[[ox.Triple], bool]) -> Problem:
    """A small set of assertions that HermiT finds inconsistent with the rest of
    the ontology, found by re-running it on subsets (QuickXplain, Junker 2004).

    The base (classes, properties, declarations) is always given; the
    candidates are first each individual's assertions, then single triples
    inside the individuals found. The patterns having found nothing, the clash
    most likely involves an assertion they do not model (``owl:sameAs``, a
    data property): the individuals with one, and their neighbours, are tried
    alone first, so a large knowledge base does not cost a search over all of
    it. When the run budget is spent the search keeps what it has, which
    still contains a clash, only a larger one.
    """
    individuals = {t.subject for t in triples if t.predicate == _RDF_TYPE and t.object == _NAMED_INDIVIDUAL}
    base: list[ox.Triple] = []
    units: dict[str, list[ox.Triple]] = {}
    for t in triples:
        if t.subject in individuals and not (t.predicate == _RDF_TYPE and t.object == _NAMED_INDIVIDUAL):
            units.setdefault(_term_id(t.subject), []).append(t)
        else:
            base.append(t)
    if budget.consistent(base) is False:
        return Problem(
            "HermiT reports the knowledge base inconsistent even without any assertion about an "
            "individual: the clash is in the ontology's own axioms (or axioms loaded with it)", (), ())
    keys = sorted(units)
    suspects = sorted({_term_id(term) for ts in units.values() for t in ts if unusual(t)
                       for term in (t.subject, t.object) if _term_id(term) in units})
    if suspects and len(suspects) < len(keys) and budget.consistent(
            base + [t for k in suspects for t in units[k]]) is False:
        keys = suspects
    found = _quickxplain(keys, lambda ks: budget.consistent(base + [t for k in ks for t in units[k]]))
    clash = [t for k in found for t in units[k]]
    splittable = [t for k in found if len(units[k]) > 1 for t in units[k]]
    if splittable and not budget.spent:
        # Each unit found is needed; only those with several assertions can shrink.
        fixed = base + [t for k in found if len(units[k]) == 1 for t in units[k]]
        kept = _quickxplain([str(i) for i in range(len(splittable))], lambda ks: budget.consistent(
            fixed + [splittable[int(k)] for k in ks]))
        dropped = set(splittable) - {splittable[int(k)] for k in kept}
        clash = [t for t in clash if t not in dropped]
    shown = [_triple_text(t) for t in clash]
    entities = list(dict.fromkeys(
        _term_id(term) for t in clash for term in (t.subject, t.object)
        if term in individuals
    ))
    lead = "HermiT reports the knowledge base inconsistent; the clash involves these assertions"
    if budget.spent:
        lead = (f"HermiT reports the knowledge base inconsistent; the clash lies within these "
                f"{len(shown)} assertions (the search stopped after {MAX_EXPLANATION_RUNS} extra reasoner runs)")
    listed = shown[:5] + ([f"… and {len(shown) - 5} more"] if len(shown) > 5 else [])
    return Problem(f"{lead}: " + "; ".join(listed), tuple(entities), tuple(_listed(shown)))


def _quickxplain(items: list[str], consistent: Callable[[list[str]], bool | None]) -> list[str]:
    """A subset of ``items`` that is inconsistent (with the fixed background
    ``consistent`` adds), minimal while the run budget lasts.

    An unknown answer (None: budget spent) counts as consistent, which keeps
    the result a superset of a real conflict rather than a wrong guess.
    """
    def qx(background: list[str], check_background: bool, candidates: list[str]) -> list[str]:
        if check_background and consistent(background) is False:
            return []
        if len(candidates) == 1:
            return candidates
        half = len(candidates) // 2
        first, second = candidates[:half], candidates[half:]
        found_second = qx(background + first, bool(first), second)
        found_first = qx(background + found_second, bool(found_second), first)
        return found_first + found_second

    return qx([], False, items) if items else []


# --- wording -----------------------------------------------------------------------
def _show_iri(iri: str) -> str:
    return I.shorten(iri)


def _show(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return I.shorten(term.value)
    return str(term)


def _term_id(term: Any) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def _name(cls: str) -> str:
    """``om:Drug`` reads "Drug" in a sentence; other classes keep their prefix."""
    return cls[len(I.OM):] if cls.startswith(I.OM) else I.shorten(cls)


def _triple_text(t: ox.Triple) -> str:
    if t.predicate == _RDF_TYPE:
        return f"{_show(t.subject)} a {_show(t.object)}"
    return f"{_show(t.subject)} {_show(t.predicate)} {_show(t.object)}"


def _describe(reasons: list[_Reason]) -> str:
    """"a Disease, so a Condition, as the object of ome:m om:treats ome:g" for the first
    reason; the others are counted here and listed in the problem's axioms."""
    first = reasons[0]
    text = f"a {_name(first.via)}"
    if first.via != first.member:
        text += f", so a {_name(first.member)},"
    if first.role == "subject":
        text += f" as the subject of {_triple_text(first.assertion)}"
    elif first.role == "object":
        text += f" as the object of {_triple_text(first.assertion)}"
    text = text.rstrip(",")
    if len(reasons) > 1:
        more = len(reasons) - 1
        note = f"and through {more} more assertion{'s' if more > 1 else ''}"
        text += f" (asserted, {note})" if first.role == "type" else f" ({note})"
    return text


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _listed(items: list[str]) -> list[str]:
    if len(items) <= MAX_LISTED:
        return items
    return items[:MAX_LISTED] + [f"… and {len(items) - MAX_LISTED} more"]


def _rdf_list(kb: KnowledgeBase, head: Any) -> list[Any]:
    items, seen = [], set()
    nil = ox.NamedNode(I.RDF + "nil")
    while head != nil and head not in seen:
        seen.add(head)
        first = next(iter(kb.quads(head, ox.NamedNode(I.RDF + "first"), None, _DEFAULT)), None)
        rest = next(iter(kb.quads(head, ox.NamedNode(I.RDF + "rest"), None, _DEFAULT)), None)
        if first is None:
            break
        items.append(first.object)
        if rest is None:
            break
        head = rest.object
    return items
