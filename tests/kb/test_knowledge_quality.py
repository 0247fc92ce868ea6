"""Issue 11's knowledge-quality rules on small real knowledge bases: symmetric facts from
either side, one label per language, search in every language, cues of plain sentences."""

from __future__ import annotations

import pytest

from ontomed import Evidence, KnowledgeBase
from ontomed import iri as I
from ontomed.ingest.extractors.dictionary import DictionaryExtractor
from ontomed.kb import preferred_label
from ontomed.ingest.pipeline import build
from ontomed.kb.names import search

from tests.conftest import EXAMPLE_TTL, make_example_kb

OM, E = I.OM, I.ENTITY


def _ev(text: str) -> Evidence:
    return Evidence(document="https://example.org/label", extractor="test", text=text)


def _rows(kb: KnowledgeBase, query: str) -> list[str]:
    return sorted(row["d"].value for row in kb.query(query))  # type: ignore[union-attr,index]


# -- symmetric facts ----------------------------------------------------------------

def test_add_fact_answers_a_symmetric_fact_from_either_side_with_one_evidence_node(kb):
    kb.add_entity("warfarin", "Drug", "warfarin")
    kb.add_entity("aspirin", "Drug", "aspirin")
    kb.add_fact("warfarin", "interactsWith", "aspirin", _ev("Aspirin raises the bleeding risk of warfarin."))
    kb.add_fact("aspirin", "interactsWith", "warfarin", _ev("Aspirin raises the bleeding risk of warfarin."))
    assert _rows(kb, "SELECT ?d WHERE { ome:warfarin om:interactsWith ?d }") == [E + "aspirin"]
    assert _rows(kb, "SELECT ?d WHERE { ?d om:interactsWith ome:warfarin }") == [E + "aspirin"]
    nodes = list(kb.query("SELECT ?a WHERE { ?a owl:annotatedProperty om:interactsWith }"))
    assert len(nodes) == 1  # the same statement given both ways is one piece of evidence
    for name in ("warfarin", "aspirin"):
        entity = kb.entity(name)
        [fact] = [f for f in entity.facts if f.predicate == OM + "interactsWith"]
        assert len(fact.evidence) == 1 and fact.subject == E + name
        [back] = [f for f in entity.incoming if f.predicate == OM + "interactsWith"]
        assert back.evidence == fact.evidence  # the same evidence, read from the other end
    assert kb.stats()["facts"]["om:interactsWith"] == 1


def test_a_build_states_an_interaction_both_ways(tmp_path):
    kb = make_example_kb()
    doc = tmp_path / "note.txt"
    doc.write_text("Clarithromycin increases the anticoagulant effect of warfarin.", "utf-8")
    report = build(kb, [str(doc)])
    assert report.asserted == 1
    assert kb.has_fact("warfarin", "interactsWith", "clarithromycin")
    assert kb.has_fact("clarithromycin", "interactsWith", "warfarin")
    [fact] = [f for f in kb.entity("warfarin").facts if f.object == E + "clarithromycin"]
    assert any(ev.extractor == "dictionary" for ev in fact.evidence)
    kb.add_entity("coumadin_brand", "Drug", "Jantoven", synonyms=["Coumadin"])  # shares a name with warfarin
    doc.write_text("Coumadin is used to prevent stroke.", "utf-8")
    assert build(kb, [str(doc)]).linked_by_preference == 1


# -- labels --------------------------------------------------------------------------

def test_the_preferred_label_depends_on_the_labels_only():
    assert preferred_label(["polyuria", "Polyuria"]) == preferred_label(["Polyuria", "polyuria"]) == "Polyuria"
    assert preferred_label(["type 2 diabetes mellitus", "Type 2 diabetes mellitus"]) == "Type 2 diabetes mellitus"
    assert preferred_label(["CFTR", "cystic fibrosis transmembrane regulator"]) == "CFTR"


@pytest.mark.parametrize("example_first", [True, False])
def test_one_label_per_language_whatever_the_order_of_loading(example_first):
    kb = KnowledgeBase()
    kb.initialize()

    def vocabulary() -> None:  # what the vocabulary says of polyuria
        kb.add_entity("polyuria", "Symptom", "Polyuria", labels={"fr": ["polyurie", "Polyurie"]},
                      identifiers={"hpo": "HP:0000103"})

    if example_first:
        kb.load(EXAMPLE_TTL)
        vocabulary()
    else:
        vocabulary()
        kb.load(EXAMPLE_TTL)
    entity = kb.entity("polyuria")
    assert entity.labels["en"] == ("Polyuria",) and entity.labels["fr"] == ("Polyurie",)
    assert "polyuria" in entity.synonyms and "polyurie" in entity.synonyms
    symptoms = list(kb.query("""SELECT ?s ?l WHERE { ome:type_2_diabetes_mellitus om:hasSymptom ?s .
                                 ?s rdfs:label ?l FILTER(LANG(?l) = "en") }"""))
    assert len(symptoms) == len({row["s"] for row in symptoms})  # each symptom listed once


