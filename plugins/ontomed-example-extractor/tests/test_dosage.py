"""The dosage extractor: what it finds, how it normalises it, and that it keeps ontomed's contract."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from ontomed_example_extractor import DosageExtractor, DosageMention, find_doses

from ontomed import plugins
from ontomed.cli import cli
from ontomed.testing import DEFAULT_SAMPLES, check_extractor

CLINICAL = [
    "Metformin 500 mg orally twice daily for 7 days.",
    "Take 1-2 tablets every 4-6 hours as needed.",
    "Give vancomycin 15 mg/kg IV q12h; glucose was 180 mg/dL.",
    "Paracetamol 1 g p.o. q.i.d. prn, then 500 mg b.i.d.",
]


def test_it_keeps_the_ontomed_extractor_contract():
    found = check_extractor(DosageExtractor(), [*DEFAULT_SAMPLES, *CLINICAL])
    assert [m.text for m in found[1].mentions] == ["81 mg once daily"]


@pytest.mark.parametrize(("text", "dose", "parts"), [
    ("Metformin 500 mg orally twice daily for 7 days.", "500 mg orally twice daily for 7 days",
     dict(value=500, unit="mg", route="oral", frequency="twice daily", times_per_day=2, duration_days=7)),
    ("amoxicillin 500mg t.i.d. x 10 days", "500mg t.i.d. x 10 days",
     dict(value=500, unit="mg", frequency="three times daily", times_per_day=3, duration_days=10)),
    ("Take 1-2 tablets every 4-6 hours as needed.", "1-2 tablets every 4-6 hours as needed",
     dict(value=1, value_max=2, unit="tablet", frequency="every 4-6 hours", times_per_day=6, as_needed=True)),
    ("Give vancomycin 15 mg/kg IV q12h.", "15 mg/kg IV q12h",
     dict(value=15, unit="mg/kg", route="intravenous", frequency="every 12 hours", times_per_day=2)),
    ("paracetamol 1 g p.o. q.i.d. prn", "1 g p.o. q.i.d. prn",
     dict(value=1, unit="g", route="oral", frequency="four times daily", times_per_day=4, as_needed=True)),
    ("500 mg b.i.d.", "500 mg b.i.d.", dict(value=500, unit="mg", frequency="twice daily")),
    ("Take 5 mg po.", "5 mg po", dict(value=5, unit="mg", route="oral")),
    ("methotrexate 15 mg once weekly", "15 mg once weekly",
     dict(value=15, unit="mg", frequency="once weekly", times_per_day=1 / 7)),
    ("insulin glargine 10 units subcutaneously at bedtime", "10 units subcutaneously at bedtime",
     dict(value=10, unit="units", route="subcutaneous", frequency="at bedtime", times_per_day=1)),
    ("Two puffs inhaled twice a day.", "Two puffs inhaled twice a day",
     dict(value=2, unit="puff", route="inhaled", frequency="twice daily")),
    ("vitamin D 50,000 IU every 2 weeks", "50,000 IU every 2 weeks",
     dict(value=50000, unit="IU", frequency="every 2 weeks", times_per_day=1 / 14)),
    ("2 g/day in divided doses", "2 g/day", dict(value=2, unit="g", frequency="per day", times_per_day=1)),
    ("levothyroxine 2,5 mg daily", "2,5 mg daily", dict(value=2.5, frequency="once daily")),
    ("heparin 18 units/kg/h", "18 units/kg/h", dict(value=18, unit="units/kg/h")),
    ("imatinib 400 mg for chronic myeloid leukemia", "400 mg", dict(value=400, frequency=None)),
])
def test_doses_are_found_whole_and_normalised(text, dose, parts):
    [found] = find_doses(text)
    assert found.text == dose and text[found.start:found.end] == dose and found.type == "Dosage"
    for key, value in parts.items():
        assert getattr(found, key) == (pytest.approx(value) if isinstance(value, float) else value), key


@pytest.mark.parametrize("text", [
    "Glucose 180 mg/dL at baseline.",       # a lab value
    "Amoxicillin suspension 250 mg/5 mL.",  # a formulation strength
    "Type 2 diabetes in 12 patients.",      # numbers without units
    "COVID-19 and HbA1c 7.5%.",
    "Dosing 5mgs2 and one g.",              # a unit inside a word; a number word before a mass
])
def test_concentrations_and_unitless_numbers_are_not_doses(text):
    assert find_doses(text) == []


def test_masses_convert_to_milligrams():
    [dose] = find_doses("metformin 0.5 g twice daily")
    assert dose.milligrams == 500 and dose.daily_milligrams == 1000
    [count] = find_doses("2 tablets daily")
    assert count.milligrams is None


def test_the_json_form_carries_the_parts():
    [dose] = find_doses("Aspirin 81 mg once daily.")
    data = dose.to_dict()
    assert data["text"] == "81 mg once daily" and data["unit"] == "mg" and data["times_per_day"] == 1.0
    assert isinstance(dose, DosageMention)


def test_ontomed_finds_it_through_its_entry_point_and_runs_it():
    plugins.reset()
    try:
        assert isinstance(plugins.get_extractors()["dosage"], DosageExtractor)
        result = CliRunner().invoke(cli, ["extract", "--kb", ":memory:", "--extractors", "dosage",
                                          "Metformin 500 mg orally twice daily."])
        assert result.exit_code == 0, result.output
        [extraction] = json.loads(result.output)
        [dose] = extraction["mentions"]
        assert (dose["text"], dose["value"], dose["route"]) == ("500 mg orally twice daily", 500.0, "oral")
    finally:
        plugins.reset()
