"""The dictionary extractor and the relation patterns, on the real example vocabulary."""

from __future__ import annotations

import pytest

from ontomed import KnowledgeBase
from ontomed.ingest.extractors.dictionary import (
    DictionaryExtractor,
    Vocabulary,
    vocabulary_for,
)
from ontomed.iri import ENTITY, OM
from ontomed.ingest.sentences import sentences

from tests.conftest import make_example_kb


@pytest.fixture(scope="module")
def extractor() -> DictionaryExtractor:
    kb = make_example_kb()
    x = DictionaryExtractor()
    x.setup(kb)
    return x


def names(extraction) -> list[tuple[str, str]]:
    return [(m.text, m.iri.rsplit("/", 1)[1] if m.iri else None) for m in extraction.mentions]


def triples(extraction, *, asserted: bool = True) -> set[tuple[str, str, str]]:
    return {(r.subject.text, r.predicate[len(OM):], r.object.text) for r in extraction.relations
            if not asserted or not (r.negated or r.speculative)}


# -- mentions -----------------------------------------------------------------

def test_labels_and_synonyms_link_to_their_entity(extractor):
    e = extractor.extract("Glucophage (metformin) for T2DM.")
    assert names(e) == [("Glucophage", "metformin"), ("metformin", "metformin"),
                        ("T2DM", "type_2_diabetes_mellitus")]
    assert [m.type for m in e.mentions] == ["Drug", "Drug", "Disease"]


def test_the_longest_match_wins(extractor):
    e = extractor.extract("Chronic myeloid leukemia responds to imatinib.")
    assert names(e)[0] == ("Chronic myeloid leukemia", "chronic_myelogenous_leukemia")


def test_matches_respect_word_boundaries(extractor):
    assert [m.text for m in extractor.extract("Cough, aspirin and warfarin.").mentions] == [
        "Cough", "aspirin", "warfarin"]  # the words themselves are found
    assert names(extractor.extract("Coughing, aspirinlike and warfarinization.")) == []


def test_plurals_and_possessives_are_found(extractor):
    e = extractor.extract("Heart attacks are common; aspirin's effect on PTGS1.")
    assert ("Heart attacks", "myocardial_infarction") in names(e)
    assert ("aspirin", "aspirin") in names(e)


def test_short_abbreviations_match_only_in_their_own_case(extractor):
    assert ("MI", "myocardial_infarction") in names(extractor.extract("History of MI."))
    assert names(extractor.extract("The mi of the cf and the asa.")) == []


def test_common_english_words_are_not_taken_for_names():
    vocab = Vocabulary([(ENTITY + "d1", "Drug", "Allegra", True), (ENTITY + "d2", "Drug", "Today", False),
                        (ENTITY + "d2", "Drug", "exemplarol", True)])
    found = [m.text for m in vocab.find("Today I took exemplarol; allegra later, Allegra now.")]
    assert found == ["exemplarol", "Allegra"]


def test_a_name_of_several_entities_links_to_the_one_with_more_identifiers_and_facts():
    rows = [(ENTITY + "a", "Disease", "multiple sclerosis", True), (ENTITY + "a", "Disease", "MS", False),
            (ENTITY + "b", "Disease", "mitral stenosis", True), (ENTITY + "b", "Disease", "MS", False)]
    [m] = Vocabulary(rows, {ENTITY + "a": 12, ENTITY + "b": 3}).find("Patients with MS.")
    assert (m.type, m.iri, m.candidates) == ("Disease", ENTITY + "a", (ENTITY + "b",))
    assert m.confidence < 0.9 and m.to_dict()["candidates"] == [ENTITY + "b"]
    [m] = Vocabulary(rows, {ENTITY + "b": 5}).find("Patients with MS.")
    assert m.iri == ENTITY + "b"


