"""Diagnosis from findings (``ontomed.apps.diagnose``): the ranking, its explanations, the
cached model and name resolution, on small phenotype graphs built in each test, and one
textbook case on the full vocabularies."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import pytest

from ontomed import Evidence, KnowledgeBase
from ontomed.apps import diagnose
from ontomed.kb import cache
from ontomed.apps.diagnosis import (
    Scoring,
    build_model,
    diagnosis_model,
    frequency_probability,
)
from ontomed.apps.names import UnknownNamesError
from ontomed.errors import BadInputError
from ontomed.iri import ENTITY

Diseases = Mapping[str, Mapping[str, "str | None"]]


def phenotype_kb(diseases: Diseases, broader: Mapping[str, list[str]] | None = None,
                 path: Path | None = None) -> KnowledgeBase:
    """A knowledge base holding the ontology, phenotypes (with HP ids and ``skos:broader``
    parents) and diseases (with OMIM ids) annotated with them at the given frequencies
    (``None``: no frequency stated), as the HPO import writes them."""
    broader = broader or {}
    kb = KnowledgeBase(path)
    kb.initialize()
    terms = sorted({t for ps in diseases.values() for t in ps} | set(broader)
                   | {p for ps in broader.values() for p in ps})
    for i, term in enumerate(terms):
        kb.add_entity(term, "Symptom", term.replace("_", " "), identifiers={"hpo": f"HP:{9000000 + i:07d}"},
                      broader=broader.get(term, ()))
    for i, (disease, phenotypes) in enumerate(sorted(diseases.items())):
        omim = str(600000 + i)
        kb.add_entity(disease, "Disease", disease.replace("_", " "), identifiers={"omim": omim})
        for term, frequency in phenotypes.items():
            kb.add_fact(disease, "hasSymptom", term, Evidence(
                document=f"https://omim.org/entry/{omim}", extractor="curated:test",
                source_record=f"{disease} {term}",
                annotations={"frequency": frequency} if frequency else {}))
    return kb


def labels(result) -> list[str]:
    return [c.label for c in result.candidates]


def candidate(result, label: str):
    return next(c for c in result.candidates if c.label == label)


# the hierarchy most tests use: seizures under the nervous system, two eye signs
NERVOUS = {"focal_seizure": ["seizure"], "tonic_clonic_seizure": ["seizure"],
           "seizure": ["nervous_system_abnormality"], "ataxia": ["nervous_system_abnormality"],
           "cataract": ["eye_abnormality"], "ectopia_lentis": ["eye_abnormality"]}
OTHERS = {"fever_syndrome": {"fever": "Frequent"}, "rash_syndrome": {"rash": "Frequent"},
          "cough_syndrome": {"cough": "Frequent"}, "anemia_syndrome": {"anemia": "Frequent"}}


# -- frequencies -------------------------------------------------------------------------

def test_frequencies_are_read_as_probabilities_capped_below_one():
    assert frequency_probability("Very frequent") == pytest.approx(0.895)
    assert frequency_probability("frequent") == pytest.approx(0.545)
    assert frequency_probability("Obligate") == 0.95  # capped: an obligate sign can be missed
    assert frequency_probability("Very rare") == pytest.approx(0.025)
    assert frequency_probability("3/7") == pytest.approx(3.5 / 8)  # small counts shrink to 1/2
    assert frequency_probability("1/1") == pytest.approx(0.75)
    assert frequency_probability("40%") == pytest.approx(0.4)
    assert frequency_probability("0%") == 0.01
    for nothing in (None, "", "often", "5/0", "7/3"):
        assert frequency_probability(nothing) is None


# -- the ranking -----------------------------------------------------------------------------

def test_a_rare_finding_counts_more_than_a_common_one():
    kb = phenotype_kb({"rare_disease": {"rare_sign": "Frequent"},
                       **{f"common_disease_{i}": {"common_sign": "Frequent"} for i in range(4)}})
    result = diagnose(kb, ["rare sign", "common sign"])
    assert labels(result)[0] == "rare disease"
    rare = candidate(result, "rare disease").explained[0]
    common = candidate(result, "common disease 0").explained[0]
    assert (rare.finding.label, common.finding.label) == ("rare sign", "common sign")
    assert rare.contribution > common.contribution
    assert result.diseases_considered == 5


def test_a_phenotype_frequent_in_a_disease_counts_more_than_a_very_rare_one():
    kb = phenotype_kb({"often": {"sign": "Very frequent", "other": "Frequent"},
                       "seldom": {"sign": "Very rare", "other": "Frequent"}, **OTHERS})
    result = diagnose(kb, ["sign"])
    assert labels(result)[:2] == ["often", "seldom"]
    often, seldom = result.candidates[0].explained[0], result.candidates[1].explained[0]
    assert often.phenotype.frequency == "Very frequent" and seldom.phenotype.frequency == "Very rare"
    assert often.contribution > seldom.contribution


def test_a_specific_finding_counts_for_the_broader_phenotype_of_a_disease():
    kb = phenotype_kb({"focal_epilepsy": {"focal_seizure": "Frequent"},
                       "seizure_disorder": {"seizure": "Frequent"},
                       "ataxia_syndrome": {"ataxia": "Frequent"},
                       "cataract_syndrome": {"cataract": "Frequent"}, **OTHERS}, NERVOUS)
    result = diagnose(kb, ["focal seizure"])
    assert labels(result)[:3] == ["focal epilepsy", "seizure disorder", "ataxia syndrome"]
    exact, broader, related = (c.explained[0] for c in result.candidates[:3])
    assert (exact.match, exact.phenotype.label) == ("exact", "focal seizure")
    assert (broader.match, broader.phenotype.label, broader.via) == ("broader", "seizure", None)
    assert (related.match, related.phenotype.label, related.via.label) == (
        "related", "ataxia", "nervous system abnormality")
    assert exact.contribution > broader.contribution > related.contribution
    cataract = candidate(diagnose(kb, ["focal seizure"], top=9), "cataract syndrome")
    assert cataract.explained == () and [u.finding.label for u in cataract.unexplained] == ["focal seizure"]
    assert cataract.unexplained[0].contribution == pytest.approx(math.log(Scoring().noise))


def test_a_broad_finding_is_matched_by_the_specific_phenotypes_of_a_disease():
    kb = phenotype_kb({"focal_epilepsy": {"focal_seizure": "Frequent"},
                       "seizure_disorder": {"seizure": "Frequent"},
                       "ataxia_syndrome": {"ataxia": "Frequent"}, **OTHERS}, NERVOUS)
    result = diagnose(kb, ["seizure"])
    assert set(labels(result)[:2]) == {"focal epilepsy", "seizure disorder"}
    narrower = candidate(result, "focal epilepsy").explained[0]
    assert (narrower.match, narrower.phenotype.label, narrower.phenotype.frequency) == (
        "narrower", "focal seizure", "Frequent")
    assert narrower.contribution == pytest.approx(candidate(result, "seizure disorder").explained[0].contribution)


def test_relatives_match_through_their_common_ancestor():
    kb = phenotype_kb({"focal_epilepsy": {"focal_seizure": "Frequent"},
                       "ataxia_syndrome": {"ataxia": "Frequent"}, **OTHERS}, NERVOUS)
    result = diagnose(kb, ["tonic clonic seizure"])
    assert labels(result)[0] == "focal epilepsy"
    match = result.candidates[0].explained[0]
    assert (match.match, match.phenotype.label, match.via.label) == ("related", "focal seizure", "seizure")


def test_an_excluded_finding_counts_against_the_diseases_that_usually_have_it():
    kb = phenotype_kb({"with_y": {"x": "Frequent", "y": "Very frequent"},
                       "with_z": {"x": "Frequent", "z": "Very frequent"},
                       "always_y": {"x": "Frequent", "y": "Obligate"}, **OTHERS})
    plain = diagnose(kb, ["x"])
    assert candidate(plain, "with y").score == pytest.approx(candidate(plain, "with z").score)
    result = diagnose(kb, ["x"], excluded=["y"])
    order = labels(result)
    assert order[0] == "with z" and order.index("with y") < order.index("always y")
    against = candidate(result, "with y").counted_against
    assert [(a.finding.label, a.phenotype.label, a.phenotype.frequency) for a in against] == [
        ("y", "y", "Very frequent")]
    assert against[0].contribution < 0
    assert candidate(result, "with z").counted_against == ()
    assert candidate(result, "with z").score > candidate(plain, "with z").score  # slightly for it
    always = candidate(result, "always y")
    assert math.isfinite(always.score) and always.counted_against[0].contribution >= math.log(0.05) - 0.1


def test_excluding_a_broad_finding_counts_against_its_specific_phenotypes():
    kb = phenotype_kb({"focal_epilepsy": {"focal_seizure": "Very frequent", "ataxia": "Frequent"},
                       "ataxia_syndrome": {"ataxia": "Frequent", "cataract": "Very frequent"}, **OTHERS},
                      NERVOUS)
    result = diagnose(kb, ["ataxia"], excluded=["seizure"])
    assert labels(result)[0] == "ataxia syndrome"
    [against] = candidate(result, "focal epilepsy").counted_against
    assert (against.finding.label, against.phenotype.label) == ("seizure", "focal seizure")


def test_ask_about_lists_frequent_phenotypes_not_given_and_not_related_to_any_finding():
    kb = phenotype_kb({"syndrome": {"seizure": "Very frequent", "focal_seizure": "Very frequent",
                                    "cataract": "Frequent", "rash": "Occasional", "cough": None,
                                    "anemia": "1/3", "ectopia_lentis": "Very frequent",
                                    "ataxia": "1/4"},
                       **OTHERS}, NERVOUS)
    top = candidate(diagnose(kb, ["seizure", "fever"], excluded=["ectopia lentis"]), "syndrome")
    # focal seizure is a kind of a finding, ectopia lentis excluded, rash occasional (< 30%),
    # ataxia in one patient of four;
    # stated frequencies first, most frequent first, then what has none stated
    assert [p.label for p in top.ask_about] == ["cataract", "anemia", "cough"]
    assert [u.finding.label for u in top.unexplained] == ["fever"]
    assert [c.phenotype.label for c in top.counted_against] == ["ectopia lentis"]


def test_findings_named_twice_count_once_and_the_ranking_is_deterministic():
    kb = phenotype_kb({"a": {"x": "Frequent"}, "b": {"x": "Frequent"}, **OTHERS})
    once = diagnose(kb, ["x"])
    twice = diagnose(kb, ["x", once.findings[0].hpo, ENTITY + "x"])
    assert [f.name for f in twice.findings] == ["x"]
    assert [(c.label, c.score) for c in twice.candidates] == [(c.label, c.score) for c in once.candidates]
    assert labels(once)[:2] == ["a", "b"]  # a tie keeps the IRI order


# -- names -----------------------------------------------------------------------------------

def test_findings_resolve_from_labels_synonyms_ids_and_iris():
    kb = phenotype_kb({"seizure_disorder": {"seizure": "Frequent", "fever": "Frequent"}, **OTHERS}, NERVOUS)
    kb.add_entity("seizure", "Symptom", "seizure", synonyms=["fits"])
    hp = next(f.hpo for f in diagnose(kb, ["fever"]).findings)
    result = diagnose(kb, ["fits", hp, ENTITY + "cough"])
    assert [(f.label, f.how) for f in result.findings] == [
        ("seizure", "synonym"), ("fever", "identifier"), ("cough", "iri")]


def test_every_unknown_or_unusable_name_is_reported_at_once_with_the_closest_usable():
    kb = phenotype_kb({"seizure_disorder": {"seizure": "Frequent"}, **OTHERS}, NERVOUS)
    kb.add_entity("aspirin", "Drug", "aspirin")
    kb.add_entity("unused_sign", "Symptom", "unused sign")
    with pytest.raises(UnknownNamesError) as err:
        diagnose(kb, ["seizur", "aspirin", "fever"], excluded=["qqqzzz", "unused sign"])
    problems = {p.name: p for p in err.value.problems}
    assert set(problems) == {"seizur", "aspirin", "qqqzzz", "unused sign"}
    assert problems["seizur"].reason == "unknown"
    assert problems["seizur"].candidates[0][1] == "seizure"
    assert problems["aspirin"].reason == "unusable" and "Drug" in problems["aspirin"].message()
    assert problems["unused sign"].reason == "unusable"
    assert problems["qqqzzz"].role == "excluded finding"
    assert err.value.exit_code == 2
    assert "unknown finding 'seizur'; closest: seizure" in str(err.value)


def test_a_name_of_several_terms_means_the_most_annotated_and_a_tie_is_refused():
    kb = phenotype_kb({"a": {"spasm_common": "Frequent"}, "b": {"spasm_common": "Frequent"},
                       "c": {"spasm_rare": "Frequent"}, "d": {"cramp_1": "Frequent"},
                       "e": {"cramp_2": "Frequent"}, **OTHERS})
    kb.add_entity("spasm_common", "Symptom", "spasm")
    kb.add_entity("spasm_rare", "Symptom", "spasm")
    [finding] = diagnose(kb, ["Spasm"]).findings
    assert finding.iri == ENTITY + "spasm_common" and finding.alternatives == (ENTITY + "spasm_rare",)
    kb.add_entity("cramp_1", "Symptom", "cramp")
    kb.add_entity("cramp_2", "Symptom", "cramp")
    with pytest.raises(UnknownNamesError) as err:
        diagnose(kb, ["cramp"])
    assert err.value.problems[0].reason == "ambiguous"


def test_bad_input_is_refused_in_one_line():
    kb = phenotype_kb({"focal_epilepsy": {"focal_seizure": "Frequent"}, **OTHERS}, NERVOUS)
    for findings, excluded, top, says in (
            ([], [], 10, "at least one finding"),
            (["  "], [], 10, "at least one finding"),
            (["fever"], [], 0, "at least 1"),
            (["fever", "cough"], ["Cough"], 10, "both a finding and an excluded finding"),
            (["focal seizure"], ["seizure"], 10, "is a kind of the excluded 'seizure'")):
        with pytest.raises(BadInputError) as err:
            diagnose(kb, findings, excluded=excluded, top=top)
        assert says in str(err.value) and "\n" not in str(err.value)
    assert diagnose(kb, ["seizure"], excluded=["focal seizure"]).candidates  # consistent: allowed


def test_a_knowledge_base_without_phenotype_annotations_says_what_to_do():
    kb = KnowledgeBase()
    kb.initialize()
    with pytest.raises(BadInputError, match="no disease phenotypes.*ontomed vocab import"):
        diagnose(kb, ["fever"])


# -- the result as JSON ---------------------------------------------------------------------

def test_to_dict_is_plain_json_with_the_documented_shape():
    kb = phenotype_kb({"focal_epilepsy": {"focal_seizure": "Frequent", "ataxia": "Very frequent",
                                          "cataract": "3/7"},
                       "seizure_disorder": {"seizure": None}, **OTHERS}, NERVOUS)
    data = diagnose(kb, ["seizure", "fever"], excluded=["ataxia"], top=3).to_dict()
    assert [c["rank"] for c in data["candidates"]] == [1, 2, 3]
    data = diagnose(kb, ["seizure", "fever"], excluded=["ataxia"]).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"findings", "excluded", "diseases_considered", "model", "candidates"}
    assert set(data["findings"][0]) == {"name", "iri", "label", "hpo", "how", "alternatives"}
    assert set(data["model"]) >= {"diseases", "terms", "annotations", "content_key"}
    first = data["candidates"][0]
    assert set(first) == {"rank", "iri", "label", "identifiers", "score", "explained", "unexplained",
                          "counted_against", "ask_about"}
    focal = next(c for c in data["candidates"] if c["label"] == "focal epilepsy")
    assert focal["identifiers"][0].startswith("OMIM:")
    [match] = focal["explained"]
    assert set(match) == {"finding", "match", "phenotype", "via", "contribution", "explanation"}
    assert (match["match"], match["explanation"]) == ("narrower", "its focal seizure (Frequent) is a kind of it")
    assert set(match["finding"]) == {"name", "iri", "label", "hpo"}
    assert set(match["phenotype"]) == {"iri", "label", "hpo", "frequency", "probability"}
    assert match["phenotype"]["frequency"] == "Frequent" and match["via"] is None
    assert focal["counted_against"][0]["phenotype"]["label"] == "ataxia"
    assert focal["ask_about"][0] == {"iri": ENTITY + "cataract", "label": "cataract",
                                     "hpo": focal["ask_about"][0]["hpo"], "frequency": "3/7",
                                     "probability": round(3.5 / 8, 4)}
    assert focal["unexplained"][0]["finding"]["label"] == "fever"


# -- the model and its cache ------------------------------------------------------------------

def test_the_model_reads_the_graph_generically():
    kb = phenotype_kb({"focal_epilepsy": {"focal_seizure": "Frequent", "ataxia": None}, **OTHERS}, NERVOUS)
    kb.add_entity("myoclonic_seizure", "Symptom", "myoclonic seizure", broader=["focal_seizure"])
    model = build_model(kb)
    # terms: the annotated ones, everything above them, and what lies below them
    assert {"seizure", "nervous_system_abnormality", "myoclonic_seizure"} <= {
        t.removeprefix(ENTITY) for t in model.term_iris}
    assert "eye_abnormality" not in {t.removeprefix(ENTITY) for t in model.term_iris}
    assert model.n_diseases == 5 and model.info()["annotations"] == 6
    seizure = model.term_index[ENTITY + "seizure"]
    focal = model.term_index[ENTITY + "focal_seizure"]
    assert model.is_ancestor(seizure, focal) and not model.is_ancestor(focal, seizure)
    d = model.disease_index[ENTITY + "focal_epilepsy"]
    assert model.q.get(seizure, d) == pytest.approx(0.545)  # propagated up
    nervous = model.term_index[ENTITY + "nervous_system_abnormality"]
    assert model.ic[focal] >= model.ic[seizure] > model.ic[nervous] > 0
    # a finding more specific than any annotation is usable: it matches through its ancestors
    result = diagnose(kb, ["myoclonic seizure"])
    assert result.candidates[0].explained[0].match == "broader"


def test_the_model_is_cached_beside_the_knowledge_base_and_rebuilt_when_annotations_change(tmp_path):
    kb = phenotype_kb({"a": {"x": "Frequent"}, **OTHERS}, path=tmp_path / "kb")
    model = diagnosis_model(kb)
    assert (tmp_path / "kb" / "cache" / "diagnosis-v1.pickle").is_file()
    assert diagnosis_model(kb) is model
    kb.add_entity("aspirin", "Drug", "aspirin")  # data the model does not read
    assert diagnosis_model(kb).built_at == model.built_at
    kb.add_fact("b", "hasSymptom", "x", Evidence(document="https://omim.org/entry/600100",
                                                  extractor="curated:test", source_record="b x",
                                                  annotations={"frequency": "Very frequent"}))
    kb.add_entity("b", "Disease", "b")
    rebuilt = diagnosis_model(kb)
    assert rebuilt.built_at > model.built_at and ENTITY + "b" in rebuilt.disease_index
    assert labels(diagnose(kb, ["x"]))[0] == "b"
    # a second frequency for a fact already there is a change of annotations too
    kb.add_fact("a", "hasSymptom", "x", Evidence(document="https://omim.org/entry/600101",
                                                  extractor="curated:test", source_record="a x 2",
                                                  annotations={"frequency": "Obligate"}))
    again = diagnosis_model(kb)
    assert again.built_at > rebuilt.built_at
    assert again.ann_text[again.ann.indptr[again.disease_index[ENTITY + "a"]]] == "Obligate"
    kb.close()
    cache.forget()  # a new process: the pickle is read, nothing is rebuilt
    kb = KnowledgeBase(tmp_path / "kb", create=False)
    assert diagnosis_model(kb).built_at == again.built_at
    assert diagnosis_model(kb, refresh=True).built_at > again.built_at
    kb.close()


def test_a_model_cached_by_another_version_of_the_code_is_rebuilt(tmp_path, monkeypatch):
    from ontomed.apps.diagnosis import model as model_module

    kb = phenotype_kb({"a": {"x": "Frequent"}, **OTHERS}, path=tmp_path / "kb")
    old = diagnosis_model(kb)
    monkeypatch.setattr(model_module, "BUILD_VERSION", "next")
    new = diagnosis_model(kb)
    assert new.version == "next" and new.built_at > old.built_at
    assert diagnosis_model(kb) is new
    kb.close()


def test_a_patients_findings_are_not_written_logged_or_cached(tmp_path, caplog):
    kb = phenotype_kb({"a": {"x": "Frequent"}, **OTHERS}, path=tmp_path / "kb")
    kb.add_entity("fever", "Symptom", "fever", synonyms=["pyrexia"])
    model = diagnosis_model(kb)
    quads = len(kb)
    typed = ["PyReXiA", "X"], ["CoUgH"]
    with caplog.at_level("DEBUG"):
        result = diagnose(kb, typed[0], excluded=typed[1])
    assert [f.label for f in result.findings] == ["fever", "x"]
    assert len(kb) == quads and caplog.records == []
    kb.close()
    files = [path for path in (tmp_path / "kb").rglob("*") if path.is_file()]
    assert files  # the store's files and the caches beside it
    for path in files:
        data = path.read_bytes()
        assert b"PyReXiA" not in data and b"CoUgH" not in data, path
    cache.forget()
    kb = KnowledgeBase(tmp_path / "kb", create=False)
    assert diagnosis_model(kb).built_at == model.built_at  # the cached model is the same model
    kb.close()


# -- the full vocabularies ---------------------------------------------------------------------

@pytest.mark.slow
def test_marfan_syndromes_textbook_signs_rank_it_first_among_all_diseases(vocab_import):
    with KnowledgeBase(vocab_import[0], create=False) as kb:
        result = diagnose(kb, ["Arachnodactyly", "Ectopia lentis", "HP:0002616", "Tall stature"],
                          excluded=["Intellectual disability"], top=5)
    top = result.candidates[0]
    assert "OMIM:154700" in top.identifiers, [c.label for c in result.candidates]
    assert result.diseases_considered > 10_000
    assert {m.match for m in top.explained} == {"exact"} and len(top.explained) == 4
    assert top.ask_about and all(p.probability >= 0.3 or p.frequency is None for p in top.ask_about)
