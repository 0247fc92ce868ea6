"""Treatment checks: drugs for a disease, suggested or excluded for one patient, with the evidence."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ontomed import Evidence, KnowledgeBase
from ontomed.apps.names import UnknownNamesError
from ontomed.apps.treatment import CAUTION, EXCLUDED, SUGGESTED, treat
from ontomed.cli import cli
from ontomed.iri import ENTITY

from tests.conftest import add_treatment_facts, make_example_kb


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return add_treatment_facts(make_example_kb())


def _by_drug(report) -> dict:  # noqa: ANN001
    return {c.drug.removeprefix(ENTITY): c for c in report.candidates}


def test_without_a_patient_context_every_drug_that_treats_it_is_suggested(kb):
    report = treat(kb, "type 2 diabetes")
    assert [(c.label, c.status, c.via) for c in report.candidates] == [("metformin", SUGGESTED, ())]
    indication = report.candidates[0].indication
    assert indication and indication[0].text.startswith("Metformin") and indication[0].extractor


def test_drugs_for_a_broader_term_are_offered_and_say_so(kb):
    found = _by_drug(treat(kb, "hypercholesterolemia"))
    assert set(found) == {"atorvastatin", "simvastatin", "niacin"}
    assert found["niacin"].via == (ENTITY + "hyperlipidemia",) and found["niacin"].treats_label == "hyperlipidemia"
    assert found["simvastatin"].via == ()
    report = treat(kb, "hypercholesterolemia")
    assert report.candidates[-1].drug == ENTITY + "niacin"  # direct indications first


def test_a_contraindication_for_a_condition_or_a_broader_term_excludes(kb):
    mi = _by_drug(treat(kb, "myocardial infarction", conditions=["duodenal ulcer"]))
    aspirin = mi["aspirin"]
    assert aspirin.status == EXCLUDED
    (reason,) = aspirin.reasons
    assert (reason.kind, reason.relation, reason.matched) == ("contraindication", "broader",
                                                              ENTITY + "peptic_ulcer")
    assert "duodenal ulcer is a kind of it" in reason.message
    assert reason.sources[0].text.startswith("Aspirin should not be used")


def test_a_contraindication_for_a_narrower_term_asks_for_caution(kb):
    report = treat(kb, "type 2 diabetes mellitus", conditions=["kidney disease"])
    (metformin,) = report.candidates
    assert metformin.status == CAUTION and metformin.reasons[0].relation == "narrower"
    assert "check which" in metformin.reasons[0].message
    exact = treat(kb, "type 2 diabetes mellitus", conditions=["chronic kidney disease"]).candidates[0]
    assert exact.status == EXCLUDED and exact.reasons[0].relation == "same"


def test_a_side_effect_the_patient_already_has_excludes(kb):
    for condition, relation in (("bleeding", "same"), ("gastrointestinal bleeding", "broader")):
        aspirin = _by_drug(treat(kb, "myocardial infarction", conditions=[condition]))["aspirin"]
        assert aspirin.status == EXCLUDED
        assert [(r.kind, r.relation) for r in aspirin.reasons] == [("side effect", relation)]


def test_interactions_with_what_the_patient_takes_follow_their_severity(kb):
    found = _by_drug(treat(kb, "hypercholesterolemia", taking=["clarithromycin"]))
    assert found["simvastatin"].status == EXCLUDED
    assert found["simvastatin"].reasons[0].severity == "contraindicated"
    assert found["atorvastatin"].status == CAUTION
    assert found["atorvastatin"].reasons[0].severity == "precaution for use"
    assert found["niacin"].status == SUGGESTED
    no_severity = _by_drug(treat(kb, "myocardial infarction", taking=["warfarin"]))["aspirin"]
    assert no_severity.status == CAUTION and "no severity stated" in no_severity.reasons[0].message
    assert no_severity.reasons[0].sources[0].text.startswith("Concomitant use of warfarin")


def test_what_is_said_of_a_drug_class_holds_for_its_members(kb):
    found = _by_drug(treat(kb, "hypercholesterolemia", conditions=["hepatitis"]))
    for member in ("atorvastatin", "simvastatin"):
        (reason,) = found[member].reasons
        assert found[member].status == EXCLUDED and reason.via_class == ENTITY + "statins"
        assert "said of statins" in reason.message
    assert found["niacin"].status == SUGGESTED


def test_suggested_come_first_and_the_report_counts_them(kb):
    report = treat(kb, "hypercholesterolemia", taking=["clarithromycin"])
    assert [c.status for c in report.candidates] == [SUGGESTED, CAUTION, EXCLUDED]
    assert report.counts() == {SUGGESTED: 1, CAUTION: 1, EXCLUDED: 1}
    data = json.loads(json.dumps(report.to_dict()))
    assert data["taking"][0]["iri"] == ENTITY + "clarithromycin"
    assert data["candidates"][2]["reasons"][0]["sources"][0]["severity"] == "contraindicated"


def test_a_drug_the_patient_takes_is_marked(kb):
    (metformin,) = treat(kb, "type 2 diabetes mellitus", taking=["Glucophage"]).candidates
    assert metformin.already_taking and metformin.status == SUGGESTED


def test_every_unknown_name_is_reported_at_once(kb):
    with pytest.raises(UnknownNamesError) as err:
        treat(kb, "hypertensoin", conditions=["kidney diseas"], taking=["asprin", "metformin"])
    problems = {p.name: p for p in err.value.problems}
    assert set(problems) == {"hypertensoin", "kidney diseas", "asprin"}
    assert problems["asprin"].candidates[0][0] == ENTITY + "aspirin"
    assert problems["hypertensoin"].role == "disease"
    with pytest.raises(UnknownNamesError, match="cannot use"):
        treat(kb, "metformin")  # a drug is not a disease


def test_the_patient_context_is_never_written(kb):
    before = len(kb)
    treat(kb, "myocardial infarction", conditions=["bleeding"], taking=["warfarin"])
    assert len(kb) == before


def test_the_command_prints_the_verdicts_with_their_sources(tmp_path):
    add_treatment_facts(make_example_kb(tmp_path / "kb")).close()
    runner = CliRunner()
    args = ["treat", "--kb", str(tmp_path / "kb"), "--disease", "hypercholesterolemia",
            "--taking", "clarithromycin", "--condition", "hepatitis"]
    text = runner.invoke(cli, args)
    assert text.exit_code == 0, text.output
    assert "3 candidates: 1 suggested, 0 with caution, 2 excluded" in text.output
    assert "EXCLUDED: simvastatin interacts with clarithromycin" in text.output
    assert "source: https://example.org/label: Do not combine simvastatin with clarithromycin." in text.output
    assert "treats hyperlipidemia through hyperlipidemia" in text.output
    data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    assert [c["status"] for c in data["candidates"]] == ["suggested", "excluded", "excluded"]
    bad = runner.invoke(cli, ["treat", "--kb", str(tmp_path / "kb"), "--disease", "hypertensoin"])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "error: unknown disease 'hypertensoin'; closest: hypertension (ome:hypertension)"]
    assert "Example" in runner.invoke(cli, ["treat", "--help"]).output


def test_a_drug_class_offered_as_a_treatment_names_its_members_that_the_patient_should_not_take():
    kb = add_treatment_facts(make_example_kb())
    kb.add_fact("statins", "treats", "hypercholesterolemia", evidence=Evidence(
        document="https://example.org/guideline", extractor="test", text="Statins lower LDL."))
    statins = _by_drug(treat(kb, "hypercholesterolemia", taking=["clarithromycin"]))["statins"]
    assert statins.status == CAUTION
    assert [(r.kind, r.matched.removeprefix(ENTITY), r.effect) for r in statins.reasons] == [
        ("class member", "atorvastatin", CAUTION), ("class member", "simvastatin", CAUTION)]
    assert statins.reasons[1].message.startswith("simvastatin, one of the statins, is excluded for "
                                                 "this patient: simvastatin interacts with clarithromycin")
    assert statins.reasons[1].sources[0].severity == "contraindicated"