def test_a_shared_name_is_read_as_the_entity_whose_type_the_cue_expects():
    from ontomed.ingest.extractors.relations import find_relations

    vocab = Vocabulary([(ENTITY + "ins_gene", "Gene", "INSX", True), (ENTITY + "ins_drug", "Drug", "INSX", True),
                        (ENTITY + "dm", "Disease", "diabetes", True)],
                       {ENTITY + "ins_gene": 9, ENTITY + "ins_drug": 1})
    text = "INSX is indicated for diabetes."
    mentions = vocab.find(text)
    assert mentions[0].iri == ENTITY + "ins_gene"  # more identifiers and facts
    [rel] = find_relations(text, 0, len(text), mentions, vocab.types)
    assert rel.subject.iri == ENTITY + "ins_drug" and rel.subject.type == "Drug"
    assert rel.subject.candidates == (ENTITY + "ins_gene",)


def test_drug_class_names_block_but_give_no_mention():
    vocab = Vocabulary([(ENTITY + "acei", "DrugClass", "ACE inhibitors", True), (ENTITY + "ace", "Gene", "ACE", True),
                        (ENTITY + "cough", "Symptom", "cough", True)])
    assert [m.text for m in vocab.find("ACE inhibitors cause cough; ACE is a gene.")] == ["cough", "ACE"]


def test_qualifiers_are_left_out_of_a_finding_and_coordinated_findings_are_split():
    vocab = Vocabulary([(ENTITY + "cough", "Symptom", "Cough", True), (ENTITY + "cc", "Symptom", "Chronic cough", True),
                        (ENTITY + "ckd", "Disease", "chronic kidney disease", True),
                        (ENTITY + "kd", "Disease", "kidney disease", True),
                        (ENTITY + "n", "Symptom", "nausea", True), (ENTITY + "v", "Symptom", "vomiting", True),
                        (ENTITY + "nv", "Symptom", "nausea and vomiting", True),
                        (ENTITY + "asa", "Drug", "aspirin", True), (ENTITY + "asa", "Drug", "low-dose aspirin", False)])
    found = [(m.text, m.iri.rsplit("/", 1)[1]) for m in vocab.find(
        "A chronic cough, chronic kidney disease, nausea and vomiting after low-dose aspirin.")]
    assert found == [("cough", "cough"), ("chronic kidney disease", "ckd"), ("nausea", "n"), ("vomiting", "v"),
                     ("aspirin", "asa")]


def test_a_sign_named_with_its_site_is_one_mention_and_a_severity_word_is_no_site():
    vocab = Vocabulary([(ENTITY + "pain", "Symptom", "pain", True), (ENTITY + "edema", "Symptom", "edema", True),
                        (ENTITY + "stiff", "Symptom", "stiffness", True)])
    found = [(m.text, m.iri.rsplit("/", 1)[1]) for m in vocab.find(
        "She had epigastric pain, knee stiffness and severe pain, then typical pain and leg edema.")]
    assert found == [("epigastric pain", "pain"), ("knee stiffness", "stiff"), ("pain", "pain"),
                     ("pain", "pain"), ("leg edema", "edema")]


def test_a_foreign_label_that_is_an_english_word_is_not_a_name():
    vocab = Vocabulary([(ENTITY + "gold", "Drug", "Gold", True, "en"), (ENTITY + "gold", "Drug", "or", True, "fr"),
                        (ENTITY + "gold", "Drug", "aurothiomalate", True, "fr")])
    assert [m.text for m in vocab.find("Warfarin or aspirin; aurothiomalate.")] == ["aurothiomalate"]


def test_chinese_labels_are_found_without_spaces(extractor):
    assert ("二甲双胍", "metformin") in names(extractor.extract("二甲双胍用于治疗2型糖尿病。"))


def test_the_compiled_vocabulary_is_cached_beside_an_on_disk_knowledge_base(tmp_path):
    import pickle

    from ontomed.ingest.extractors import dictionary

    kb = make_example_kb(tmp_path / "kb")
    vocab = vocabulary_for(kb)
    cache = tmp_path / "kb" / "cache" / f"vocabulary-v{dictionary.CACHE_VERSION}.pickle"
    assert cache.is_file() and vocab.size > 100
    kb.add_entity("exemplarol", "Drug", "exemplarol")  # the vocabulary follows changes
    assert [m.text for m in vocabulary_for(kb).find("exemplarol")] == ["exemplarol"]
    kb.close()
    # A new process: nothing in memory, the pickle is used (its content key matches the store).
    dictionary._memory_cache.clear()
    kb = KnowledgeBase(tmp_path / "kb")
    assert pickle.loads(cache.read_bytes())["content_key"] == dictionary._content_key(kb)
    again = vocabulary_for(kb)
    assert pickle.loads(cache.read_bytes())["files_key"] == kb.files_fingerprint()
    assert [m.iri for m in again.find("Glucophage and exemplarol")] == [
        ENTITY + "metformin", ENTITY + "exemplarol"]
    assert again.types[ENTITY + "metformin"] == {"Drug"}
    kb.close()