# -- search ---------------------------------------------------------------------------

def test_search_finds_labels_in_every_language():
    kb = make_example_kb()
    hits = search(kb, "二甲双胍")
    assert hits and hits[0].iri == E + "metformin" and hits[0].match == "exact"
    assert search(kb, "二甲")[0].iri == E + "metformin"


# -- cues of plain sentences (written for these tests, not taken from data/eval) ------

@pytest.fixture(scope="module")
def extractor() -> DictionaryExtractor:
    kb = make_example_kb()
    for name, cls in (("vancomycin", "Drug"), ("nephrotoxicity", "Disease"), ("ketorolac", "Drug"),
                      ("rifampin", "Drug"), ("tacrolimus", "Drug"), ("olaparib", "Drug"), ("PARP1", "Gene"),
                      ("gout", "Disease"), ("joint pain", "Symptom"), ("sweating", "Symptom"),
                      ("palpitations", "Symptom"), ("pheochromocytoma", "Disease"), ("jaundice", "Symptom"),
                      ("cholangitis", "Disease"), ("theophylline", "Drug"), ("erythromycin", "Drug"),
                      ("itraconazole", "Drug"), ("lovastatin", "Drug"), ("tramadol", "Drug"),
                      ("moclobemide", "Drug"), ("ergotamine", "Drug"), ("ritonavir", "Drug"),
                      ("propylthiouracil", "Drug"), ("agranulocytosis", "Disease"), ("rivaroxaban", "Drug"),
                      ("hematuria", "Symptom"), ("edema", "Symptom"), ("hypokalemia", "Disease"),
                      ("bladder cancer", "Disease"), ("amlodipine", "Drug"), ("furosemide", "Drug"),
                      ("melatonin", "Drug"), ("delirium", "Disease"), ("apixaban", "Drug"),
                      ("pulmonary embolism", "Disease"), ("cancer", "Disease"), ("entacapone", "Drug"),
                      ("levodopa", "Drug"), ("Parkinson's disease", "Disease"), ("selegiline", "Drug"),
                      ("pethidine", "Drug"), ("HER2", "Gene"), ("breast cancer", "Disease"),
                      ("trastuzumab", "Drug"), ("ACE", "Gene"), ("ramipril", "Drug"),
                      ("angioedema", "Disease"), ("famotidine", "Drug"), ("duodenal ulcer", "Disease"),
                      ("headache", "Symptom"), ("pancreatitis", "Disease"), ("dizziness", "Symptom"),
                      ("fever", "Symptom")):
        kb.add_entity(name.lower().replace(" ", "_"), cls, name)
    x = DictionaryExtractor()
    x.setup(kb)
    return x


def _asserted(extractor, text: str) -> set[tuple[str, str, str]]:
    return {(r.subject.text.lower(), r.predicate[len(OM):], r.object.text.lower())
            for r in extractor.extract(text).relations if not (r.negated or r.speculative)}


@pytest.mark.parametrize("text,expected", [
    # side effects stated noun-first
    ("Nephrotoxicity is a well-documented hazard of vancomycin.", ("vancomycin", "hasSideEffect", "nephrotoxicity")),
    ("Myalgia has been reported with atorvastatin.", ("atorvastatin", "hasSideEffect", "myalgia")),
    # preferred-treatment phrasing
    ("Metformin remains the preferred first drug for type 2 diabetes mellitus.",
     ("metformin", "treats", "type 2 diabetes mellitus")),
    ("Lisinopril is the mainstay of hypertension management.", ("lisinopril", "treats", "hypertension")),
    ("Hypertension can be controlled with lisinopril.", ("lisinopril", "treats", "hypertension")),
    # findings typical of a disease, both orders and a hedge on diagnostic value
    ("Pheochromocytoma is marked by sweating and palpitations.", ("pheochromocytoma", "hasSymptom", "palpitations")),
    ("Sweating and palpitations are typical of pheochromocytoma.",
     ("pheochromocytoma", "hasSymptom", "sweating")),
    ("Patients with gout usually report joint pain.", ("gout", "hasSymptom", "joint pain")),
    ("Jaundice and fever may indicate cholangitis.", ("cholangitis", "hasSymptom", "jaundice")),
    # interactions without the verb "interact"
    ("Rifampin lowers tacrolimus levels.", ("rifampin", "interactsWith", "tacrolimus")),
    ("Avoid giving erythromycin with theophylline.", ("erythromycin", "interactsWith", "theophylline")),
    ("Erythromycin and theophylline should not be co-prescribed.", ("erythromycin", "interactsWith", "theophylline")),
    # a drug named with its target's class noun after it
    ("Olaparib, a PARP1 inhibitor, is taken twice daily.", ("olaparib", "targets", "parp1")),
    # contraindications without the word
    ("Avoid ketorolac in patients with peptic ulcer.", ("ketorolac", "contraindicatedFor", "peptic ulcer")),
    # round 2: exposure, a contraindicated combination, a directive is not a denial
    ("Itraconazole increases exposure to lovastatin.", ("itraconazole", "interactsWith", "lovastatin")),
    ("Ergotamine is contraindicated with ritonavir.", ("ergotamine", "interactsWith", "ritonavir")),
    ("Patients on ergotamine must avoid ritonavir.", ("ergotamine", "interactsWith", "ritonavir")),
    ("Do not take tramadol with moclobemide.", ("tramadol", "interactsWith", "moclobemide")),
    # round 2: a risk carried, a hazard that remains
    ("Propylthiouracil carries a small risk of agranulocytosis.",
     ("propylthiouracil", "hasSideEffect", "agranulocytosis")),
    ("Bleeding remains the main hazard of rivaroxaban.", ("rivaroxaban", "hasSideEffect", "bleeding")),
    # round 2: British spellings of names the vocabulary spells the American way
    ("Haematuria is the commonest presenting feature of bladder cancer.",
     ("bladder cancer", "hasSymptom", "haematuria")),
    ("Ankle oedema is a frequent side effect of amlodipine.", ("amlodipine", "hasSideEffect", "ankle oedema")),
    ("Furosemide can cause hypokalaemia.", ("furosemide", "hasSideEffect", "hypokalaemia")),
])
def test_plain_sentences_give_their_relation(extractor, text, expected):
    assert expected in _asserted(extractor, text)


