"""The shipped ontology keeps its contract (architecture.md §2 and §3).

It loads in the OWL API (as Protégé does) with nothing left unparsed and nothing outside
OWL 2 DL, HermiT finds it consistent, every term is labelled and defined in English and
Chinese, and every relation says how it is read aloud.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import owlready2
import pytest

from tests.needs import requires
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ontomed import iri
from tests.owlapi_check import OwlApiLoadError, owlapi_check, requires_owlapi

ONTOLOGIES = Path(__file__).resolve().parents[2] / "ontologies"
ONTOLOGY_FILE = ONTOLOGIES / "ontomed.owl"
OM = rdflib.Namespace(iri.OM)
ENTITY = iri.ENTITY

#: Each contract property and its named inverse (interactsWith is its own: symmetric).
INVERSES = {
    "treats": "treatedBy",
    "hasSymptom": "symptomOf",
    "hasSideEffect": "sideEffectOf",
    "contraindicatedFor": "hasContraindication",
    "associatedWith": "hasAssociatedGene",
    "targets": "targetedBy",
}
#: (domain, range) of each contract property; an inverse has them swapped.
SIGNATURES = {
    "treats": ("Drug", "Disease"),
    "hasSymptom": ("Disease", "Symptom"),
    "hasSideEffect": ("Drug", "Condition"),
    "contraindicatedFor": ("Drug", "Condition"),
    "interactsWith": ("Drug", "Drug"),
    "associatedWith": ("Gene", "Disease"),
    "targets": ("Drug", "Gene"),
}
ALL_PROPERTIES = [*iri.PROPERTIES, *INVERSES.values()]

requires_java = requires(shutil.which("java") is not None, "HermiT needs java")


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY_FILE, format="xml")


@pytest.fixture
def hermit(monkeypatch):
    """Runs HermiT over a fresh owlready2 World holding the ontology and any extra files."""
    monkeypatch.setattr(owlready2.reasoning, "JAVA_MEMORY", 1000)

    def run(*extra: Path) -> owlready2.World:
        world = owlready2.World()
        world.get_ontology(ONTOLOGY_FILE.as_uri()).load()
        for path in extra:  # they import the ontology, which is already loaded
            world.get_ontology(path.as_uri()).load()
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        return world

    return run


def abox(tmp_path: Path, body: str, name: str = "abox.owl") -> Path:
    """An RDF/XML file of individuals that imports the ontology."""
    path = tmp_path / name
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"
         xmlns:owl="http://www.w3.org/2002/07/owl#"
         xmlns:xsd="http://www.w3.org/2001/XMLSchema#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#"
         xmlns:prov="http://www.w3.org/ns/prov#"
         xmlns:om="{iri.OM}"
         xml:base="{ENTITY}">
  <owl:Ontology rdf:about="urn:ontomed-test:{name}">
    <owl:imports rdf:resource="{iri.ONTOLOGY}"/>
  </owl:Ontology>
{body}
</rdf:RDF>
""",
        encoding="utf-8",
    )
    return path


def individual(name: str, *classes: str, facts: str = "") -> str:
    types = "".join(f'<rdf:type rdf:resource="{iri.OM}{c}"/>' for c in classes)
    return f'  <owl:NamedIndividual rdf:about="{name}">{types}{facts}</owl:NamedIndividual>\n'


def fact(prop: str, target: str) -> str:
    return f'<om:{prop} rdf:resource="{target}"/>'


# --- (a) the OWL API, as Protégé sees it -----------------------------------------------


@requires_owlapi
def test_owlapi_loads_ontology_with_nothing_unparsed_and_no_dl_violations():
    report = owlapi_check(ONTOLOGY_FILE)
    assert report["format"] == "RDF/XML Syntax"
    assert report["unparsed"] == [] and report["unparsed_triples"] == 0
    assert report["violations"] == [] and report["dl_violations"] == 0
    assert report["guessed_declarations"] == 0
    assert report["ontology_iri"] == iri.ONTOLOGY
    assert report["version_iri"] == iri.ONTOLOGY + "/0.3.0"
    assert report["axioms"] > 100