def test_a_corrupt_cache_is_rebuilt(tmp_path):
    from ontomed.ingest.extractors import dictionary

    kb = make_example_kb(tmp_path / "kb")
    (tmp_path / "kb" / "cache").mkdir()
    (tmp_path / "kb" / "cache" / f"vocabulary-v{dictionary.CACHE_VERSION}.pickle").write_bytes(b"garbage")
    dictionary._memory_cache.clear()
    assert vocabulary_for(kb).find("aspirin")[0].iri == ENTITY + "aspirin"
    kb.close()


# -- relations ----------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("Metformin is indicated for type 2 diabetes mellitus.",
     ("Metformin", "treats", "type 2 diabetes mellitus")),
    ("Hypertension is treated with lisinopril.", ("lisinopril", "treats", "Hypertension")),
    ("Ivacaftor improves lung function in cystic fibrosis.", ("Ivacaftor", "treats", "cystic fibrosis")),
    ("Metformin is contraindicated in chronic kidney disease.",
     ("Metformin", "contraindicatedFor", "chronic kidney disease")),
    ("Aspirin should not be used in patients with peptic ulcer.",
     ("Aspirin", "contraindicatedFor", "peptic ulcer")),
    ("Metformin-induced lactic acidosis is rare.", ("Metformin", "hasSideEffect", "lactic acidosis")),
    ("Atorvastatin may cause myalgia.", ("Atorvastatin", "hasSideEffect", "myalgia")),
    ("Cystic fibrosis is caused by mutations in the CFTR gene.", ("CFTR", "associatedWith", "Cystic fibrosis")),
    ("The CFTR potentiator ivacaftor was approved in 2012.", ("ivacaftor", "targets", "CFTR")),
    ("Imatinib inhibits ABL1.", ("Imatinib", "targets", "ABL1")),
    ("Clarithromycin increases the anticoagulant effect of warfarin.",
     ("Clarithromycin", "interactsWith", "warfarin")),
    ("Concomitant use of warfarin and aspirin raises bleeding risk.", ("warfarin", "interactsWith", "aspirin")),
    ("Chest pain is a typical symptom of myocardial infarction.",
     ("myocardial infarction", "hasSymptom", "Chest pain")),
])
def test_each_property_is_read_from_its_cues(extractor, text, expected):
    assert expected in triples(extractor.extract(text))


def test_lists_give_one_relation_per_item(extractor):
    e = extractor.extract("Type 2 diabetes presents with polyuria, polydipsia and fatigue.")
    assert triples(e) == {("Type 2 diabetes", "hasSymptom", s) for s in ("polyuria", "polydipsia", "fatigue")}
    e = extractor.extract("Aspirin and ibuprofen inhibit PTGS1.")
    assert triples(e) == {("Aspirin", "targets", "PTGS1"), ("ibuprofen", "targets", "PTGS1")}


@pytest.mark.parametrize("text", [
    "Metformin did not reduce type 2 diabetes mellitus progression.",
    "There is no evidence that aspirin treats cystic fibrosis.",
    "Lisinopril failed to improve hypertension in this cohort.",
    "Imatinib does not inhibit CFTR.",
    "Lactic acidosis was not observed in patients taking metformin.",
])
def test_negated_relations_are_marked_and_not_asserted(extractor, text):
    e = extractor.extract(text)
    assert e.relations, "the relation should be found, then marked negated"
    assert all(r.negated for r in e.relations)
    assert triples(e) == set()


@pytest.mark.parametrize("text", [
    "Metformin might treat cystic fibrosis.",
    "We investigated whether imatinib targets CFTR.",
    "These data suggest that aspirin treats hypertension.",
])
def test_speculative_relations_are_marked_and_not_asserted(extractor, text):
    e = extractor.extract(text)
    assert e.relations and all(r.speculative for r in e.relations)
    assert triples(e) == set()