@pytest.mark.parametrize("text, plain", [
    ("Fever is not a feature of uncomplicated hypertension.", "Fever is a feature of uncomplicated hypertension."),
    ("Lisinopril is not the preferred drug for type 2 diabetes mellitus.",
     "Lisinopril is the preferred drug for type 2 diabetes mellitus."),
    ("It is unclear whether rifampin lowers tacrolimus levels.", "Rifampin lowers tacrolimus levels."),
    ("Melatonin is believed to prevent delirium.", "Melatonin prevents delirium."),
    ("Itraconazole does not increase exposure to amlodipine.", "Itraconazole increases exposure to amlodipine."),
])
def test_negated_and_speculative_plain_sentences_are_not_asserted(extractor, text, plain):
    # without its cue the sentence gives its relation: nothing asserted is the cue's doing
    assert _asserted(extractor, plain)
    assert not _asserted(extractor, text)


# round 3: "in X" after the object names a population; a combination therapy is no interaction
def test_a_population_after_the_object_is_not_a_second_object(extractor):
    found = _asserted(extractor, "Apixaban prevents pulmonary embolism in patients with cancer.")
    assert ("apixaban", "treats", "pulmonary embolism") in found
    assert ("apixaban", "treats", "cancer") not in found
    found = _asserted(extractor, "Apixaban lowers the risk of pulmonary embolism in cancer.")
    assert ("apixaban", "treats", "cancer") not in found


def test_a_combination_therapy_is_not_an_interaction_but_a_harmful_one_is(extractor):
    found = _asserted(extractor, "Entacapone is given in combination with levodopa for Parkinson's disease.")
    assert not {r for r in found if r[1] == "interactsWith"}
    found = _asserted(extractor, "Selegiline combined with pethidine carries a risk of serotonin toxicity.")
    assert {r for r in found if r[1] == "interactsWith"}


def test_a_biomarker_or_a_class_named_by_its_target_is_no_list_item(extractor):
    assert ("trastuzumab", "treats", "breast cancer") in _asserted(
        extractor, "Trastuzumab prolongs survival in HER2-positive breast cancer.")
    assert ("ramipril", "hasSideEffect", "angioedema") in _asserted(
        extractor, "Angioedema is an uncommon adverse effect of ACE inhibitors such as ramipril.")


def test_a_list_of_side_effects_may_mix_symptoms_and_diseases(extractor):
    found = _asserted(extractor, "Common adverse reactions to famotidine include dizziness, headache and pancreatitis.")
    assert {("famotidine", "hasSideEffect", "headache"), ("famotidine", "hasSideEffect", "pancreatitis")} <= found


def test_healing_is_a_treatment(extractor):
    assert ("famotidine", "treats", "duodenal ulcers") in _asserted(
        extractor, "Famotidine heals most duodenal ulcers within six weeks.")


def test_a_class_named_before_its_members_does_not_hide_them(extractor):
    assert ("furosemide", "hasSideEffect", "hypokalemia") in _asserted(
        extractor, "Hypokalemia is a common adverse effect of loop diuretics such as furosemide.")


def test_a_passive_prevention_is_a_treatment(extractor):
    assert ("melatonin", "treats", "delirium") in _asserted(
        extractor, "In older inpatients, delirium is often prevented by giving melatonin at night.")


def test_the_partner_of_a_combination_is_not_the_subject_of_its_indication(extractor):
    found = _asserted(extractor, "Levodopa, often combined with entacapone, remains the main treatment for "
                                 "Parkinson's disease.")
    assert ("levodopa", "treats", "parkinson's disease") in found
    assert ("entacapone", "treats", "parkinson's disease") not in found