@requires_owlapi
def test_evidence_axiom_annotations_and_cross_references_stay_in_owl2_dl(tmp_path):
    """architecture.md §3: an annotated fact, a MeSH link and a hierarchy link need no extra declarations."""
    body = (
        individual(
            "metformin",
            "Drug",
            facts=fact("treats", "type_2_diabetes")
            + '<skos:exactMatch rdf:resource="http://id.nlm.nih.gov/mesh/D008687"/>'
            + '<skos:altLabel xml:lang="zh">二甲双胍</skos:altLabel>',
        )
        + individual("type_2_diabetes", "Disease", facts='<skos:broader rdf:resource="diabetes"/>')
        + individual("diabetes", "Disease")
        + f"""  <owl:Axiom>
    <owl:annotatedSource rdf:resource="metformin"/>
    <owl:annotatedProperty rdf:resource="{iri.OM}treats"/>
    <owl:annotatedTarget rdf:resource="type_2_diabetes"/>
    <prov:wasDerivedFrom rdf:resource="{iri.document_iri("Metformin is first-line therapy.")}"/>
    <om:evidenceText>Metformin is first-line therapy for type 2 diabetes.</om:evidenceText>
    <om:extractedBy>patterns</om:extractedBy>
    <om:confidence rdf:datatype="http://www.w3.org/2001/XMLSchema#decimal">0.93</om:confidence>
    <prov:generatedAtTime rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime">2024-05-01T12:00:00Z</prov:generatedAtTime>
  </owl:Axiom>
"""
    )
    report = owlapi_check(abox(tmp_path, body), ONTOLOGIES)
    assert report["format"] == "RDF/XML Syntax"
    assert report["unparsed"] == []
    assert report["violations"] == []
    assert report["declared_individuals"] == 3


@requires_owlapi
def test_owlapi_check_reports_what_protege_would_complain_about(tmp_path):
    """The harness itself: a clean report above must mean something."""
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<urn:ontomed-test:bad> a owl:Ontology .\n"
        "_:u owl:unionOf ( <urn:x:A> <urn:x:B> ) .\n"  # a union that belongs to no axiom
        "<urn:x:i> <urn:x:undeclared> <urn:x:j> .\n"
    )
    report = owlapi_check(bad)
    assert report["unparsed_triples"] == 1 and "unionOf" in report["unparsed"][0]
    assert report["dl_violations"] == 1 and "undeclared" in report["violations"][0]

    # The OWL API tries every parser it has: broken RDF/XML "loads" as an empty OBO file,
    # which is why the checks above look at the format too.
    broken = tmp_path / "broken.owl"
    broken.write_text("<rdf:RDF this is not XML")
    assert owlapi_check(broken)["format"] == "OBO Format"
    with pytest.raises(OwlApiLoadError, match="missing.owl"):
        owlapi_check(tmp_path / "missing.owl")


# --- (b) owlready2 and HermiT ------------------------------------------------------------


@requires_java
def test_hermit_finds_ontology_consistent_with_every_class_satisfiable(hermit):
    world = hermit()
    onto = world.get_ontology(iri.OM)
    assert {c.name for c in onto.classes()} == set(iri.CLASSES)
    assert list(world.inconsistent_classes()) == []


# --- (c) labels and definitions ----------------------------------------------------------