def test_a_clause_break_separates_claims(extractor):
    e = extractor.extract("Aspirin inhibits PTGS1 but not PTGS2.")
    assert triples(e) == {("Aspirin", "targets", "PTGS1")}


def test_relations_carry_their_sentence_and_a_confidence(extractor):
    text = "Warfarin is an anticoagulant. Ivacaftor targets CFTR."
    [r] = extractor.extract(text).relations
    assert r.sentence == "Ivacaftor targets CFTR." and 0.5 < r.confidence <= 1.0


def test_sentence_splitting_keeps_abbreviations_and_decimals_together():
    text = "Smith et al. reported 2.5 mg doses, e.g. in adults. Dr. Lee agreed! Was it safe? Yes."
    assert sentences(text) == ["Smith et al. reported 2.5 mg doses, e.g. in adults.", "Dr. Lee agreed!",
                               "Was it safe?", "Yes."]


def test_a_single_capital_letter_can_end_a_sentence_but_initials_do_not():
    assert sentences("It lowers vitamin D. It causes rash.") == ["It lowers vitamin D.", "It causes rash."]
    assert sentences("As J. R. Smith showed, it works.") == ["As J. R. Smith showed, it works."]


@pytest.mark.parametrize("text,expected", [
    ("Common adverse reactions to atorvastatin include myalgia, nausea and diarrhea.",
     {("atorvastatin", "hasSideEffect", x) for x in ("myalgia", "nausea", "diarrhea")}),
    ("Classic symptoms of type 2 diabetes include polyuria and polydipsia.",
     {("type 2 diabetes", "hasSymptom", x) for x in ("polyuria", "polydipsia")}),
    ("Bleeding is the most common adverse effect of warfarin.", {("warfarin", "hasSideEffect", "Bleeding")}),
    ("Ibuprofen may interfere with the antiplatelet effect of aspirin.",
     {("Ibuprofen", "interactsWith", "aspirin")}),
    ("Mutations in CFTR cause cystic fibrosis.", {("CFTR", "associatedWith", "cystic fibrosis")}),
])
def test_label_and_literature_phrasings(extractor, text, expected):
    assert expected <= triples(extractor.extract(text))


def test_reducing_the_risk_of_a_disease_is_not_a_side_effect(extractor):
    e = extractor.extract("Aspirin reduces the risk of myocardial infarction.")
    assert ("Aspirin", "hasSideEffect", "myocardial infarction") not in triples(e)


def test_the_effect_of_a_combination_is_not_a_side_effect_of_each_drug(extractor):
    e = extractor.extract("Co-administration of warfarin with clarithromycin increases the risk of bleeding.")
    assert triples(e) == {("warfarin", "interactsWith", "clarithromycin")}


def test_a_name_modifying_a_class_noun_is_not_a_subject(extractor):
    assert triples(extractor.extract("Aspirin is indicated for hypertension.")) == {
        ("Aspirin", "treats", "hypertension")}
    e = extractor.extract("An aspirin analogue is indicated for hypertension.")
    assert triples(e) == set()


def test_british_spellings_of_american_names_are_found_and_ordinary_words_are_left_alone():
    vocab = Vocabulary([(ENTITY + "h", "Symptom", "Hematuria", True), (ENTITY + "e", "Symptom", "Edema", True),
                        (ENTITY + "i", "Disease", "Ischemic stroke", True),
                        (ENTITY + "s", "Disease", "Systemic sclerosis", True),
                        (ENTITY + "p", "Symptom", "Hemiplegia", True)])
    text = "Haematuria, oedema, ischaemic stroke, systemic sclerosis, hemiplegia."
    found = {(m.text, m.iri) for m in vocab.find(text)}
    assert found == {("Haematuria", ENTITY + "h"), ("oedema", ENTITY + "e"), ("ischaemic stroke", ENTITY + "i"),
                     ("systemic sclerosis", ENTITY + "s"), ("hemiplegia", ENTITY + "p")}
    assert not vocab.find("systaemic haemiplegia")