def declared_terms(graph: rdflib.Graph) -> list[rdflib.URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    terms = {s for kind in kinds for s in graph.subjects(RDF.type, kind)}
    return sorted(t for t in terms if isinstance(t, rdflib.URIRef))


def test_contract_classes_and_properties_are_declared(graph):
    assert {"Drug", "Disease", "Symptom", "Gene", "Document"} <= set(iri.CLASSES)
    assert len(ALL_PROPERTIES) == len(iri.PROPERTIES) + len(INVERSES) == 13
    for name in iri.CLASSES:
        assert (OM[name], RDF.type, OWL.Class) in graph, name
    for name in ALL_PROPERTIES:
        assert (OM[name], RDF.type, OWL.ObjectProperty) in graph, name
    for evidence in (iri.EVIDENCE_TEXT, iri.EXTRACTED_BY, iri.CONFIDENCE, iri.SOURCE_RECORD,
                     iri.WAS_DERIVED_FROM, iri.GENERATED_AT_TIME, iri.TEMPLATE):
        assert (rdflib.URIRef(evidence), RDF.type, OWL.AnnotationProperty) in graph, evidence


def test_every_class_and_property_has_english_and_chinese_labels_and_a_definition(graph):
    terms = declared_terms(graph)
    assert len(terms) >= len(iri.CLASSES) + len(ALL_PROPERTIES)
    for term in terms:
        labels = {lit.language for lit in graph.objects(term, RDFS.label)}
        definitions = {lit.language for lit in graph.objects(term, SKOS.definition)}
        assert {"en", "zh"} <= labels, term
        assert "en" in definitions, term


# --- (d) verbalization templates ---------------------------------------------------------


@pytest.mark.parametrize("name", ALL_PROPERTIES)
def test_every_relation_has_an_english_and_a_chinese_template(graph, name):
    templates = {lit.language: str(lit) for lit in graph.objects(OM[name], OM.template)}
    assert set(templates) == {"en", "zh"}, name
    for text in templates.values():
        assert "{subject}" in text and "{object}" in text, text


# --- (e) property axioms -------------------------------------------------------------------


def test_plural_templates_agree_with_a_list_and_are_declared(graph):
    assert (OM.templatePlural, RDF.type, OWL.AnnotationProperty) in graph
    plurals = {(str(s), lit.language): str(lit) for s, lit in graph.subject_objects(OM.templatePlural)}
    assert plurals == {
        (iri.OM + "hasSymptom", "en"): "{subject} has the symptoms {object}.",
        (iri.OM + "hasSideEffect", "en"): "{subject} can cause {object} as side effects.",
        (iri.OM + "hasAssociatedGene", "en"): "{subject} is associated with the genes {object}.",
    }


def test_interacts_with_is_symmetric_between_drugs(graph):
    assert (OM.interactsWith, RDF.type, OWL.SymmetricProperty) in graph
    assert (OM.associatedWith, RDF.type, OWL.SymmetricProperty) not in graph


@pytest.mark.parametrize("name", iri.PROPERTIES)
def test_relation_and_its_inverse_have_the_contract_domain_and_range(graph, name):
    domain, range_ = SIGNATURES[name]
    assert set(graph.objects(OM[name], RDFS.domain)) == {OM[domain]}
    assert set(graph.objects(OM[name], RDFS.range)) == {OM[range_]}
    if name in INVERSES:
        inverse = OM[INVERSES[name]]
        assert (inverse, OWL.inverseOf, OM[name]) in graph
        assert set(graph.objects(inverse, RDFS.domain)) == {OM[range_]}
        assert set(graph.objects(inverse, RDFS.range)) == {OM[domain]}


def test_drug_gene_condition_and_document_are_pairwise_disjoint(graph):
    top = ["Drug", "Gene", "Condition", "Document"]
    for i, a in enumerate(top):
        for b in top[i + 1 :]:  # may be empty: the last class has no later one to pair with
            pair = {(OM[a], OWL.disjointWith, OM[b]), (OM[b], OWL.disjointWith, OM[a])}
            assert any(t in graph for t in pair), (a, b)
    assert (OM.Disease, RDFS.subClassOf, OM.Condition) in graph
    assert (OM.Symptom, RDFS.subClassOf, OM.Condition) in graph


def test_ontology_has_no_blank_nodes(graph):
    """Loading it twice into one store (an export re-imported) must not duplicate triples."""
    assert len(graph) > 200
    blank = [t for t in graph if any(isinstance(term, rdflib.BNode) for term in t)]
    assert blank == []


# --- (f) HermiT over an ABox ----------------------------------------------------------------


@requires_java
def test_hermit_accepts_a_plausible_abox(hermit, tmp_path):
    """A term both disease and symptom, pregnancy as a bare condition, facts both ways."""
    body = (
        individual(
            "metformin",
            "Drug",
            facts=fact("treats", "type_2_diabetes") + fact("contraindicatedFor", "pregnancy")
            + fact("interactsWith", "cimetidine") + fact("hasSideEffect", "lactic_acidosis"),
        )
        + individual("cimetidine", "Drug")
        + individual("type_2_diabetes", "Disease", facts=fact("hasSymptom", "polyuria"))
        + individual("polyuria", "Symptom", "Disease")
        + individual("lactic_acidosis")
        + individual("pregnancy", "Condition")
        + individual("slc22a1", "Gene", facts=fact("associatedWith", "type_2_diabetes"))
    )
    world = hermit(abox(tmp_path, body))
    # HermiT saw the ABox: the range of hasSideEffect makes lactic acidosis a condition
    assert world[iri.om("Condition")] in world[ENTITY + "lactic_acidosis"].is_a


@requires_java
@pytest.mark.parametrize(
    "body",
    [
        individual("tp53", "Drug", "Gene"),
        # a gene cannot treat: the domain of treats makes it a drug as well
        individual("brca1", "Gene", facts=fact("treats", "breast_cancer"))
        + individual("breast_cancer", "Disease"),
        # a document is not a condition
        individual("aspirin", "Drug", facts=fact("contraindicatedFor", "label_doc"))
        + individual("label_doc", "Document"),
    ],
    ids=["drug-and-gene", "gene-treats", "document-as-condition"],
)
def test_hermit_rejects_an_abox_with_planted_errors(hermit, tmp_path, body):
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        hermit(abox(tmp_path, body))
